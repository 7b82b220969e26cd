"""GET /v1/documents/{id} and GET /v1/gaps (what members asked that the evidence base could not answer)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from assistant.api.deps import ApiKeyDep, CuratorDep, ServiceDep
from assistant.core.answers import ErrorBody, error_responses
from assistant.core.service import NotReady

router = APIRouter(prefix="/v1", tags=["documents"], responses=error_responses(404))


@router.get("/documents/{document_id}")
def get_document(document_id: str, service: ServiceDep, _key: ApiKeyDep) -> dict[str, Any]:
    try:
        document = service.document(document_id)
    except NotReady as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "10"}) from None
    if document is None:
        raise HTTPException(404, f"no document with id {document_id!r}")
    return document


_CURATOR_ERRORS = error_responses(403) | {
    401: {"model": ErrorBody, "description": "Missing, wrong or revoked curator key."},
    403: {"model": ErrorBody, "description": "Curator routes are off: no curator key is configured."},
}


@router.get("/gaps", responses=_CURATOR_ERRORS)
def get_gaps(service: ServiceDep, _curator: CuratorDep, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Members' questions verbatim: a curator route, whatever the origin or the public API key."""
    return service.records.evidence_gaps(limit)
