"""Reading Slack threads: which messages the bot answers, and the conversation a follow-up continues."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bots.slack.blocks import ANSWER_ACTIONS_BLOCK, PLACEHOLDER_TEXT, PLACEHOLDER_TEXT_FR, parse_action_value
from bots.slack.mrkdwn import clean_user_text

# Message subtypes that are still a person writing: everything else (edits, joins, bots) is ignored.
_HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share"}
MAX_THREAD_PAGES = 5


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is in this workspace (from auth.test, via bolt's context)."""

    user_id: str | None
    bot_id: str | None

    def wrote(self, message: Mapping[str, Any]) -> bool:
        return bool(
            (self.user_id and message.get("user") == self.user_id)
            or (self.bot_id and message.get("bot_id") == self.bot_id)
        )


def is_from_a_person(event: Mapping[str, Any]) -> bool:
    """A person's new message: not a bot (this one or another: no loops), not an edit or a join."""
    return event.get("subtype") in _HUMAN_SUBTYPES and not event.get("bot_id") and bool(event.get("user"))


def mentions(event: Mapping[str, Any], bot: BotIdentity) -> bool:
    return bool(bot.user_id) and f"<@{bot.user_id}>" in str(event.get("text", ""))


def is_direct_message(event: Mapping[str, Any]) -> bool:
    return event.get("channel_type") == "im"


def is_thread_reply(event: Mapping[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def thread_messages(client: WebClient, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """Every message of a thread, oldest first (conversations.replies, following its cursor)."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_THREAD_PAGES):
        page = client.conversations_replies(channel=channel, ts=thread_ts, limit=200, cursor=cursor)
        messages += list(page.get("messages") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return messages


def conversation_from_thread(
    messages: Iterable[Mapping[str, Any]], bot: BotIdentity, exclude_ts: str | None = None
) -> list[dict[str, str]]:
    """The thread as API turns: the bot's answers as `assistant`, people's messages as `user`.

    An answer's turn carries its `question_id` (from its buttons), so the API continues that answer's
    topic. Other bots, placeholders and the message being answered (`exclude_ts`) are left out.
    """
    turns: list[dict[str, str]] = []
    for message in messages:
        if exclude_ts and message.get("ts") == exclude_ts:
            continue
        if bot.wrote(message):
            text = clean_user_text(str(message.get("text", "")))
            if text and text not in (PLACEHOLDER_TEXT, PLACEHOLDER_TEXT_FR):
                turn = {"role": "assistant", "content": text}
                question_id = answered_question_id(message)
                if question_id:
                    turn["question_id"] = question_id
                turns.append(turn)
        elif is_from_a_person(message):
            text = clean_user_text(str(message.get("text", "")), bot.user_id)
            if text:
                turns.append({"role": "user", "content": text})
    return turns


def answered_question_id(message: Mapping[str, Any]) -> str | None:
    """The question_id an answer's buttons carry, or None (a notice, a continuation, a damaged value)."""
    for block in message.get("blocks") or []:
        if not isinstance(block, Mapping) or block.get("block_id") != ANSWER_ACTIONS_BLOCK:
            continue
        for element in block.get("elements") or []:
            try:
                return parse_action_value(str(element["value"])).question_id or None
            except (KeyError, TypeError, ValueError):
                continue
    return None
