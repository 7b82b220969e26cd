"""The bot's client of the whatworks API: requests it sends, and every failure mapped to something sayable."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from bots.slack.api_client import APIRejected, APIUnavailable, Vote, WhatworksClient
from tests.bots.answers_factory import bottom_line, citation, extractive
from tests.bots.slack.harness import free_port


def client_with(handler, **kwargs: object) -> WhatworksClient:  # type: ignore[no-untyped-def]
    return WhatworksClient("http://api.test/", transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


def test_ask_sends_the_question_the_conversation_and_the_api_key() -> None:
    seen: list[httpx.Request] = []
    answer = extractive([bottom_line(1)], [citation(1)])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer.model_dump(mode="json"))

    turns = [{"role": "user", "content": "x" * 9000}] * 30
    with client_with(handler, api_key="s3cret") as client:
        assert client.ask("does it work?", turns) == answer

    request = seen[0]
    assert str(request.url) == "http://api.test/v1/ask"
    assert request.headers["X-API-Key"] == "s3cret"
    assert request.headers["X-Whatworks-Face"] == "slack"
    body = json.loads(request.content)
    assert body["question"] == "does it work?"
    assert len(body["conversation"]) == 20
    assert len(body["conversation"][0]["content"]) == 4000


def test_an_answers_turn_carries_its_question_id() -> None:
    seen: list[httpx.Request] = []
    answer = extractive([bottom_line(1)], [citation(1)])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer.model_dump(mode="json"))

    turns = [
        {"role": "user", "content": "does it work?"},
        {"role": "assistant", "content": "Document 1: “Finding 1.” [1]", "question_id": "q-1"},
        {"role": "assistant", "content": "a notice", "question_id": "x" * 65},  # not an id the API issued
    ]
    with client_with(handler) as client:
        client.ask("and for girls?", turns)
    assert json.loads(seen[0].content)["conversation"] == [
        {"role": "user", "content": "does it work?"},
        {"role": "assistant", "content": "Document 1: “Finding 1.” [1]", "question_id": "q-1"},
        {"role": "assistant", "content": "a notice"},
    ]


def test_no_api_key_header_when_none_is_configured() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"ok": True})

    with client_with(handler) as client:
        assert client.send_feedback("q-1", "up", "U1") is Vote.RECORDED
    assert "X-API-Key" not in seen[0].headers
    assert json.loads(seen[0].content) == {"question_id": "q-1", "rating": "up", "voter": "U1"}


@pytest.mark.parametrize(
    ("status", "vote"), [(201, Vote.RECORDED), (409, Vote.ALREADY_VOTED), (404, Vote.UNKNOWN_ANSWER)]
)
def test_feedback_outcomes(status: int, vote: Vote) -> None:
    with client_with(lambda request: httpx.Response(status, json={"detail": "x"})) as client:
        assert client.send_feedback("q-1", "down", "U1") is vote


@pytest.mark.parametrize(
    ("status", "error", "check"),
    [
        (503, APIUnavailable, lambda e: e.starting),
        (500, APIUnavailable, lambda e: not e.starting and not e.slow),
        (422, APIRejected, lambda e: e.detail == "question: the question is empty: type a question"),
        (401, APIRejected, lambda e: e.status == 401),
    ],
)
def test_error_statuses(status: int, error: type[Exception], check) -> None:  # type: ignore[no-untyped-def]
    detail = {"detail": "question: the question is empty: type a question"}
    with client_with(lambda request: httpx.Response(status, json=detail)) as client, pytest.raises(error) as caught:
        client.ask("q")
    assert check(caught.value)


def test_an_unreadable_answer_is_unavailable_not_a_crash() -> None:
    with (
        client_with(lambda request: httpx.Response(200, json={"what": "ever"})) as client,
        pytest.raises(APIUnavailable),
    ):
        client.ask("q")


def test_a_closed_port_is_unavailable() -> None:
    with WhatworksClient(f"http://127.0.0.1:{free_port()}", timeout_seconds=5) as client:
        with pytest.raises(APIUnavailable, match="cannot reach"):
            client.ask("q")
        assert client.ping() is False


class SlowTransport(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200, json={})


def test_a_slow_api_gives_up_at_the_timeout() -> None:
    with WhatworksClient("http://api.test", transport=SlowTransport(), timeout_seconds=0.3) as client:
        started = time.monotonic()
        with pytest.raises(APIUnavailable) as caught:
            client.ask("q")
    assert caught.value.slow
    assert time.monotonic() - started < 2


def test_the_client_must_be_opened() -> None:
    with pytest.raises(RuntimeError, match="context manager"):
        WhatworksClient("http://api.test").ask("q")


@pytest.mark.slow
def test_asks_the_real_api_over_the_network(live_server) -> None:  # type: ignore[no-untyped-def]
    with WhatworksClient(live_server.url) as client:
        assert client.ping()
        answer = client.ask("does improved street lighting reduce crime?")
    assert "street-lighting" in {c.document_id for c in answer.citations}
