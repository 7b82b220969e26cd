"""👍 / 👎 on an answer: one vote per Slack user, stored by the API; the message then thanks the voter."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bots.slack.answering import Answerer
from bots.slack.api_client import APIRejected, APIUnavailable, Vote
from bots.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, answer_messages, parse_action_value, with_thanks

log = logging.getLogger(__name__)

ALREADY_VOTED = "You have already voted on this answer. Thanks!"
UNKNOWN_ANSWER = "That answer is no longer on record, so your vote could not be saved."
NOT_SAVED = "Your vote could not be saved: the evidence service is not responding. Please try again later."
THANKS = "Thanks for your feedback!"


def register(app: App, answerer: Answerer) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def record_vote(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = parse_action_value(str(action["value"]))
        rating = "up" if action["action_id"] == FEEDBACK_UP else "down"
        voter = str(body["user"]["id"])
        try:
            vote = answerer.api.send_feedback(ref.question_id, rating, voter)
        except (APIUnavailable, APIRejected) as exc:
            log.warning("feedback on %s not saved: %s", ref.question_id, exc)
            respond(text=NOT_SAVED, response_type="ephemeral", replace_original=False)
            return
        if vote is Vote.ALREADY_VOTED:
            respond(text=ALREADY_VOTED, response_type="ephemeral", replace_original=False)
            return
        if vote is Vote.UNKNOWN_ANSWER:
            respond(text=UNKNOWN_ANSWER, response_type="ephemeral", replace_original=False)
            return
        _thank(body, client, respond, answerer, ref.question_id, voter)

    app.action(re.compile(f"^({FEEDBACK_UP}|{FEEDBACK_DOWN})$"))(ack=acknowledge, lazy=[record_vote])


def _thank(
    body: dict[str, Any], client: WebClient, respond: Respond, answerer: Answerer, question_id: str, voter: str
) -> None:
    """Add the thanks to the message itself: chat.update in a channel, response_url for an ephemeral one."""
    message = body.get("message")
    ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
    if message and message.get("blocks") and not ephemeral:
        client.chat_update(
            channel=str(body["channel"]["id"]),
            ts=str(message["ts"]),
            text=str(message.get("text", "")),
            blocks=with_thanks(message["blocks"], voter),
        )
        return
    blocks = message.get("blocks") if message else None
    if not blocks:
        cached = answerer.recent.get(question_id)
        blocks = answer_messages(cached, ephemeral=True)[-1].blocks if cached else None
    if blocks:
        respond(text=THANKS, blocks=with_thanks(blocks, voter), response_type="ephemeral", replace_original=True)
    else:
        respond(text=THANKS, response_type="ephemeral", replace_original=False)
