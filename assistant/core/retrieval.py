"""Hybrid retrieval: dense search in the vector store plus BM25, fused by weighted reciprocal rank.

`EvidenceSnapshot` is what a running server holds in memory for one generation of the
collection: the chunks, their unit vectors (to score passages that only BM25 found) and
the BM25 index. When an ingestion changes the collection, the next one is made from it: only the
chunks that came are read, and BM25, the vocabulary and the gate's frequencies change by the chunks
that came and went.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.core.answering.text import Vocabulary, content_stems
from assistant.core.bm25_index import BM25Index
from assistant.core.chunks import Chunk, matches_filters
from assistant.core.embeddings import Embedder
from assistant.core.settings import RetrievalSettings
from assistant.core.store import ChunkStore

RetrievalMode = Literal["hybrid", "dense", "bm25"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and its cosine similarity to the question."""

    chunk: Chunk
    score: float
    similarity: float
    dense_rank: int | None = None
    bm25_rank: int | None = None


class EvidenceSnapshot:
    """Chunks, vectors and BM25 of one generation of the collection."""

    vectors: np.ndarray
    chunks: list[Chunk]
    translated: dict[str, Chunk]
    row: dict[str, int]
    bm25: BM25Index
    vocabulary: Vocabulary
    _df: Counter[str]

    def __init__(
        self, store: ChunkStore, generation: str, stem: bool = True, previous: EvidenceSnapshot | None = None
    ) -> None:
        """Read the store's chunks; with the `previous` snapshot, only the chunks it lacks are read (chunk ids
        change with their text, metadata and vectors, so an id it holds is that same chunk)."""
        self.store = store
        self.generation = generation
        ids = sorted(store.ids())
        known_fr = previous.translated if previous is not None else {}
        kept = [i for i in ids if previous is not None and (i in previous.row or i in known_fr)]
        read, read_vectors = store.export(
            [i for i in ids if previous is None or (i not in previous.row and i not in known_fr)]
        )
        # a translation's chunks are kept apart, without their vectors: French questions read them through
        # the multilingual search, and nothing English (search, BM25, the gate's words) ever sees them
        self.translated = {i: known_fr[i] for i in ids if i in known_fr}
        self.translated |= {c.id: c for c in read if c.metadata.get("language", "en") != "en"}
        fresh = {c.id: (c, v) for c, v in zip(read, read_vectors, strict=True) if c.id not in self.translated}
        chunks: list[Chunk] = []
        width = read_vectors.shape[1] if len(read_vectors) else previous.vectors.shape[1] if previous is not None else 1
        matrix = np.zeros((len(ids), width), dtype=np.float32)
        for i in ids:
            if i in fresh:
                chunk, vector = fresh[i]
                matrix[len(chunks)] = vector
            elif i in self.translated:
                continue
            elif previous is not None and i in previous.row:
                row = previous.row[i]
                chunk = previous.chunks[row]
                matrix[len(chunks)] = previous.vectors[row]
            else:
                continue  # deleted between the two reads; the next refresh settles it
            chunks.append(chunk)
        self.chunks = chunks
        self.row = {c.id: i for i, c in enumerate(chunks)}
        self.vectors = matrix[: len(chunks)] if chunks else np.zeros((0, 1), dtype=np.float32)
        self.reused = sum(1 for i in kept if i not in self.translated)  # English chunks, as len() counts
        self.stem = stem
        if previous is not None and previous.stem == stem:
            # the lexical parts change by the chunks that came and went: a one-file ingestion at 100,000
            # chunks updates them in a fraction of a second, where building them took about 19 s
            gone = [c.context_text() for c in previous.chunks if c.id not in self.row]
            came = [c.context_text() for c in chunks if c.id not in previous.row]
            self.bm25 = BM25Index(chunks, stem=stem, previous=previous.bm25)
            df = previous._df.copy()
            for text in gone:
                df.subtract(content_stems(text))
            for text in came:
                df.update(content_stems(text))
            self._df = +df
            self.vocabulary = previous.vocabulary.updated(gone, came)
        else:
            self.bm25 = BM25Index(chunks, stem=stem)
            # document frequencies of content stems, for the evidence gate's weighting
            df = Counter()
            for chunk in chunks:
                df.update(content_stems(chunk.context_text()))
            self._df = df
            self.vocabulary = Vocabulary(c.context_text() for c in chunks)
        self._masks: dict[str, np.ndarray] = {}
        self._translations: dict[str, dict[str, list[Chunk]]] = {}

    def known_share(self, text: str) -> float:
        """The share of the text's content words that the evidence base uses at all."""
        stems = content_stems(text)
        return sum(1 for s in stems if s in self._df) / len(stems) if stems else 1.0

    def idf(self, stem: str) -> float:
        """Inverse document frequency over chunks; a word the evidence never uses weighs most."""
        return math.log((len(self.chunks) + 1) / (self._df.get(stem, 0) + 0.5))

    def __len__(self) -> int:
        return len(self.chunks)

    def mask(self, filters: dict[str, list[str]] | None) -> np.ndarray | None:
        if not filters or not any(filters.values()):
            return None
        key = json.dumps(filters, sort_keys=True)
        known = self._masks.get(key)
        if known is None:
            known = np.fromiter(
                (matches_filters(c.metadata, filters) for c in self.chunks), dtype=bool, count=len(self)
            )
            if len(self._masks) >= 64:  # members use a few filter sets; keep the memory bounded all the same
                self._masks.clear()
            self._masks[key] = known
        return known

    def nearest(
        self, query: np.ndarray, k: int, filters: dict[str, list[str]] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The k chunks nearest the query by exact cosine (the vectors are unit length), best first.

        The snapshot holds every vector already, and a matrix product over them is exact, at 5 ms a question
        at 100,000 chunks and 57 ms at 1,000,000 (`benchmarks/dense.py`); beyond `exact_search_max_chunks`
        the store's approximate index is asked instead, unless a filter is given (see the README's scaling
        section).
        """
        scores = self.vectors @ query
        allowed = self.mask(filters)
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        k = min(k, int(np.isfinite(scores).sum()))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunks[i], float(scores[i])) for i in top]

    def translations(self, language: str = "fr") -> dict[str, list[Chunk]]:
        """A translation's chunks by the id of the document they translate, in document order (made once)."""
        known = self._translations.get(language)
        if known is not None:
            return known
        grouped: dict[str, list[Chunk]] = {}
        for chunk in self.translated.values():
            if chunk.metadata.get("language") == language:
                grouped.setdefault(chunk.document_id, []).append(chunk)
        for chunks in grouped.values():
            chunks.sort(key=lambda c: int(c.metadata.get("chunk_index", 0)))
        self._translations[language] = grouped
        return grouped

    def documents(self) -> dict[str, list[Chunk]]:
        """Chunks grouped by document id, in document order."""
        grouped: dict[str, list[Chunk]] = {}
        for chunk in self.chunks:
            grouped.setdefault(chunk.document_id, []).append(chunk)
        for chunks in grouped.values():
            chunks.sort(key=lambda c: int(c.metadata.get("chunk_index", 0)))
        return grouped


class HybridRetriever:
    """Dense + BM25 with weighted reciprocal-rank fusion over one snapshot."""

    def __init__(self, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def retrieve(
        self,
        snapshot: EvidenceSnapshot,
        question: str,
        filters: dict[str, list[str]] | None = None,
        k: int | None = None,
        mode: RetrievalMode = "hybrid",
        query_vector: Sequence[float] | np.ndarray | None = None,
    ) -> list[Passage]:
        k = k or self.settings.top_k
        n = self.settings.candidates
        if len(snapshot) == 0:
            return []
        qvec = np.asarray(
            query_vector if query_vector is not None else self.embedder.embed_query(question), dtype=np.float32
        )
        dense: list[tuple[Chunk, float]] = []
        if mode in ("hybrid", "dense"):
            # above the line, Chroma's index answers in about a millisecond where the product takes tens; but
            # a member's filter makes Chroma read every chunk's metadata first (2.7 s at 1,000,000 chunks,
            # against 57 ms for the product: `benchmarks/dense.py`), so a filtered search stays exact
            if len(snapshot) <= self.settings.exact_search_max_chunks or snapshot.mask(filters) is not None:
                dense = snapshot.nearest(qvec, n, filters)
            else:
                dense = snapshot.store.query(qvec.tolist(), n, filters)
        lexical: list[tuple[int, float]] = []
        if mode in ("hybrid", "bm25"):
            lexical = snapshot.bm25.search(question, n, snapshot.mask(filters))

        fused: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        bm25_rank: dict[str, int] = {}
        rrf = self.settings.rrf_k
        for rank, (chunk, _sim) in enumerate(dense, 1):
            dense_rank[chunk.id] = rank
            fused[chunk.id] = fused.get(chunk.id, 0.0) + self.settings.dense_weight / (rrf + rank)
        for rank, (lex_row, _score) in enumerate(lexical, 1):
            cid = snapshot.chunks[lex_row].id
            bm25_rank[cid] = rank
            fused[cid] = fused.get(cid, 0.0) + self.settings.bm25_weight / (rrf + rank)

        best = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
        passages: list[Passage] = []
        for cid, score in best:
            row = snapshot.row.get(cid)
            if row is None:  # written after this snapshot was taken; the next refresh picks it up
                continue
            similarity = float(snapshot.vectors[row] @ qvec)
            passages.append(Passage(snapshot.chunks[row], score, similarity, dense_rank.get(cid), bm25_rank.get(cid)))
        return passages
