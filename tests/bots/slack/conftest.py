"""Fixtures for the Slack bot: the Slack stand-in, the bot in HTTP mode, and the real API in-process."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import httpx
import pytest
from fastapi import FastAPI

from bots.slack.api_client import WhatworksClient
from bots.slack.app import create_slack_app
from bots.slack.http_server import EVENTS_PATH, create_http_app
from bots.slack.recent import RecentAnswers
from tests.bots.slack.harness import SlackSender, bot_settings, secret_of, serve_asgi
from tests.bots.slack.standin import SlackStandIn


@pytest.fixture(scope="session")
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        yield slack


BotFactory = Callable[[WhatworksClient], AbstractContextManager[SlackSender]]


@pytest.fixture(scope="session")
def serve_bot(standin: SlackStandIn) -> BotFactory:
    """Serve a bot that asks the API through `client`, in HTTP mode on loopback; yields a signed sender."""

    @contextmanager
    def serve(client: WhatworksClient, recent: RecentAnswers | None = None) -> Iterator[SlackSender]:
        settings = bot_settings(standin)
        app = create_slack_app(settings, client, recent=recent)
        with serve_asgi(create_http_app(app, secret_of(settings))) as url:
            yield SlackSender(url + EVENTS_PATH)

    return serve


@pytest.fixture(scope="session")
def recent() -> RecentAnswers:
    return RecentAnswers()


@pytest.fixture(scope="session")
def live_client(live_app: FastAPI) -> Iterator[WhatworksClient]:
    """The bot's API client, talking to the real API in-process (httpx.ASGITransport)."""
    with WhatworksClient("http://whatworks.test", transport=httpx.ASGITransport(app=live_app)) as client:
        yield client


@pytest.fixture(scope="session")
def slack(
    serve_bot: Callable[..., AbstractContextManager[SlackSender]], live_client: WhatworksClient, recent: RecentAnswers
) -> Iterator[SlackSender]:
    """The bot under test, answering from the real corpus with the real model."""
    with serve_bot(live_client, recent) as sender:
        yield sender


@pytest.fixture
def channel() -> str:
    """A fresh channel per test, so tests never read each other's messages."""
    return "C" + uuid.uuid4().hex[:10].upper()
