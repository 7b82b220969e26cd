"""A chunk of an evidence document: the unit that is embedded, indexed, retrieved and quoted."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

MetadataValue = str | int | float | bool
# Chroma metadata holds scalars only, so list fields are stored twice: joined for display,
# and as one boolean flag per value (`setting:school`) for filtering.
LIST_FIELDS = ("settings", "populations", "countries", "problems")
FILTER_FIELDS = ("settings", "populations", "countries", "verdict")


class Metadata(Mapping[str, MetadataValue]):
    """A chunk's metadata as read back from the store, in a quarter of a dict's memory: the field names and
    where each value sits are shared by every chunk with the same fields, the values are a tuple. At
    100,000 chunks of about 30 fields each, dicts took about 120 MB of a snapshot."""

    __slots__ = ("_index", "_values")
    _layouts: ClassVar[dict[tuple[str, ...], dict[str, int]]] = {}

    def __init__(self, fields: Mapping[str, MetadataValue]) -> None:
        names = tuple(sys.intern(k) for k in sorted(fields))  # the store gives fields in no fixed order
        index = self._layouts.get(names)
        if index is None:
            if len(self._layouts) > 4096:  # a store of very varied fields: keep memory bounded all the same
                self._layouts.clear()
            index = self._layouts[names] = {k: i for i, k in enumerate(names)}
        self._index = index
        # every chunk of a document carries its title, summaries and sources: one string, not one per chunk
        self._values = tuple(sys.intern(v) if isinstance(v := fields[k], str) else v for k in names)

    def __getitem__(self, key: str) -> MetadataValue:
        return self._values[self._index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        i = self._index.get(key)
        return default if i is None else self._values[i]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"Metadata({dict(self)!r})"


@dataclass(frozen=True)
class Chunk:
    """A passage quoted verbatim from one document, with the metadata of that document."""

    id: str
    text: str
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)

    @property
    def document_id(self) -> str:
        return str(self.metadata.get("document_id", ""))

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", ""))

    @property
    def section(self) -> str:
        return str(self.metadata.get("section", ""))

    def list_field(self, name: str) -> list[str]:
        raw = str(self.metadata.get(name, ""))
        return [v for v in raw.split("|") if v]

    def context_text(self) -> str:
        """What is embedded and BM25-indexed: title and section give a bare passage its context."""
        head = self.title if not self.section else f"{self.title} — {self.section}"
        return f"{head}\n{self.text}"


def chunk_id(document_id: str, section: str, text: str, metadata_hash: str = "") -> str:
    """Content-derived id: unchanged text and metadata keep their id, so re-ingesting them is a no-op.

    The document's metadata is part of it because every chunk carries that metadata: a changed
    verdict must rewrite the chunks even when no word of the text changed.
    """
    key = f"{document_id}\x1f{metadata_hash}\x1f{section}\x1f{text}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{document_id}:{digest}"


def flag_key(field_name: str, value: str) -> str:
    return f"{field_name}:{value.strip().lower()}"


def list_metadata(field_name: str, values: list[str]) -> dict[str, MetadataValue]:
    """Store a list field as a joined string plus one boolean flag per value."""
    out: dict[str, MetadataValue] = {field_name: "|".join(values)}
    for value in values:
        out[flag_key(field_name, value)] = True
    return out


def matches_filters(metadata: Mapping[str, Any], filters: dict[str, list[str]] | None) -> bool:
    """Any value within a field, every field: the same rule as `chroma_where`."""
    if not filters:
        return True
    for name, wanted in filters.items():
        if not wanted:
            continue
        if name == "verdict":
            if str(metadata.get("verdict")) not in wanted:
                return False
        elif not any(metadata.get(flag_key(name, v)) for v in wanted):
            return False
    return True


def chroma_where(filters: dict[str, list[str]] | None) -> dict[str, Any] | None:
    """Translate filters into a Chroma `where` clause (None when there is nothing to filter)."""
    clauses: list[dict[str, Any]] = []
    for name, wanted in (filters or {}).items():
        if not wanted:
            continue
        if name == "verdict":
            clauses.append({"verdict": {"$in": list(wanted)}})
        else:
            ors: list[dict[str, Any]] = [{flag_key(name, v): {"$eq": True}} for v in wanted]
            clauses.append(ors[0] if len(ors) == 1 else {"$or": ors})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
