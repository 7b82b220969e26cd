"""Start-up: settings from the environment, what each mode needs, and refusing to run half-configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bots.slack.api_client import WhatworksClient
from bots.slack.app import create_slack_app, run
from bots.slack.config import load_slack_settings, missing_for
from bots.slack.http_server import EVENTS_PATH, create_http_app
from tests.bots.slack.block_checks import texts_of
from tests.bots.slack.harness import (
    SIGNING_SECRET,
    SlackSender,
    bot_settings,
    free_port,
    message_event,
    secret_of,
    serve_asgi,
)
from tests.bots.slack.standin import BOT_TOKEN, SlackStandIn

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in SLACK_VARS + tuple(
        f"WHATWORKS_SLACK__{n}" for n in ("BOT_TOKEN", "APP_TOKEN", "SIGNING_SECRET", "API_URL", "API_KEY")
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_slack_names_fill_in_what_whatworks_settings_leave_unset(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-from-slack-name")
    clean_env.setenv("SLACK_APP_TOKEN", "xapp-from-slack-name")
    clean_env.setenv("WHATWORKS_SLACK__APP_TOKEN", "xapp-from-whatworks")
    clean_env.setenv("WHATWORKS_SLACK__API_URL", "http://api.internal:8000")
    clean_env.setenv("WHATWORKS_SLACK__API_KEY", "k")

    settings = load_slack_settings()

    assert settings.bot_token == SecretStr("xoxb-from-slack-name")
    assert settings.app_token == SecretStr("xapp-from-whatworks")
    assert settings.signing_secret is None
    assert settings.api_url == "http://api.internal:8000"
    assert settings.api_key == SecretStr("k")
    assert missing_for(settings, http=False) == []
    assert missing_for(settings, http=True) == ["SLACK_SIGNING_SECRET"]


def test_slack_names_are_read_from_a_dot_env_file_too(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_SIGNING_SECRET=from-dot-env\nWHATWORKS_SLACK__API_TIMEOUT_SECONDS=7\n")
    settings = load_slack_settings()
    assert settings.signing_secret == SecretStr("from-dot-env")
    assert settings.api_timeout_seconds == 7


@pytest.mark.parametrize(
    ("argv", "missing"), [([], "SLACK_BOT_TOKEN, SLACK_APP_TOKEN"), (["--http"], "SLACK_SIGNING_SECRET")]
)
def test_run_refuses_to_start_without_what_the_mode_needs(
    clean_env: pytest.MonkeyPatch, argv: list[str], missing: str
) -> None:
    if argv:
        clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    with pytest.raises(SystemExit) as exit_:
        run(argv)
    assert missing in str(exit_.value.code)


def test_without_a_signing_secret_no_http_request_verifies(standin: SlackStandIn) -> None:
    """Socket Mode needs no secret; then an empty-key signature (which anyone can make) must still fail."""
    settings = bot_settings(standin, signing_secret=None)
    with (
        WhatworksClient("http://api.test") as api,
        serve_asgi(create_http_app(create_slack_app(settings, api), secret_of(settings))) as url,
    ):
        sender = SlackSender(url + EVENTS_PATH, secret="")
        body = json.dumps({"type": "url_verification", "challenge": "c", "token": "t"})
        assert sender.post(body, "application/json").status_code == 401


def test_a_bot_token_is_required_without_an_injected_client(standin: SlackStandIn) -> None:
    with WhatworksClient("http://api.test") as api, pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        create_slack_app(bot_settings(standin, bot_token=None), api)


def test_http_server_has_a_health_check(standin: SlackStandIn) -> None:
    with (
        WhatworksClient("http://api.test") as api,
        serve_asgi(create_http_app(create_slack_app(bot_settings(standin), api), SIGNING_SECRET)) as url,
    ):
        started = time.monotonic()
        assert SlackSender(url).http.get(url + "/healthz").json() == {"status": "ok"}
        assert time.monotonic() - started < 5


def test_whatworks_slack_http_serves_signed_events_as_a_process(standin: SlackStandIn, tmp_path: Path) -> None:
    """The console script itself, in HTTP mode: Slack's stand-in for Slack, an API that is not there."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WHATWORKS_"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "WHATWORKS_SLACK__WEB_API_URL": standin.api_url,
        "WHATWORKS_SLACK__API_URL": f"http://127.0.0.1:{free_port()}",
    }
    script = Path(sys.executable).parent / "whatworks-slack"
    process = subprocess.Popen(
        [str(script), "--http", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        sender = SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}")
        standin.wait_for(lambda: _healthy(sender, port), timeout=30, what="whatworks-slack to listen")
        channel = "C0PROCESS1"
        message = standin.add_user_message(channel, "<@UBOT0001> does CCTV work?", "U0ALICE01")
        assert sender.event(message_event(message, channel, kind="app_mention")).status_code == 200
        update = standin.wait_for(lambda: standin.recorded("chat.update", channel=channel), what="the notice")
        assert "can’t reach the evidence service" in texts_of(update[0].payload["blocks"])
        assert sender.post("{}", "application/json", signed=False).status_code == 401
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    assert "is not answering yet" in output, output


def _healthy(sender: SlackSender, port: int) -> bool:
    try:
        return sender.http.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def test_socket_mode_is_the_default(clean_env: pytest.MonkeyPatch, standin: SlackStandIn) -> None:
    """`whatworks-slack` with no flag hands the bolt app and the xapp- token to Socket Mode."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    started: list[SocketModeHandler] = []
    clean_env.setattr(SocketModeHandler, "start", lambda handler: started.append(handler))
    clean_env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    clean_env.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    clean_env.setenv("WHATWORKS_SLACK__WEB_API_URL", standin.api_url)
    clean_env.setenv("WHATWORKS_SLACK__API_URL", f"http://127.0.0.1:{free_port()}")

    run([])

    [handler] = started
    assert handler.app_token == "xapp-1-test"
    assert handler.app.client.token == BOT_TOKEN
    assert handler.app.client.base_url == standin.api_url
