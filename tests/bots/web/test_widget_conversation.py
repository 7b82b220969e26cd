"""The widget on the demo page against the real API: streamed answers, citations, feedback, follow-ups."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Route, expect

pytestmark = pytest.mark.slow

VERDICT_WORDS = {"What works", "Promising", "Mixed evidence", "No effect", "Harmful", "Not yet rated by our curators"}

# Records, on every change in the widget, the state of the newest reply and the length of its
# answer text: proof that the answer appeared piece by piece.
RECORD_STREAM = """
window.__ww = [];
new MutationObserver(() => {
  const replies = root.querySelectorAll('.ww-msg--bot');
  const reply = replies[replies.length - 1];
  if (!reply) return;
  const status = reply.querySelector('.ww-status');
  window.__ww.push({state: reply.dataset.state, status: status.hidden ? '' : status.textContent,
                    length: reply.querySelector('.ww-answer').textContent.length});
}).observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
"""


def api_answer(base: str, question: str, conversation: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The same question asked of the API directly (answers are extractive, so deterministic)."""
    body: dict[str, Any] = {"question": question}
    if conversation:
        body["conversation"] = conversation
    response = httpx.post(f"{base}/v1/ask", json=body, timeout=30)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def test_demo_page_embeds_the_widget_with_one_script_tag(live_server: Any) -> None:
    page = httpx.get(f"{live_server.url}/", timeout=10)
    assert page.status_code == 200
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert len(scripts) == 1
    assert 'src="/widget/whatworks.js"' in scripts[0]
    assert 'data-lang="en"' in scripts[0]

    script = httpx.get(f"{live_server.url}/widget/whatworks.js", timeout=10)
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    style = httpx.get(f"{live_server.url}/widget/whatworks.css", timeout=10)
    assert style.status_code == 200
    assert style.headers["content-type"].startswith("text/css")


def test_answer_streams_in_with_its_citations(live_server: Any, open_page: Callable[..., Any]) -> None:
    question = "Does Scared Straight work?"
    expected = api_answer(live_server.url, question)
    widget = open_page(f"{live_server.url}/")
    widget.shot("01-demo-page-closed")
    widget.open()
    widget.shot("02-panel-open-empty")
    widget.shadow(RECORD_STREAM)

    # Hold the request a moment, to see (and photograph) the "searching" state.
    held: list[Route] = []
    widget.page.route("**/v1/ask/stream", lambda route: held.append(route))
    widget.ask(question)
    reply = widget.replies.last
    expect(reply.locator(".ww-status")).to_have_text("Searching the evidence…")
    expect(widget.page.locator("whatworks-chat .ww-msg--user").last).to_have_text(f"You: {question}")
    widget.shot("03-searching")
    assert len(held) == 1
    held[0].continue_()

    reply = widget.answer()
    expect(reply).to_have_attribute("data-state", "done")
    widget.shot("04-answer-streamed")

    states = widget.page.evaluate("window.__ww")
    final_length = len(reply.locator(".ww-answer").text_content() or "")
    partial = sorted({s["length"] for s in states if s["state"] == "streaming" and 0 < s["length"] < final_length})
    assert len(partial) >= 3, f"the answer did not appear piece by piece: {partial}"
    assert any(s["status"] == "Searching the evidence…" for s in states)

    # What the reader sees: one bottom line per intervention (title, verdict badge for programs and
    # practices, quoted finding and its [n] link), then the supporting sections, and one source card per citation.
    citations = expected["citations"]
    assert citations, "the real corpus should answer this question"
    summary = expected["summary"]
    assert summary, "the API should sum the answer up in bottom lines"
    lines = reply.locator(".ww-bottomline")
    expect(lines.locator(".ww-bl-title")).to_have_text([line["title"] for line in summary])
    for shown, line in zip(lines.all(), summary, strict=True):
        if line["kind"] in ("program", "practice"):
            expect(shown.locator(".ww-badge[data-verdict]")).to_have_attribute("data-verdict", line["verdict"])
            assert shown.locator(".ww-badge").inner_text() in VERDICT_WORDS
        else:
            expect(shown.locator(".ww-badge")).to_have_count(0)
        expect(shown.locator(".ww-bl-finding")).to_contain_text("\u201c")
        expect(shown.locator(f".ww-bl-finding a.ww-cite[data-n='{line['n']}']")).to_have_count(1)
    scared = reply.locator(".ww-bottomline", has_text="Scared Straight").first
    expect(scared.locator(".ww-badge")).to_have_text("Harmful")
    sections = reply.locator(".ww-section")
    expect(sections).to_have_count(len(expected["sections"]))
    expect(sections.locator("[data-verdict]")).to_have_count(0)  # a verdict belongs to its own bottom line only
    answer_text = reply.locator(".ww-answer").inner_text()
    assert "Sources" not in answer_text  # the Markdown sources list is never shown: the cards are
    assert "**" not in answer_text
    markers = reply.locator(".ww-answer a.ww-cite")
    shown_numbers = {int(m) for m in markers.evaluate_all("els => els.map((e) => e.dataset.n)")}
    assert {line["n"] for line in summary} <= shown_numbers <= {c["n"] for c in citations}
    summary = reply.locator(".ww-sources summary")
    expect(summary).to_have_text(f"Sources ({len(citations)})")
    summary.click()
    cards = reply.locator(".ww-source")
    expect(cards).to_have_count(len(citations))
    for card, citation in zip(cards.all(), citations, strict=True):
        expect(card.locator(".ww-source-title")).to_have_text(citation["title"])
        badge = card.locator(".ww-badge")
        if citation["kind"] in ("program", "practice"):
            assert badge.inner_text() in VERDICT_WORDS
            assert badge.get_attribute("data-verdict") == citation["verdict"]
        else:  # a guide or review cited for context has no verdict of its own
            expect(badge).to_have_count(0)
        if citation["rating_source"]:
            expect(card.locator(".ww-rating")).to_contain_text(citation["rating_source"])
        expect(card.locator(".ww-quote p")).to_have_text(re.sub(r"\*\*|__", "", citation["quote"]))
        if citation["url"]:
            assert card.locator("a.ww-external").get_attribute("href") == citation["url"]
    harmful = reply.locator('.ww-source .ww-badge[data-verdict="harmful"]').first
    expect(harmful).to_have_text("Harmful")
    widget.shot("05-sources-open")

    # The complete answer is announced once, politely.
    live = widget.page.locator('whatworks-chat [aria-live="polite"]')
    expect(live).to_contain_text("Answer ready.")
    expect(live).to_contain_text(f"{len(citations)} sources.")
    assert widget.dialogs == []


def test_open_a_citation_then_its_document_and_source(live_server: Any, open_page: Callable[..., Any]) -> None:
    question = "Is CCTV effective?"
    citation = api_answer(live_server.url, question)["citations"][0]
    widget = open_page(f"{live_server.url}/")
    widget.open()
    widget.ask(question)
    reply = widget.answer()

    # [1] in the text opens the sources, brings source 1 into view and gives it the focus.
    reply.locator(".ww-answer a.ww-cite[data-n='1']").first.click()
    card = reply.locator(".ww-source[data-n='1']")
    expect(card).to_be_visible()
    expect(card).to_be_in_viewport()
    expect(card).to_be_focused()
    expect(card.locator(".ww-source-title")).to_have_text(citation["title"])
    widget.shot("06-citation-opened")

    # The evidence summary opens inside the panel, at the cited section.
    opener = card.get_by_role("button", name="Read the evidence summary")
    opener.click()
    doc = widget.page.locator("whatworks-chat .ww-doc")
    expect(doc.locator("h3")).to_have_text(citation["title"])
    cited = doc.locator(".ww-doc-section--cited")
    expect(cited).to_be_visible()
    expect(cited.locator("h4")).to_have_text(citation["section"].split(" > ")[-1])
    expect(widget.panel.locator(".ww-header")).to_be_in_viewport()
    widget.shot("07-document-view")
    doc.get_by_role("button", name="Back to the conversation").click()
    expect(doc).to_be_hidden()
    expect(opener).to_be_focused()

    # A source with a URL links to it, in a new tab; one without says "no link" and links nowhere.
    if citation["url"] is None:
        expect(card.locator(".ww-nolink")).to_have_text("no link")
        expect(card.locator("a")).to_have_count(0)
    question = "Does Scared Straight work?"
    linked = next(c for c in api_answer(live_server.url, question)["citations"] if c["url"])
    widget.ask(question)
    reply = widget.answer()
    reply.locator(".ww-sources summary").click()
    widget.page.context.route(
        re.compile(r"^https?://(?!127\.0\.0\.1).*"),
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>the source</h1>"),
    )
    with widget.page.expect_popup() as popup:
        reply.locator(f".ww-source[data-n='{linked['n']}'] a.ww-external").click()
    assert popup.value.url == linked["url"]


def test_feedback_is_posted_and_stored(live_server: Any, open_page: Callable[..., Any]) -> None:
    service = live_server.app.state.service
    widget = open_page(f"{live_server.url}/")
    widget.open()
    widget.ask("Is CCTV effective?")
    first = widget.answer()
    first_id = first.get_attribute("data-question-id")
    first.get_by_role("button", name="Helpful", exact=True).click()
    expect(first.locator(".ww-fb-status")).to_have_text("Thank you for your feedback.")
    expect(first.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "true")
    stored = service.feedback_for(first_id)
    assert [(f["rating"], f["comment"]) for f in stored] == [("up", None)]
    assert stored[0]["voter"].startswith("session:")  # a session the server issued, not a name the page chose

    widget.ask("Does hot spots policing reduce crime?")
    second = widget.answer()
    second_id = second.get_attribute("data-question-id")
    second.get_by_role("button", name="Not helpful").click()
    comment = second.get_by_role("textbox", name="What was missing or wrong? (optional)")
    expect(comment).to_be_focused()
    comment.fill("Needs <b>Canadian</b> results")
    widget.shot("08-feedback-comment")
    second.get_by_role("button", name="Send feedback").click()
    expect(second.locator(".ww-fb-status")).to_have_text("Thank you for your feedback.")
    widget.shot("09-feedback-thanks")
    assert [(f["rating"], f["comment"]) for f in service.feedback_for(second_id)] == [
        ("down", "Needs <b>Canadian</b> results")
    ]

    # After a reload the votes are remembered: no second vote is offered.
    widget.page.reload()
    reopened = widget.answer(0)
    expect(reopened.get_by_role("button", name="Helpful", exact=True)).to_be_disabled()
    expect(reopened.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "true")
    assert len(service.feedback_for(first_id)) == 1


def test_follow_up_uses_the_earlier_turn_until_a_new_conversation(
    live_server: Any, open_page: Callable[..., Any]
) -> None:
    widget = open_page(f"{live_server.url}/")
    widget.open()
    widget.ask("Does Scared Straight work?")
    widget.answer()

    # The conversation survives a reload (sessionStorage), and the panel comes back open.
    widget.page.reload()
    expect(widget.panel).to_be_visible()
    expect(widget.replies).to_have_count(1)
    expect(widget.page.locator("whatworks-chat .ww-msg--user")).to_have_text("You: Does Scared Straight work?")

    first_id = widget.replies.first.get_attribute("data-question-id")
    assert first_id
    bodies: list[dict[str, Any]] = []
    widget.page.on(
        "request",
        lambda request: (
            bodies.append(json.loads(request.post_data or "{}")) if request.url.endswith("/v1/ask/stream") else None
        ),
    )
    widget.ask("How much does it cost?")
    expect(widget.replies).to_have_count(2)
    sent = bodies[0]
    assert sent["question"] == "How much does it cost?"
    assert [m["role"] for m in sent["conversation"]] == ["user", "assistant"]
    assert sent["conversation"][0] == {"role": "user", "content": "Does Scared Straight work?"}
    # The earlier answer goes back as its id (the API continues its topic) and its bottom lines in plain words.
    assert sent["conversation"][1]["question_id"] == first_id
    assert "Scared Straight" in sent["conversation"][1]["content"]
    assert "**" not in sent["conversation"][1]["content"]
    assert "[1]" not in sent["conversation"][1]["content"]
    follow_up = widget.answer()
    expect(follow_up).not_to_have_class(re.compile("ww-msg--no-evidence"))
    expect(follow_up.locator(".ww-answer")).to_contain_text("Scared Straight")
    assert follow_up.locator(".ww-source-title", has_text="Scared Straight").count() >= 1
    widget.shot("10-follow-up")

    # A new conversation forgets it: the same words alone are not about Scared Straight.
    new_conversation = widget.panel.get_by_role("button", name="New conversation")
    new_conversation.click()
    expect(widget.replies).to_have_count(0)
    expect(widget.panel.locator(".ww-welcome")).to_be_visible()
    assert widget.page.evaluate("JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage)[0])).exchanges") == []
    with widget.page.expect_request("**/v1/ask/stream") as request:
        widget.ask("How much does it cost?")
    assert "conversation" not in json.loads(request.value.post_data or "{}")
    alone = widget.answer()
    expect(alone).to_have_attribute("data-state", "done")
    expect(alone).not_to_contain_text("Scared Straight")

    # A question the evidence base does not cover reads as help, not as an error.
    new_conversation.click()
    widget.ask("How do I bake sourdough bread?")
    uncovered = widget.answer()
    expect(uncovered).to_have_class(re.compile("ww-msg--no-evidence"))
    expect(uncovered.locator(".ww-note-title")).to_have_text("Not covered yet")
    expect(uncovered.locator(".ww-error")).to_have_count(0)
    expect(uncovered.locator(".ww-topics > p")).to_have_text(
        "The evidence base does cover these topics. Ask about one:"
    )
    topics = uncovered.locator("button.ww-topic")
    assert topics.count() >= 1
    widget.shot("11-no-evidence-topics")

    # A nearest topic is a one-click follow-up question that the evidence base does answer.
    topic_question = topics.first.inner_text()
    topics.first.click()
    expect(widget.page.locator("whatworks-chat .ww-msg--user").last).to_have_text(f"You: {topic_question}")
    answered = widget.answer()
    expect(answered).not_to_have_class(re.compile("ww-msg--no-evidence"))
    expect(answered.locator(".ww-bottomline a.ww-cite").first).to_be_visible()

    # A question in a language the widget does not answer says which it does, in both, with no topics.
    new_conversation.click()
    widget.ask("¿Los programas de mentoría reducen la delincuencia juvenil?")
    other = widget.answer()
    expect(other).to_have_attribute("data-state", "done")
    expect(other.locator(".ww-note-title")).to_have_text("English and French only")
    expect(other).to_contain_text("whatworks answers questions in English and French only")
    expect(other).to_contain_text("whatworks répond aux questions en anglais et en français seulement")
    expect(other.locator("button.ww-topic")).to_have_count(0)
    widget.shot("12-other-language")


def test_a_vote_with_a_session_from_an_earlier_server_gets_a_new_one(
    live_server: Any, open_page: Callable[..., Any]
) -> None:
    """A tab that kept a session the server no longer knows (a restart, another replica) votes once all the same."""
    service = live_server.app.state.service
    widget = open_page(f"{live_server.url}/")
    widget.open()
    widget.ask("Does street lighting reduce crime?")
    question_id = widget.answer().get_attribute("data-question-id")
    widget.page.evaluate(
        """() => {
            const key = Object.keys(sessionStorage).find((k) => k.startsWith("whatworks:v1:"));
            const state = JSON.parse(sessionStorage.getItem(key));
            state.voter = "from-an-earlier-server.0123456789abcdef";
            sessionStorage.setItem(key, JSON.stringify(state));
        }"""
    )
    widget.page.reload()  # the panel and the conversation come back open, as the tab left them
    answer = widget.answer()
    answer.get_by_role("button", name="Helpful", exact=True).click()
    expect(answer.locator(".ww-fb-status")).to_have_text("Thank you for your feedback.")
    stored = service.feedback_for(question_id)
    assert len(stored) == 1
    assert stored[0]["voter"].startswith("session:")
    assert stored[0]["voter"] != "session:from-an-earlier-server"
