"""POST /v1/feedback: a thumbs up or down on an answer, one vote per voter."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.deps import ApiKeyDep, ServiceDep
from assistant.core.records import AlreadyVoted, UnknownQuestion

router = APIRouter(prefix="/v1", tags=["feedback"])


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: str = Field(min_length=1, max_length=64)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=4000)
    voter: str | None = Field(default=None, max_length=200, description="Who voted (e.g. a Slack user id).")


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
