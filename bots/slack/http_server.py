"""HTTP mode: an ASGI app (served by uvicorn) that hands Slack's requests to the bolt app.

Events, the slash command and interactivity all arrive at one path, `/slack/events`. Nothing
of a request is parsed before its signature is checked here, on the raw bytes (HMAC with the
signing secret, at most five minutes old): anything unsigned, stale or malformed gets 401.
A signed request seen before within those five minutes (a replayed slash command, a retried
action) is acknowledged and dropped, so it is never answered twice. Dispatch runs in a worker
thread, so a slow listener never blocks the server.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Sequence

from slack_bolt import App, BoltRequest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bots.slack.recent import SeenEvents

EVENTS_PATH = "/slack/events"
SIGNATURE_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 1_000_000
log = logging.getLogger(__name__)


def signed_by_slack(secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float) -> bool:
    """Slack's v0 request signature over the raw body, within the five-minute window."""
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def create_http_app(bolt_app: App, signing_secret: str | None, path: str = EVENTS_PATH) -> Starlette:
    """The ASGI app; without a signing secret (Socket Mode needs none) no request ever verifies."""
    secret = signing_secret or secrets.token_hex(32)
    seen = SeenEvents(ttl_seconds=SIGNATURE_WINDOW_SECONDS + 60)

    async def slack_events(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return JSONResponse({"error": "request too large"}, status_code=413)
        signature = request.headers.get("x-slack-signature")
        if not signed_by_slack(secret, raw, request.headers.get("x-slack-request-timestamp"), signature, time.time()):
            return JSONResponse({"error": "invalid or missing Slack signature"}, status_code=401)
        assert signature is not None
        if not seen.first_time(signature):
            log.info("ignoring a replayed or repeated Slack request (same signature within 5 minutes)")
            return Response(status_code=200, headers={"x-slack-no-retry": "1"})
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return JSONResponse({"error": "the body is not UTF-8"}, status_code=400)
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
