"""What must never happen: document markup acting in Slack, forged or stale requests, repeats, bot loops."""

from __future__ import annotations

import json
import time

import pytest

from bots.slack.blocks import SHOW_QUOTES
from tests.bots.slack.block_checks import texts_of
from tests.bots.slack.harness import (
    ALICE,
    MENTION,
    SlackSender,
    answers,
    ask_by_mention,
    buttons,
    event_envelope,
    message_event,
    posted_message,
)
from tests.bots.slack.standin import BOT_ID, SlackStandIn

pytestmark = pytest.mark.slow


def test_document_markup_cannot_ping_mention_or_link(slack: SlackSender, standin: SlackStandIn, channel: str) -> None:
    _, answer = ask_by_mention(slack, standin, channel, "does a community mural programme reduce graffiti?")

    payload = json.dumps(answer, ensure_ascii=False)
    shown = texts_of(answer["blocks"])
    assert "Community mural programme" in shown, "the hostile document is the one cited"
    for forbidden in ("<!channel>", "<!here>", "<!everyone>", "<@U0EVIL>", "<https://evil"):
        assert forbidden not in payload
    assert "&lt;!channel&gt;" in shown
    assert "&lt;https://evil.example/phish|click here for the results&gt;" in shown
    assert "&lt;@U0EVIL&gt; &amp; friends" in shown
    assert (
        "<https://example.org/community-mural?a=1&amp;b=2|Community mural programme &lt;!here&gt; against graffiti>"
        in shown
    )
    assert "<!" not in answer["text"]

    show = buttons(answer["blocks"])[SHOW_QUOTES]
    opened_before = len(standin.recorded("views.open"))
    message = posted_message(standin, channel, standin.bot_messages(channel)[0]["ts"])
    slack.click(show, user=ALICE, channel=channel, message=message, response_url=standin.response_url("m"))
    modal = standin.wait_for(lambda: standin.recorded("views.open")[opened_before:], what="the modal")[0]
    assert "<!channel>" not in json.dumps(modal.payload)
    assert "&lt;!channel&gt;" in texts_of(modal.payload["view"]["blocks"])


def test_unsigned_wrongly_signed_and_stale_requests_are_rejected(
    slack: SlackSender, standin: SlackStandIn, channel: str
) -> None:
    message = standin.add_user_message(channel, f"{MENTION} does CCTV reduce crime?", ALICE)
    body = json.dumps(event_envelope(message_event(message, channel, kind="app_mention")))

    unsigned = slack.post(body, "application/json", signed=False)
    wrong = slack.post(body, "application/json", secret="not-the-signing-secret")
    stale = slack.post(body, "application/json", age_seconds=6 * 60)

    assert (unsigned.status_code, wrong.status_code, stale.status_code) == (401, 401, 401)
    time.sleep(0.5)
    assert standin.recorded("chat.postMessage", channel=channel) == []
    assert slack.post(body, "application/json").status_code == 200, "the same body, signed now, is accepted"
    answers(standin, channel, message["ts"])


def test_a_retried_event_is_answered_once(slack: SlackSender, standin: SlackStandIn, channel: str) -> None:
    message = standin.add_user_message(channel, f"{MENTION} does CCTV reduce crime?", ALICE)
    event = message_event(message, channel, kind="app_mention")

    first = slack.event(event, event_id="Ev0RETRY0001")
    retry = slack.event(
        event, event_id="Ev0RETRY0001", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )

    assert first.status_code == retry.status_code == 200
    assert retry.headers.get("x-slack-no-retry") == "1"
    answers(standin, channel, message["ts"])
    time.sleep(0.5)
    assert len(standin.recorded("chat.postMessage", channel=channel)) == 1


def test_messages_from_bots_and_edits_are_ignored(slack: SlackSender, standin: SlackStandIn, channel: str) -> None:
    root = standin.add_user_message(channel, "a question", ALICE)
    standin.add_bot_message(channel, "an earlier answer", thread_ts=root["ts"])  # a thread the bot answered
    own = standin.add_bot_message(channel, "and for girls?", thread_ts=root["ts"])
    other_bot = {
        **standin.add_user_message(channel, "and for girls?", "U0OTHERBOT", thread_ts=root["ts"]),
        "bot_id": "B0OTHER01",
        "subtype": "bot_message",
    }
    edit = {
        **standin.add_user_message(channel, "and for girls?", ALICE, thread_ts=root["ts"]),
        "subtype": "message_changed",
    }

    for ignored in (own, other_bot, edit):
        assert slack.event(message_event(ignored, channel)).status_code == 200
    person = standin.add_user_message(channel, "and what about costs?", ALICE, thread_ts=root["ts"])
    slack.event(message_event(person, channel))

    standin.wait_for(lambda: standin.recorded("chat.update", channel=channel), what="the person's answer")
    time.sleep(0.5)
    posts = standin.recorded("chat.postMessage", channel=channel)
    assert len(posts) == 1, "only the person's reply is answered"
    assert own["bot_id"] == BOT_ID


def test_url_verification_challenge_is_echoed(slack: SlackSender) -> None:
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    response = slack.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}
