"""Messages without a mention: direct messages, and replies in a thread the bot has answered.

A channel message that mentions the bot is left to the app_mention listener, so it is answered
once; messages from bots (this one included), edits and joins are ignored, so bots cannot loop.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bots.slack.answering import Answerer
from bots.slack.conversation import (
    BotIdentity,
    conversation_from_thread,
    is_direct_message,
    is_from_a_person,
    is_thread_reply,
    mentions,
    thread_messages,
)
from bots.slack.mrkdwn import clean_user_text


def register(app: App, answerer: Answerer) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def answer_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        bot = BotIdentity(context.bot_user_id, context.bot_id)
        if not is_from_a_person(event) or bot.wrote(event):
            return
        direct = is_direct_message(event)
        if not direct and (mentions(event, bot) or not is_thread_reply(event)):
            return
        channel, ts = str(event["channel"]), str(event["ts"])
        question = clean_user_text(str(event.get("text", "")), bot.user_id)
        if not is_thread_reply(event):
            answerer.answer_in_channel(client, channel, None, question, user=_user(event))
            return
        thread_ts = str(event["thread_ts"])
        history = thread_messages(client, channel, thread_ts)
        if not direct and not any(bot.wrote(m) for m in history):
            return  # someone else's thread: not a follow-up to the bot
        answerer.answer_in_channel(
            client,
            channel,
            thread_ts,
            question,
            conversation_from_thread(history, bot, exclude_ts=ts),
            user=_user(event),
        )

    app.event("message")(ack=acknowledge, lazy=[answer_message])


def _user(event: dict[str, Any]) -> str | None:
    return str(event["user"]) if event.get("user") else None
