"""Split loaded documents into token-bounded chunks that keep their title, section path and page.

Bounds are measured with the embedding model's own tokenizer, so no chunk (with its
title prefix) is ever truncated by the model's 256-token window.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.core.chunks import Chunk, MetadataValue, chunk_id, list_metadata
from assistant.core.embeddings import Embedder, vectors_tag
from assistant.core.settings import EmbeddingSettings
from ingest.loaders import LoadedDocument

TokenCounter = Callable[[str], int]

# Part of every chunk id: a release that stores more metadata per chunk bumps it, so the next
# ingestion rewrites every chunk with the new fields instead of keeping the old ones as "unchanged".
CHUNK_METADATA_VERSION = "3"
_REFERENCE_SECTIONS = {"sources", "references", "bibliography", "further reading"}
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


class Chunker:
    """Turns a LoadedDocument into Chunks no longer than `max_tokens` including the title prefix."""

    def __init__(
        self,
        count_tokens: TokenCounter,
        chunk_tokens: int,
        overlap_tokens: int,
        max_tokens: int,
        vectors: str = "",
    ) -> None:
        self._count = count_tokens
        # which vectors the chunks get (the embedder's identity, "" for the packaged fp32 model): part of
        # every chunk id, so switching to int8 embeddings re-embeds every chunk at the next ingestion
        self.vectors = vectors
        self._counted: dict[str, int] = {}
        self.chunk_tokens = min(chunk_tokens, max_tokens)
        self.overlap_tokens = overlap_tokens
        self.max_tokens = max_tokens

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text`, each text counted once: the splitter measures the same pieces again and
        again as it merges them (25,000 tokenizer calls for 1,000 abstracts before this)."""
        known = self._counted.get(text)
        if known is None:
            if len(self._counted) > 200_000:  # a very large run: keep memory bounded
                self._counted.clear()
            known = self._counted[text] = self._count(text)
        return known

    def fingerprint(self, doc: LoadedDocument) -> str:
        """What the chunks of `doc` depend on: its text as loaded and cleaned, its metadata, and how it is
        cut. Equal fingerprints make equal chunks, so an unchanged document need not be chunked again."""
        digest = hashlib.sha256()
        settings = (CHUNK_METADATA_VERSION + self.vectors, self.chunk_tokens, self.overlap_tokens, self.max_tokens)
        digest.update(json.dumps(settings).encode())
        digest.update(doc.metadata.model_dump_json().encode())
        digest.update(doc.content_hash.encode())
        if doc.language != "en":
            digest.update(doc.language.encode())
        for block in doc.blocks:
            digest.update(json.dumps([block.section, block.page, block.text]).encode())
        return digest.hexdigest()[:32]

    def _splitter(self, budget: int) -> RecursiveCharacterTextSplitter:
        return RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(self.overlap_tokens, budget // 4),
            length_function=self.count_tokens,
            separators=_SEPARATORS,
            keep_separator="end",
            strip_whitespace=True,
        )

    def split(self, doc: LoadedDocument, source: str) -> list[Chunk]:
        base = document_metadata(doc, source)
        base["fingerprint"] = self.fingerprint(doc)
        version = CHUNK_METADATA_VERSION + self.vectors
        metadata_hash = hashlib.sha256((version + doc.metadata.model_dump_json()).encode()).hexdigest()[:16]
        language = "" if doc.language == "en" else f"@{doc.language}"  # English chunk ids stay as they were
        chunks: list[Chunk] = []
        seen: set[str] = set()
        for block in doc.blocks:
            if block.section.split(" > ")[0].strip().lower() in _REFERENCE_SECTIONS:
                continue  # reference lists live in the metadata (`sources`); quoting them answers nothing
            section = block.section
            title = (doc.metadata.title_fr or doc.metadata.title) if doc.language == "fr" else doc.metadata.title
            prefix = f"{title} — {section}\n" if section else f"{title}\n"
            prefix_tokens = self.count_tokens(prefix)
            if prefix_tokens > self.max_tokens // 3:
                # An absurdly long heading must not eat the passage's budget.
                section = section[:80]
                prefix_tokens = self.count_tokens(f"{title[:80]} — {section}\n")
            budget = max(32, self.chunk_tokens - prefix_tokens)
            for piece in self._splitter(budget).split_text(block.text):
                text = piece.strip()
                if not text:
                    continue
                cid = chunk_id(doc.metadata.id, section, text, metadata_hash + language)
                if cid in seen:  # the same passage twice in one section is indexed once
                    continue
                seen.add(cid)
                meta: dict[str, MetadataValue] = dict(base)
                meta["section"] = section
                meta["chunk_index"] = len(chunks)
                if block.page is not None:
                    meta["page"] = block.page
                chunks.append(Chunk(id=cid, text=text, metadata=meta))
        return chunks


def document_metadata(doc: LoadedDocument, source: str) -> dict[str, MetadataValue]:
    """The document-level metadata every chunk carries (Chroma takes scalars only)."""
    m = doc.metadata
    meta: dict[str, MetadataValue] = {
        "source": source,
        "document_id": m.id,
        "title": m.title,
        "kind": m.kind.value,
        "verdict": m.verdict.value,
        "rating_source": m.rating_source or "",
        "strength": m.strength or "",
        "url": next((s.url for s in m.sources if s.url), "") or "",
        "sources_json": json.dumps([s.model_dump(exclude_none=True) for s in m.sources]),
        "doc_hash": doc.content_hash,
        "format": Path(source).suffix.lstrip(".").lower(),
        "aliases": "|".join(m.aliases),
        "title_fr": m.title_fr or "",
        "summary_fr": m.summary_fr or "",
    }
    if doc.language != "en":
        meta["language"] = doc.language  # a translation's chunks: French questions quote them, English ones never
    if m.year is not None:
        meta["year"] = m.year
    if m.updated is not None:
        meta["updated"] = m.updated.isoformat()
    meta.update(list_metadata("settings", [s.value for s in m.settings]))
    meta.update(list_metadata("populations", list(m.populations)))
    meta.update(list_metadata("countries", list(m.countries)))
    meta.update(list_metadata("problems", list(m.problems)))
    return meta


def chunker_for(embedder: Embedder, settings: EmbeddingSettings) -> Chunker:
    """The chunker ingestion uses with this embedder: its token counts, the configured sizes, and the tag of
    its vectors in every chunk id."""
    return Chunker(
        embedder.count_tokens,
        settings.chunk_tokens,
        settings.chunk_overlap_tokens,
        settings.max_tokens,
        vectors=vectors_tag(embedder),
    )
