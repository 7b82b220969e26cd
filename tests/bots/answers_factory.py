"""Synthetic AskResponses for the Slack and widget tests: any size, any text, no model needed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from assistant.core.answers import AskResponse

HOSTILE = "<!channel> <!here> <@U0EVIL> <https://evil.example|click> & co"
# The Markdown `answer` is for API users only: no face may show it (or parse it).
API_ONLY_MARKDOWN = "**Markdown for API users only**\n\n**Sources**\n[1] Document 1"


def citation(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        "n": n,
        "document_id": f"doc-{n}",
        "title": f"Document {n}",
        "url": f"https://example.org/doc-{n}",
        "verdict": "effective",
        "rating_source": "CrimeSolutions",
        "section": "Evidence",
        "quote": f"Quoted passage {n}.",
        **overrides,
    }


def bottom_line(n: int, **overrides: Any) -> dict[str, Any]:
    """The bottom line of document `doc-n`, whose finding is cited [n]."""
    return {
        "document_id": f"doc-{n}",
        "title": f"Document {n}",
        "kind": "program",
        "verdict": "effective",
        "rating_source": "CrimeSolutions",
        "strength": "3 randomised trials",
        "finding": f"Finding {n}.",
        "n": n,
        **overrides,
    }


def section(intent: str, label: str, items: Sequence[tuple[int, str]]) -> dict[str, Any]:
    """An answer section: [(n, quoted text), ...], each from `Document n`."""
    return {
        "intent": intent,
        "label": label,
        "items": [{"n": n, "document_id": f"doc-{n}", "title": f"Document {n}", "text": text} for n, text in items],
    }


def related(document_id: str, title: str, **overrides: Any) -> dict[str, Any]:
    return {
        "document_id": document_id,
        "title": title,
        "verdict": "effective",
        "rating_source": "CrimeSolutions",
        "reason": "alternative",
        **overrides,
    }


def extractive(
    summary: Sequence[dict[str, Any]],
    citations: Sequence[dict[str, Any]],
    *,
    sections: Sequence[dict[str, Any]] = (),
    related: Sequence[dict[str, Any]] = (),
    **overrides: Any,
) -> AskResponse:
    """An extractive answer: bottom lines, then sections and related programs, with their citations."""
    data = {
        "answer": API_ONLY_MARKDOWN,
        "summary": list(summary),
        "sections": list(sections),
        "related": list(related),
        "citations": list(citations),
        "question_id": "q-123",
        "standalone_question": "does it work?",
        **overrides,
    }
    return AskResponse.model_validate(data)


def prose(
    paragraphs: list[str],
    citations: Sequence[dict[str, Any]],
    *,
    summary: Sequence[dict[str, Any]] = (),
    **overrides: Any,
) -> AskResponse:
    """An LLM-written answer: its prose, and any bottom lines."""
    data = {
        "answer": API_ONLY_MARKDOWN,
        "summary": list(summary),
        "prose": "\n\n".join(paragraphs),
        "citations": list(citations),
        "answer_mode": "llm",
        "question_id": "q-456",
        "standalone_question": "what works?",
        **overrides,
    }
    return AskResponse.model_validate(data)


def no_evidence(text: str, topics: Sequence[dict[str, Any]] = (), **overrides: Any) -> AskResponse:
    """A question the evidence base does not cover: the refusal's text and the nearest topics."""
    data = {
        "answer": text,
        "no_evidence": True,
        "nearest_topics": list(topics),
        "question_id": "q-789",
        "standalone_question": "how do I bake bread?",
        **overrides,
    }
    return AskResponse.model_validate(data)


def every_part(**overrides: Any) -> AskResponse:
    """An answer with every part a face renders.

    A harmful practice (cited without a URL), a promising program, a guide (no verdict of its own), a
    "Setting it up" section, a better-supported alternative that is a real corpus document, and a
    see-also guide.
    """
    parts: dict[str, Any] = {
        "sections": [section("howto", "Setting it up", [(4, "Train the mentors first.")])],
        "related": [
            related(
                "street-lighting",
                "Improved street lighting",
                kind="practice",
                rating_source="Campbell review 2008",
                n=5,
            ),
            related(
                "crimesolutions-ratings",
                "How to read CrimeSolutions ratings",
                kind="guide",
                verdict="not-rated",
                rating_source=None,
                reason="see-also",
            ),
        ],
        "intent": "howto",
    }
    return extractive(
        [
            bottom_line(
                1,
                document_id="scared-straight",
                title="Scared Straight",
                kind="practice",
                verdict="harmful",
                rating_source="Campbell review 2013",
                strength="systematic review of 9 randomised trials",
                finding="Participants offended **more** than controls.",
            ),
            bottom_line(2, title="Mentoring", verdict="promising", finding="Mentored youth offended less."),
            bottom_line(
                3,
                title="A practitioner guide",
                kind="guide",
                verdict="not-rated",
                rating_source=None,
                strength=None,
                finding="Plan the visits with the schools.",
            ),
        ],
        [
            citation(1, document_id="scared-straight", title="Scared Straight", verdict="harmful", url=None),
            citation(2, title="Mentoring", verdict="promising"),
            citation(3, title="A practitioner guide", kind="guide", verdict="not-rated", rating_source=None),
            citation(4, quote="Train the mentors first."),
            citation(5, document_id="street-lighting", title="Improved street lighting", quote="Crime fell by 21%."),
        ],
        **(parts | overrides),
    )


def stream_body(response: AskResponse, pieces: int = 4) -> str:
    """The Server-Sent Events /v1/ask/stream sends for `response`: status, its Markdown in deltas, citations, done."""
    text = response.answer
    size = max(1, -(-len(text) // pieces))
    events: list[tuple[str, Any]] = [("status", {"stage": "searching"})]
    events += [("delta", {"text": text[i : i + size]}) for i in range(0, len(text), size)]
    events.append(("citations", {"citations": [c.model_dump(mode="json") for c in response.citations]}))
    events.append(("done", response.model_dump(mode="json")))
    return "".join(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in events)
