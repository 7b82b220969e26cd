"""The one service every face calls: ask, stream, feedback, documents, readiness.

It holds the in-memory snapshot of the active collection (chunks, vectors, BM25) and
swaps it when an ingestion changes the collection, so a running server picks up new
evidence without a restart.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.answering import french
from assistant.core.answering.extractive import EvidenceGate, GateSignals, Selection, best_quote, select_passages
from assistant.core.answering.followup import (
    Memory,
    french_ordinal,
    is_french_follow_up,
    previous_turn,
    standalone_question,
    with_conversation,
)
from assistant.core.answering.linking import Link
from assistant.core.answering.planning import (
    AnswerPlan,
    Library,
    Planner,
    library_of,
    render_head,
    render_markdown,
    render_tail,
)
from assistant.core.answering.scope import load_context_words, load_scope_examples
from assistant.core.answers import AnswerMode, AskResponse, Message, Topic, unsupported_language_answer
from assistant.core.chunks import matches_filters
from assistant.core.crosslingual import (
    DocumentMatch,
    DocumentVectors,
    FrenchGate,
    MultilingualEncoder,
    TwinAligner,
    searches_agree,
)
from assistant.core.curation import GapGroup, GapGrouper, documents_inventory
from assistant.core.embeddings import Embedder
from assistant.core.language import LANGUAGES, Language, identify
from assistant.core.memory import give_back_freed_memory, keep_out_of_collections
from assistant.core.records import RecordStore, RecordsUnavailable
from assistant.core.retrieval import EvidenceSnapshot, HybridRetriever, Passage
from assistant.core.settings import Settings
from assistant.core.store import ChunkStore, StoreUnavailable, unreachable_errors

log = logging.getLogger(__name__)

NO_EVIDENCE_TEXT = (
    "The whatworks evidence base does not cover this question, so there is nothing here I can cite for it."
)
MAX_QUESTION_CHARS = 2000
# Below this cosine a document is not "near" a question: all-MiniLM-L6-v2 puts unrelated texts at 0.0-0.25.
NEAR_TOPIC_SIMILARITY = 0.3
# a French answer also lists those of its first documents by fused rank that the question names in their words
FRENCH_SEE_ALSO = 3
FILTER_KEYS = ("settings", "populations", "countries", "verdict")


class NotReady(Exception):
    """The index is empty or still loading."""


# The question_id of an answer given while the query log was down: the faces work as usual,
# and a vote on it says why it cannot be recorded.
UNLOGGED = "unlogged-"


class InvalidRequest(ValueError):
    """A request the evidence base cannot serve as asked; the message names the field and what to send."""


@dataclass(frozen=True)
class Readiness:
    ready: bool
    chunks: int
    problems: list[str]
    lost_log_rows: int  # questions answered but not logged since start-up, because the query log failed


@dataclass
class StoreState:
    store: ChunkStore | None
    generation: str


# A store source returns the active store and its generation; `reload=True` asks it to
# reconnect first (an embedded Chroma must, to see another process's writes).
StoreSource = Callable[[bool], StoreState]


class EvidenceService:
    """Retrieval plus answering over the active collection."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store_source: StoreSource,
        records: RecordStore,
        generator: Any = None,
        multilingual: MultilingualEncoder | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store_source = store_source
        self.records = records
        self.generator = generator
        self.retriever = HybridRetriever(embedder, settings.retrieval)
        self._gate: EvidenceGate | None = None
        self._context_words: frozenset[str] | None = None
        self._snapshot: EvidenceSnapshot | None = None
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._filter_values: tuple[str, dict[str, list[str]]] | None = None
        self.multilingual = multilingual
        self._documents_fr: tuple[str, DocumentVectors] | None = None
        self._documents_fr_lock = threading.Lock()
        self._gap_grouper: GapGrouper | None = None
        self._warm = threading.Event()
        self._warm.set()  # nothing to wait for until warm_up() is called

    # -- keeping in step with the collection -------------------------------------------
    def refresh(self, force: bool = False) -> EvidenceSnapshot | None:
        """Reload the snapshot when the collection's generation changed (checked at most every few seconds).

        With a snapshot in hand, a new generation is taken in by a thread of its own: the question that
        noticed it waits at most `refresh_wait_seconds` (enough for a small change), and every question
        answers from the old snapshot until the new one is whole, so an ingestion never makes a member
        wait. Questions wait only when there is no snapshot yet, or when a refresh is forced.
        """
        now = time.monotonic()
        if (
            not force
            and self._snapshot is not None
            and now - self._checked_at < self.settings.retrieval.refresh_seconds
        ):
            return self._snapshot
        current = self._snapshot
        if force or current is None:
            with self._lock:
                return self._reload(force)
        if not self._lock.acquire(blocking=False):
            return current  # another thread is checking or rebuilding
        self._checked_at = time.monotonic()
        worker = threading.Thread(target=self._reload_then_release, name="snapshot-refresh", daemon=True)
        worker.start()
        worker.join(self.settings.retrieval.refresh_wait_seconds)
        return self._snapshot

    def _reload_then_release(self) -> None:
        try:
            self._reload(False)
        except Exception:  # the thread has no caller to tell: the next check tries again
            log.exception("refreshing the evidence snapshot failed; answering from the last one")
        finally:
            self._lock.release()

    def _reload(self, force: bool) -> EvidenceSnapshot | None:
        """Check the store and build the new snapshot if the generation changed; the caller holds the lock."""
        self._checked_at = time.monotonic()
        current = self._snapshot
        try:
            state = self._store_state(False)
        except StoreUnavailable as exc:
            if current is None or force:
                raise
            # the snapshot is a whole generation of the index, vectors included: members keep getting
            # answers from it while the store is down (readiness reports the store), and the next
            # check picks up whatever changed once it is back
            log.warning("answering from the last snapshot (generation %s): %s", current.generation, exc)
            return current
        if current is not None and state.generation == current.generation and not force:
            return current
        if state.store is None:
            self._snapshot = None
            return None
        state = self._store_state(True) if current is not None or force else state
        assert state.store is not None
        started = time.perf_counter()
        # chunks the last snapshot holds are kept, not read again (forced: all read)
        snapshot = EvidenceSnapshot(state.store, state.generation, previous=None if force else current)
        french = None
        if current is not None:
            library_of(snapshot, current)  # the documents' names: made here, not by the next question
        if current is not None and self.multilingual is not None and self._documents_fr is not None:
            # made here too, so that French questions do not wait for it either
            french = DocumentVectors(
                self.multilingual,
                snapshot.documents(),
                self.vector_cache,
                previous=self._documents_fr[1],
                translations=snapshot.translations("fr"),
            )
        log.info(
            "loaded %d chunks (generation %s; %d read, %d kept from the last one) in %.2fs",
            len(snapshot),
            state.generation,
            len(snapshot) - snapshot.reused,
            snapshot.reused,
            time.perf_counter() - started,
        )
        with self._documents_fr_lock:
            self._snapshot = snapshot
            if french is not None:
                self._documents_fr = (snapshot.generation, french)
        give_back_freed_memory()
        if self.settings.retrieval.freeze_snapshots:
            keep_out_of_collections()
        return snapshot

    def _store_state(self, reload: bool) -> StoreState:
        try:
            return self.store_source(reload)
        except unreachable_errors() as exc:
            raise StoreUnavailable(f"the evidence store (Chroma) is unreachable: {exc}") from None

    def snapshot(self) -> EvidenceSnapshot:
        snapshot = self.refresh()
        if snapshot is None or len(snapshot) == 0:
            raise NotReady("the evidence index is empty or still loading; run whatworks-ingest and retry")
        return snapshot

    def readiness(self) -> Readiness:
        """Whether questions can be answered now, and if not, why (each dependency checked live)."""
        problems: list[str] = []
        chunks = 0
        try:
            self._store_state(False)
            chunks = len(self.snapshot())
        except (NotReady, StoreUnavailable) as exc:
            problems.append(str(exc))
        try:
            self.records.ping()
        except RecordsUnavailable as exc:
            problems.append(str(exc))
        if not self._warm.is_set():
            problems.append("warming up (the gate's examples and a first question); retry in a few seconds")
        return Readiness(not problems, chunks, problems, self.records.lost_rows)

    @property
    def gate(self) -> EvidenceGate:
        """The evidence gate; its example questions are embedded on first use (the API warms it up at start-up)."""
        if self._gate is None:
            r = self.settings.retrieval
            examples = load_scope_examples(self.settings.scope_examples_path, self.embedder, self.vector_cache)
            self._gate = EvidenceGate(
                r.gate_threshold,
                r.gate_lexical_weight,
                r.gate_scope_weight,
                r.gate_novelty_weight,
                examples,
                self.context_words,
            )
        return self._gate

    @property
    def vector_cache(self) -> Path:
        """Where vectors embedded at every start are kept between runs (`vectorcache`)."""
        return self.settings.vector_cache

    @property
    def context_words(self) -> frozenset[str]:
        """Read once, like the gate that uses them; calibration asks for them once per question."""
        if self._context_words is None:
            self._context_words = load_context_words(self.settings.context_words_path)
        return self._context_words

    def judge(
        self,
        snapshot: EvidenceSnapshot,
        question: str,
        filters: dict[str, list[str]] | None = None,
        gate: EvidenceGate | None = None,
        decided: bool = False,
    ) -> tuple[list[Passage], GateSignals]:
        """Retrieve for a question and read the gate's signals (calibration passes its own gate, and wants
        every signal). When answering, only the gate's decision counts: a question already `decided` (it
        names a program) needs no novelty, and one below the threshold without it needs none either."""
        vector = self.embed(question)
        passages = self.retriever.retrieve(snapshot, question, filters, query_vector=vector)
        embed = None if decided else self.embed
        lazy = gate is None
        return passages, (gate or self.gate).signals(passages, question, snapshot, vector, embed, lazy=lazy)

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(self.embedder.embed_query(text), dtype=np.float32)

    # -- answering -----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        conversation: list[Message] | None = None,
        filters: dict[str, list[str]] | None = None,
        face: str = "api",
        record: bool = True,
        language: Language | None = None,
    ) -> AskResponse:
        events = list(self.ask_events(question, conversation, filters, face, record, language))
        done = events[-1]
        assert done[0] == "done"
        return done[1]  # type: ignore[return-value]

    def ask_events(
        self,
        question: str,
        conversation: list[Message] | None = None,
        filters: dict[str, list[str]] | None = None,
        face: str = "api",
        record: bool = True,
        language: Language | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """('status'|'delta'|'citations'|'done', payload) events; the last one carries the AskResponse.

        `record=False` (evaluation runs) leaves no trace: nothing in the query log, so nothing in the
        curators' gap list, and the answer's question_id accepts no feedback.
        """
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        snapshot = self.snapshot()
        self.check_filters(filters)
        library = library_of(snapshot)
        # `language` is a hint from the face (the widget's data-lang): the question's own words decide first
        asked_in = identify(question, language)
        if asked_in not in LANGUAGES:
            # not an evidence gap: logged with its language, answered with the languages we answer in
            answer = unsupported_language_answer(language)
            qid = self._log(
                record, question, question, False, "unsupported-language", None, [], [], face, asked_in, answer
            )
            first: Language = "fr" if language == "fr" else "en"
            yield from _refusal(answer, [], qid, question, first, timings, t0, unsupported=asked_in)
            return
        if self.multilingual is not None and asked_in == "fr":
            yield from self._french_events(snapshot, library, question, conversation, filters, face, record, t0)
            return
        yield "status", {"stage": "searching"}
        standalone = self._standalone(question, conversation, library)
        timings["rewrite_ms"] = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        links = library.links(standalone, filters)
        # A question that names a program of the evidence base is about it, whatever else it says
        # ("our RCMP detachment wants DARE back"): the gate's doubts are about unknown topics.
        named = any(link.specific for link in links)
        passages, signals = self.judge(snapshot, standalone, filters, decided=named)
        covered = named or self.gate.covers(signals)
        if conversation and not covered and standalone == question.strip() and snapshot.known_share(question) >= 0.5:
            # A question in the evidence base's own words that finds nothing alone ("any Canadian
            # numbers?") may lean on the conversation; one about something else (sourdough) may not.
            leaning = with_conversation(question, conversation, self._memory(library))
            retry, retry_signals = self.judge(snapshot, leaning, filters)
            if self.gate.covers(retry_signals):
                standalone, passages, covered = leaning, retry, True
                links = library.links(standalone, filters)
        timings["retrieve_ms"] = (time.perf_counter() - t1) * 1000
        selection = select_passages(
            passages if covered else [],
            standalone,
            margin=self.settings.retrieval.margin,
            passage_floor=self.settings.retrieval.passage_min_similarity,
        )
        top_similarity = max((p.similarity for p in passages), default=None)
        plan = Planner(library).plan(standalone, selection, links, filters) if covered else None

        if plan is None or not plan.summary:
            topics = self.nearest_topics(snapshot, standalone, passages)
            reply = no_evidence_answer(topics, record)
            qid = self._log(
                record, question, standalone, True, "extractive", top_similarity, [], topics, face, "en", reply
            )
            yield from _refusal(reply, topics, qid, standalone, "en", timings, t0)
            return

        t2 = time.perf_counter()
        prose: str | None = None
        if self.generator is not None:
            # the bottom lines first, the written text as it is verified, then the rest: the streamed
            # text is the answer; a fallback sends 'reset' and the extractive answer whole
            yield "delta", {"text": render_head(plan) + "\n\n"}
            prose, mode, dropped = yield from self.generator.answer_events(standalone, plan, library.rated_names)
            if prose is not None:
                yield "delta", {"text": "\n\n" + render_tail(plan)}
            answer = render_markdown(plan, prose)
        else:
            answer = render_markdown(plan)
            mode, dropped = "extractive", 0
            for piece in _pieces(answer):
                yield "delta", {"text": piece}
        timings["answer_ms"] = (time.perf_counter() - t2) * 1000
        cited = [c.document_id for c in plan.citations]
        qid = self._log(record, question, standalone, False, mode, top_similarity, cited, [], face, "en", answer)
        yield from _answered(plan, answer, qid, standalone, "en", timings, t0, prose, mode, dropped)

    # -- start-up --------------------------------------------------------------------------
    def warm_up(self) -> threading.Thread:
        """Do now, in the background, what the first questions would otherwise wait for: embedding the
        gate's example questions, for French every document's multilingual vector, and one question in
        each language (with an LLM configured, its verifier's judge instead). `/readyz` answers 503 until
        it is done (measured: the first question after ready took 3.6 s before this, when ready did not
        wait).

        A question that arrives meanwhile waits on the same locks, so nothing is computed twice.
        """

        def work() -> None:
            try:
                _ = self.gate
                if self.multilingual is not None:
                    self.documents_fr(self.snapshot())
                # one unlogged question in each language: what a first question initialises (the
                # library of programs, the model's first run, the quoting) is done before anyone asks;
                # not with an LLM configured, which a warm-up must not spend calls on
                prepare = getattr(self.generator, "prepare", None)
                if prepare is not None:
                    prepare()  # the LLM answerer's own models (the verifier's judge)
                if self.generator is None:
                    self.ask("What works to prevent crime?", face="warm-up", record=False)
                if self.generator is None and self.multilingual is not None:
                    self.ask("Qu'est-ce qui fonctionne pour prévenir la criminalité?", face="warm-up", record=False)
            except Exception:  # the first question will try again and report what is wrong
                log.exception("warm-up failed")
            finally:
                give_back_freed_memory()
                if self.settings.retrieval.freeze_snapshots:
                    keep_out_of_collections()  # the gate's examples and the French vectors, made just now
                self._warm.set()
            if self.aligner is not None:
                # after readiness: the French twins' sentences, so that French answers quote them in
                # French without encoding them first (9 ms an answer then, against 80 ms cold)
                try:
                    self.aligner.learn(self.snapshot().translations("fr").values(), self.vector_cache)
                except Exception:
                    log.exception("could not read the French twins ahead")

        self._warm.clear()  # readiness waits for it: a balancer sends questions only to a warm server
        thread = threading.Thread(target=work, name="whatworks-warm-up", daemon=True)
        thread.start()
        return thread

    # -- French questions -----------------------------------------------------------------
    @functools.cached_property
    def aligner(self) -> TwinAligner | None:
        """One for the service's life: it remembers the vectors of the twins' sentences it has read."""
        if self.multilingual is None:
            return None
        return TwinAligner(self.multilingual, self.settings.retrieval.french_align)

    @property
    def french_gate(self) -> FrenchGate:
        retrieval = self.settings.retrieval
        return FrenchGate(retrieval.french_threshold, *retrieval.french_lexical, *retrieval.french_agree)

    def documents_fr(self, snapshot: EvidenceSnapshot) -> DocumentVectors:
        """The multilingual vector of every document of this snapshot (made once per snapshot)."""
        assert self.multilingual is not None
        with self._documents_fr_lock:
            cached = self._documents_fr
            if cached is None or cached[0] != snapshot.generation:
                previous = cached[1] if cached is not None else None
                cached = (
                    snapshot.generation,
                    DocumentVectors(
                        self.multilingual,
                        snapshot.documents(),
                        self.vector_cache,
                        previous,
                        translations=snapshot.translations("fr"),
                    ),
                )
                self._documents_fr = cached
            return cached[1]

    def _french_events(
        self,
        snapshot: EvidenceSnapshot,
        library: Library,
        question: str,
        conversation: list[Message] | None,
        filters: dict[str, list[str]] | None,
        face: str,
        record: bool,
        t0: float,
    ) -> Iterator[tuple[str, Any]]:
        """A French question: the documents the multilingual search finds, answered in a French frame."""
        retrieval = self.settings.retrieval
        yield "status", {"stage": "searching"}
        allowed = (
            {d for d, doc in library.documents.items() if matches_filters(doc.chunks[0].metadata, filters)}
            if filters
            else None
        )

        def search(text: str) -> tuple[list[Link], list[DocumentMatch], float, float, bool]:
            links = [link for link in library.links(text, filters) if link.specific]
            ranked = self.documents_fr(snapshot).rank(text, allowed)
            best = max((m.similarity for m in ranked), default=0.0)
            lexical = max((m.lexical for m in ranked), default=0.0)
            covered = self.french_gate.covers(best, lexical, named=bool(links), agree=searches_agree(ranked))
            return links, ranked, best, lexical, covered

        searched = question.strip()
        links, ranked, best, lexical, covered = search(searched)
        ordinal = french_ordinal(question) if conversation else None
        if conversation and not covered and ordinal is None and is_french_follow_up(question):
            # "ça coûte combien ?", "et pour ceux qui ont un problème de santé mentale ?": a follow-up that finds
            # nothing alone is searched with the topic the conversation is on, as an English follow-up is (the
            # previous turn's programs, or its question), and kept when that finds something; one that finds its
            # own topic keeps it ("et les bâtiments abandonnés ?" after vacant lots), and "pis le deuxième ?"
            # picks from the previous answer (below)
            joined = with_conversation(question, conversation, self._memory(library))
            found = search(joined)
            if found[4]:
                searched = joined
                links, ranked, best, lexical, covered = found
        # the first by fused rank, then the next ones as near the question as the nearest document
        chosen = list(dict.fromkeys(link.document_id for link in links)) or [
            m.document_id for i, m in enumerate(ranked[:3]) if i == 0 or m.similarity >= best - retrieval.french_margin
        ]
        # the next documents by fused rank that the question names in their own French words (the gate's
        # lexical rule): listed under the bottom lines, as an English answer lists the other documents its
        # search found
        others = [m for m in ranked[:FRENCH_SEE_ALSO] if self.french_gate.in_own_words(m.similarity, m.lexical)]
        if conversation and (not covered or ordinal is not None):
            # "et au Canada ?", "ça coûte combien ?": a question that finds nothing alone continues the
            # documents the previous answer was about; "pis le deuxième ?" picks one of its programs
            previous = previous_turn(conversation, self._turn)
            carried = [d for d in (previous.cited if previous else ()) if d in library.documents]
            carried = [d for d in carried if library.is_program(d)] or carried
            if ordinal is not None and -len(carried) <= ordinal < len(carried):
                chosen, covered, others = [carried[ordinal]], True, []
            elif carried and not covered:
                chosen, covered, others = carried[:1], True, []
        plan = None
        if covered and chosen:
            titles = [library.documents[d].title for d in chosen]
            passages = [
                Passage(library.documents[d].chunks[0], score=1.0 / (i + 1), similarity=best)
                for i, d in enumerate(chosen)
            ]
            shadow = french.english_shadow(question, titles)
            quotes = [best_quote(p.chunk.text, shadow) for p in passages]
            extra = [m for m in others if m.document_id not in chosen]
            listed = [
                Passage(
                    library.documents[m.document_id].chunks[0],
                    score=1.0 / (len(chosen) + i + 1),
                    similarity=m.similarity,
                )
                for i, m in enumerate(extra)
            ]
            see_also = Selection(listed, [best_quote(p.chunk.text, shadow) for p in listed])
            plan = Planner(library).plan(shadow, Selection(passages, quotes), None, filters, see_also=see_also)
        timings = {"retrieve_ms": (time.perf_counter() - t0) * 1000}
        if plan is None or not plan.summary:
            topics = [
                french.topic_fr(library, m.document_id, library.documents[m.document_id].title) for m in ranked[:3]
            ]
            reply = french.no_evidence_answer_fr(topics, record)
            qid = self._log(record, question, searched, True, "extractive", best, [], topics, face, "fr", reply)
            yield from _refusal(reply, topics, qid, searched, "fr", timings, t0)
            return
        plan = french.in_french(
            plan,
            library,
            snapshot.translations("fr"),
            self.aligner,
        )
        answer = french.render_markdown_fr(plan)
        for piece in _pieces(answer):
            yield "delta", {"text": piece}
        cited = [c.document_id for c in plan.citations]
        qid = self._log(record, question, searched, False, "extractive", best, cited, [], face, "fr", answer)
        yield from _answered(plan, answer, qid, searched, "fr", timings, t0)

    def _log(
        self,
        record: bool,
        question: str,
        standalone: str,
        no_evidence: bool,
        mode: str,
        top_similarity: float | None,
        cited: list[str],
        topics: list[Topic],
        face: str,
        language: str = "en",
        answer: str | None = None,
    ) -> str:
        if not record:
            return f"unrecorded-{uuid.uuid4()}"
        try:
            # written in the background: the member does not wait for the log (see records.py)
            return self.records.log_question(
                question,
                standalone,
                no_evidence,
                mode,
                top_similarity,
                cited,
                [t.document_id for t in topics],
                face,
                language,
                answer,
                background=True,
            )
        except RecordsUnavailable as exc:
            # The member still gets the answer; the lost row is counted (readiness reports it) and logged.
            log.error("answered without logging the question (%d lost so far): %s", self.records.lost_rows, exc)
            return f"{UNLOGGED}{uuid.uuid4()}"

    def _standalone(self, question: str, conversation: list[Message] | None, library: Library) -> str:
        if self.generator is not None and conversation:
            return str(self.generator.standalone(question, conversation, self._memory(library)))
        return standalone_question(question, conversation, self._memory(library))

    def _memory(self, library: Library) -> Memory:
        return Memory(self._turn, library.named, library.title_of, library.is_program)

    def _turn(self, question_id: str) -> tuple[str, list[str]] | None:
        """An earlier answer's topic; with the query log down, the turn's own `cited` list stands in."""
        try:
            return self.records.turn(question_id)
        except RecordsUnavailable:
            return None

    def nearest_topics(self, snapshot: EvidenceSnapshot, question: str, passages: list[Passage]) -> list[Topic]:
        """The documents nearest the question, offered as what the base does cover.

        A question far from everything (a recipe) has no near documents, only random ones; it is
        offered the overviews, which say what the evidence base is about.
        """
        near = [p for p in passages if p.similarity >= NEAR_TOPIC_SIMILARITY]
        if not near:
            # overviews are reviews named overview-* by the corpus's convention (corpus/README.md)
            overviews = [
                chunks[0]
                for doc_id, chunks in snapshot.documents().items()
                if chunks[0].metadata.get("kind") == "review" and doc_id.startswith("overview-")
            ]
            return [
                Topic(document_id=c.document_id, title=c.title, question=f"What does the evidence say about {c.title}?")
                for c in sorted(overviews, key=lambda c: c.document_id)[:3]
            ]
        seen: dict[str, Topic] = {}
        for p in sorted(near, key=lambda p: p.similarity, reverse=True):
            doc = p.chunk.document_id
            if doc not in seen:
                seen[doc] = Topic(
                    document_id=doc, title=p.chunk.title, question=f"What does the evidence say about {p.chunk.title}?"
                )
            if len(seen) == 3:
                break
        return list(seen.values())

    # -- feedback and documents ----------------------------------------------------------
    def add_feedback(self, question_id: str, rating: str, comment: str | None, voter: str | None) -> None:
        if question_id.startswith(UNLOGGED):
            raise RecordsUnavailable("this answer was given while the query log was down, so it cannot take a vote")
        self.records.add_feedback(question_id, rating, comment, voter)

    def feedback_for(self, question_id: str) -> list[dict[str, Any]]:
        return self.records.feedback_for(question_id)

    def document(self, document_id: str) -> dict[str, Any] | None:
        chunks = self.snapshot().documents().get(document_id)
        if not chunks:
            return None
        meta = chunks[0].metadata
        sections: list[dict[str, Any]] = []
        for chunk in chunks:
            heading = chunk.section or ("Page " + str(chunk.metadata["page"]) if "page" in chunk.metadata else "")
            if sections and sections[-1]["heading"] == heading:
                sections[-1]["text"] += "\n\n" + chunk.text
            else:
                sections.append({"heading": heading, "text": chunk.text})
        return {
            "id": document_id,
            "title": chunks[0].title,
            "kind": meta.get("kind"),
            "verdict": meta.get("verdict"),
            "rating_source": meta.get("rating_source") or None,
            "url": meta.get("url") or None,
            "sources": json.loads(str(meta.get("sources_json") or "[]")),
            "settings": chunks[0].list_field("settings"),
            "populations": chunks[0].list_field("populations"),
            "countries": chunks[0].list_field("countries"),
            "problems": chunks[0].list_field("problems"),
            "year": meta.get("year"),
            "updated": meta.get("updated"),
            "sections": sections,
        }

    # -- the curators' console -------------------------------------------------------------
    def gap_groups(self, gaps: list[dict[str, Any]]) -> list[GapGroup]:
        """Unanswered questions grouped by meaning, across English and French (the multilingual
        encoder when there is one; all-MiniLM-L6-v2, English only, otherwise)."""
        if self._gap_grouper is None:
            if self.multilingual is not None:
                self._gap_grouper = GapGrouper(self.multilingual.encode)
            else:
                embedder = self.embedder
                self._gap_grouper = GapGrouper(lambda texts: np.asarray(embedder.embed_documents(list(texts))))
        return self._gap_grouper.group(gaps)

    def documents_inventory(self) -> list[dict[str, Any]]:
        """Every document of the index with its metadata, chunks, and how its answers were received."""
        return documents_inventory(self.snapshot().documents(), self.records.document_usage())

    def filter_values(self) -> dict[str, list[str]]:
        """Values present in the index for each filter (worked out once per snapshot)."""
        snapshot = self.snapshot()
        cached = self._filter_values
        if cached is not None and cached[0] == snapshot.generation:
            return cached[1]
        values: dict[str, set[str]] = {k: set() for k in FILTER_KEYS}
        for chunk in snapshot.chunks:
            values["verdict"].add(str(chunk.metadata.get("verdict")))
            for key in ("settings", "populations", "countries"):
                values[key].update(chunk.list_field(key))
        result = {k: sorted(v) for k, v in values.items()}
        self._filter_values = (snapshot.generation, result)
        return result

    def check_filters(self, filters: dict[str, list[str]] | None) -> None:
        """Free-text filter values must be ones the evidence base uses: anything else matches nothing."""
        if not filters:
            return
        known = self.filter_values()
        for key, values in filters.items():
            if key not in FILTER_KEYS:
                raise InvalidRequest(f"filters.{key}: unknown filter; use {', '.join(FILTER_KEYS)}")
            if key not in ("populations", "countries"):
                continue  # settings and verdicts are checked against their vocabulary by the request model
            unknown = [v for v in values if v not in known[key]]
            if unknown:
                shown = ", ".join(known[key][:40])
                raise InvalidRequest(
                    f"filters.{key}: {unknown[0][:60]!r} is not used by any document; known values: {shown}"
                )


def no_evidence_answer(topics: list[Topic], logged: bool = True) -> str:
    text = NO_EVIDENCE_TEXT
    if topics:
        names = "; ".join(t.title for t in topics)
        text += f" The nearest topics it does cover: {names}. Ask about one of them, or rephrase your question."
    if logged:
        text += " Your question has been logged so curators can see the gap."
    return text


def _refusal(
    answer: str,
    topics: list[Topic],
    qid: str,
    searched: str,
    language: Language,
    timings: dict[str, float],
    t0: float,
    unsupported: str | None = None,
) -> Iterator[tuple[str, Any]]:
    """The events of a no-evidence answer: its text, no citations, then the response."""
    yield "delta", {"text": answer}
    yield "citations", {"citations": []}
    timings["total_ms"] = (time.perf_counter() - t0) * 1000
    response = AskResponse(
        answer=answer,
        language=language,
        no_evidence=True,
        unsupported_language=unsupported,
        nearest_topics=topics,
        question_id=qid,
        standalone_question=searched,
        timings_ms=_round(timings),
    )
    yield "done", response


def _answered(
    plan: AnswerPlan,
    answer: str,
    qid: str,
    searched: str,
    language: Language,
    timings: dict[str, float],
    t0: float,
    prose: str | None = None,
    mode: AnswerMode = "extractive",
    dropped: int = 0,
) -> Iterator[tuple[str, Any]]:
    """The closing events of an answer whose text has been streamed: its citations, then the response."""
    yield "citations", {"citations": [c.model_dump(mode="json") for c in plan.citations]}
    timings["total_ms"] = (time.perf_counter() - t0) * 1000
    response = AskResponse(
        answer=answer,
        language=language,
        intent=plan.intent,
        summary=plan.summary,
        sections=plan.sections,
        related=plan.related,
        prose=prose,
        citations=plan.citations,
        answer_mode=mode,
        question_id=qid,
        standalone_question=searched,
        dropped_sentences=dropped,
        timings_ms=_round(timings),
    )
    yield "done", response


def _pieces(text: str, size: int = 120) -> Iterator[str]:
    """Stream an extractive answer in word-aligned pieces, as a writer would."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space + 1 if space > start else end
        yield text[start:end]
        start = end


def _round(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in timings.items()}
