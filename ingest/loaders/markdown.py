"""Markdown with YAML front matter (the main format of the evidence base), and plain text."""

from __future__ import annotations

import re
from pathlib import Path

from langchain_text_splitters import MarkdownHeaderTextSplitter

from assistant.core.evidence import EvidenceMetadata
from ingest.loaders.base import (
    Block,
    LoadedDocument,
    LoadError,
    derived_title,
    parse_yaml,
    read_text_file,
    uncurated_document,
    validate_metadata,
    with_link,
)
from ingest.loaders.cleaning import (
    Cleaning,
    clean_lines,
    looks_like_heading,
    take_source_line,
    to_markdown,
    unwrap,
)

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]
_SITE_NAME = re.compile(r"\b\w+\.(?:gov|org|com|ca|net|edu)\b", re.I)
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
        path = [str(part.metadata[k])[:120] for k in ("h2", "h3", "h4") if part.metadata.get(k)]
        level = max((i + 2 for i, k in enumerate(("h2", "h3", "h4")) if part.metadata.get(k)), default=1)
        blocks.append(Block(section=" > ".join(path), text=text, heading_level=level))
    return blocks


def first_heading(body: str) -> str | None:
    match = re.search(r"^#{1,3}\s+(.+?)\s*#*\s*$", body, re.M)
    return match.group(1).strip() if match else None


def leading_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """The title among the first lines, and the lines after it.

    A page's title is a short line that the text itself follows (a paragraph of prose, or a
    heading); lines before it (a site's name, a banner) are left out of the body with it.
    """
    shown = [(i, line.strip().lstrip("#").strip()) for i, line in enumerate(lines) if line.strip()]
    for position, (i, text) in enumerate(shown[:6]):
        if len(text.split()) > 20 or text.endswith((".", "?", "!")):
            break  # prose has started: no title line before it
        if _SITE_NAME.search(text):
            continue  # "Crime Solutions.gov" names the site, not the page
        following = shown[position + 1][1] if position + 1 < len(shown) else ""
        if (
            len(following.split()) >= 12 or lines[shown[position + 1][0]].lstrip().startswith("#")
            if following
            else False
        ):
            return text, lines[i + 1 :]
    first = shown[0] if shown else None
    if (
        first
        and not _SITE_NAME.search(first[1])
        and first[1][:1].isupper()
        and (
            looks_like_heading(first[1]) or (len(first[1].split()) <= 12 and not re.search(r"[.!?](?:\s|$)", first[1]))
        )
    ):
        return first[1], lines[first[0] + 1 :]
    return None, lines


def clean_document(
    text: str, cleaning: Cleaning, take_title: bool = True, records: bool = True
) -> tuple[str | None, str]:
    """(title, Markdown body) of a document that came as it is: clutter out, wrapped lines joined."""
    text = take_source_line(text, cleaning)
    lines = unwrap(clean_lines(text, cleaning, records=records))
    title, body = leading_title(lines) if take_title else (None, lines)
    return title, to_markdown(body)


# A translation's front matter: the id of the document it translates and its language; nothing else,
# since every other field (verdict, sources...) is the original's and must not drift from it.
TRANSLATION_LANGUAGES = {"fr"}
_TRANSLATION_FIELDS = {"id", "lang", "title"}


def load_markdown(path: Path) -> LoadedDocument:
    text = read_text_file(path)
    front, body = split_front_matter(path, text)
    if isinstance(front, dict) and "lang" in front:
        return load_translation(path, front, body)
    if front is not None:
        metadata = validate_metadata(path, front)
        blocks = markdown_blocks(body)
        if not blocks:
            raise LoadError(path, "the document has front matter but no text: write the body below the '---' line")
        return LoadedDocument(path=path, metadata=metadata, blocks=blocks)
    # No front matter: a page saved as Markdown, cleaned like any document that came as it is.
    cleaning = Cleaning()
    heading = first_heading(body)
    _, cleaned = clean_document(body, cleaning, take_title=False)
    blocks = markdown_blocks(cleaned)
    if not blocks:
        raise LoadError(path, "no readable text once navigation and record fields are removed")
    return uncurated_document(path, derived_title(heading), blocks, cleaning, body)


def load_translation(path: Path, front: dict[str, object], body: str) -> LoadedDocument:
    """A French twin of a document (`id` and `lang: fr`): its sections, quoted to French questions."""
    lang = str(front.get("lang") or "").strip().lower()
    if lang not in TRANSLATION_LANGUAGES:
        raise LoadError(
            path, f"'lang: {front.get('lang')}' is not a translation language here: use 'fr' (or remove 'lang')", "lang"
        )
    extra = sorted(set(map(str, front)) - _TRANSLATION_FIELDS)
    if extra:
        raise LoadError(
            path,
            f"a translation carries only id, lang and title; '{extra[0]}' belongs in the original document's "
            "front matter",
            extra[0],
        )
    document_id = str(front.get("id") or "").strip()
    if not document_id:
        raise LoadError(path, "a translation needs the 'id' of the document it translates", "id")
    blocks = markdown_blocks(body)
    if not blocks:
        raise LoadError(path, "the translation has no text: write its sections below the '---' line")
    title = str(front.get("title") or first_heading(body) or document_id)
    try:
        metadata = EvidenceMetadata(id=document_id, title=title[:200] if len(title) >= 3 else document_id)
    except ValueError:
        raise LoadError(
            path, f"'{document_id}' is not a document id (lower-case letters, digits, dashes)", "id"
        ) from None
    return LoadedDocument(path=path, metadata=metadata, blocks=blocks, language=lang, translation_of=document_id)


def load_text(path: Path, metadata: EvidenceMetadata | None) -> LoadedDocument:
    text = read_text_file(path)
    cleaning = Cleaning()
    if metadata is not None:
        # a curated text file keeps its paragraphs as written; only a Source line becomes its link
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", take_source_line(text, cleaning)) if p.strip()]
        blocks = [Block(section="", text="\n\n".join(paragraphs))] if paragraphs else []
        if not blocks:
            raise LoadError(path, "the file has no text")
        return LoadedDocument(path=path, metadata=with_link(metadata, cleaning), blocks=blocks)
    title, body = clean_document(text, cleaning)
    blocks = markdown_blocks(body)
    if not blocks:
        raise LoadError(path, "no readable text once navigation and record fields are removed")
    return uncurated_document(path, title, blocks, cleaning, text)
