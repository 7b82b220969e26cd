"""Markup from the corpus, the user or the API shows as text; nothing runs; only http(s) links."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Route, expect

pytestmark = pytest.mark.slow

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
ACTIVE_ELEMENTS = "return root.querySelectorAll('img, script, iframe, object, embed, style').length;"


def assert_links_are_http(hrefs: list[str]) -> None:
    for href in hrefs:
        assert href == "#" or re.match(r"^https?://", href), f"unsafe href {href!r}"


def test_markup_in_a_corpus_document_shows_as_text(live_server: Any, open_page: Callable[..., Any]) -> None:
    widget = open_page(f"{live_server.url}/")
    widget.open()
    widget.ask("Does a youth drop-in centre reduce vandalism?")
    reply = widget.answer()
    expect(reply).to_have_attribute("data-state", "done")

    # The hostile document (tests/fixtures/hostile/web-markup-injection.md) is cited, markup and all.
    answer = reply.locator(".ww-answer")
    expect(answer).to_contain_text(IMG)
    expect(answer).to_contain_text(SCRIPT)
    hostile = answer.locator('.ww-bottomline[data-document-id="test-markup-injection"]')
    expect(hostile.locator(".ww-bl-title")).to_have_text(f"Youth drop-in centre vandalism {IMG} {SCRIPT}")
    reply.locator(".ww-sources summary").click()
    quoting = widget.page.locator(".ww-quote", has_text=IMG)
    card = reply.locator('.ww-source[data-document-id="test-markup-injection"]').filter(has=quoting).first
    expect(card.locator(".ww-source-title")).to_have_text(f"Youth drop-in centre vandalism {IMG} {SCRIPT}")
    expect(card.locator(".ww-rating")).to_contain_text("Test fixture <img src=x onerror=alert(3)>")
    expect(card.locator(".ww-quote")).to_contain_text(IMG)
    card.scroll_into_view_if_needed()
    widget.shot("12-xss-document-cited")

    # Its full text, opened in the panel, is text too; its javascript: Markdown link is not a link.
    card.get_by_role("button", name="Read the evidence summary").click()
    doc = widget.page.locator("whatworks-chat .ww-doc")
    expect(doc.locator("h3")).to_have_text(f"Youth drop-in centre vandalism {IMG} {SCRIPT}")
    expect(doc.locator(".ww-doc-section--cited")).to_contain_text(f"open late {IMG} and")
    expect(doc).to_contain_text("Drop-in centre vandalism log <script>alert(4)</script>")
    expect(doc.get_by_text("the vandalism log", exact=True)).to_be_visible()
    expect(doc.locator("a", has_text="the vandalism log")).to_have_count(0)
    doc.get_by_text("the vandalism log", exact=True).click()
    widget.shot("13-xss-document-view")

    assert widget.shadow(ACTIVE_ELEMENTS) == 0
    assert_links_are_http(widget.hrefs())
    widget.page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert widget.dialogs == []


def test_markup_in_a_question_shows_as_text(live_server: Any, open_page: Callable[..., Any]) -> None:
    question = f"{SCRIPT}{IMG} Is CCTV effective?"
    widget = open_page(f"{live_server.url}/")
    widget.open()
    widget.ask(question)
    reply = widget.answer()
    expect(widget.page.locator("whatworks-chat .ww-question").last).to_have_text(question)
    expect(reply).to_have_attribute("data-state", "done")
    widget.page.reload()  # and again when the conversation is restored from sessionStorage
    expect(widget.page.locator("whatworks-chat .ww-question").last).to_have_text(question)
    assert widget.shadow(ACTIVE_ELEMENTS) == 0
    assert widget.page.evaluate("document.querySelectorAll('img').length") == 0
    assert widget.dialogs == []


def test_a_javascript_url_from_the_api_never_becomes_a_link(live_server: Any, open_page: Callable[..., Any]) -> None:
    """The schema refuses such URLs, so the API's response is rewritten on its way to the page."""

    def poison(route: Route) -> None:
        response = route.fetch()
        body = response.text()
        body = re.sub(r'"url": "[^"]*"', '"url": "javascript:alert(document.domain)"', body)
        body = re.sub(r'"url": null', '"url": "javascript:alert(document.domain)"', body)
        # and a Markdown link in the streamed text and in every quoted passage and finding
        link = "[click here](javascript:alert(7)) "
        body = body.replace('"text": "', f'"text": "{link}', 1)
        body = body.replace('"quote": "', f'"quote": "{link}').replace('"finding": "', f'"finding": "{link}')
        route.fulfill(response=response, body=body)

    widget = open_page(f"{live_server.url}/")
    widget.page.route("**/v1/ask/stream", poison)
    widget.open()
    widget.ask("Is CCTV effective?")
    reply = widget.answer()
    expect(reply).to_have_attribute("data-state", "done")
    done = widget.page.evaluate("JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage)[0]))")
    assert json.dumps(done).count("javascript:alert(document.domain)") >= 1  # the poison did arrive

    reply.locator(".ww-sources summary").click()
    expect(reply.locator("a.ww-external")).to_have_count(0)
    expect(reply.locator(".ww-nolink").first).to_have_text("no link")
    expect(reply.locator(".ww-bl-finding").first).to_contain_text("click here")
    expect(reply.locator(".ww-quote").first).to_contain_text("click here")
    expect(reply.locator("a", has_text="click here")).to_have_count(0)
    reply.locator(".ww-bl-finding").first.get_by_text("click here", exact=True).click()
    reply.locator(".ww-source-title").first.click()
    reply.locator(".ww-nolink").first.scroll_into_view_if_needed()
    widget.shot("14-javascript-url-refused")
    assert_links_are_http(widget.hrefs())
    assert widget.dialogs == []
