""" "Show quotes": a modal with the passages the answer quotes, each with its source and place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bots.slack.answering import Answerer
from bots.slack.blocks import SHOW_QUOTES, SlackMessage, parse_action_value
from bots.slack.views import loading_view, quotes_view, unavailable_view


def register(app: App, answerer: Answerer) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def open_quotes(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ref = parse_action_value(str(action["value"]))
        cached = answerer.recent.get(ref.question_id)
        trigger_id = str(body["trigger_id"])
        if cached is not None:
            client.views_open(trigger_id=trigger_id, view=quotes_view(cached))
            return
        # Not in memory (the bot restarted): open at once, the trigger expires in 3 s; fill in after asking.
        opened = client.views_open(trigger_id=trigger_id, view=loading_view())
        view_id = str(opened["view"]["id"])
        result = answerer.lookup(ref.question_id, ref.question)
        view = unavailable_view(result.text) if isinstance(result, SlackMessage) else quotes_view(result)
        client.views_update(view_id=view_id, view=view)

    app.action(SHOW_QUOTES)(ack=acknowledge, lazy=[open_quotes])
