"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    service = getattr(request.app.state, "service", None)
    if service is None:
        return JSONResponse({"status": "starting"}, status_code=503, headers={"Retry-After": "5"})
    ready, chunks = service.readiness()
    if not ready:
        return JSONResponse(
            {"status": "empty", "detail": "no evidence indexed yet: run whatworks-ingest"},
            status_code=503,
            headers={"Retry-After": "10"},
        )
    return JSONResponse({"status": "ready", "chunks": chunks})
