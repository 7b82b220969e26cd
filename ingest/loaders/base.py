"""What every loader returns, and the error that names the file, the field and what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.core.evidence import EvidenceMetadata, Source
from ingest.loaders.cleaning import Cleaning, SuggestedRating, capitalised, suggested_rating


class LoadError(Exception):
    """A file that cannot be ingested; the message says which file, which field and what to do."""

    def __init__(self, path: Path, reason: str, field_name: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.field = field_name
        where = f" (field '{field_name}')" if field_name else ""
        super().__init__(f"{path}{where}: {reason}")


@dataclass(frozen=True)
class Block:
    """A run of text under one heading path (and on one page, for PDFs)."""

    section: str
    text: str
    page: int | None = None
    heading_level: int = 0


@dataclass
class LoadedDocument:
    path: Path
    metadata: EvidenceMetadata
    blocks: list[Block] = field(default_factory=list)
    content_hash: str = ""
    curated: bool = True  # metadata from front matter or a .meta.yaml a curator wrote
    language: str = "en"
    # a translation (`lang: fr` in its front matter) of the document with this id: its metadata is that
    # document's, set once both are loaded (`resolve_translations`)
    translation_of: str | None = None
    removed: int = 0  # lines of page furniture and record fields taken out
    suggested: SuggestedRating | None = None

    def warnings(self) -> list[str]:
        """What a curator should look at in this document, in plain words."""
        out: list[str] = []
        if not self.curated:
            out.append(
                f"no metadata: shown as not yet rated; add {self.path.stem}.meta.yaml (or front matter) "
                "to confirm its title, verdict and sources"
            )
        if self.removed:
            out.append(f"clutter removed: {self.removed} lines (navigation, record fields, links)")
        if not any(s.url for s in self.metadata.sources):
            out.append("no link: add a 'Source: URL' first line or a source with a url in the metadata")
        if self.suggested is not None:
            out.append(
                f"the text says it is rated {self.suggested.verdict.value} by {self.suggested.rating_source}: "
                "confirm the verdict in its metadata"
            )
        return out


MAX_TITLE = 200


def derived_title(*candidates: str | None) -> str | None:
    """The first usable title, capitals kept, cut at a word under the length limit."""
    for candidate in candidates:
        title = " ".join((candidate or "").split()).strip(" #|-–—:")
        if len(title) > MAX_TITLE:
            title = title[: MAX_TITLE - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
        if len(title) >= 3:
            return capitalised(title)
    return None


def uncurated_metadata(path: Path, title: str | None, cleaning: Cleaning | None = None) -> EvidenceMetadata:
    """Metadata for a document nobody has described yet: its id, a title, and its link when known."""
    recorded = cleaning.fields.get("title") if cleaning else None  # a catalogue record's own "Title:" field
    title = derived_title(recorded, title, title_from_filename(path)) or slug_from_filename(path)
    url = cleaning.url if cleaning else None
    return EvidenceMetadata(
        id=slug_from_filename(path),
        title=title,
        sources=[Source(title=title, url=url)] if url else [],
        year=cleaning.year if cleaning else None,
    )


def uncurated_document(
    path: Path, title: str | None, blocks: list[Block], cleaning: Cleaning, text: str
) -> LoadedDocument:
    """A document that came as it is: derived metadata, what cleaning removed, and any rating its text states."""
    return LoadedDocument(
        path=path,
        metadata=uncurated_metadata(path, title, cleaning),
        blocks=blocks,
        curated=False,
        removed=len(cleaning.removed),
        suggested=suggested_rating(text),
    )


def with_link(metadata: EvidenceMetadata, cleaning: Cleaning) -> EvidenceMetadata:
    """Curated metadata that names no link gains the one the file itself gives."""
    if cleaning.url and not any(s.url for s in metadata.sources):
        source = Source(title=metadata.title, url=cleaning.url)
        return metadata.model_copy(update={"sources": [*metadata.sources, source]})
    return metadata


def validate_metadata(path: Path, raw: Any, where: str = "front matter") -> EvidenceMetadata:
    """Validate front matter or a .meta.yaml mapping, naming the first field at fault."""
    if not isinstance(raw, dict):
        raise LoadError(path, f"{where} must be a YAML mapping of fields, got {type(raw).__name__}")
    missing = [name for name in ("id", "title") if not raw.get(name)]
    if missing:
        raise LoadError(path, f"{where} has no '{missing[0]}': add it", missing[0])
    try:
        return EvidenceMetadata.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or None
        msg = first["msg"]
        if first["type"] == "enum" and first.get("ctx"):
            msg = f"{first['input']!r} is not one of {first['ctx'].get('expected')}"
        raise LoadError(path, f"invalid {where}: {msg}", loc) from None


# libyaml's parser when PyYAML was built with it: the pure-Python one took 0.9 s of a 2.3 s re-ingest
# of 1,000 unchanged files; both build the same safe types
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(path: Path, text: str, where: str) -> Any:
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LoadError(path, f"{where} is not valid YAML{line}: {problem}") from None


_LAYOUT = str.maketrans("", "", "\n\r\t")


def read_text_file(path: Path) -> str:
    """Read a UTF-8 text file, refusing binary content and other encodings with a clear reason."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise LoadError(path, "binary content in a text file (NUL bytes): is this really a text/Markdown file?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(path, f"not valid UTF-8 (byte {exc.start}): save the file as UTF-8 and ingest again") from None
    head = text[:4096]
    # the common case checked in C: a head with nothing unprintable but line breaks and tabs
    if head and not head.translate(_LAYOUT).isprintable():
        printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in head)
        if printable / len(head) < 0.85:
            raise LoadError(path, "mostly unprintable characters: this looks like binary data, not text")
    if not text.strip():
        raise LoadError(path, "the file is empty: add content or delete it")
    return text


def title_from_filename(path: Path) -> str:
    stem = path.name.split(".")[0]
    return capitalised(" ".join(stem.replace("-", " ").replace("_", " ").split())) or path.name


def slug_from_filename(path: Path) -> str:
    import re
    import unicodedata

    stem = unicodedata.normalize("NFKD", path.name.split(".")[0]).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:80].strip("-")
    return slug if len(slug) >= 2 else f"doc-{slug or 'x'}"
