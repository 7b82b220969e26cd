"""Modal views: the quoted passages behind an answer, opened by its "Show quotes" button."""

from __future__ import annotations

from typing import Any

from assistant.core.answers import IN_ENGLISH, AskResponse
from bots.slack.blocks import NO_LINK, VERDICT_KINDS, Block, context, section, verdict_badge
from bots.slack.mrkdwn import escape, inline_mrkdwn, is_http_url, link, split_text, truncate

MAX_VIEW_BLOCKS = 100
QUOTES_VIEW = "whatworks_quotes"


def _modal(blocks: list[Block], french: bool = False) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": QUOTES_VIEW,
        "title": {"type": "plain_text", "text": "Passages cités" if french else "Quoted passages"},
        "close": {"type": "plain_text", "text": "Fermer" if french else "Close"},
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def loading_view() -> dict[str, Any]:
    return _modal([context(":mag: Fetching the quoted passages…")])


def unavailable_view(reason: str) -> dict[str, Any]:
    return _modal([section(f":warning: {escape(reason)}")])


def quotes_view(response: AskResponse) -> dict[str, Any]:
    """Each citation: number, linked title (or "no link"), verdict, rating source, where in the document, the quote.

    A French answer's window is in French; the quotes keep their language and say so ("(en anglais)")."""
    french = response.language == "fr"
    blocks: list[Block] = []
    for c in response.citations:
        details = [verdict_badge(str(c.verdict), french=french)] if c.kind in VERDICT_KINDS else []
        if c.rating_source:
            details.append(escape(truncate(c.rating_source, 300)))
        if c.section:
            details.append(escape(truncate(c.section, 200)))
        if c.page is not None:
            details.append(f"p. {c.page}")
        if french and c.language != "fr":
            details.append(IN_ENGLISH)
        no_link = "pas de lien" if french else NO_LINK
        title = link(c.url, truncate(c.title, 200)) + ("" if is_http_url(c.url) else f" ({no_link})")
        header = [section(f"*[{c.n}]* {title}")] + ([context(" · ".join(details))] if details else [])
        pieces = [
            section(_blockquote(piece)) for piece in split_text(inline_mrkdwn(c.quote) or "(empty passage)", 2800)
        ]
        if len(blocks) + len(header) + len(pieces) + 1 > MAX_VIEW_BLOCKS:
            left = len(response.citations) - c.n + 1
            more = f"{left} autres passages non affichés." if french else f"{left} more passages not shown."
            blocks.append(context(more))
            break
        blocks += header + pieces + [{"type": "divider"}]
    if not blocks:
        blocks.append(section("Cette réponse ne cite aucun passage." if french else "This answer quotes no passages."))
    return _modal(blocks, french)


def _blockquote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() if line.strip())
