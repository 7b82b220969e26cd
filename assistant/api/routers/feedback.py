"""POST /v1/feedback: a thumbs up or down on an answer, one vote per voter."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from assistant.api.deps import ApiKeyDep, ServiceDep
from assistant.core.answers import error_responses
from assistant.core.inputs import MAX_COMMENT_CHARS, NO_CONTROL_PATTERN, checked_text
from assistant.core.records import AlreadyVoted, UnknownQuestion

router = APIRouter(prefix="/v1", tags=["feedback"], responses=error_responses(404, 409))


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
        description="Who voted (e.g. a Slack user id).",
        json_schema_extra={"pattern": NO_CONTROL_PATTERN},
    )

    @field_validator("question_id", "comment", "voter")
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else checked_text(value, str(info.field_name).replace("_", " "), allow_empty=True)


class FeedbackResponse(BaseModel):
    ok: bool = True


@router.post("/feedback", status_code=201, response_model=FeedbackResponse)
def post_feedback(body: FeedbackBody, service: ServiceDep, _key: ApiKeyDep) -> FeedbackResponse:
    try:
        service.add_feedback(body.question_id, body.rating, body.comment, body.voter)
    except UnknownQuestion:
        raise HTTPException(404, f"no answer with question_id {body.question_id!r}") from None
    except AlreadyVoted:
        raise HTTPException(409, "already voted on this answer") from None
    return FeedbackResponse()
