"""Ask the API and deliver the answer to Slack, in a thread or ephemerally, without ever hanging.

The placeholder is posted first; whatever happens next (an answer, the API down or slow, a Slack
error), it is replaced. The listeners only decide *where* to answer; this module does the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.core.answers import AskResponse
from bots.slack.api_client import APIRejected, APIUnavailable, WhatworksClient
from bots.slack.blocks import Block, SlackMessage, answer_messages, byline, notice_message, placeholder_message
from bots.slack.recent import RecentAnswers

log = logging.getLogger(__name__)

EMPTY_QUESTION = "Ask me a question about crime prevention, e.g. “does street lighting reduce crime?”"
SLOW = "The evidence service is taking too long to answer. Please try again in a minute."
DOWN = "I can’t reach the evidence service right now, so I have no answer. Please try again in a minute."
STARTING = "The evidence service is starting up. Please try again in a minute."
REFUSED_KEY = "The evidence service refused the bot’s API key. A Slack admin needs to check WHATWORKS_SLACK__API_KEY."
FAILED = "Something went wrong while answering. Please try again."


@dataclass
class Answerer:
    """The work shared by every listener: ask, remember, render, post."""

    api: WhatworksClient
    recent: RecentAnswers

    def ask(
        self, question: str, conversation: list[dict[str, str]] | None = None, user: str | None = None
    ) -> AskResponse | SlackMessage:
        """The API's answer, or a notice saying why there is none (logged)."""
        try:
            response = self.api.ask(question, conversation, user=user)
        except APIUnavailable as exc:
            log.warning("whatworks API unavailable: %s", exc)
            return notice_message(SLOW if exc.slow else STARTING if exc.starting else DOWN)
        except APIRejected as exc:
            if exc.status == 401:
                log.error("whatworks API rejected the bot's API key: %s", exc.detail)
                return notice_message(REFUSED_KEY)
            log.info("whatworks API refused the question (%s): %s", exc.status, exc.detail)
            if exc.status == 429:  # the API's own words: how long to wait
                return notice_message(exc.detail, emoji=":hourglass:")
            return notice_message(f"I couldn’t ask that: {exc.detail}")
        self.recent.remember(response)
        return response

    def lookup(self, question_id: str, question: str) -> AskResponse | SlackMessage:
        """A recent answer by id; after a restart, the searched question is asked again."""
        cached = self.recent.get(question_id)
        if cached is not None:
            return cached
        if not question:
            return notice_message("That answer is no longer available. Please ask again.")
        return self.ask(question)

    def answer_in_channel(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str | None,
        question: str,
        conversation: list[dict[str, str]] | None = None,
        *,
        asked_by: str | None = None,
        user: str | None = None,
    ) -> None:
        """Post a placeholder (in the thread, or top level when `thread_ts` is None), then the answer over it.

        `asked_by` names who asked when the question is not visible above (a topic button's question).
        """
        placeholder = placeholder_message()
        posted = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=placeholder.text, blocks=placeholder.blocks
        )
        ts = str(posted["ts"])
        try:
            lead = byline(asked_by, "asked", question) if asked_by else None
            messages = self._messages_for(question, conversation, ephemeral=False, lead=lead, user=user or asked_by)
            self._update(client, channel, ts, messages[0])
            for extra in messages[1:]:
                client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts or ts, text=extra.text, blocks=extra.blocks
                )
        except Exception:
            log.exception("answering %r in %s failed", question[:80], channel)
            self._update(client, channel, ts, notice_message(FAILED), quiet=True)

    def answer_ephemeral(
        self, respond: Respond, question: str, *, placeholder_first: bool = False, user: str | None = None
    ) -> None:
        """Replace the current ephemeral message (the slash command's "searching" response) with the answer."""
        try:
            if placeholder_first:
                placeholder = placeholder_message()
                respond(
                    text=placeholder.text, blocks=placeholder.blocks, response_type="ephemeral", replace_original=True
                )
            messages = self._messages_for(question, None, ephemeral=True, user=user)
            first = messages[0]
            respond(text=first.text, blocks=first.blocks, response_type="ephemeral", replace_original=True)
            for extra in messages[1:]:
                respond(text=extra.text, blocks=extra.blocks, response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("answering the slash command %r failed", question[:80])
            failed = notice_message(FAILED)
            respond(text=failed.text, blocks=failed.blocks, response_type="ephemeral", replace_original=True)

    def _messages_for(
        self,
        question: str,
        conversation: list[dict[str, str]] | None,
        *,
        ephemeral: bool,
        lead: Block | None = None,
        user: str | None = None,
    ) -> list[SlackMessage]:
        if not question.strip():
            return [notice_message(EMPTY_QUESTION)]
        result = self.ask(question, conversation, user)
        if isinstance(result, SlackMessage):
            return [result]
        return answer_messages(result, question=question, ephemeral=ephemeral, lead=lead)

    @staticmethod
    def _update(client: WebClient, channel: str, ts: str, message: SlackMessage, quiet: bool = False) -> None:
        try:
            client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except SlackApiError:
            if not quiet:
                raise
            log.exception("could not replace the placeholder %s in %s", ts, channel)
