"""Which messages the bot answers, and how a thread becomes the conversation a follow-up continues."""

from __future__ import annotations

import pytest

from bots.slack.blocks import PLACEHOLDER_TEXT
from bots.slack.conversation import BotIdentity, conversation_from_thread, is_from_a_person, is_thread_reply, mentions
from bots.slack.recent import SeenEvents

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


def test_seen_events_recognise_a_repeat_and_forget_old_ones() -> None:
    seen = SeenEvents(ttl_seconds=3600, capacity=3)
    assert seen.first_time("Ev1")
    assert not seen.first_time("Ev1")
    for event_id in ("Ev2", "Ev3", "Ev4"):
        assert seen.first_time(event_id)
    assert seen.first_time("Ev1"), "the oldest id leaves once the memory is full"
