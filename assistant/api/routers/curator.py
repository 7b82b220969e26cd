"""Curator routes as JSON, for scripts: the query log, feedback with the answers, gap groups, ingestion runs.

Every one takes a curator key (`Authorization: Bearer <key>`), whatever the origin or the public key;
the console at /console shows the same data to a signed-in curator.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query

from assistant.api.deps import CuratorDep, ServiceDep
from assistant.core.answers import ErrorBody, error_responses
from assistant.core.records import LogFilter, day_bound

_CURATOR_ERRORS = error_responses(403) | {
    401: {"model": ErrorBody, "description": "Missing, wrong or revoked curator key."},
    403: {"model": ErrorBody, "description": "Curator routes are off: no curator key is configured."},
}
router = APIRouter(prefix="/v1/curator", tags=["curator"], responses=_CURATOR_ERRORS)


def _filter(
    q: str | None, face: str | None, language: str | None, answered: bool | None, document: str | None,
    since: dt.date | None, until: dt.date | None,
) -> LogFilter:  # fmt: skip
    return LogFilter(
        q,
        face,
        language,
        answered,
        document,
        day_bound(since) if since else None,
        day_bound(until, end=True) if until else None,
    )


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()} for row in rows]


@router.get("/queries")
def query_log(
    service: ServiceDep,
    _curator: CuratorDep,
    q: str | None = Query(None, max_length=200, description="Words the question contains."),
    face: str | None = Query(None, max_length=20),
    language: str | None = Query(None, max_length=12),
    answered: bool | None = None,
    document: str | None = Query(None, max_length=200, description="A document id the answer cited."),
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = Query(200, ge=1, le=10000),
) -> list[dict[str, Any]]:
    """Logged questions, newest first, with their answers and votes."""
    where = _filter(q, face, language, answered, document, since, until)
    return _jsonable(service.records.query_log(where, limit))


@router.get("/feedback")
def feedback_log(
    service: ServiceDep,
    _curator: CuratorDep,
    rating: Literal["up", "down"] | None = None,
    face: str | None = Query(None, max_length=20),
    document: str | None = Query(None, max_length=200),
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = Query(200, ge=1, le=10000),
) -> list[dict[str, Any]]:
    """Votes with the question and the answer as the member saw it, newest first."""
    where = _filter(None, face, None, None, document, since, until)
    return _jsonable(service.records.feedback_log(where, rating, limit))


@router.get("/gap-groups")
def gap_groups(
    service: ServiceDep, _curator: CuratorDep, days: int | None = Query(30, ge=1, le=3650)
) -> list[dict[str, Any]]:
    """Open evidence gaps grouped by meaning, the largest group first."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days) if days else None
    groups = service.gap_groups(service.records.open_gaps(since))
    return [
        {
            "count": g.count,
            "newest": g.newest["question"],
            "languages": g.languages,
            "nearest_topics": g.nearest_topics,
            "questions": _jsonable(g.questions),
        }
        for g in groups
    ]


@router.get("/ingestion-runs")
def ingestion_runs(
    service: ServiceDep, _curator: CuratorDep, limit: int = Query(10, ge=1, le=500)
) -> list[dict[str, Any]]:
    """The last ingestion jobs: counts and each failed file's error."""
    return _jsonable(service.records.ingestion_history(limit))
