"""How the widget lays out a structured answer: bottom lines, sections, related programs, prose, sources.

The answers here are synthetic (tests/bots/answers_factory.py), streamed to the page by Playwright in
place of /v1/ask/stream, so every part of the structure is on screen whatever the corpus says. The
rest (the page, the documents, feedback) is the real API's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Request, Route, expect

from assistant.core.answers import AskResponse
from tests.bots.answers_factory import bottom_line, citation, every_part, prose, section, stream_body

pytestmark = pytest.mark.slow

STREAM = "**/v1/ask/stream"
FRENCH_HEADINGS = {
    "effect": "Ce que montrent les données",
    "describe": "En quoi cela consiste",
    "howto": "Mise en œuvre",
    "cost": "Coûts",
    "canada": "Contexte canadien",
    "who": "Pour qui",
    "compare": "Comparaison",
}
# Every element whose own text shows Markdown syntax or a Markdown sources line ("[1] Title").
RAW_MARKDOWN = """
return [...root.querySelectorAll('.ww-msg--bot *')].filter((el) => !el.closest('.ww-sr'))
  .map((el) => [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join(''))
  .filter((text) => text.includes('**') || /^\\s*\\[\\d+\\]\\s+\\w/m.test(text));
"""


def answer_with(page: Page, responses: list[AskResponse]) -> list[dict[str, Any]]:
    """Answer each question asked on `page` with the next response; returns the request bodies sent."""
    queue: Iterator[AskResponse] = iter(responses)
    sent: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        if request.url.endswith("/v1/ask/stream"):
            sent.append(json.loads(request.post_data or "{}"))

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/event-stream", body=stream_body(next(queue)))

    page.on("request", record)
    page.route(STREAM, fulfil)
    return sent


def french_page(live_server: Any, open_page: Callable[..., Any]) -> Any:
    """A French page on the API's own origin (so no CORS entry is needed)."""
    url = f"{live_server.url}/page-fr.html"
    html = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Page</title></head><body>'
        '<script src="/widget/whatworks.js" data-api="" data-lang="fr" defer></script></body></html>'
    )
    return open_page(
        url, before=lambda p: p.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    )


def test_bottom_lines_then_sections_then_related_programs(live_server: Any, open_page: Callable[..., Any]) -> None:
    widget = open_page(f"{live_server.url}/")
    answer_with(widget.page, [every_part()])
    widget.open()
    widget.ask("Does Scared Straight work?")
    reply = widget.answer()
    expect(reply).to_have_attribute("data-state", "done")
    widget.shot("30-structured-answer")

    parts = reply.locator(".ww-answer > *").evaluate_all("els => els.map((e) => e.className)")
    assert parts == ["ww-summary", "ww-section", "ww-related", "ww-related"]

    # One bottom line per intervention: title, verdict badge, rating source and strength, quoted finding [n].
    lines = reply.locator(".ww-bottomline")
    expect(lines).to_have_count(3)
    expect(lines.locator(".ww-bl-title")).to_have_text(["Scared Straight", "Mentoring", "A practitioner guide"])
    harmful = lines.nth(0)
    expect(harmful.locator(".ww-badge[data-verdict]")).to_have_text("Harmful")
    expect(harmful.locator(".ww-badge")).to_have_attribute("data-verdict", "harmful")
    expect(harmful.locator(".ww-bl-meta small")).to_have_text(
        "Campbell review 2013 · systematic review of 9 randomised trials"
    )
    expect(harmful.locator(".ww-bl-finding")).to_have_text("“Participants offended more than controls.” [1]")
    expect(harmful.locator(".ww-bl-finding strong")).to_have_text("more")
    expect(lines.nth(1).locator(".ww-badge[data-verdict='promising']")).to_have_text("Promising")
    # A guide carries no verdict of its own: no badge.
    expect(lines.nth(2).locator(".ww-badge")).to_have_count(0)
    expect(lines.nth(2).locator(".ww-bl-meta")).to_have_count(0)
    expect(lines.nth(2).locator(".ww-bl-finding")).to_have_text("“Plan the visits with the schools.” [3]")

    # Supporting quotes under the intent's heading, with no verdict over them.
    howto = reply.locator(".ww-section[data-intent='howto']")
    expect(howto.locator("h3")).to_have_text("Setting it up")
    expect(howto.locator("li")).to_have_text(["Document 4: “Train the mentors first.” [4]"])
    expect(reply.locator(".ww-section [data-verdict]")).to_have_count(0)

    # The Markdown `answer` streamed as progress is replaced by the structure: no Markdown shows.
    expect(reply).not_to_contain_text("Markdown for API users only")
    assert widget.shadow(RAW_MARKDOWN) == []
    live = widget.page.locator('whatworks-chat [aria-live="polite"]')
    expect(live).to_contain_text("Answer ready. Scared Straight (Harmful): Participants offended more than controls.")
    expect(live).to_contain_text("A practitioner guide: Plan the visits")

    # A better-supported alternative, with its verdict and citation, opens its document in the panel;
    # a see-also guide comes under "Also in the evidence base", with no verdict.
    expect(reply.locator(".ww-related h3")).to_have_text(["Better-supported alternatives", "Also in the evidence base"])
    related = reply.locator(".ww-related[data-reason='alternative']")
    expect(related.locator(".ww-related-item .ww-badge")).to_have_text("What works")
    expect(related.locator(".ww-related-item .ww-rating")).to_have_text("Campbell review 2008")
    expect(related.locator(".ww-related-item a.ww-cite[data-n='5']")).to_have_text("[5]")
    see_also = reply.locator(".ww-related[data-reason='see-also'] .ww-related-item")
    expect(see_also).to_have_text("How to read CrimeSolutions ratings")
    expect(see_also.locator(".ww-badge")).to_have_count(0)
    opener = related.get_by_role("button", name="Improved street lighting")
    opener.click()
    doc = widget.page.locator("whatworks-chat .ww-doc")
    expect(doc.locator("h3")).to_have_text("Improved street lighting")
    expect(doc.locator(".ww-doc-section h4").first).to_be_visible()
    widget.shot("31-related-document")
    doc.get_by_role("button", name="Back to the conversation").click()
    expect(opener).to_be_focused()


def test_a_citation_without_a_url_says_no_link(live_server: Any, open_page: Callable[..., Any]) -> None:
    widget = open_page(f"{live_server.url}/")
    answer_with(widget.page, [every_part()])
    widget.open()
    widget.ask("Does Scared Straight work?")
    reply = widget.answer()

    # [1] in the bottom line opens source 1, which has no URL.
    reply.locator(".ww-bottomline a.ww-cite[data-n='1']").click()
    unlinked = reply.locator(".ww-source[data-n='1']")
    expect(unlinked).to_be_focused()
    expect(unlinked.locator(".ww-nolink")).to_have_text("no link")
    expect(unlinked.locator("a")).to_have_count(0)
    linked = reply.locator(".ww-source[data-n='2']")
    expect(linked.locator("a.ww-external")).to_have_attribute("href", "https://example.org/doc-2")
    expect(linked.locator(".ww-nolink")).to_have_count(0)
    assert "https://example.org/doc-1" not in widget.hrefs(), "no link is made up"
    # a program's source shows its verdict; a guide's shows none, and no "not yet rated" either
    expect(linked.locator(".ww-badge")).to_have_text("Promising")
    guide = reply.locator(".ww-source[data-n='3']")
    expect(guide.locator(".ww-badge")).to_have_count(0)
    expect(guide.locator(".ww-rating")).to_have_count(0)
    widget.shot("32-no-link")


def test_a_written_answer_shows_its_prose_after_the_bottom_lines(
    live_server: Any, open_page: Callable[..., Any]
) -> None:
    written = prose(
        ["Better lighting **reduces** crime [1].", "It also eases the fear of crime [2]."],
        [citation(1, title="Improved street lighting"), citation(2, title="Fear of crime")],
        summary=[bottom_line(1, title="Improved street lighting", kind="practice", finding="Crime fell by 21%.")],
    )
    widget = open_page(f"{live_server.url}/")
    answer_with(widget.page, [written])
    widget.open()
    widget.ask("Does street lighting reduce crime?")
    reply = widget.answer()

    parts = reply.locator(".ww-answer > *").evaluate_all("els => els.map((e) => e.className)")
    assert parts == ["ww-summary", "ww-prose"]
    expect(reply.locator(".ww-prose p")).to_have_text(
        ["Better lighting reduces crime [1].", "It also eases the fear of crime [2]."]
    )
    expect(reply.locator(".ww-prose strong")).to_have_text("reduces")
    expect(reply.locator(".ww-prose a.ww-cite")).to_have_count(2)
    expect(reply.locator(".ww-sources")).to_have_attribute("open", "")  # a written answer opens its sources
    assert widget.shadow(RAW_MARKDOWN) == []
    widget.shot("33-written-answer")


def test_a_french_widget_says_its_headings_in_french(live_server: Any, open_page: Callable[..., Any]) -> None:
    sections = [section(intent, f"English label {i}", [(1, f"Quote {i}.")]) for i, intent in enumerate(FRENCH_HEADINGS)]
    widget = french_page(live_server, open_page)
    answer_with(widget.page, [every_part(sections=sections)])
    widget.open()
    widget.ask("Does Scared Straight work?")
    reply = widget.answer()

    headings = reply.locator(".ww-section-h")
    expect(headings).to_have_text(list(FRENCH_HEADINGS.values()))
    assert set(headings.evaluate_all("els => els.map((e) => e.lang)")) == {"fr"}
    expect(reply).not_to_contain_text("English label")
    expect(reply.locator(".ww-related h3")).to_have_text(
        ["Solutions mieux appuyées", "Aussi dans la base de données probantes"]
    )
    expect(reply.locator(".ww-bottomline .ww-badge")).to_have_text(["Néfaste", "Prometteur"])
    expect(reply.locator(".ww-answer")).to_have_attribute("lang", "en")  # titles and quotes keep the corpus's language
    reply.locator(".ww-sources summary").click()
    expect(reply.locator(".ww-source[data-n='1'] .ww-nolink")).to_have_text("pas de lien")
    widget.shot("34-french-structure")


def test_a_french_answer_marks_only_its_english_quotes(live_server: Any, open_page: Callable[..., Any]) -> None:
    """A quote given in the words of a document's French twin (`language: fr`) is French and unmarked; an
    English one keeps "(en anglais)", in the sections and in the sources."""
    howto = section("howto", "Setting it up", [(4, "Former d'abord les mentors."), (5, "Crime fell by 21%.")])
    howto["items"][0]["language"] = "fr"
    response = every_part(sections=[howto], language="fr")
    response.citations[3] = response.citations[3].model_copy(
        update={"quote": "Former d'abord les mentors.", "section": "Mise en œuvre", "language": "fr"}
    )
    widget = french_page(live_server, open_page)
    answer_with(widget.page, [response])
    widget.open()
    widget.ask("Comment mettre en place le mentorat ?")
    reply = widget.answer()

    items = reply.locator(".ww-section-item")
    expect(items.nth(0).locator(".ww-item-text")).to_have_attribute("lang", "fr")
    expect(items.nth(0).locator(".ww-in-english")).to_have_count(0)
    expect(items.nth(1).locator(".ww-in-english")).to_have_text("(en anglais)")
    reply.locator(".ww-sources summary").click()
    expect(reply.locator(".ww-source[data-n='4'] .ww-quote")).to_have_attribute("lang", "fr")
    expect(reply.locator(".ww-source[data-n='4'] .ww-in-english")).to_have_count(0)
    expect(reply.locator(".ww-source[data-n='5'] .ww-in-english")).to_have_text("(en anglais)")
    widget.shot("35-french-twin-quotes")


def test_a_follow_up_sends_the_earlier_answers_question_id(live_server: Any, open_page: Callable[..., Any]) -> None:
    widget = open_page(f"{live_server.url}/")
    sent = answer_with(widget.page, [every_part(question_id="q-first"), every_part(question_id="q-second")])
    widget.open()
    widget.ask("Does Scared Straight work?")
    widget.answer()
    widget.ask("How much does it cost?")
    expect(widget.replies).to_have_count(2)
    widget.answer()

    assert [body["question"] for body in sent] == ["Does Scared Straight work?", "How much does it cost?"]
    assert "conversation" not in sent[0]
    assert sent[1]["conversation"] == [
        {"role": "user", "content": "Does Scared Straight work?"},
        {
            "role": "assistant",
            "content": "Scared Straight: “Participants offended more than controls.”\n"
            "Mentoring: “Mentored youth offended less.”\n"
            "A practitioner guide: “Plan the visits with the schools.”",
            "question_id": "q-first",
        },
    ]
