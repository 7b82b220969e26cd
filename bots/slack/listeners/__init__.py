"""Every listener of the bot, one module per kind (events, commands, actions), each with `register`."""

from __future__ import annotations

from slack_bolt import App

from bots.slack.answering import Answerer
from bots.slack.listeners.actions import ask_topic, feedback, share, show_quotes
from bots.slack.listeners.commands import whatworks_command
from bots.slack.listeners.events import app_mention, messages


def register_listeners(app: App, answerer: Answerer) -> None:
    for module in (app_mention, messages, whatworks_command, feedback, show_quotes, share, ask_topic):
        module.register(app, answerer)
