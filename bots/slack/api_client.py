"""The bot's client of the whatworks HTTP API: ask a question, record a vote.

Bolt runs listeners in threads, so this client offers blocking calls; underneath, one
`httpx.AsyncClient` runs on an event loop in a thread the client owns. That keeps a single code
path for every transport: the network in production, `httpx.ASGITransport(app=...)` (async-only)
in tests, so the tests exercise exactly what runs.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from assistant.core.answers import AskResponse
from assistant.core.settings import SlackSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_TURNS = 20
MAX_TURN_CHARS = 4000
MAX_QUESTION_ID_CHARS = 64


class APIUnavailable(Exception):
    """The API is down, too slow, starting up, or failed: worth retrying later."""

    def __init__(self, reason: str, *, slow: bool = False, starting: bool = False) -> None:
        super().__init__(reason)
        self.slow = slow
        self.starting = starting


class APIRejected(Exception):
    """The API refused the request (4xx): retrying the same request will not help."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class Vote(enum.Enum):
    RECORDED = "recorded"
    ALREADY_VOTED = "already-voted"
    UNKNOWN_ANSWER = "unknown-answer"


class WhatworksClient:
    """Blocking calls to the whatworks API. Use as a context manager: it owns a thread and a connection pool."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self._headers = {"X-Whatworks-Face": "slack", **({"X-API-Key": api_key} if api_key else {})}
        self._transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_settings(
        cls, settings: SlackSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> WhatworksClient:
        return cls(
            settings.api_url,
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            timeout_seconds=settings.api_timeout_seconds,
            transport=transport,
        )

    # -- lifetime -------------------------------------------------------------------------
    def __enter__(self) -> WhatworksClient:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="whatworks-api-client", daemon=True)
        self._thread.start()
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=self._headers,
            timeout=httpx.Timeout(self.timeout_seconds, connect=min(5.0, self.timeout_seconds)),
            transport=self._transport,
        )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._loop is None or self._client is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._client.aclose(), self._loop).result(timeout=5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._loop.close()
            self._loop = self._client = self._thread = None

    # -- calls ------------------------------------------------------------------------------
    def ask(
        self, question: str, conversation: list[dict[str, str]] | None = None, *, user: str | None = None
    ) -> AskResponse:
        """POST /v1/ask. Raises APIUnavailable or APIRejected; never hangs past the timeout.

        `user` (the Slack user id) goes as X-End-User, so the API's abuse limits count each member
        apart rather than the bot as one client."""
        turns = [_turn(t) for t in (conversation or [])[-MAX_TURNS:]]
        body: dict[str, Any] = {"question": question, "conversation": turns}
        headers = {"X-End-User": f"slack:{user}"} if user else None
        response = self._call(self._post("/v1/ask", body, headers))
        if response.status_code != 200:
            raise _error_for(response)
        try:
            return AskResponse.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            log.error("the API's /v1/ask answer does not match AskResponse: %s", exc)
            raise APIUnavailable("the evidence service sent an answer the bot cannot read") from exc

    def send_feedback(self, question_id: str, rating: str, voter: str) -> Vote:
        """POST /v1/feedback with the Slack user as voter: recorded, already voted, or unknown answer."""
        body = {"question_id": question_id, "rating": rating, "voter": voter}
        response = self._call(self._post("/v1/feedback", body))
        if response.status_code in (200, 201):
            return Vote.RECORDED
        if response.status_code == 409:
            return Vote.ALREADY_VOTED
        if response.status_code == 404:
            return Vote.UNKNOWN_ANSWER
        raise _error_for(response)

    def ping(self) -> bool:
        """True when GET /healthz answers 200 (checked at start-up, to log a clear warning)."""
        try:
            return self._call(self._get("/healthz")).status_code == 200
        except APIUnavailable:
            return False

    async def _get(self, path: str) -> httpx.Response:
        assert self._client is not None
        return await self._client.get(path)

    async def _post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        assert self._client is not None
        return await self._client.post(path, json=body, headers=headers)

    def _call(self, request: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
        if self._loop is None:
            request.close()
            raise RuntimeError("WhatworksClient is not open: use it as a context manager")
        # The overall deadline also covers transports that ignore httpx's timeouts (ASGI).
        deadline = asyncio.wait_for(request, self.timeout_seconds)
        future = asyncio.run_coroutine_threadsafe(deadline, self._loop)
        try:
            return future.result(timeout=self.timeout_seconds + 5)
        except (TimeoutError, httpx.TimeoutException) as exc:
            future.cancel()
            raise APIUnavailable(f"no answer within {self.timeout_seconds:g} s", slow=True) from exc
        except httpx.HTTPError as exc:
            raise APIUnavailable(f"cannot reach {self.base_url}: {exc.__class__.__name__}: {exc}") from exc


def _turn(turn: dict[str, str]) -> dict[str, str]:
    """One conversation turn as the API takes it; an answer's question_id goes along when it is a valid one."""
    sent = {"role": turn["role"], "content": turn["content"][:MAX_TURN_CHARS]}
    question_id = turn.get("question_id")
    if question_id and len(question_id) <= MAX_QUESTION_ID_CHARS:
        sent["question_id"] = question_id
    return sent


def _error_for(response: httpx.Response) -> Exception:
    try:
        detail = str(response.json().get("detail", "")) or response.reason_phrase
    except (ValueError, AttributeError):
        detail = response.text[:300] or response.reason_phrase
    if response.status_code == 503:
        return APIUnavailable(f"the API is not ready: {detail}", starting=True)
    if response.status_code >= 500:
        return APIUnavailable(f"the API failed ({response.status_code}): {detail}")
    return APIRejected(response.status_code, detail)
