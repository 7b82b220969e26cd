"""The app factory: `create_app(settings) -> FastAPI`. Tests build their own app from it."""

from __future__ import annotations

import asyncio
import copy
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

import assistant
from assistant.api import console
from assistant.api.limits import RateLimiter
from assistant.api.metrics import Metrics
from assistant.api.routers import ask, curator, documents, feedback, health
from assistant.api.voters import Voters
from assistant.core.embeddings import Embedder
from assistant.core.records import RecordsUnavailable
from assistant.core.service import EvidenceService, NotReady
from assistant.core.settings import Settings
from assistant.core.store import StoreUnavailable

log = logging.getLogger(__name__)


def widget_dir() -> Path:
    """bots/web, beside the assistant package (the widget's static files)."""
    return Path(assistant.__file__).resolve().parent.parent / "bots" / "web"


def _readable(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"] if p != "body")
        msg = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "string_unicode":
            msg = "contains invalid Unicode (an unpaired surrogate): send it as UTF-8 text"
        if error["type"] == "extra_forbidden":
            msg = "unknown field: remove it (filters take settings, populations, countries, verdict)"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


@asynccontextmanager
async def _retention(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """With `retention_days` set, old questions are anonymised or deleted at start-up and then daily."""
    days = settings.retention_days
    if days is None:
        yield
        return

    async def daily() -> None:
        while True:
            current = getattr(app.state, "service", None)
            if current is not None:
                try:
                    done = await run_in_threadpool(current.records.apply_retention, days, settings.retention_mode)
                    log.info("retention: %s %d questions older than %d days", settings.retention_mode, done, days)
                except RecordsUnavailable as exc:
                    log.error("retention did not run (the query log is unavailable): %s", exc)
            await asyncio.sleep(24 * 3600)

    task = asyncio.create_task(daily())
    try:
        yield
    finally:
        task.cancel()


def create_app(
    settings: Settings | None = None, embedder: Embedder | None = None, service: EvidenceService | None = None
) -> FastAPI:
    """Build the API. Pass `service` to share one already open (tests); otherwise the lifespan opens it."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if service is not None:
            app.state.service = service
            async with _retention(app, settings):
                yield
            return
        from assistant.core.runtime import open_service

        manager = open_service(settings, embedder)
        app.state.service = await run_in_threadpool(manager.__enter__)
        app.state.service.warm_up()
        try:
            async with _retention(app, settings):
                yield
        finally:
            app.state.service = None
            await run_in_threadpool(manager.__exit__, None, None, None)

    app = FastAPI(
        title="whatworks",
        version=assistant.__version__,
        description="Answers 'what works for X?' from a curated crime-prevention evidence base, every claim cited.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.api.rate_limits, settings.api.rate_limit_storage)
    app.state.session_limiter = RateLimiter(settings.api.session_rate_limits, settings.api.rate_limit_storage)
    app.state.metrics = Metrics()
    app.state.metrics.instrument(app)
    app.state.service = service
    # one signing secret for voter sessions and console sessions (random per start when unset)
    secret = settings.api.session_secret
    signing = secret.get_secret_value() if secret else secrets.token_hex(32)
    app.state.voters = Voters(signing)
    if settings.api.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.allowed_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "X-API-Key", "X-Whatworks-Session"],
            max_age=600,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _readable(exc)}, status_code=422)

    # A dependency that is down is a 503 a client can retry, never a bare 500.
    @app.exception_handler(NotReady)
    @app.exception_handler(StoreUnavailable)
    @app.exception_handler(RecordsUnavailable)
    async def unavailable(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/console"):
            return console.unavailable_page(request, f"{exc}; retry in a few seconds")
        return JSONResponse({"detail": f"{exc}; retry in a few seconds"}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request failed: %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "the assistant failed while answering; please retry"}, status_code=500)

    for router in (health.router, ask.router, feedback.router, documents.router, curator.router):
        app.include_router(router)
    console.install(app, signing)

    def openapi_with_filter_values() -> dict[str, Any]:
        """The schema, with the filter values the index uses as enums: the API accepts exactly these."""
        base = FastAPI.openapi(app)
        current = getattr(app.state, "service", None)
        try:
            known = current.filter_values() if current is not None else None
        except Exception:  # an index that is empty or down: the schema without enums
            known = None
        if not known:
            return base
        schema = copy.deepcopy(base)
        filters = schema.get("components", {}).get("schemas", {}).get("Filters", {}).get("properties", {})
        for key in ("populations", "countries"):
            if key in filters and known.get(key):
                filters[key]["items"]["enum"] = known[key]
        return schema

    app.openapi = openapi_with_filter_values  # type: ignore[method-assign]

    web = widget_dir()
    if web.is_dir():
        app.mount("/widget", StaticFiles(directory=web), name="widget")

        @app.get("/", include_in_schema=False)
        def demo_page() -> FileResponse:
            return FileResponse(web / "demo.html", media_type="text/html")

    return app
