"""@whatworks in a channel: answer in a thread under the question (a follow-up when already in one)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bots.slack.answering import Answerer
from bots.slack.conversation import (
    BotIdentity,
    conversation_from_thread,
    is_from_a_person,
    is_thread_reply,
    thread_messages,
)
from bots.slack.mrkdwn import clean_user_text


def register(app: App, answerer: Answerer) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def answer_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if not is_from_a_person(event):
            return
        bot = BotIdentity(context.bot_user_id, context.bot_id)
        channel, ts = str(event["channel"]), str(event["ts"])
        question = clean_user_text(str(event.get("text", "")), bot.user_id)
        conversation = None
        if is_thread_reply(event):
            history = thread_messages(client, channel, str(event["thread_ts"]))
            conversation = conversation_from_thread(history, bot, exclude_ts=ts)
        user = str(event["user"]) if event.get("user") else None
        answerer.answer_in_channel(
            client, channel, str(event.get("thread_ts") or ts), question, conversation, user=user
        )

    app.event("app_mention")(ack=acknowledge, lazy=[answer_mention])
