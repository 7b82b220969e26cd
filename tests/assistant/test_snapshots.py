"""A new generation of the index reuses what the last snapshot holds (only new chunks are read), and a
rebuild never makes other questions wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from assistant.core.chunks import Chunk
from assistant.core.embeddings import FakeEmbedder
from assistant.core.records import RecordStore
from assistant.core.retrieval import EvidenceSnapshot
from assistant.core.service import EvidenceService, StoreState
from assistant.core.store import MemoryChunkStore
from tests.conftest import make_settings


class CountingStore(MemoryChunkStore):
    def __init__(self) -> None:
        super().__init__()
        self.exported: list[str] = []

    def export(self, ids: Sequence[str]) -> tuple[list[Chunk], list[list[float]]]:
        self.exported.extend(ids)
        return super().export(ids)


def chunk(i: int, text: str) -> Chunk:
    return Chunk(id=f"c{i}", text=text, metadata={"document_id": f"d{i}", "title": f"Doc {i}"})


def test_a_new_snapshot_reads_only_the_chunks_the_last_one_lacks_and_equals_a_full_read() -> None:
    embedder = FakeEmbedder(16)
    store = CountingStore()
    texts = ["street lighting cut burglary", "mentoring helped boys", "cctv in car parks", "boot camps failed"]
    chunks = [chunk(i, t) for i, t in enumerate(texts)]
    store.upsert(chunks[:3], embedder.embed_documents(texts[:3]))
    first = EvidenceSnapshot(store, "g1")
    store.exported.clear()

    store.delete(["c1"])
    store.upsert(chunks[3:], embedder.embed_documents(texts[3:]))
    second = EvidenceSnapshot(store, "g2", previous=first)
    assert store.exported == ["c3"]  # c0 and c2 kept from the first snapshot, c1 gone
    assert second.reused == 2
    full = EvidenceSnapshot(store, "g2")
    assert [c.id for c in second.chunks] == [c.id for c in full.chunks] == ["c0", "c2", "c3"]
    assert np.array_equal(second.vectors, full.vectors)
    assert second.bm25.search("boot camps", 2)[0][0] == second.row["c3"]
    for question in ["boot camps", "mentoring boys", "street lighting burglary", "car parks"]:
        assert np.allclose(second.bm25.scores(question), full.bm25.scores(question))
    assert second._df == full._df
    assert second.vocabulary._uses == full.vocabulary._uses
    assert "mentoring" not in second.vocabulary
    assert "camps" in second.vocabulary


WORDS = (
    "street lighting cut burglary mentoring helped boys girls cctv car parks boot camps failed "
    "offending increased reduced youth programs police patrols hot spots schools parents victims"
).split()


def random_chunks(rng: np.random.Generator, ids: Sequence[int]) -> list[Chunk]:
    return [chunk(i, " ".join(rng.choice(WORDS, size=int(rng.integers(1, 30))))) for i in ids]


def test_bm25_scores_equal_bm25s_and_an_updated_index_equals_one_built_anew() -> None:
    import bm25s
    import Stemmer

    from assistant.core.bm25_index import BM25Index

    rng = np.random.default_rng(3)
    before = random_chunks(rng, range(200))
    index = BM25Index(before)
    assert index.search("zebra", 3) == []
    reference = bm25s.BM25()
    stemmer = Stemmer.Stemmer("english")
    reference.index(
        bm25s.tokenize([c.context_text() for c in before], stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    questions = [
        "boot camps for youth",
        "police patrols in hot spots",
        "did cctv reduce burglary in car parks?",
        "zebra",
    ]
    for question in questions:
        tokens = bm25s.tokenize([question], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)[0]
        known = [t for t in tokens if t in reference.vocab_dict]
        expected = reference.get_scores(known) if known else np.zeros(len(before))
        assert np.allclose(index.scores(question), expected, rtol=1e-5, atol=1e-6)

    # 20 chunks gone, 30 changed (gone, and back with new texts), 25 new
    changed = random_chunks(rng, range(20, 50))
    after = sorted(
        [c for c in before if not 0 <= int(c.id[1:]) < 50] + changed + random_chunks(rng, range(200, 225)),
        key=lambda c: c.id,
    )
    kept_ids = {c.id for c in before} - {c.id for c in changed}
    updated = BM25Index(after, previous=BM25Index([c for c in before if c.id in kept_ids]))
    anew = BM25Index(after)
    for question in questions:
        assert np.allclose(updated.scores(question), anew.scores(question), rtol=1e-5, atol=1e-6)
    assert updated.search("boot camps", 5) == anew.search("boot camps", 5)


def test_the_french_lexicon_scores_as_bm25s_and_a_changed_document_is_all_it_tokenises_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """French BM25 over the documents' French words: bm25s's scores, and after one document changed, the
    scores of an index built anew while only that document is tokenised (it used to be rebuilt whole)."""
    import bm25s
    import Stemmer

    from assistant.core.bm25_index import BM25Index
    from assistant.core.crosslingual import FrenchLexicon

    words = "caméras surveillance rues criminalité quartier jeunes prison mentorat écoles éclairage vols".split()
    rng = np.random.default_rng(5)
    texts = [" ".join(rng.choice(words, size=int(rng.integers(3, 30)))) for _ in range(60)]
    ids = [f"doc-{i}" for i in range(60)]
    lexicon = FrenchLexicon(texts, ids)
    stemmer = Stemmer.Stemmer("french")
    reference = bm25s.BM25()
    reference.index(bm25s.tokenize(texts, stopwords="fr", stemmer=stemmer, show_progress=False), show_progress=False)
    questions = ["Les caméras de surveillance réduisent-elles la criminalité?", "mentorat des jeunes", "zèbre"]
    for question in questions:
        tokens = bm25s.tokenize([question], stopwords="fr", stemmer=stemmer, show_progress=False, return_ids=False)[0]
        known = [t for t in tokens if t in reference.vocab_dict]
        expected = reference.get_scores(known) if known else np.zeros(len(texts))
        assert np.allclose(lexicon.scores(question), expected, rtol=1e-5, atol=1e-6)

    changed = [*texts[:7], "prison prison quartier", *texts[8:]]
    tokenised: list[str] = []
    tokens = BM25Index._tokens

    def counting(self: BM25Index, batch: list[str]) -> list[list[str]]:
        tokenised.extend(batch)
        return tokens(self, batch)

    monkeypatch.setattr(BM25Index, "_tokens", counting)
    updated = FrenchLexicon(changed, ids, previous=lexicon)
    assert [t.strip() for t in tokenised] == ["prison prison quartier"]
    anew = FrenchLexicon(changed, ids)
    for question in questions:
        assert np.allclose(updated.scores(question), anew.scores(question), rtol=1e-5, atol=1e-6)


def test_an_updated_vocabulary_equals_one_built_anew() -> None:
    from assistant.core.answering.text import Vocabulary

    rng = np.random.default_rng(5)
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 12)))) for _ in range(60)]
    first = Vocabulary(texts[:40])
    second = first.updated(texts[:15], texts[40:])
    anew = Vocabulary(texts[15:])
    assert second._uses == anew._uses
    assert second._gaps == anew._gaps
    assert first._uses == Vocabulary(texts[:40])._uses  # the first is left as it was
    for word in ["burglary", "burglery", "mentorin", "zebra", "patrol"]:
        assert (word in second) == (word in anew)


def test_questions_do_not_wait_while_another_thread_rebuilds_the_snapshot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    embedder = FakeEmbedder()
    store = MemoryChunkStore()
    store.upsert([chunk(0, "street lighting cut burglary")], embedder.embed_documents(["street lighting"]))
    generation = ["g1"]
    slow = threading.Event()

    def source(reload: bool) -> StoreState:
        if generation[0] == "g2" and reload:
            slow.wait(5)  # a large index being read
        return StoreState(store, generation[0])

    settings = make_settings(tmp_path / "data")
    settings.retrieval.refresh_seconds = 0
    records = RecordStore(settings.sql_url)
    service = EvidenceService(settings, embedder, source, records)
    try:
        first = service.refresh(force=True)
        generation[0] = "g2"
        rebuilding = threading.Thread(target=service.refresh)
        rebuilding.start()
        time.sleep(0.2)  # the rebuild holds the lock, waiting on the store
        started = time.monotonic()
        assert service.snapshot() is first  # answered from the snapshot in hand, at once
        assert time.monotonic() - started < 0.5
        slow.set()
        rebuilding.join(5)
        deadline = time.monotonic() + 5
        while service.snapshot().generation != "g2" and time.monotonic() < deadline:
            time.sleep(0.05)  # the rebuild finishes in its own thread
        assert service.snapshot().generation == "g2"
    finally:
        slow.set()
        records.close()


def test_the_question_that_notices_an_ingestion_waits_for_the_new_snapshot_only_briefly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    embedder = FakeEmbedder()
    store = MemoryChunkStore()
    store.upsert([chunk(0, "street lighting cut burglary")], embedder.embed_documents(["street lighting"]))
    generation = ["g1"]
    delay = [0.0]

    def source(reload: bool) -> StoreState:
        if reload:
            time.sleep(delay[0])  # reading the changed chunks
        return StoreState(store, generation[0])

    settings = make_settings(tmp_path / "data")
    settings.retrieval.refresh_seconds = 0
    settings.retrieval.refresh_wait_seconds = 0.3
    records = RecordStore(settings.sql_url)
    service = EvidenceService(settings, embedder, source, records)
    try:
        service.refresh(force=True)
        # a quick change: the question that notices it gets the new snapshot
        generation[0] = "g2"
        assert service.snapshot().generation == "g2"
        # a slow one (a large index): it answers from the old snapshot after the wait, and the new one follows
        generation[0], delay[0] = "g3", 1.5
        started = time.monotonic()
        assert service.snapshot().generation == "g2"
        assert time.monotonic() - started < 1.0
        deadline = time.monotonic() + 5
        while service.snapshot().generation != "g3" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.snapshot().generation == "g3"
    finally:
        records.close()


def test_the_library_of_a_new_snapshot_reuses_unchanged_documents_and_equals_one_built_anew() -> None:
    from assistant.core.answering.planning import Library, library_of

    embedder = FakeEmbedder(16)
    store = MemoryChunkStore()
    texts = ["street lighting cut burglary", "mentoring helped boys", "cctv in car parks"]
    chunks = [chunk(i, t) for i, t in enumerate(texts)]
    store.upsert(chunks, embedder.embed_documents(texts))
    first = EvidenceSnapshot(store, "g1")
    old = library_of(first)
    store.delete(["c1"])
    store.upsert([chunk(3, "boot camps failed")], embedder.embed_documents(["boot camps failed"]))
    second = EvidenceSnapshot(store, "g2", previous=first)
    new = library_of(second, first)
    anew = Library(second)
    assert new.documents == anew.documents
    assert set(new.documents) == {"d0", "d2", "d3"}
    assert new.documents["d0"] is old.documents["d0"]  # the same chunks: the same document, reused
    assert new.names.names == anew.names.names
    assert [link.document_id for link in new.links("what about Doc 3?")] == ["d3"]


@pytest.mark.parametrize("freeze", [True, False])
def test_a_new_snapshot_is_kept_out_of_collections_and_the_one_it_replaces_is_freed(tmp_path, freeze: bool) -> None:  # type: ignore[no-untyped-def]
    """`gc.freeze` after each snapshot: a full collection no longer walks it with every question held (0.3-0.5 s
    at 100,000 chunks); the snapshot it replaces must still be freed, by reference counting alone."""
    import gc
    import weakref

    embedder = FakeEmbedder()
    store = MemoryChunkStore()
    store.upsert([chunk(0, "street lighting cut burglary")], embedder.embed_documents(["street lighting"]))
    generation = ["g1"]
    settings = make_settings(tmp_path / "data")
    settings.retrieval.refresh_seconds = 0
    settings.retrieval.freeze_snapshots = freeze
    records = RecordStore(settings.sql_url)
    service = EvidenceService(settings, embedder, lambda reload: StoreState(store, generation[0]), records)
    gc.unfreeze()
    try:
        first = weakref.ref(service.refresh(force=True))  # type: ignore[arg-type]
        assert first() is not None
        assert (gc.get_freeze_count() > 0) is freeze
        assert service.ask("does street lighting work?", face="test", record=False).citations
        store.upsert([chunk(1, "cameras in car parks cut theft")], embedder.embed_documents(["cameras"]))
        generation[0] = "g2"
        assert service.snapshot().generation == "g2"
        assert first() is None  # the first snapshot, frozen or not, is gone with its last reference
    finally:
        records.close()
        gc.unfreeze()
