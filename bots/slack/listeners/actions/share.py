""" "Share in channel" on a /whatworks answer: post it for everyone, then remove the private copy."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bots.slack.answering import Answerer
from bots.slack.blocks import SHARE, SlackMessage, answer_messages, byline, parse_action_value

log = logging.getLogger(__name__)


def register(app: App, answerer: Answerer) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def share(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = parse_action_value(str(action["value"]))
        result = answerer.lookup(ref.question_id, ref.question)
        if isinstance(result, SlackMessage):
            respond(text=result.text, blocks=result.blocks, response_type="ephemeral", replace_original=False)
            return
        user = str(body["user"]["id"])
        messages = answer_messages(result, question=ref.question, lead=byline(user, "shared", ref.question))
        channel = str((body.get("channel") or {}).get("id", ""))
        try:
            first = client.chat_postMessage(channel=channel, text=messages[0].text, blocks=messages[0].blocks)
            for extra in messages[1:]:
                client.chat_postMessage(channel=channel, thread_ts=first["ts"], text=extra.text, blocks=extra.blocks)
        except SlackApiError as exc:
            # The bot is not a member here (or it is a DM between people): the command's response_url still
            # reaches the conversation.
            log.info("sharing through chat.postMessage failed (%s); using response_url", exc.response.get("error"))
            for message in messages:
                respond(text=message.text, blocks=message.blocks, response_type="in_channel", replace_original=False)
        respond(delete_original=True)

    app.action(SHARE)(ack=acknowledge, lazy=[share])
