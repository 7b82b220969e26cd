"""BM25 over the same chunks as the vector store (Lucene's BM25, Snowball stemming, English stopwords), and
over the documents' French text (French stemming and stopwords) for French questions.

Tokenising is bm25s's; the index is ours: postings (which rows hold a term, how often) in numpy
arrays, with the term weights worked out at query time. So a new generation of the collection is
the last index with the changed chunks' postings taken out and put in, not a rebuild over every
chunk (seconds at 100,000 chunks; a test holds both to the same scores as bm25s). Scoring every
chunk and masking by the filters keeps filtered search exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.core.answering.text import undot
from assistant.core.chunks import Chunk

K1 = 1.5  # bm25s's defaults, which the project has always used
B = 0.75


class BM25Index:
    """Lexical search over chunk context text (title, section, passage)."""

    _rows: np.ndarray  # postings: the row of each, grouped by term (`_indptr[t]` to `_indptr[t + 1]`)
    _counts: np.ndarray  # how often the term is in that row
    _indptr: np.ndarray
    _length: np.ndarray  # tokens per row

    def __init__(
        self,
        chunks: Sequence[Chunk],
        stem: bool = True,
        previous: BM25Index | None = None,
        language: str = "english",
    ) -> None:
        """Index `chunks`. With `previous` (an index of an earlier generation, same stemming), the postings
        of chunks it holds (by id: an id changes with its text) are taken from it; only the others are
        tokenised. Rows follow `chunks`; the kept ones must keep their order (the snapshot sorts by id).
        `language`: "english" or "french" (Snowball stemmer and bm25s's stopwords of that language)."""
        chunks = list(chunks)
        # ids only are kept: the next generation matches rows by id, and the texts are the snapshot's (or,
        # for the French words, 35 million characters at 100,000 chunks that nothing reads again)
        self.ids = [c.id for c in chunks]
        self.stem = stem
        self.language = language
        self._stopwords = {"english": "en", "french": "fr"}[language]
        if previous is not None and (previous.stem, previous.language) != (stem, language):
            previous = None
        self._stemmer: Any = None
        if stem:
            import Stemmer

            self._stemmer = Stemmer.Stemmer(language)
        n = len(chunks)
        old_row = {c: i for i, c in enumerate(previous.ids)} if previous is not None else {}
        mapping = np.full(len(old_row), -1, dtype=np.int64)
        fresh: list[int] = []
        for i, chunk in enumerate(chunks):
            j = old_row.get(chunk.id)
            if j is None:
                fresh.append(i)
            else:
                mapping[j] = i
        self._vocab: dict[str, int] = dict(previous._vocab) if previous is not None else {}
        self._length = np.zeros(n, dtype=np.float32)
        # the previous index's postings, its rows renumbered and the gone ones dropped
        if previous is not None and len(previous._rows):
            terms = np.repeat(np.arange(len(previous._indptr) - 1, dtype=np.int64), np.diff(previous._indptr))
            rows = mapping[previous._rows]
            kept = rows >= 0
            terms, rows, counts = terms[kept], rows[kept], previous._counts[kept]
            self._length[mapping[mapping >= 0]] = previous._length[mapping >= 0]
        else:
            terms = rows = np.zeros(0, dtype=np.int64)
            counts = np.zeros(0, dtype=np.uint16)
        new_terms, new_rows, new_counts = self._postings([(i, chunks[i].context_text()) for i in fresh])
        width = max(n, 1)
        if len(new_terms):
            old_keys = terms * width + rows
            new_keys = new_terms * width + new_rows
            if len(old_keys) > 1 and not bool(np.all(old_keys[1:] > old_keys[:-1])):
                order = np.argsort(old_keys, kind="stable")  # kept rows out of order: sort once
                terms, rows, counts, old_keys = terms[order], rows[order], counts[order], old_keys[order]
            at = np.searchsorted(old_keys, new_keys)
            terms = np.insert(terms, at, new_terms)
            rows = np.insert(rows, at, new_rows)
            counts = np.insert(counts, at, new_counts)
        self._rows = rows.astype(np.int32)
        self._counts = counts.astype(np.uint16)
        self._indptr = np.searchsorted(terms, np.arange(len(self._vocab) + 1)).astype(np.int64)
        self._average = float(self._length.mean(dtype=np.float64)) if n else 0.0

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        import bm25s  # already loaded after the first call; kept out of import time

        if not texts:
            return []
        tokenized = bm25s.tokenize(
            [undot(t) for t in texts],
            stopwords=self._stopwords,
            stemmer=self._stemmer,
            show_progress=False,
            return_ids=False,
        )
        return [list(t) for t in tokenized]

    def _postings(self, fresh: list[tuple[int, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term, row, count) of the given rows' texts, sorted by term then row; their lengths are set."""
        terms: list[int] = []
        rows: list[int] = []
        counts: list[int] = []
        for (row, _), tokens in zip(fresh, self._tokens([text for _, text in fresh]), strict=True):
            self._length[row] = len(tokens)
            for token, count in Counter(tokens).items():
                term = self._vocab.setdefault(token, len(self._vocab))
                terms.append(term)
                rows.append(row)
                counts.append(min(count, 65535))
        t = np.asarray(terms, dtype=np.int64)
        r = np.asarray(rows, dtype=np.int64)
        order = np.lexsort((r, t))
        return t[order], r[order], np.asarray(counts, dtype=np.uint16)[order]

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every chunk for `query` (zeros when no query term is known)."""
        n = len(self.ids)
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        scores = np.zeros(n, dtype=np.float64)
        for token in self._tokens([query])[0]:  # a repeated word counts again, as in bm25s
            term = self._vocab.get(token)
            if term is None:
                continue
            start, end = int(self._indptr[term]), int(self._indptr[term + 1])
            if start == end:
                continue
            rows = self._rows[start:end]
            tf = self._counts[start:end].astype(np.float64)
            df = end - start
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
            norm = K1 * ((1 - B) + B * self._length[rows] / self._average)
            scores += np.bincount(rows, weights=idf * tf / (norm + tf), minlength=n)
        return scores.astype(np.float32)

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
