"""What makes answering fast without changing the answers: dense search by an exact matrix product over the
snapshot's vectors (it finds what the vector store finds), numpy on one thread, and a warm-up before ready."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.core.embeddings import Embedder
from assistant.core.service import EvidenceService

QUESTIONS = [
    "does CCTV reduce crime in car parks?",
    "what works for youth gang violence",
    "are boot camps effective for young offenders?",
    "la vidéosurveillance fonctionne-t-elle?",
]


@pytest.mark.parametrize("filters", [None, {"settings": ["school"]}, {"verdict": ["harmful", "no-effect"]}])
def test_exact_search_agrees_with_the_vector_store(corpus_service: EvidenceService, filters) -> None:  # type: ignore[no-untyped-def]
    snapshot = corpus_service.snapshot()
    for question in QUESTIONS:
        query = corpus_service.embed(question)
        exact = snapshot.nearest(query, 40, filters)
        store = snapshot.store.query(query.tolist(), 40, filters)
        assert exact, question
        assert [c.id for c, _ in exact][:10] == [c.id for c, _ in store][:10], question
        # the store's index is approximate: it may swap a few of the last candidates, never the head
        assert len({c.id for c, _ in exact} & {c.id for c, _ in store}) >= 36
        brute = np.sort(snapshot.vectors[[snapshot.row[c.id] for c in _allowed(snapshot, filters)]] @ query)[::-1]
        assert np.allclose([s for _, s in exact], brute[:40], atol=1e-6)  # exactly the best 40
        assert np.allclose([s for _, s in exact][:10], [s for _, s in store][:10], atol=1e-4)
        if filters:
            allowed = snapshot.mask(filters)
            assert allowed is not None
            assert all(allowed[snapshot.row[c.id]] for c, _ in exact)


def _allowed(snapshot, filters):  # type: ignore[no-untyped-def]
    mask = snapshot.mask(filters)
    return [c for i, c in enumerate(snapshot.chunks) if mask is None or mask[i]]


def test_a_filter_that_matches_nothing_finds_nothing(corpus_service: EvidenceService) -> None:
    snapshot = corpus_service.snapshot()
    assert snapshot.nearest(corpus_service.embed("cctv"), 40, {"countries": ["atlantis"]}) == []


def test_the_serving_process_runs_numpy_on_one_thread(corpus_service: EvidenceService) -> None:
    from threadpoolctl import threadpool_info

    # numpy's own BLAS (libraries loaded later, such as scikit-learn's, keep their settings)
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas" and "numpy" in pool["filepath"]]
    assert blas, "numpy's BLAS should be visible to threadpoolctl"
    assert all(pool["num_threads"] == 1 for pool in blas)


def test_readiness_waits_for_the_warm_up(corpus_service: EvidenceService) -> None:
    """A balancer sends questions only to a warm server: /readyz says so until the warm-up is done."""
    assert corpus_service.readiness().ready
    thread = corpus_service.warm_up()
    if thread.is_alive():  # the gate is usually built already in a test session: the warm-up may be quick
        waiting = corpus_service.readiness()
        assert not waiting.ready or not thread.is_alive()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert corpus_service.readiness().ready
    corpus_service._warm.clear()
    warming = corpus_service.readiness()
    corpus_service._warm.set()
    assert not warming.ready
    assert any(p.startswith("warming up") for p in warming.problems)


def test_the_warm_up_loads_the_llm_answerers_judge(
    corpus_service: EvidenceService, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an LLM configured the warm-up asks no question, but loads the verifier's judge."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.core.answering.generation import LLMAnswerer
    from assistant.core.verification.judge import FakeJudge

    class Loading(FakeJudge):
        prepared = False

        def prepare(self) -> None:
            self.prepared = True

    judge = Loading()
    monkeypatch.setattr(corpus_service, "generator", LLMAnswerer(FakeListChatModel(responses=["-"]), embedder, judge))
    corpus_service.warm_up().join(timeout=120)
    assert judge.prepared
    assert corpus_service.readiness().ready


def test_above_the_line_the_store_answers_unless_a_filter_is_given(
    corpus_service: EvidenceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above `exact_search_max_chunks` Chroma's index answers a plain search; a filtered one stays exact, since a
    filter makes Chroma read every chunk's metadata first (seconds at a million chunks)."""
    from assistant.core.retrieval import HybridRetriever

    snapshot = corpus_service.snapshot()
    settings = corpus_service.settings.retrieval.model_copy(update={"exact_search_max_chunks": 0})
    retriever = HybridRetriever(corpus_service.embedder, settings)
    asked: list[object] = []
    real = snapshot.store.query

    def spy(embedding, k, filters=None):  # type: ignore[no-untyped-def]
        asked.append(filters)
        return real(embedding, k, filters)

    monkeypatch.setattr(snapshot.store, "query", spy)
    plain = retriever.retrieve(snapshot, "does street lighting reduce crime?", mode="dense")
    assert asked == [None]
    assert plain
    assert plain[0].chunk.id == snapshot.nearest(corpus_service.embed("does street lighting reduce crime?"), 1)[0][0].id
    school = {"settings": ["school"]}
    filtered = retriever.retrieve(snapshot, "what works against bullying?", filters=school, mode="dense")
    assert asked == [None]  # not asked again: the product answered
    assert filtered
    assert all("school" in p.chunk.metadata.get("settings", []) for p in filtered)
