"""The bot when the API is down, slow, refusing, or answers at great length: it says so, and never hangs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest

from bots.slack.answering import DOWN, FRENCH, REFUSED_KEY, SLOW
from bots.slack.api_client import WhatworksClient
from bots.slack.blocks import ANSWER_ACTIONS_BLOCK, MAX_BLOCKS, SHARE
from tests.bots.answers_factory import bottom_line, citation, extractive, prose
from tests.bots.slack.block_checks import block_problems, texts_of
from tests.bots.slack.harness import SlackSender, buttons, free_port, message_event
from tests.bots.slack.standin import BOT_USER_ID, SlackStandIn

ServeBot = Callable[[WhatworksClient], AbstractContextManager[SlackSender]]
ALICE = "U0ALICE01"


def mention(standin: SlackStandIn, slack: SlackSender, channel: str, text: str) -> dict:
    message = standin.add_user_message(channel, f"<@{BOT_USER_ID}> {text}", ALICE)
    assert slack.event(message_event(message, channel, kind="app_mention")).status_code == 200
    return message


def final_text(standin: SlackStandIn, channel: str) -> str:
    """The text of the bot's first message in the channel once its placeholder has been replaced."""
    update = standin.wait_for(lambda: standin.recorded("chat.update", channel=channel), what="the placeholder replaced")
    return texts_of(update[0].payload["blocks"])


def test_api_down_is_said_in_the_thread_and_logged(
    serve_bot: ServeBot, standin: SlackStandIn, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with WhatworksClient(f"http://127.0.0.1:{free_port()}", timeout_seconds=5) as down, serve_bot(down) as slack:
        question = mention(standin, slack, channel, "does CCTV reduce crime?")
        shown = final_text(standin, channel)

    assert DOWN in shown
    assert standin.bot_messages(channel)[0]["thread_ts"] == question["ts"]
    assert "Searching" not in texts_of(standin.bot_messages(channel)[0]["blocks"]), "no placeholder left hanging"
    assert any("whatworks API unavailable" in r.getMessage() for r in caplog.records)


def test_a_french_question_gets_the_notice_in_french(serve_bot: ServeBot, standin: SlackStandIn, channel: str) -> None:
    with WhatworksClient(f"http://127.0.0.1:{free_port()}", timeout_seconds=5) as down, serve_bot(down) as slack:
        mention(standin, slack, channel, "Est-ce que les caméras de surveillance réduisent la criminalité?")
        shown = final_text(standin, channel)
    assert "Je n’arrive pas à joindre le service de données probantes" in shown
    assert DOWN not in shown
    assert FRENCH[DOWN].startswith("Je n’arrive pas")
    placeholder = standin.recorded("chat.postMessage", channel=channel)[0].payload
    assert "Recherche dans les données probantes" in texts_of(placeholder["blocks"])


class SlowTransport(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200, json={})


def test_api_too_slow_is_said_in_the_thread(serve_bot: ServeBot, standin: SlackStandIn, channel: str) -> None:
    with (
        WhatworksClient("http://api.test", transport=SlowTransport(), timeout_seconds=0.5) as slow,
        serve_bot(slow) as slack,
    ):
        mention(standin, slack, channel, "does CCTV reduce crime?")
        assert SLOW in final_text(standin, channel)


def test_a_refused_api_key_is_explained(serve_bot: ServeBot, standin: SlackStandIn, channel: str) -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(401, json={"detail": "missing or wrong X-API-Key header"})
    )
    with WhatworksClient("http://api.test", transport=transport) as refused, serve_bot(refused) as slack:
        mention(standin, slack, channel, "does CCTV reduce crime?")
        assert REFUSED_KEY in final_text(standin, channel)


def test_slash_command_with_the_api_down_replaces_its_placeholder(
    serve_bot: ServeBot, standin: SlackStandIn, channel: str
) -> None:
    with WhatworksClient(f"http://127.0.0.1:{free_port()}", timeout_seconds=5) as down, serve_bot(down) as slack:
        ack = slack.command("does CCTV work?", user=ALICE, channel=channel, response_url=standin.response_url(channel))
        assert ack.status_code == 200
        responses = standin.wait_for(lambda: standin.recorded(f"response_url:{channel}"), what="the notice")
    assert responses[0].payload["replace_original"] is True
    assert DOWN in texts_of(responses[0].payload["blocks"])


def test_a_long_answer_is_posted_in_several_messages_within_slacks_limits(
    serve_bot: ServeBot, standin: SlackStandIn, channel: str
) -> None:
    paragraphs = [f"Paragraph {i} " + "lorem ipsum dolor sit amet, " * 60 for i in range(120)]
    long_answer = prose(paragraphs, [citation(n) for n in range(1, 13)])
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=long_answer.model_dump(mode="json")))

    with WhatworksClient("http://api.test", transport=transport) as api, serve_bot(api) as slack:
        question = mention(standin, slack, channel, "what works?")
        standin.wait_for(
            lambda: any(
                b.get("block_id") == ANSWER_ACTIONS_BLOCK for m in standin.bot_messages(channel) for b in m["blocks"]
            ),
            what="the last part of the answer",
        )

    messages = standin.bot_messages(channel)
    assert len(messages) >= 2
    assert all(m["thread_ts"] == question["ts"] for m in messages), "every part in the question's thread"
    for message in messages:
        assert block_problems(message["blocks"], MAX_BLOCKS) == []
    shown = "\n".join(texts_of(m["blocks"]) for m in messages)
    assert "Paragraph 0 " in shown
    assert "Paragraph 119 " in shown
    assert "Something went wrong" not in shown


def test_sharing_where_the_bot_is_not_a_member_goes_through_the_commands_response_url(
    serve_bot: ServeBot, standin: SlackStandIn, channel: str
) -> None:
    answer = extractive([bottom_line(1, title="Doc 1", finding="it worked")], [citation(1, title="Doc 1")])
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer.model_dump(mode="json")))
    standin.not_a_member.add(channel)
    with WhatworksClient("http://api.test", transport=transport) as api, serve_bot(api) as slack:
        slack.command("does it work?", user=ALICE, channel=channel, response_url=standin.response_url(channel))
        private = standin.wait_for(lambda: standin.recorded(f"response_url:{channel}"), what="the private answer")
        share = buttons(private[0].payload["blocks"])[SHARE]
        slack.click(
            share, user=ALICE, channel=channel, message=None, response_url=standin.response_url(channel), ephemeral=True
        )
        shared = standin.wait_for(
            lambda: standin.recorded(f"response_url:{channel}", response_type="in_channel"), what="the shared answer"
        )
        standin.wait_for(
            lambda: standin.recorded(f"response_url:{channel}", delete_original=True), what="private copy gone"
        )

    assert standin.recorded("chat.postMessage", channel=channel), "chat.postMessage was tried first"
    assert f"<@{ALICE}> shared" in texts_of(shared[0].payload["blocks"])
    assert (
        "*Doc 1*  :white_check_mark: What works · CrimeSolutions · 3 randomised trials\n> “it worked” [1]"
        in texts_of(shared[0].payload["blocks"])
    )


def test_a_member_over_the_abuse_limit_is_told_politely_and_others_are_served(
    serve_bot: ServeBot, standin: SlackStandIn, channel: str, live_settings, embedder, live_service
) -> None:  # type: ignore[no-untyped-def]
    """The real API with a limit of 2 questions a minute: the bot's questions count per Slack user."""
    from pydantic import SecretStr

    from assistant.api.app import create_app
    from tests.conftest import serve_app

    settings = live_settings.model_copy(deep=True)
    settings.api.api_key = SecretStr("bot-s3cret")
    settings.api.rate_limits = "2/minute"
    with (
        serve_app(create_app(settings, embedder, service=live_service)) as url,
        WhatworksClient(url, api_key="bot-s3cret", timeout_seconds=30) as api,
        serve_bot(api) as slack,
    ):
        for text in ("does CCTV reduce crime?", "does street lighting reduce crime?", "does mentoring work?"):
            message = standin.add_user_message(channel, f"<@{BOT_USER_ID}> {text}", ALICE)
            assert slack.event(message_event(message, channel, kind="app_mention")).status_code == 200
            standin.wait_for(
                lambda m=message: [
                    u
                    for u in standin.recorded("chat.update", channel=channel)
                    if u.payload.get("ts") in _bot_ts(standin, channel, m)
                ],
                what="the answer to " + text,
            )
        updates = standin.recorded("chat.update", channel=channel)
        shown = [texts_of(u.payload["blocks"]) for u in updates]
        assert ":hourglass: Too many requests from you in a short time. Please try again in a minute." in shown[-1]
        assert ":warning:" not in shown[-1]  # a wait, not a fault
        assert all("Too many requests" not in s for s in shown[:-1])

        # another member is served while Alice waits
        bob = standin.add_user_message(channel, f"<@{BOT_USER_ID}> does CCTV reduce crime?", "U0BOB0002")
        assert slack.event(message_event(bob, channel, kind="app_mention")).status_code == 200
        standin.wait_for(lambda: len(standin.recorded("chat.update", channel=channel)) == 4, what="Bob's answer")
        last = texts_of(standin.recorded("chat.update", channel=channel)[-1].payload["blocks"])
        assert "Too many requests" not in last
        assert "CCTV" in last


def _bot_ts(standin: SlackStandIn, channel: str, question: dict) -> set[str]:
    """The bot's messages in the question's thread (its placeholder, later updated)."""
    return {m["ts"] for m in standin.bot_messages(channel) if m.get("thread_ts") == question["ts"]}
