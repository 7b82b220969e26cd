"""/whatworks <question>: an answer only the asker sees, with a "Share in channel" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bots.slack.answering import Answerer, is_french
from bots.slack.blocks import placeholder_message
from bots.slack.mrkdwn import clean_user_text

COMMAND = "/whatworks"
USAGE = "Usage: `/whatworks <question>`, e.g. `/whatworks does street lighting reduce crime?`"


def register(app: App, answerer: Answerer) -> None:
    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        # The acknowledgement is the placeholder the answer replaces (through response_url).
        if not clean_user_text(str(command.get("text", ""))):
            ack(text=USAGE, response_type="ephemeral")
            return
        placeholder = placeholder_message(french=is_french(clean_user_text(str(command.get("text", "")))))
        ack(text=placeholder.text, blocks=placeholder.blocks, response_type="ephemeral")

    def answer_command(command: dict[str, Any], respond: Respond) -> None:
        question = clean_user_text(str(command.get("text", "")))
        if question:
            answerer.answer_ephemeral(respond, question, user=str(command.get("user_id") or "") or None)

    app.command(COMMAND)(ack=acknowledge, lazy=[answer_command])
