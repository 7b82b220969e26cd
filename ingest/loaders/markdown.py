"""Markdown with YAML front matter: the main format of the evidence base."""

from __future__ import annotations

import re
from pathlib import Path

from langchain_text_splitters import MarkdownHeaderTextSplitter

from assistant.core.evidence import EvidenceMetadata
from ingest.loaders.base import (
    Block,
    LoadedDocument,
    LoadError,
    parse_yaml,
    read_text_file,
    slug_from_filename,
    title_from_filename,
    validate_metadata,
)

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def split_front_matter(path: Path, text: str) -> tuple[object | None, str]:
    """Return (parsed front matter or None, body)."""
    if not text.startswith("---"):
        return None, text
    match = _FRONT.match(text)
    if not match:
        raise LoadError(path, "front matter starts with '---' but has no closing '---' line")
    return parse_yaml(path, match.group(1), "front matter"), text[match.end() :]


def markdown_blocks(body: str) -> list[Block]:
    """Split on headings; the section path leaves out the document title (h1)."""
    splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
    blocks: list[Block] = []
    for part in splitter.split_text(body):
        text = part.page_content.strip()
        if not text:
            continue
        path = [str(part.metadata[k]) for k in ("h2", "h3", "h4") if part.metadata.get(k)]
        level = max((i + 2 for i, k in enumerate(("h2", "h3", "h4")) if part.metadata.get(k)), default=1)
        blocks.append(Block(section=" > ".join(path), text=text, heading_level=level))
    return blocks


def first_heading(body: str) -> str | None:
    match = re.search(r"^#{1,3}\s+(.+?)\s*#*\s*$", body, re.M)
    return match.group(1).strip() if match else None


def load_markdown(path: Path) -> LoadedDocument:
    text = read_text_file(path)
    front, body = split_front_matter(path, text)
    if front is None:
        title = first_heading(body) or title_from_filename(path)
        metadata = EvidenceMetadata(id=slug_from_filename(path), title=title)
    else:
        metadata = validate_metadata(path, front)
    blocks = markdown_blocks(body)
    if not blocks:
        raise LoadError(path, "the document has front matter but no text: write the body below the '---' line")
    return LoadedDocument(path=path, metadata=metadata, blocks=blocks)


def load_text(path: Path, metadata: EvidenceMetadata | None) -> LoadedDocument:
    text = read_text_file(path)
    meta = metadata or EvidenceMetadata(id=slug_from_filename(path), title=title_from_filename(path))
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return LoadedDocument(path=path, metadata=meta, blocks=[Block(section="", text="\n\n".join(paragraphs))])
