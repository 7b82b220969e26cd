"""Synthetic AskResponses for the unit tests: any size, any text, no model needed."""

from __future__ import annotations

from typing import Any

from assistant.core.answers import AskResponse

HOSTILE = "<!channel> <!here> <@U0EVIL> <https://evil.example|click> & co"


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


def extractive(
    groups: dict[str, list[tuple[int, str]]], citations: list[dict[str, Any]], **overrides: Any
) -> AskResponse:
    """An extractive answer: {verdict: [(n, text), ...]} plus its citations."""
    labels = {"effective": "What works", "promising": "Promising", "harmful": "Harmful", "mixed": "Mixed evidence"}
    lines = []
    for verdict, items in groups.items():
        lines.append(f"**{labels[verdict]}**")
        lines += [f"- {text} [{n}]" for n, text in items]
        lines.append("")
    lines.append("**Sources**")
    lines += [f"[{c['n']}] {c['title']}" for c in citations]
    data = {
        "answer": "\n".join(lines),
        "citations": citations,
        "groups": [
            {"verdict": v, "label": labels[v], "items": [{"n": n, "text": t} for n, t in items]}
            for v, items in groups.items()
        ],
        "question_id": "q-123",
        "standalone_question": "does it work?",
        **overrides,
    }
    return AskResponse.model_validate(data)


def prose(paragraphs: list[str], citations: list[dict[str, Any]], **overrides: Any) -> AskResponse:
    """An LLM-style answer: prose paragraphs, no groups."""
    answer = "\n\n".join(paragraphs) + "\n\n**Sources**\n" + "\n".join(f"[{c['n']}] {c['title']}" for c in citations)
    data = {
        "answer": answer,
        "citations": citations,
        "answer_mode": "llm",
        "question_id": "q-456",
        "standalone_question": "what works?",
        **overrides,
    }
    return AskResponse.model_validate(data)
