"""The slash command and the buttons (share, votes, quotes), end to end over signed HTTP with the real API."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from bots.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, SHARE, SHOW_QUOTES, parse_action_value
from bots.slack.recent import RecentAnswers
from tests.bots.slack.block_checks import texts_of
from tests.bots.slack.harness import (
    ALICE,
    BOB,
    SlackSender,
    ask_by_mention,
    buttons,
    posted_message,
)
from tests.bots.slack.standin import SlackStandIn

pytestmark = pytest.mark.slow


def test_slash_command_answers_privately_and_can_share_in_channel(
    slack: SlackSender, standin: SlackStandIn, channel: str
) -> None:
    response_url = standin.response_url(f"cmd-{channel}")
    ack = slack.command(
        "does improved street lighting reduce crime?", user=ALICE, channel=channel, response_url=response_url
    )

    assert ack.status_code == 200
    assert ack.json()["response_type"] == "ephemeral"
    assert "Searching the evidence" in ack.json()["text"]
    responses = standin.wait_for(lambda: standin.recorded(f"response_url:cmd-{channel}"), what="the answer")
    answer = responses[0].payload
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is True
    assert "Improved street lighting" in texts_of(answer["blocks"])
    assert standin.recorded("chat.postMessage", channel=channel) == [], "nothing public before sharing"

    share = buttons(answer["blocks"])[SHARE]
    assert share["text"]["text"] == "Share in channel"
    slack.click(share, user=ALICE, channel=channel, message=None, response_url=response_url, ephemeral=True)

    shared = standin.wait_for(lambda: standin.recorded("chat.postMessage", channel=channel), what="the shared answer")
    shown = texts_of(shared[0].payload["blocks"])
    assert f"<@{ALICE}> shared" in shown
    assert "Improved street lighting" in shown
    assert SHARE not in buttons(shared[0].payload["blocks"])
    standin.wait_for(
        lambda: [c for c in standin.recorded(f"response_url:cmd-{channel}") if c.payload.get("delete_original")],
        what="the private copy removed",
    )


def test_votes_are_stored_once_per_user_and_thanked(
    slack: SlackSender, standin: SlackStandIn, live_app: FastAPI, channel: str
) -> None:
    _, answer = ask_by_mention(slack, standin, channel, "does CCTV reduce crime?")
    ts = standin.bot_messages(channel)[0]["ts"]
    up, down = buttons(answer["blocks"])[FEEDBACK_UP], buttons(answer["blocks"])[FEEDBACK_DOWN]
    question_id = parse_action_value(up["value"]).question_id
    feedback_for = live_app.state.service.feedback_for

    slack.click(
        up,
        user=ALICE,
        channel=channel,
        message=posted_message(standin, channel, ts),
        response_url=standin.response_url("v1"),
    )
    standin.wait_for(lambda: len(standin.recorded("chat.update", channel=channel, ts=ts)) >= 2, what="the thanks")
    assert [(f["rating"], f["voter"]) for f in feedback_for(question_id)] == [("up", ALICE)]
    assert f"Thanks for your feedback, <@{ALICE}>!" in texts_of(standin.message(channel, ts)["blocks"])

    slack.click(
        down,
        user=ALICE,
        channel=channel,
        message=posted_message(standin, channel, ts),
        response_url=standin.response_url("v2"),
    )
    second = standin.wait_for(lambda: standin.recorded("response_url:v2"), what="the second vote's reply")
    assert second[0].payload["text"] == "You have already voted on this answer. Thanks!"
    assert second[0].payload["response_type"] == "ephemeral"
    assert len(feedback_for(question_id)) == 1

    slack.click(
        down,
        user=BOB,
        channel=channel,
        message=posted_message(standin, channel, ts),
        response_url=standin.response_url("v3"),
    )
    standin.wait_for(lambda: len(standin.recorded("chat.update", channel=channel, ts=ts)) >= 3, what="Bob's thanks")
    assert sorted((f["rating"], f["voter"]) for f in feedback_for(question_id)) == [("down", BOB), ("up", ALICE)]
    thanks = texts_of(standin.message(channel, ts)["blocks"])
    assert f"<@{ALICE}>, <@{BOB}>" in thanks
    assert buttons(standin.message(channel, ts)["blocks"]).keys() >= {FEEDBACK_UP, FEEDBACK_DOWN}, (
        "others can still vote"
    )


def test_show_quotes_opens_the_quoted_passages_even_after_a_restart(
    slack: SlackSender, standin: SlackStandIn, recent: RecentAnswers, channel: str
) -> None:
    _, answer = ask_by_mention(slack, standin, channel, "does improved street lighting reduce crime?")
    show = buttons(answer["blocks"])[SHOW_QUOTES]
    message = posted_message(standin, channel, standin.bot_messages(channel)[0]["ts"])
    opened_before = len(standin.recorded("views.open"))

    slack.click(show, user=ALICE, channel=channel, message=message, response_url=standin.response_url("q1"))
    view = standin.wait_for(lambda: standin.recorded("views.open")[opened_before:], what="the quotes modal")[0]
    modal = view.payload["view"]
    assert modal["title"]["text"] == "Quoted passages"
    assert "Welsh and Farrington" in texts_of(modal["blocks"])

    recent.forget_all()  # as after a restart: the bot asks the API again
    updated_before = len(standin.recorded("views.update"))
    slack.click(show, user=ALICE, channel=channel, message=message, response_url=standin.response_url("q2"))
    filled = standin.wait_for(lambda: standin.recorded("views.update")[updated_before:], what="the refilled modal")
    assert "Welsh and Farrington" in texts_of(filled[0].payload["view"]["blocks"])
