"""What an answer says, in mrkdwn: its bottom lines, sections, related programs and prose, and its text.

Everything is rendered from the AskResponse's fields; the Markdown `answer` is for API users and is
never parsed here. Text from documents passes through `escape` (via `inline_mrkdwn`) before Slack sees it.
"""

from __future__ import annotations

from typing import Any

from assistant.core.answers import (
    IN_ENGLISH,
    INTENT_LABELS_FR,
    RELATED_LABELS_FR,
    VERDICTS_FR,
    AskResponse,
    BottomLine,
    RelatedProgram,
)
from bots.slack.mrkdwn import SECTION_LIMIT, escape, inline_mrkdwn, markdown_to_mrkdwn, split_text, truncate

Block = dict[str, Any]

CONTEXT_ELEMENTS = 10

VERDICT_EMOJI = {
    "effective": ":white_check_mark:",
    "promising": ":seedling:",
    "mixed": ":scales:",
    "no-effect": ":heavy_minus_sign:",
    "harmful": ":warning:",
    "not-rated": ":grey_question:",
}
VERDICT_LABELS = {
    "effective": "What works",
    "promising": "Promising",
    "mixed": "Mixed evidence",
    "no-effect": "No effect",
    "harmful": "Harmful",
    "not-rated": "Not yet rated by our curators",
}
VERDICT_LABELS_FR = {v.value: label for v, label in VERDICTS_FR.items()}
# Only these kinds of document carry a verdict of their own; a guide or a review has none to show.
VERDICT_KINDS = frozenset({"program", "practice"})
RELATED_HEADINGS = {"alternative": "Better-supported alternatives", "see-also": "Also in the evidence base"}


def section(text: str) -> Block:
    # verbatim: Slack must never turn a document's words into links, mentions or channel names
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t, "verbatim": True} for t in texts]}


def verdict_badge(verdict: str, label: str | None = None, french: bool = False) -> str:
    labels = VERDICT_LABELS_FR if french else VERDICT_LABELS
    return f"{VERDICT_EMOJI.get(verdict, ':grey_question:')} {escape(label or labels.get(verdict, verdict))}"


def evidence_blocks(response: AskResponse) -> list[Block]:
    """One section per bottom line, then each answer section, the related programs, and the prose.

    An answer with none of these (an older API) shows its quoted citations, so it is never empty.
    """
    blocks: list[Block] = []
    french = response.language == "fr"
    english_mark = f" {IN_ENGLISH}" if french else ""  # a French answer says which quotes are in English
    for line in response.summary:
        mark = english_mark if line.language != "fr" else ""
        blocks += [
            section(piece) for piece in _quoted_pieces(bottom_line_head(line, french), line.finding, line.n, mark)
        ]
    for answer_section in response.sections:
        label = INTENT_LABELS_FR[answer_section.intent] if french else answer_section.label
        lines = [f"*{escape(label)}*"]
        lines += [
            f"• {_item_text(item.title, item.text, item.n)}{english_mark if item.language != 'fr' else ''}"
            for item in answer_section.items
        ]
        blocks += [section(piece) for piece in split_text("\n".join(lines))]
    blocks += related_blocks(response.related, french)
    if response.prose:
        blocks += [section(piece) for piece in split_text(markdown_to_mrkdwn(response.prose))]
    if not (response.summary or response.sections or response.prose):
        lines = [f"• {_item_text(c.title, c.quote, c.n)}" for c in response.citations]
        blocks += [section(piece) for piece in split_text("\n".join(lines))]
    return blocks


def bottom_line_head(line: BottomLine, french: bool = False) -> str:
    """`*Title*  :emoji: Verdict · rating source · strength`; only programs and practices show a verdict."""
    details = [verdict_badge(str(line.verdict), french=french)] if line.kind in VERDICT_KINDS else []
    details += [escape(truncate(text, 300)) for text in (line.rating_source, line.strength) if text]
    head = f"*{escape(truncate(line.title, 200))}*"
    return f"{head}  {' · '.join(details)}" if details else head


def related_blocks(related: list[RelatedProgram], french: bool = False) -> list[Block]:
    """Context lines `Title · :emoji: Verdict · rating source [n]` under the heading of why they are offered.

    As in a bottom line, only programs and practices show a verdict.
    """
    blocks: list[Block] = []
    for reason in dict.fromkeys(r.reason for r in related):
        lines = []
        for program in (r for r in related if r.reason == reason):
            details = [escape(truncate(program.title, 200))]
            if program.kind in VERDICT_KINDS:
                details.append(verdict_badge(str(program.verdict), french=french))
            if program.rating_source:
                details.append(escape(truncate(program.rating_source, 300)))
            lines.append(" · ".join(details) + (f" [{program.n}]" if program.n is not None else ""))
        headings = RELATED_LABELS_FR if french else RELATED_HEADINGS
        heading = f"*{headings.get(reason, 'Related')}*"
        per_block = CONTEXT_ELEMENTS - 1
        blocks += [context(heading, *lines[i : i + per_block]) for i in range(0, len(lines), per_block)]
    return blocks


def answer_text(response: AskResponse) -> str:
    """The message's `text`: notifications, and what a follow-up reads back as the bot's turn.

    One line per bottom line (`Title (Verdict): “finding” [n]`); failing those, the prose, the
    section quotes or the cited quotes.
    """
    if response.no_evidence:
        return escape(response.answer)
    lines = []
    for line in response.summary:
        verdict = f" ({VERDICT_LABELS.get(str(line.verdict), str(line.verdict))})" if line.kind in VERDICT_KINDS else ""
        lines.append(f"{escape(line.title)}{verdict}: {_item_quote(line.finding, line.n)}")
    if not lines and response.prose:
        lines.append(markdown_to_mrkdwn(response.prose))
    if not lines:
        items = [(i.title, i.text, i.n) for s in response.sections for i in s.items]
        items = items or [(c.title, c.quote, c.n) for c in response.citations]
        lines += [_item_text(*item) for item in items]
    return "\n".join(lines)


def _quoted_pieces(head: str, quote: str, n: int, mark: str = "") -> list[str]:
    """The head, then `> “quote” [n]`, in sections of Slack's size; every piece of the quote stays quoted."""
    pieces = split_text(f"{head}\n> {_item_quote(quote, n)}{mark}", SECTION_LIMIT - 2)
    return [pieces[0]] + [p if p.startswith("> ") else f"> {p}" for p in pieces[1:]]


def _item_quote(text: str, n: int) -> str:
    """`“text” [n]` on one line (a quote's line breaks would end a bullet or a blockquote)."""
    return f"“{inline_mrkdwn(' '.join(text.split()))}” [{n}]"


def _item_text(title: str, text: str, n: int) -> str:
    return f"{escape(truncate(title, 200))}: {_item_quote(text, n)}"
