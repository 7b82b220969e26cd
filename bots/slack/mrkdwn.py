"""Text for and from Slack: escaping, Markdown to mrkdwn, splitting to Slack's limits, reading user text.

Everything the bot shows that comes from a document or an answer passes through `escape` first, so
a document can never ping `@channel`, mention a user or forge a link: Slack only treats `<...>` as
markup, and after escaping there is none left but what the bot itself writes.
"""

from __future__ import annotations

import re

SECTION_LIMIT = 3000

_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_URL_UNSAFE = re.compile(r"[\s<>|\"]")


def escape(text: str) -> str:
    """Escape the three characters Slack reads as markup (`&` first, so entities are not doubled)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def is_http_url(url: str | None) -> bool:
    """True for an http(s) URL: the only kind the bot ever turns into a link."""
    return bool(url) and str(url).startswith(("http://", "https://"))


def link(url: str | None, label: str) -> str:
    """`<url|label>` for an http(s) URL, else the escaped label alone; the label is always escaped."""
    safe_label = escape(label).replace("|", "\N{FULLWIDTH VERTICAL LINE}")
    if not url or not is_http_url(url):
        return safe_label
    # Characters that would end or split the link are percent-encoded; `&` becomes an entity, as Slack asks.
    safe_url = _URL_UNSAFE.sub(lambda m: f"%{ord(m.group(0)):02X}", url).replace("&", "&amp;")
    return f"<{safe_url}|{safe_label}>"


def inline_mrkdwn(text: str) -> str:
    """One passage of Markdown (a quote, an answer item) as escaped mrkdwn: bold, and links shown as text."""
    text = escape(_MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text))
    return _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)


def markdown_to_mrkdwn(markdown: str) -> str:
    """Escaped Slack mrkdwn from an answer's Markdown: bold, headings and bullets converted.

    Markdown links become "label (url)": a URL shown as itself cannot pretend to be something else.
    """
    out: list[str] = []
    for raw in markdown.splitlines():
        heading = _HEADING.match(raw)
        if heading:
            out.append(f"*{inline_mrkdwn(heading.group(1)).strip('*_ ')}*")
            continue
        out.append(_BULLET.sub(lambda m: f"{m.group(1)}• ", inline_mrkdwn(raw)))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line, sentence or word boundary.

    A cut never falls inside an entity (`&amp;`) or a `<...>` link, so each piece renders on its own.
    """
    if limit < 20:
        raise ValueError("limit too small to split cleanly")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    window = text[:limit]
    floor = limit // 3  # a boundary this early would leave a stub; prefer a finer boundary further on
    cut = -1
    for separator in ("\n\n", "\n", ". ", "; ", ", ", " "):
        at = window.rfind(separator)
        if at > floor:
            cut = at + len(separator)
            break
    if cut <= 0:
        cut = limit
    return _outside_markup(text, cut)


def _outside_markup(text: str, cut: int) -> int:
    """Move `cut` back before an entity or link it would otherwise break."""
    amp = text.rfind("&", max(0, cut - 6), cut)
    if amp != -1 and ";" not in text[amp:cut] and re.match(r"&(amp|lt|gt);", text[amp:]):
        cut = amp
    opening = text.rfind("<", 0, cut)
    if opening != -1 and text.find(">", opening, cut) == -1 and opening > 0:
        cut = opening
    return cut


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters, cut cleanly (for fields such as button labels)."""
    if len(text) <= limit:
        return text
    cut = _outside_markup(text, limit - len(ellipsis))
    return text[:cut].rstrip() + ellipsis


def clean_user_text(text: str, bot_user_id: str | None = None) -> str:
    """A user's Slack message as plain text for the API: the bot's mention removed, markup read back."""
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", " ")

    def readable(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            return f"@{label or target[1:].split('^')[0]}"
        return label or target

    lines = unescape(_SLACK_MARKUP.sub(readable, text)).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())
