"""HTML pages: the main text only, split on headings; scripts, styles and navigation are dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.core.evidence import EvidenceMetadata
from ingest.loaders.base import Block, LoadedDocument, LoadError, read_text_file, slug_from_filename

_DROP = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg")
_HEADINGS = ("h1", "h2", "h3", "h4")
_TEXT = ("p", "li", "td", "th", "blockquote", "pre", "dd", "dt", "figcaption")


def load_html(path: Path, metadata: EvidenceMetadata | None) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read_text_file(path), "html.parser")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(list(_DROP)):
        tag.decompose()
    root: Any = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"}) or soup.body or soup  # type: ignore[call-overload]

    blocks: list[Block] = []
    trail: dict[int, str] = {}
    buffer: list[str] = []
    h1 = ""

    def flush() -> None:
        if buffer:
            section = " > ".join(trail[k] for k in sorted(trail))
            blocks.append(Block(section=section, text="\n".join(buffer)))
            buffer.clear()

    for element in root.find_all([*_HEADINGS, *_TEXT]):
        if element.name in _HEADINGS:
            flush()
            level = int(element.name[1])
            text = element.get_text(" ", strip=True)
            if level == 1:
                h1 = h1 or text
                trail.clear()
                continue
            trail = {k: v for k, v in trail.items() if k < level}
            trail[level] = text
        elif not element.find_parent(list(_TEXT)):
            text = element.get_text(" ", strip=True)
            if text:
                buffer.append(("- " if element.name == "li" else "") + text)
    flush()
    if not blocks:
        raise LoadError(path, "no readable text in the page's main content")
    meta = metadata or EvidenceMetadata(
        id=slug_from_filename(path), title=h1 or page_title or path.stem.replace("-", " ").capitalize()
    )
    return LoadedDocument(path=path, metadata=meta, blocks=blocks)
