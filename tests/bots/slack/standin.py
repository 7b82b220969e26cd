"""A local stand-in of the Slack Web API: a real HTTP server on a free 127.0.0.1 port.

It serves what the bot calls (auth.test, chat.postMessage, chat.update, chat.postEphemeral,
views.*, conversations.replies) and the response_url webhooks, records every payload, keeps the
messages so threads can be read back, and refuses blocks that break Slack's documented limits
(as Slack answers `invalid_blocks`), so a payload Slack would reject fails here too.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from tests.bots.slack.block_checks import block_problems

T = TypeVar("T")

BOT_TOKEN = "xoxb-standin-token"
BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0TEAM01"


@dataclass
class Call:
    method: str
    payload: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class SlackStandIn:
    """Start with `with SlackStandIn() as slack:`; point WebClient(base_url=slack.api_url) at it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.not_a_member: set[str] = set()  # channels where posting fails with not_in_channel
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- lifetime and addresses ---------------------------------------------------------------
    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/respond/{name}"

    # -- what tests read and seed --------------------------------------------------------------
    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def add_user_message(self, channel: str, text: str, user: str, thread_ts: str | None = None) -> dict[str, Any]:
        """A person's message, as Slack would store it (the test then sends its event)."""
        message = {"type": "message", "ts": self.next_ts(), "user": user, "text": text, "team": TEAM_ID}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return message

    def add_bot_message(self, channel: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
        """A message the bot posted earlier (e.g. before a restart)."""
        message = {"type": "message", "ts": self.next_ts(), "user": BOT_USER_ID, "bot_id": BOT_ID, "text": text}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return message

    def bot_messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """The bot's messages in a channel as they are now (updates applied), in one thread if given."""
        with self._lock:
            return [
                dict(m)
                for m in self.messages.get(channel, [])
                if m.get("bot_id") == BOT_ID and (thread_ts is None or m.get("thread_ts") == thread_ts)
            ]

    def recorded(self, method: str | None = None, **match: Any) -> list[Call]:
        """Calls so far, optionally of one method and with payload fields equal to `match`."""
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if (method is None or c.method == method) and all(c.payload.get(k) == v for k, v in match.items())
        ]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            return next(dict(m) for m in self.messages.get(channel, []) if m["ts"] == ts)

    def wait_for(self, probe: Callable[[], T | None], timeout: float = 30.0, what: str = "condition") -> T:
        """Poll `probe` until it returns something truthy; fail the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; calls: {self.summary()}")
            time.sleep(0.05)

    def summary(self) -> list[str]:
        return [f"{c.method} {json.dumps(c.payload)[:200]}" for c in self.recorded()]

    # -- the Web API ------------------------------------------------------------------------------
    def _handle(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "team_id": TEAM_ID, "user": "whatworks"}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            blocks = _as_list(payload.get("blocks"))
            problems = block_problems(blocks, 50)
            if len(str(payload.get("text", ""))) > 40_000:
                problems.append("text over 40,000 chars")
            if problems:
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
            return self._store_message(method, payload, blocks)
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = _as_dict(payload.get("view"))
            problems = block_problems(view.get("blocks", []), 100)
            if len(view.get("title", {}).get("text", "")) > 24:
                problems.append("modal title over 24 chars")
            if problems:
                return {"ok": False, "error": "invalid_arguments", "errors": problems}
            view_id = str(payload.get("view_id") or f"V{len(self.views) + 1:06d}")
            self.views[view_id] = view
            return {"ok": True, "view": {**view, "id": view_id}}
        if method == "conversations.replies":
            return self._replies(str(payload.get("channel")), str(payload.get("ts")))
        return {"ok": False, "error": "unknown_method"}

    def _store_message(self, method: str, payload: dict[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
        channel = str(payload.get("channel"))
        with self._lock:
            if method == "chat.update":
                for m in self.messages.get(channel, []):
                    if m["ts"] == payload.get("ts") and m.get("bot_id") == BOT_ID:
                        m.update(text=payload.get("text", ""), blocks=blocks)
                        return {"ok": True, "channel": channel, "ts": m["ts"], "text": m["text"]}
                return {"ok": False, "error": "message_not_found"}
            if channel in self.not_a_member:
                return {"ok": False, "error": "not_in_channel"}
            ts = self.next_ts()
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            message = {
                "type": "message",
                "ts": ts,
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": payload.get("text", ""),
            }
            message["blocks"] = blocks
            if payload.get("thread_ts"):
                message["thread_ts"] = payload["thread_ts"]
            self.messages.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _replies(self, channel: str, root: str) -> dict[str, Any]:
        with self._lock:
            thread = [dict(m) for m in self.messages.get(channel, []) if root in (m["ts"], m.get("thread_ts"))]
        if not any(m["ts"] == root for m in thread):
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": sorted(thread, key=lambda m: float(m["ts"])), "has_more": False}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
                pass

            def do_GET(self) -> None:
                self._dispatch()

            def do_POST(self) -> None:
                self._dispatch()

            def _dispatch(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                payload: dict[str, Any] = dict(parse_qsl(parts.query))
                if raw:
                    if (self.headers.get("Content-Type") or "").startswith("application/json"):
                        payload.update(json.loads(raw))
                    else:
                        payload.update(parse_qsl(raw))
                if parts.path.startswith("/respond/"):
                    with standin._lock:
                        standin.calls.append(Call(f"response_url:{parts.path.removeprefix('/respond/')}", payload))
                    problems = block_problems(_as_list(payload.get("blocks")), 50)
                    self._reply(400 if problems else 200, "invalid_blocks" if problems else "ok", "text/plain")
                    return
                method = parts.path.removeprefix("/api/")
                if self.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
                    body: dict[str, Any] = {"ok": False, "error": "invalid_auth"}
                else:
                    body = standin._handle(method, payload)
                with standin._lock:
                    standin.calls.append(Call(method, payload))
                self._reply(200, json.dumps(body), "application/json")

            def _reply(self, status: int, body: str, content_type: str) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        value = json.loads(value) if value else []
    return list(value or [])


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    return dict(value or {})
