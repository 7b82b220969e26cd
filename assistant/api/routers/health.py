"""Liveness and readiness: /readyz checks every dependency live and says which one is down."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

router = APIRouter(tags=["health"])


class ReadyBody(BaseModel):
    status: str = Field(description="ready, starting or unavailable.")
    chunks: int = 0
    detail: str | None = Field(default=None, description="Why the service is not ready, and what to do.")
    problems: list[str] = Field(default_factory=list)
    lost_log_rows: int = Field(
        default=0, description="Questions answered but not logged since start-up, because the query log failed."
    )


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyBody, responses={503: {"model": ReadyBody}})
def readyz(request: Request) -> JSONResponse:
    service = getattr(request.app.state, "service", None)
    if service is None:
        body = ReadyBody(status="starting", detail="the service is starting; retry in a few seconds")
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
    state = service.readiness()
    if not state.ready:
        detail = "; ".join(state.problems)
        if state.chunks == 0 and "empty" in detail:
            detail += " (no evidence indexed yet: run whatworks-ingest)"
        body = ReadyBody(
            status="unavailable",
            chunks=state.chunks,
            detail=detail,
            problems=state.problems,
            lost_log_rows=state.lost_log_rows,
        )
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
    return JSONResponse(ReadyBody(status="ready", chunks=state.chunks, lost_log_rows=state.lost_log_rows).model_dump())
