"""Which messages the bot answers, and how a thread becomes the conversation a follow-up continues."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest

from bots.slack.api_client import WhatworksClient
from bots.slack.blocks import ANSWER_ACTIONS_BLOCK, PLACEHOLDER_TEXT, answer_messages, notice_message
from bots.slack.conversation import BotIdentity, conversation_from_thread, is_from_a_person, is_thread_reply, mentions
from bots.slack.recent import SeenEvents
from tests.bots.answers_factory import bottom_line, citation, extractive
from tests.bots.slack.harness import ALICE, SlackSender, answers, ask_by_mention, message_event
from tests.bots.slack.standin import SlackStandIn

BOT = BotIdentity(user_id="UBOT0001", bot_id="BBOT0001")


@pytest.mark.parametrize(
    ("event", "person"),
    [
        ({"user": "U1", "text": "hi"}, True),
        ({"user": "U1", "text": "hi", "subtype": "thread_broadcast"}, True),
        ({"user": "UBOT0001", "bot_id": "BBOT0001", "text": "an answer"}, False),
        ({"user": "U2", "bot_id": "B0OTHER", "subtype": "bot_message", "text": "hi"}, False),
        ({"bot_id": "B0OTHER", "text": "hi"}, False),
        ({"user": "U1", "subtype": "message_changed"}, False),
        ({"user": "U1", "subtype": "channel_join"}, False),
    ],
)
def test_only_people_are_answered(event: dict[str, str], person: bool) -> None:
    assert is_from_a_person(event) is person


def test_thread_reply_and_mentions() -> None:
    assert is_thread_reply({"ts": "2.0", "thread_ts": "1.0"})
    assert not is_thread_reply({"ts": "1.0", "thread_ts": "1.0"})
    assert not is_thread_reply({"ts": "1.0"})
    assert mentions({"text": "hey <@UBOT0001> ?"}, BOT)
    assert not mentions({"text": "hey <@U0OTHER> ?"}, BOT)


def test_thread_becomes_user_and_assistant_turns() -> None:
    thread = [
        {"ts": "1.0", "user": "U1", "text": "<@UBOT0001> what works to prevent youth violence?"},
        {"ts": "2.0", "user": "UBOT0001", "bot_id": "BBOT0001", "text": "*What works*\n- Overview: “quote” [1]"},
        {"ts": "3.0", "user": "U9", "bot_id": "B0OTHER", "text": "another bot"},
        {"ts": "4.0", "user": "U2", "text": "nice &amp; thanks"},
        {"ts": "5.0", "user": "UBOT0001", "bot_id": "BBOT0001", "text": PLACEHOLDER_TEXT},
        {"ts": "6.0", "user": "U1", "text": "and for girls?"},
    ]
    assert conversation_from_thread(thread, BOT, exclude_ts="6.0") == [
        {"role": "user", "content": "what works to prevent youth violence?"},
        {"role": "assistant", "content": "*What works*\n- Overview: “quote” [1]"},
        {"role": "user", "content": "nice & thanks"},
    ]


def test_the_bots_answers_carry_their_question_id() -> None:
    """The id is read from the answer's own buttons, so a follow-up continues that answer's topic."""
    first = answer_messages(extractive([bottom_line(1, title="Street lighting")], [citation(1)], question_id="q-1"))
    notice = notice_message("The evidence service is starting up.")
    damaged = [
        dict(b, elements=[{"value": "not json"}]) if b.get("block_id") == ANSWER_ACTIONS_BLOCK else b
        for b in first[0].blocks
    ]
    thread = [
        {"ts": "1.0", "user": "U1", "text": "<@UBOT0001> does street lighting work?"},
        {"ts": "2.0", "user": "UBOT0001", "bot_id": "BBOT0001", "text": first[0].text, "blocks": first[0].blocks},
        {"ts": "3.0", "user": "UBOT0001", "bot_id": "BBOT0001", "text": notice.text, "blocks": notice.blocks},
        {"ts": "4.0", "user": "UBOT0001", "bot_id": "BBOT0001", "text": "an old answer", "blocks": damaged},
        {"ts": "5.0", "user": "U1", "text": "and in parks?"},
    ]
    assert conversation_from_thread(thread, BOT, exclude_ts="5.0") == [
        {"role": "user", "content": "does street lighting work?"},
        {
            "role": "assistant",
            "content": "Street lighting (What works): “Finding 1.” [1]",
            "question_id": "q-1",
        },
        {"role": "assistant", "content": "The evidence service is starting up."},
        {"role": "assistant", "content": "an old answer"},
    ]


@pytest.mark.slow
def test_a_follow_up_in_a_thread_sends_the_question_id_of_the_bots_answer(
    serve_bot: Callable[[WhatworksClient], AbstractContextManager[SlackSender]], standin: SlackStandIn, channel: str
) -> None:
    """Over signed HTTP, through the stand-in's thread history: what the bot sends the API for a follow-up."""
    asked: list[dict] = []

    def api(request: httpx.Request) -> httpx.Response:
        asked.append(json.loads(request.content))
        answer = extractive([bottom_line(1, title="Street lighting")], [citation(1)], question_id=f"q-{len(asked)}")
        return httpx.Response(200, json=answer.model_dump(mode="json"))

    with WhatworksClient("http://api.test", transport=httpx.MockTransport(api)) as client, serve_bot(client) as slack:
        question, _ = ask_by_mention(slack, standin, channel, "does street lighting work?")
        reply = standin.add_user_message(channel, "and in parks?", ALICE, thread_ts=question["ts"])
        slack.event(message_event(reply, channel))
        answers(standin, channel, question["ts"], count=2)

    assert asked[1]["question"] == "and in parks?"
    assert asked[1]["conversation"] == [
        {"role": "user", "content": "does street lighting work?"},
        {"role": "assistant", "content": "Street lighting (What works): “Finding 1.” [1]", "question_id": "q-1"},
    ]


def test_seen_events_recognise_a_repeat_and_forget_old_ones() -> None:
    seen = SeenEvents(ttl_seconds=3600, capacity=3)
    assert seen.first_time("Ev1")
    assert not seen.first_time("Ev1")
    for event_id in ("Ev2", "Ev3", "Ev4"):
        assert seen.first_time(event_id)
    assert seen.first_time("Ev1"), "the oldest id leaves once the memory is full"
