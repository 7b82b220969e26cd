"""POST /v1/feedback: a thumbs up or down on an answer, one vote per voter."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from assistant.api.deps import ApiKeyDep, ServiceDep
from assistant.api.limits import RateLimitDep
from assistant.api.voters import Voters
from assistant.core.answers import error_responses
from assistant.core.inputs import MAX_COMMENT_CHARS, NO_CONTROL_PATTERN, checked_text
from assistant.core.records import AlreadyVoted, UnknownQuestion

router = APIRouter(prefix="/v1", tags=["feedback"], responses=error_responses(403, 404, 409))


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: str = Field(min_length=1, max_length=64, json_schema_extra={"pattern": NO_CONTROL_PATTERN})
    rating: Literal["up", "down"]
    comment: str | None = Field(
        default=None, max_length=MAX_COMMENT_CHARS, json_schema_extra={"pattern": NO_CONTROL_PATTERN}
    )
    voter: str | None = Field(
        default=None,
        max_length=200,
        description="Who voted (e.g. a Slack user id); taken only from a caller with the API key, when one is set.",
        json_schema_extra={"pattern": NO_CONTROL_PATTERN},
    )
    session: str | None = Field(
        default=None,
        max_length=200,
        description="A session from POST /v1/sessions (the widget): its votes count once per session.",
        json_schema_extra={"pattern": NO_CONTROL_PATTERN},
    )

    @field_validator("question_id", "comment", "voter", "session")
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else checked_text(value, str(info.field_name).replace("_", " "), allow_empty=True)


class FeedbackResponse(BaseModel):
    ok: bool = True


class SessionResponse(BaseModel):
    session: str = Field(description="Send it as `session` with each vote from this browser tab.")


@router.post("/sessions", status_code=201, response_model=SessionResponse)
def new_session(request: Request, _key: ApiKeyDep, _limit: RateLimitDep) -> SessionResponse:
    """A voter session for the widget: its votes count once per session."""
    return SessionResponse(session=voters_of(request).new_session())


@router.post("/feedback", status_code=201, response_model=FeedbackResponse)
def post_feedback(
    body: FeedbackBody,
    service: ServiceDep,
    _key: ApiKeyDep,
    _limit: RateLimitDep,
    request: Request,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None,
) -> FeedbackResponse:
    """A thumbs up or down on an answer; one vote per voter, voters as the server knows them."""
    voters = voters_of(request)
    key = request.app.state.settings.api.api_key
    if body.voter and (key is None or (x_api_key is not None and x_api_key == key.get_secret_value())):
        voter = body.voter
    elif body.session:
        known = voters.of_session(body.session)
        if known is None:
            raise HTTPException(403, "session: not a session this server issued; ask for one with POST /v1/sessions")
        voter = known
    else:
        voter = voters.of_client(request.client.host if request.client else "unknown")
    try:
        service.add_feedback(body.question_id, body.rating, body.comment, voter)
    except UnknownQuestion:
        raise HTTPException(404, f"no answer with question_id {body.question_id!r}") from None
    except AlreadyVoted:
        raise HTTPException(409, "already voted on this answer") from None
    return FeedbackResponse()


def voters_of(request: Request) -> Voters:
    return request.app.state.voters  # type: ignore[no-any-return]
