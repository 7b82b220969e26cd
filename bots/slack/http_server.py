"""HTTP mode: an ASGI app (served by uvicorn) that hands Slack's requests to the bolt app.

Events, the slash command and interactivity all arrive at one path, `/slack/events`; bolt checks
each request's signature (HMAC with the signing secret, at most five minutes old) and answers 401
otherwise. Dispatch runs in a worker thread, so a slow listener never blocks the server.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_bolt import App, BoltRequest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

EVENTS_PATH = "/slack/events"


def create_http_app(bolt_app: App, path: str = EVENTS_PATH) -> Starlette:
    async def slack_events(request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        headers: dict[str, str | Sequence[str]] = {key: request.headers.getlist(key) for key in request.headers.keys()}
        bolt_request = BoltRequest(body=body, query=request.url.query, headers=headers)
        bolt_response = await run_in_threadpool(bolt_app.dispatch, bolt_request)
        return Response(
            content=bolt_response.body,
            status_code=bolt_response.status,
            headers=bolt_response.first_headers_without_set_cookie(),
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route(path, slack_events, methods=["POST"]), Route("/healthz", healthz)])
