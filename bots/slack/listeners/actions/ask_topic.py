"""A nearest-topic button under a no-evidence answer: ask that topic's question where the answer is."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bots.slack.answering import Answerer
from bots.slack.blocks import ASK_TOPIC


def register(app: App, answerer: Answerer) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def ask_topic(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        question = str(action["value"])
        message = body.get("message")
        if (body.get("container") or {}).get("is_ephemeral") or not message:
            answerer.answer_ephemeral(respond, question, placeholder_first=True, user=str(body["user"]["id"]))
            return
        channel = str(body["channel"]["id"])
        # In a thread, stay in it; under a top-level DM answer, answer at top level too; else start a thread.
        thread_ts = message.get("thread_ts") or (None if channel.startswith("D") else message["ts"])
        answerer.answer_in_channel(client, channel, thread_ts, question, asked_by=str(body["user"]["id"]))

    app.action(re.compile(f"^{ASK_TOPIC}_\\d+$"))(ack=acknowledge, lazy=[ask_topic])
