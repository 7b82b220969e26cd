"""Wiring: build the service from settings, owning the lifetimes of Chroma, the SQL store and the model."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from assistant.core.embeddings import Embedder, make_embedder
from assistant.core.records import RecordStore
from assistant.core.service import EvidenceService, StoreState
from assistant.core.settings import Settings
from assistant.core.store import ChromaConnection


def make_generator(settings: Settings, embedder: Embedder) -> Any:
    """The LLM answerer when one is configured, else None (extractive answers)."""
    if settings.llm.provider == "none":
        return None
    from assistant.core.answering.generation import LLMAnswerer, make_chat_model
    from assistant.core.verification.judge import make_judge

    return LLMAnswerer(make_chat_model(settings.llm), embedder, make_judge(settings.verification, settings.embedding))


def single_threaded_blas() -> None:
    """numpy's BLAS on one thread in a serving process: its products here are small (a question against
    the chunk vectors), and OpenBLAS's threads spin after each one, taking the cores the model's own
    threads need next. Measured at 10,000 chunks: ask p50 31 -> 20 ms, p95 47 -> 38 ms."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


@contextmanager
def open_service(
    settings: Settings, embedder: Embedder | None = None, load_model: bool = True
) -> Iterator[EvidenceService]:
    """The service with its Chroma connection and SQL store; closed on exit."""
    single_threaded_blas()
    embedder = embedder or make_embedder(settings.embedding)
    if load_model and hasattr(embedder, "load"):
        embedder.load()
    connection = ChromaConnection(settings)
    records = RecordStore(settings.sql_url)

    def store_source(reload: bool) -> StoreState:
        index = connection.reconnect() if reload else connection.index
        active, generation = index.state()
        return StoreState(index.active() if active else None, generation)

    multilingual = None
    if settings.retrieval.multilingual:
        from assistant.core.crosslingual import UniversalSentenceEncoder

        multilingual = UniversalSentenceEncoder()
    service = EvidenceService(
        settings, embedder, store_source, records, make_generator(settings, embedder), multilingual=multilingual
    )
    try:
        service.refresh(force=True)
        yield service
    finally:
        records.close()
        connection.close()
