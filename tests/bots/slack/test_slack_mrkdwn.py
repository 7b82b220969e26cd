"""Escaping, Markdown to mrkdwn, and splitting text to Slack's limits."""

from __future__ import annotations

import re

import pytest

from bots.slack.mrkdwn import (
    clean_user_text,
    escape,
    inline_mrkdwn,
    is_http_url,
    link,
    markdown_to_mrkdwn,
    split_text,
    truncate,
)


def test_escape_leaves_no_slack_markup() -> None:
    assert escape("<!channel> & <@U1> <https://evil|click>") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://evil|click&gt;"
    )


def test_link_escapes_its_label_and_cannot_be_split_by_its_url() -> None:
    assert link("https://example.org/a?b=1&c=2", "Title <!here>") == (
        "<https://example.org/a?b=1&amp;c=2|Title &lt;!here&gt;>"
    )
    forged = link("https://ok.example/x|<https://evil>", "Fine")
    assert forged.count("<") == 1
    assert forged.count(">") == 1
    assert forged.endswith("|Fine>")
    assert link("javascript:alert(1)", "Title") == "Title"
    assert link(None, "a|b") == "a\N{FULLWIDTH VERTICAL LINE}b"


def test_markdown_becomes_mrkdwn_without_clickable_document_links() -> None:
    md = "## Heading\n**What works**\n- item one [1]\n* item two\nSee [the log](https://evil.example/x) <!here>"
    assert markdown_to_mrkdwn(md) == (
        "*Heading*\n*What works*\n• item one [1]\n• item two\nSee the log (https://evil.example/x) &lt;!here&gt;"
    )


@pytest.mark.parametrize(
    ("url", "linkable"),
    [("https://x.org", True), ("http://x.org", True), (None, False), ("", False), ("javascript:alert(1)", False)],
)
def test_only_http_urls_become_links(url: str | None, linkable: bool) -> None:
    assert is_http_url(url) is linkable
    assert link(url, "Title").startswith("<") is linkable


@pytest.mark.parametrize("limit", [50, 300, 3000])
def test_split_text_keeps_every_word_within_the_limit(limit: int) -> None:
    words = [f"w{i}&amp;x" if i % 7 == 0 else f"word{i}" for i in range(4000)]
    text = ""
    for i, word in enumerate(words):
        text += word + ("\n\n" if i % 97 == 96 else ". " if i % 13 == 12 else " ")
    pieces = split_text(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert not any(re.search(r"&(a|am|amp|l|lt|g|gt)?$", p) for p in pieces), "an entity cut in two"


def test_split_text_never_breaks_a_link() -> None:
    text = ("x" * 40 + " ") * 2 + "<https://example.org/long/path|a linked title>" + " tail" * 5
    for piece in split_text(text, 100):
        assert piece.count("<") == piece.count(">")


def test_split_text_prefers_paragraphs() -> None:
    text = "A" * 900 + "\n\n" + "B" * 900 + "\n\n" + "C" * 900
    assert split_text(text, 2000) == ["A" * 900 + "\n\n" + "B" * 900, "C" * 900]


def test_truncate_marks_the_cut() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("a" * 100, 10) == "a" * 9 + "…"


def test_user_text_is_read_back_as_plain_text() -> None:
    text = "<@UBOT1> what &amp; why <https://x.org|the site> in <#C1|general> <!here>?"
    assert clean_user_text(text, "UBOT1") == "what & why the site in #general @here?"
    assert clean_user_text("<@UBOT1>", "UBOT1") == ""


def test_a_quote_with_markdown_renders_as_mrkdwn() -> None:
    assert inline_mrkdwn("**Improved lighting** cut crime; see [review](https://x.org/r) <!here>") == (
        "*Improved lighting* cut crime; see review (https://x.org/r) &lt;!here&gt;"
    )
