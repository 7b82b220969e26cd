"""When the API is down, busy, rate-limiting or drops the stream: a clear message, a retry, never a frozen panel."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Route, expect

pytestmark = pytest.mark.slow

STREAM = "**/v1/ask/stream"
QUESTION = "Is CCTV effective?"


def assert_usable(widget: Any, reply: Locator) -> None:
    """The panel still works: the error is shown, the retry and the input both take the keyboard."""
    expect(reply).to_have_attribute("data-state", "error")
    expect(reply).to_have_attribute("aria-busy", "false")
    expect(reply.locator(".ww-error")).to_have_attribute("role", "alert")
    expect(widget.page.locator("whatworks-chat .ww-send")).to_be_enabled()
    expect(widget.input).to_be_editable()


def retry_and_get_the_answer(widget: Any, reply: Locator) -> None:
    widget.page.unroute(STREAM)
    reply.get_by_role("button", name="Try again").click()
    expect(reply).to_have_attribute("data-state", "done", timeout=20_000)
    expect(reply.locator(".ww-error")).to_have_count(0)
    expect(reply.locator("a.ww-cite").first).to_be_visible()


def test_api_unreachable_then_retry(live_server: Any, open_page: Callable[..., Any]) -> None:
    widget = open_page(f"{live_server.url}/")
    widget.page.route(STREAM, lambda route: route.abort("connectionrefused"))
    widget.open()
    widget.ask(QUESTION)
    reply = widget.answer()
    expect(reply.locator(".ww-error")).to_contain_text(
        "The assistant cannot be reached. Check your connection, then try again."
    )
    assert_usable(widget, reply)
    widget.shot("15-error-api-down")
    retry_and_get_the_answer(widget, reply)


def test_api_server_not_running(live_server: Any, host_site: Any, open_page: Callable[..., Any]) -> None:
    """data-api names a loopback port where nothing listens: a real refused connection."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    page = f"{live_server.url}/down.html"
    widget_src = f"{live_server.url}/widget/whatworks.js"
    html = (
        f'<!doctype html><title>down</title><script src="{widget_src}" data-api="http://127.0.0.1:{closed}"></script>'
    )
    opened = open_page(
        page,
        before=lambda p: p.route(page, lambda route: route.fulfill(status=200, content_type="text/html", body=html)),
    )
    opened.open()
    opened.ask(QUESTION)
    reply = opened.answer()
    expect(reply.locator(".ww-error")).to_contain_text("The assistant cannot be reached.")
    expect(reply.get_by_role("button", name="Try again")).to_be_visible()
    assert_usable(opened, reply)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (503, "The evidence assistant is starting up or busy right now."),
        (429, "Too many questions in a short time."),
    ],
)
def test_busy_or_rate_limited_then_retry(
    live_server: Any, open_page: Callable[..., Any], status: int, message: str
) -> None:
    widget = open_page(f"{live_server.url}/")
    widget.page.route(
        STREAM,
        lambda route: route.fulfill(
            status=status,
            headers={"Retry-After": "7", "Content-Type": "application/json"},
            body=json.dumps({"detail": "busy"}),
        ),
    )
    widget.open()
    widget.ask(QUESTION)
    reply = widget.answer()
    expect(reply.locator(".ww-error p")).to_have_text([message, "Please wait 7 seconds, then try again."])
    assert_usable(widget, reply)
    widget.shot(f"16-error-{status}")
    retry_and_get_the_answer(widget, reply)


def test_stream_dropped_mid_way_then_retry(live_server: Any, open_page: Callable[..., Any]) -> None:
    def cut(route: Route) -> None:
        response = route.fetch()
        events = response.text().split("\n\n")
        deltas = [i for i, e in enumerate(events) if e.startswith("event: delta")]
        assert len(deltas) >= 2, "the real answer should stream in several pieces"
        route.fulfill(response=response, body="\n\n".join(events[: deltas[1] + 1]) + "\n\n")

    widget = open_page(f"{live_server.url}/")
    widget.page.route(STREAM, cut)
    widget.open()
    widget.ask(QUESTION)
    reply = widget.answer()
    expect(reply.locator(".ww-error")).to_contain_text("The connection dropped before the answer was complete.")
    expect(reply.locator(".ww-partial-label")).to_have_text("Partial answer received:")
    expect(reply.locator(".ww-answer")).to_contain_text("CCTV")
    expect(reply.locator(".ww-feedback")).to_have_count(0)  # nothing to rate yet
    assert_usable(widget, reply)
    widget.shot("17-error-stream-dropped")
    retry_and_get_the_answer(widget, reply)
    expect(reply.locator(".ww-partial-label")).to_have_count(0)
    # Only the complete answer was kept for the conversation.
    stored = widget.page.evaluate("JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage)[0]))")
    assert [x["question"] for x in stored["exchanges"]] == [QUESTION]


def test_error_event_in_the_stream(live_server: Any, open_page: Callable[..., Any]) -> None:
    body = (
        'event: status\ndata: {"stage": "searching"}\n\n'
        'event: error\ndata: {"detail": "the evidence index is still loading", "status": 503}\n\n'
    )
    widget = open_page(f"{live_server.url}/")
    widget.page.route(STREAM, lambda route: route.fulfill(status=200, content_type="text/event-stream", body=body))
    widget.open()
    widget.ask(QUESTION)
    reply = widget.answer()
    expect(reply.locator(".ww-error")).to_contain_text("The evidence assistant is starting up or busy right now.")
    assert_usable(widget, reply)
    retry_and_get_the_answer(widget, reply)
