"""BM25 over the same chunks as the vector store (bm25s, with Snowball stemming and English stopwords).

Built in memory from the store's chunks at start-up and rebuilt when an ingestion changes
the collection; scoring every chunk and masking by the filters keeps filtered search exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.core.answering.text import undot
from assistant.core.chunks import Chunk


class BM25Index:
    """Lexical search over chunk context text (title, section, passage)."""

    def __init__(self, chunks: Sequence[Chunk], stem: bool = True) -> None:
        import bm25s

        self._bm25s = bm25s
        self.chunks = list(chunks)
        self._stemmer: Any = None
        if stem:
            import Stemmer

            self._stemmer = Stemmer.Stemmer("english")
        self._retriever: Any = None
        if self.chunks:
            tokens = bm25s.tokenize(
                [undot(c.context_text()) for c in self.chunks],
                stopwords="en",
                stemmer=self._stemmer,
                show_progress=False,
            )
            self._retriever = bm25s.BM25()
            self._retriever.index(tokens, show_progress=False)

    def __len__(self) -> int:
        return len(self.chunks)

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every chunk for `query` (zeros when no query term is known)."""
        if self._retriever is None:
            return np.zeros(0, dtype=np.float32)
        tokenized = self._bm25s.tokenize(
            [undot(query)], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False
        )
        terms = [t for t in tokenized[0] if t in self._retriever.vocab_dict]
        if not terms:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(terms), dtype=np.float32)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (row, score) with a positive score; `mask` keeps only rows set to True."""
        scores = self.scores(query)
        if scores.size == 0:
            return []
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, int(np.count_nonzero(scores > 0)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top]
