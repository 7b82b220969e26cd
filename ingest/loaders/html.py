"""HTML pages: the main content only, as Markdown split on its headings.

A page that marks its main content (`<main>`, `<article>`, `role="main"`) is read from that
element, its chrome elements dropped; for a page that does not, main-content extraction is
trafilatura's (made and benchmarked for exactly this: boilerplate removal on real pages), with
the structural reading as the fallback when it finds nothing. Both feed the shared cleaning,
which takes out what survives of the page's chrome and catalogue record fields. The page's
own address (canonical link, `og:url`, a browser's "saved from" comment or a `Source:` line)
becomes the document's link.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.core.evidence import EvidenceMetadata
from ingest.loaders.base import LoadedDocument, LoadError, derived_title, read_text_file, uncurated_document, with_link
from ingest.loaders.cleaning import Cleaning
from ingest.loaders.markdown import clean_document, first_heading, markdown_blocks

_DROP = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg")
_HEADINGS = ("h1", "h2", "h3", "h4")
_TEXT = ("p", "li", "td", "th", "blockquote", "pre", "dd", "dt", "figcaption")
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+)\s*-->", re.I)
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—]{2,80}$")


def load_html(path: Path, metadata: EvidenceMetadata | None) -> LoadedDocument:
    from bs4 import BeautifulSoup

    html = read_text_file(path)
    soup = BeautifulSoup(html, "html.parser")
    cleaning = Cleaning(url=page_url(html, soup))
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    # A page that marks its main content says best what it is; for the rest, trafilatura finds it.
    marked = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"})  # type: ignore[call-overload]
    markdown = (structural_markdown(soup) if marked else main_content(html)) or structural_markdown(soup)
    _, body = clean_document(markdown, cleaning, take_title=False, records=metadata is None)
    blocks = markdown_blocks(body)
    if not blocks:
        raise LoadError(path, "no readable text in the page's main content")
    if metadata is not None:
        return LoadedDocument(
            path=path, metadata=with_link(metadata, cleaning), blocks=blocks, removed=len(cleaning.removed)
        )
    title = derived_title(first_heading(body) or first_heading(markdown), _SITE_SUFFIX.sub("", page_title))
    return uncurated_document(path, title, blocks, cleaning, markdown)


def page_url(html: str, soup: Any) -> str | None:
    """Where the page was saved from, as the page itself records it."""
    for selector, attribute in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        tag = soup.select_one(selector)
        value = str(tag.get(attribute) or "") if tag is not None else ""
        if value.startswith(("http://", "https://")):
            return value
    match = _SAVED_FROM.search(html[:4096])
    return match.group(1) if match else None


def main_content(html: str) -> str | None:
    """The page's main text as Markdown (headings, lists, tables), or None when none is found."""
    import trafilatura

    text = trafilatura.extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        favor_recall=True,
    )
    return text if text and text.strip() else None


def structural_markdown(soup: Any) -> str:
    """Headings and text elements of <main> (or the body) as Markdown, chrome elements dropped."""
    for tag in soup(list(_DROP)):
        tag.decompose()
    root: Any = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"}) or soup.body or soup
    lines: list[str] = []
    for element in root.find_all([*_HEADINGS, *_TEXT]):
        if element.name in _HEADINGS:
            lines += ["", "#" * int(element.name[1]) + " " + element.get_text(" ", strip=True), ""]
        elif not element.find_parent(list(_TEXT)):
            text = element.get_text(" ", strip=True)
            if text:
                lines += [("- " if element.name == "li" else "") + text, ""]
    return "\n".join(lines)
