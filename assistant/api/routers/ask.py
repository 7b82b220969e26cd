"""POST /v1/ask and /v1/ask/stream (Server-Sent Events)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.api.deps import ApiKeyDep, ServiceDep
from assistant.core.answers import AskResponse, Message
from assistant.core.evidence import EvidenceVerdict, Setting
from assistant.core.service import MAX_QUESTION_CHARS, NotReady

router = APIRouter(prefix="/v1", tags=["ask"])
log = logging.getLogger(__name__)


class Filters(BaseModel):
    """Any listed value within a field, every field given."""

    model_config = ConfigDict(extra="forbid")

    settings: list[Setting] = Field(default_factory=list)
    populations: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    verdict: list[EvidenceVerdict] = Field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "settings": [s.value for s in self.settings],
            "populations": [p.strip().lower() for p in self.populations],
            "countries": [c.strip().lower() for c in self.countries],
            "verdict": [v.value for v in self.verdict],
        }


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description=f"The question, 1 to {MAX_QUESTION_CHARS} characters.")
    conversation: list[Message] = Field(default_factory=list, max_length=40, description="Earlier turns, oldest first.")
    filters: Filters | None = None

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the question is empty: type a question")
        if len(value) > MAX_QUESTION_CHARS:
            raise ValueError(
                f"the question is {len(value):,} characters long; the limit is {MAX_QUESTION_CHARS:,}: shorten it"
            )
        return value


def _not_ready(exc: NotReady) -> HTTPException:
    return HTTPException(503, str(exc), headers={"Retry-After": "10"})


@router.post("/ask", response_model=AskResponse, dependencies=[])
def ask(body: AskBody, service: ServiceDep, _key: ApiKeyDep, request: Request) -> AskResponse:
    """Answer a question from the evidence base, every claim cited."""
    try:
        return service.ask(
            body.question,
            body.conversation,
            body.filters.as_dict() if body.filters else None,
            face=request.headers.get("x-whatworks-face", "api"),
        )
    except NotReady as exc:
        raise _not_ready(exc) from None


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/ask/stream", responses={200: {"content": {"text/event-stream": {}}}})
def ask_stream(body: AskBody, service: ServiceDep, _key: ApiKeyDep, request: Request) -> StreamingResponse:
    """The same answer as Server-Sent Events: status, delta..., citations, done (or error)."""
    ready, _ = service.readiness()
    if not ready:
        raise _not_ready(NotReady("the evidence index is empty or still loading; run whatworks-ingest and retry"))
    filters = body.filters.as_dict() if body.filters else None
    face = request.headers.get("x-whatworks-face", "widget")

    def events() -> Iterator[str]:
        try:
            for event, payload in service.ask_events(body.question, body.conversation, filters, face=face):
                data = payload.model_dump(mode="json") if isinstance(payload, AskResponse) else payload
                yield _sse(event, data)
        except NotReady as exc:
            yield _sse("error", {"detail": str(exc), "status": 503})
        except Exception:
            log.exception("answering failed")
            yield _sse("error", {"detail": "the assistant failed while answering; please retry", "status": 500})

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
