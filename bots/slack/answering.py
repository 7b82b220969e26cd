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
from assistant.core.language import detect_language
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
GONE = "That answer is no longer available. Please ask again."
COULD_NOT = "I couldn’t ask that: {detail}"
# the same notices for a question asked in French (the API's own details, such as a wait, stay as it gives them)
FRENCH = {
    SLOW: "Le service de données probantes met trop de temps à répondre. Veuillez réessayer dans une minute.",
    DOWN: "Je n’arrive pas à joindre le service de données probantes; je n’ai donc pas de réponse. "
    "Veuillez réessayer dans une minute.",
    STARTING: "Le service de données probantes démarre. Veuillez réessayer dans une minute.",
    FAILED: "Un problème est survenu pendant la réponse. Veuillez réessayer.",
    GONE: "Cette réponse n’est plus disponible. Veuillez reposer la question.",
    COULD_NOT: "Je n’ai pas pu poser cette question : {detail}",
}


def is_french(question: str) -> bool:
    return bool(question.strip()) and detect_language(question) == "fr"


def in_language(notice: str, question: str) -> str:
    """The notice in the question's language: French for a French question, English otherwise."""
    return FRENCH.get(notice, notice) if is_french(question) else notice


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
            return notice_message(in_language(SLOW if exc.slow else STARTING if exc.starting else DOWN, question))
        except APIRejected as exc:
            if exc.status == 401:
                log.error("whatworks API rejected the bot's API key: %s", exc.detail)
                return notice_message(REFUSED_KEY)
            log.info("whatworks API refused the question (%s): %s", exc.status, exc.detail)
            if exc.status == 429:  # the API's own words: how long to wait
                return notice_message(exc.detail, emoji=":hourglass:")
            return notice_message(in_language(COULD_NOT, question).format(detail=exc.detail))
        self.recent.remember(response)
        return response

    def lookup(self, question_id: str, question: str) -> AskResponse | SlackMessage:
        """A recent answer by id; after a restart, the searched question is asked again."""
        cached = self.recent.get(question_id)
        if cached is not None:
            return cached
        if not question:
            return notice_message(GONE)
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
        placeholder = placeholder_message(french=is_french(question))
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
            self._update(client, channel, ts, notice_message(in_language(FAILED, question)), quiet=True)

    def answer_ephemeral(
        self, respond: Respond, question: str, *, placeholder_first: bool = False, user: str | None = None
    ) -> None:
        """Replace the current ephemeral message (the slash command's "searching" response) with the answer."""
        try:
            if placeholder_first:
                placeholder = placeholder_message(french=is_french(question))
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
            failed = notice_message(in_language(FAILED, question))
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
