"""Signatures are checked before anything is parsed, and a replayed signed request is answered once."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.bots.slack.block_checks import texts_of
from tests.bots.slack.harness import ALICE, TEAM_ID, SlackSender, sign
from tests.bots.slack.standin import SlackStandIn

pytestmark = pytest.mark.slow


def test_a_replayed_slash_command_is_answered_once(slack: SlackSender, standin: SlackStandIn, channel: str) -> None:
    form = urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": channel,
            "user_id": ALICE,
            "command": "/whatworks",
            "text": "does improved street lighting reduce crime?",
            "response_url": standin.response_url(f"replay-{channel}"),
            "trigger_id": "123.1.abc",
            "api_app_id": "A0WHATWORKS",
        }
    )
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(form, timestamp, slack.secret),
    }
    first = slack.http.post(slack.events_url, content=form.encode(), headers=headers)
    replays = [slack.http.post(slack.events_url, content=form.encode(), headers=headers) for _ in range(2)]
    assert first.status_code == 200
    assert "Searching the evidence" in first.json()["text"]
    assert [r.status_code for r in replays] == [200, 200]
    assert all(not r.content for r in replays)  # acknowledged, not answered
    answers = standin.wait_for(lambda: standin.recorded(f"response_url:replay-{channel}"), what="the answer")
    time.sleep(2)  # time for a second answer, if one were coming
    answers = standin.recorded(f"response_url:replay-{channel}")
    assert len(answers) == 1
    assert "Improved street lighting" in texts_of(answers[0].payload["blocks"])
    for block in answers[0].payload["blocks"]:
        for text in [block.get("text"), *block.get("elements", [])]:
            if isinstance(text, dict) and text.get("type") == "mrkdwn":
                assert text.get("verbatim") is True  # a document's words never become links or mentions


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"payload=%7B%7D", {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=abc"}),
        (b"\xff\xfe\xfa not utf-8", {}),
        (b"\xff\xfe\xfa not utf-8", {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0="}),
        (b'{"type": "url_verification"}', {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"}),
        (b"token=x&command=%2Fwhatworks", {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "x"}),
    ],
)
def test_anything_unsigned_or_malformed_gets_401(slack: SlackSender, body: bytes, headers: dict[str, str]) -> None:
    response = slack.http.post(
        slack.events_url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded", **headers}
    )
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
