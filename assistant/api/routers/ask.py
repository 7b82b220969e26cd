"""POST /v1/ask and /v1/ask/stream (Server-Sent Events)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.api.deps import ApiKeyDep, ServiceDep
from assistant.api.limits import RateLimitDep
from assistant.core.answers import AskResponse, Message, error_responses
from assistant.core.evidence import EvidenceVerdict, Setting
from assistant.core.inputs import (
    MAX_FILTER_VALUE_CHARS,
    MAX_FILTER_VALUES,
    MAX_TURNS,
    VISIBLE_PATTERN,
    checked_text,
)
from assistant.core.service import MAX_QUESTION_CHARS, InvalidRequest, NotReady
from assistant.core.store import StoreUnavailable

router = APIRouter(prefix="/v1", tags=["ask"], responses=error_responses())
log = logging.getLogger(__name__)


FilterValue = Annotated[
    str, Field(min_length=1, max_length=MAX_FILTER_VALUE_CHARS, json_schema_extra={"pattern": VISIBLE_PATTERN})
]


class Filters(BaseModel):
    """Any listed value within a field, every field given; values from `GET /v1/filters`."""

    model_config = ConfigDict(extra="forbid")

    settings: list[Setting] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    populations: list[FilterValue] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    countries: list[FilterValue] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    verdict: list[EvidenceVerdict] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)

    @field_validator("populations", "countries")
    @classmethod
    def _values(cls, values: list[str]) -> list[str]:
        return [checked_text(v, "filter value") for v in values]

    def as_dict(self) -> dict[str, list[str]]:
        def unique(values: list[str]) -> list[str]:
            return list(dict.fromkeys(values))

        return {
            "settings": unique([s.value for s in self.settings]),
            "populations": unique([p.strip().lower() for p in self.populations]),
            "countries": unique([c.strip().lower() for c in self.countries]),
            "verdict": unique([v.value for v in self.verdict]),
        }


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description=f"The question, 1 to {MAX_QUESTION_CHARS} characters, not only spaces or invisible characters.",
        json_schema_extra={"pattern": VISIBLE_PATTERN},
    )
    conversation: list[Message] = Field(
        default_factory=list, max_length=MAX_TURNS, description="Earlier turns, oldest first."
    )
    filters: Filters | None = None
    language: Literal["en", "fr"] | None = Field(
        default=None,
        description="The asker's interface language, a hint: the question's own words decide, this breaks ties.",
    )

    @field_validator("question", mode="before")
    @classmethod
    def _question(cls, value: object) -> object:
        if not isinstance(value, str):
            return value  # the type check says what is wrong
        length = len(value)
        value = checked_text(value, "question")
        if length > MAX_QUESTION_CHARS:
            raise ValueError(
                f"the question is {length:,} characters long; the limit is {MAX_QUESTION_CHARS:,}: shorten it"
            )
        return value


def _not_ready(exc: NotReady) -> HTTPException:
    return HTTPException(503, str(exc), headers={"Retry-After": "10"})


@router.post("/ask", response_model=AskResponse)
async def ask(body: AskBody, service: ServiceDep, _key: ApiKeyDep, _limit: RateLimitDep, request: Request) -> Response:
    """Answer a question from the evidence base, every claim cited."""
    face = request.headers.get("x-whatworks-face", "api")

    def answer() -> str:
        response = service.ask(
            body.question,
            body.conversation,
            body.filters.as_dict() if body.filters else None,
            face=face,
            language=body.language,
        )
        request.app.state.metrics.answered(response, face)
        # written to JSON in the answering thread: FastAPI would check the model it was just made as, in
        # another hand-off to the thread pool (`response_model` still documents the body)
        return response.model_dump_json()

    try:
        # Questions answer at once in the thread pool (40 threads): limited to one thread a process, a
        # worker with more of the open connections than the other queued them while the other sat idle
        # (60-85 answers/s at concurrency 8 with 2 workers, against 108-110 unlimited)
        return Response(await anyio.to_thread.run_sync(answer), media_type="application/json")
    except NotReady as exc:
        raise _not_ready(exc) from None
    except InvalidRequest as exc:
        raise HTTPException(422, str(exc)) from None


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/ask/stream", responses={200: {"content": {"text/event-stream": {}}}})
def ask_stream(
    body: AskBody, service: ServiceDep, _key: ApiKeyDep, _limit: RateLimitDep, request: Request
) -> StreamingResponse:
    """The same answer as Server-Sent Events: status, delta..., citations, done (or error)."""
    service.snapshot()  # an empty index or a store that is down answers 503 before the stream starts
    filters = body.filters.as_dict() if body.filters else None
    try:
        service.check_filters(filters)
    except InvalidRequest as exc:
        raise HTTPException(422, str(exc)) from None
    face = request.headers.get("x-whatworks-face", "widget")

    def events() -> Iterator[str]:
        try:
            for event, payload in service.ask_events(
                body.question, body.conversation, filters, face=face, language=body.language
            ):
                if isinstance(payload, AskResponse):
                    request.app.state.metrics.answered(payload, face)
                data = payload.model_dump(mode="json") if isinstance(payload, AskResponse) else payload
                yield _sse(event, data)
        except (NotReady, StoreUnavailable) as exc:
            yield _sse("error", {"detail": str(exc), "status": 503, "retry_after": 5})
        except Exception:
            log.exception("answering failed")
            yield _sse("error", {"detail": "the assistant failed while answering; please retry", "status": 500})

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
