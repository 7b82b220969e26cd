"""Driving the bot as Slack does: signed HTTP requests (v0 HMAC) to its /slack/events, over loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from assistant.core.settings import SlackSettings
from tests.bots.slack.standin import BOT_TOKEN, BOT_USER_ID, TEAM_ID, SlackStandIn

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def bot_settings(standin: SlackStandIn, **overrides: object) -> SlackSettings:
    values: dict[str, object] = {
        "bot_token": SecretStr(BOT_TOKEN),
        "signing_secret": SecretStr(SIGNING_SECRET),
        "web_api_url": standin.api_url,
        "api_url": "http://whatworks.test",
        "api_timeout_seconds": 30.0,
        **overrides,
    }
    return SlackSettings.model_validate(values)


def secret_of(settings: SlackSettings) -> str | None:
    return settings.signing_secret.get_secret_value() if settings.signing_secret else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port for the duration of the block."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class SlackSender:
    """Sends events, slash commands and button clicks to the bot, signed like Slack signs them."""

    def __init__(self, events_url: str, secret: str = SIGNING_SECRET) -> None:
        self.events_url = events_url
        self.secret = secret
        self.http = httpx.Client(timeout=10)

    def post(
        self,
        body: str,
        content_type: str,
        *,
        signed: bool = True,
        age_seconds: int = 0,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        timestamp = int(time.time()) - age_seconds
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers["X-Slack-Request-Timestamp"] = str(timestamp)
            all_headers["X-Slack-Signature"] = sign(body, timestamp, secret or self.secret)
        return self.http.post(self.events_url, content=body.encode("utf-8"), headers=all_headers)

    def event(self, event: dict[str, Any], *, event_id: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.post(json.dumps(event_envelope(event, event_id)), "application/json", **kwargs)

    def command(self, text: str, *, user: str, channel: str, response_url: str) -> httpx.Response:
        form = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": channel,
            "user_id": user,
            "command": "/whatworks",
            "text": text,
            "response_url": response_url,
            "trigger_id": f"{uuid.uuid4().int % 10**10}.1.abc",
            "api_app_id": "A0WHATWORKS",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def click(
        self,
        button: dict[str, Any],
        *,
        user: str,
        channel: str,
        message: dict[str, Any] | None,
        response_url: str,
        ephemeral: bool = False,
    ) -> httpx.Response:
        """A block_actions payload for a click on `button` (a button element from a posted message)."""
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID},
            "user": {"id": user},
            "api_app_id": "A0WHATWORKS",
            "token": "legacy",
            "trigger_id": f"{uuid.uuid4().int % 10**10}.1.abc",
            "channel": {"id": channel},
            "container": {
                "type": "message",
                "channel_id": channel,
                "is_ephemeral": ephemeral,
                **({"message_ts": message["ts"]} if message else {}),
            },
            "response_url": response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "value": button.get("value", ""),
                    "action_ts": str(time.time()),
                }
            ],
        }
        if message is not None:
            payload["message"] = message
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def event_envelope(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": "A0WHATWORKS",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}],
    }


def message_event(
    message: dict[str, Any], channel: str, *, kind: str = "message", channel_type: str = "channel"
) -> dict[str, Any]:
    """The event Slack sends for a stored message (`kind` "message" or "app_mention")."""
    event = {**message, "type": kind, "channel": channel, "event_ts": message["ts"]}
    if kind == "message":
        event["channel_type"] = channel_type
    return event


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The buttons of a message by action_id."""
    return {e["action_id"]: e for b in blocks if b.get("type") == "actions" for e in b["elements"]}


# -- reading the bot's answers back from the stand-in --------------------------------------------------

ALICE = "U0ALICE01"
BOB = "U0BOB0002"
MENTION = f"<@{BOT_USER_ID}>"


def answers(standin: SlackStandIn, channel: str, thread_ts: str | None, count: int = 1) -> list[dict[str, Any]]:
    """The chat.update payloads that replaced the bot's first `count` placeholders (waiting for them)."""

    def probe() -> list[dict[str, Any]] | None:
        placeholders = [m["ts"] for m in standin.bot_messages(channel, thread_ts)][:count]
        found = []
        for ts in placeholders:
            updates = standin.recorded("chat.update", channel=channel, ts=ts)
            if not updates:
                return None
            found.append(updates[0].payload)
        return found if len(found) == count else None

    return standin.wait_for(probe, what=f"{count} answer(s) in {channel}")


def ask_by_mention(slack: SlackSender, standin: SlackStandIn, channel: str, question: str) -> tuple[dict, dict]:
    """A mention in a channel; returns the question's message and the answer's chat.update payload."""
    message = standin.add_user_message(channel, f"{MENTION} {question}", ALICE)
    assert slack.event(message_event(message, channel, kind="app_mention")).status_code == 200
    return message, answers(standin, channel, message["ts"])[0]


def posted_message(standin: SlackStandIn, channel: str, ts: str) -> dict[str, Any]:
    """A message as Slack would include it in an interaction payload."""
    return {
        k: v
        for k, v in standin.message(channel, ts).items()
        if k in ("type", "ts", "user", "bot_id", "text", "blocks", "thread_ts")
    }
