"""Answering in Slack, end to end over signed HTTP: mentions, threads, follow-ups, DMs, no evidence.

The real API answers from the real corpus; the assertions read what the Slack stand-in recorded.
"""

from __future__ import annotations

import re
import time

import pytest

from bots.slack.api_client import WhatworksClient
from bots.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, SHOW_QUOTES
from tests.bots.slack.block_checks import texts_of
from tests.bots.slack.harness import (
    ALICE,
    BOB,
    SlackSender,
    answers,
    ask_by_mention,
    buttons,
    message_event,
    posted_message,
)
from tests.bots.slack.standin import SlackStandIn

pytestmark = pytest.mark.slow


def test_mention_is_answered_in_a_thread_citing_the_right_document(
    slack: SlackSender, standin: SlackStandIn, channel: str
) -> None:
    question, answer = ask_by_mention(slack, standin, channel, "does improved street lighting reduce crime?")

    placeholder = standin.recorded("chat.postMessage", channel=channel)[0].payload
    assert placeholder["thread_ts"] == question["ts"]
    assert "Searching the evidence" in texts_of(placeholder["blocks"])
    shown = texts_of(answer["blocks"])
    # The bottom line: the title, its verdict in words, who rated it and on what evidence (the document's
    # front matter); then its key finding, quoted and cited.
    bottom_line = re.compile(
        r"^\*Improved street lighting\*  :white_check_mark: What works · Campbell systematic review [^\n]*"
        r"· systematic reviews pooling 13 studies\n> “[^”\n]*lighting[^”\n]*” \[1\]$",
        re.M,
    )
    assert bottom_line.search(shown), shown
    # Its source line: linked when the document has a URL, "no link" when not (never a made-up one).
    assert re.search(
        r"^\*\[1[^\]]*\]\* (<https?://[^|>]+\|Improved street lighting>|Improved street lighting \(no link\))",
        shown,
        re.M,
    )
    assert "**" not in shown
    assert set(buttons(answer["blocks"])) == {SHOW_QUOTES, FEEDBACK_UP, FEEDBACK_DOWN}
    assert len(standin.bot_messages(channel)) == 1, "one message per question: the placeholder, updated in place"


def test_follow_up_in_the_thread_is_answered_from_its_history(
    slack: SlackSender, standin: SlackStandIn, live_client: WhatworksClient, channel: str
) -> None:
    question, first = ask_by_mention(slack, standin, channel, "what works to prevent youth violence?")
    assert "What works for youth violence: an overview" in texts_of(first["blocks"])

    reply = standin.add_user_message(channel, "and for girls?", ALICE, thread_ts=question["ts"])
    slack.event(message_event(reply, channel))
    follow_up = answers(standin, channel, question["ts"], count=2)[1]

    assert standin.recorded("conversations.replies", channel=channel, ts=question["ts"])
    shown = texts_of(follow_up["blocks"])
    assert re.search(r"Searched for: [^\n]*youth violence[^\n]*and for girls\?", shown, re.I), shown
    assert "What works for youth violence: an overview" in shown
    # Without the thread, the same words find something else: the history is what made the difference.
    alone = live_client.ask("and for girls?")
    assert "overview-youth-violence" not in {c.document_id for c in alone.citations}


def test_reply_in_a_thread_the_bot_never_answered_is_left_alone(
    slack: SlackSender, standin: SlackStandIn, channel: str
) -> None:
    root = standin.add_user_message(channel, "lunch anyone?", BOB)
    reply = standin.add_user_message(channel, "and for girls?", ALICE, thread_ts=root["ts"])
    slack.event(message_event(reply, channel))

    standin.wait_for(lambda: standin.recorded("conversations.replies", channel=channel), what="the thread read")
    time.sleep(0.5)
    assert standin.recorded("chat.postMessage", channel=channel) == []


def test_direct_message_is_answered_in_the_conversation(slack: SlackSender, standin: SlackStandIn) -> None:
    dm = "D0DIRECT01"
    message = standin.add_user_message(dm, "does CCTV reduce crime?", ALICE)
    slack.event(message_event(message, dm, channel_type="im"))

    answer = answers(standin, dm, None)[0]
    assert "thread_ts" not in standin.bot_messages(dm)[0], "a DM is answered in place, not in a thread"
    assert "CCTV" in texts_of(answer["blocks"])


def test_question_outside_the_evidence_offers_the_nearest_topics(
    slack: SlackSender, standin: SlackStandIn, channel: str
) -> None:
    question, answer = ask_by_mention(slack, standin, channel, "how do I bake sourdough bread?")

    shown = texts_of(answer["blocks"])
    assert "does not cover this question" in shown
    topic_buttons = [
        b for action_id, b in buttons(answer["blocks"]).items() if action_id.startswith("whatworks_ask_topic")
    ]
    assert topic_buttons, shown
    message = posted_message(standin, channel, standin.bot_messages(channel)[0]["ts"])
    slack.click(topic_buttons[0], user=ALICE, channel=channel, message=message, response_url=standin.response_url("t"))

    topic_answer = answers(standin, channel, question["ts"], count=2)[1]
    topic_shown = texts_of(topic_answer["blocks"])
    assert f"<@{ALICE}> asked: “{topic_buttons[0]['value']}”" in topic_shown
    assert "does not cover" not in topic_shown


def test_empty_mention_gets_a_usage_hint(slack: SlackSender, standin: SlackStandIn, channel: str) -> None:
    _, answer = ask_by_mention(slack, standin, channel, "")
    assert "Ask me a question about crime prevention" in texts_of(answer["blocks"])
