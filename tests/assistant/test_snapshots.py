"""A new generation of the index reuses what the last snapshot holds (only new chunks are read), and a
rebuild never makes other questions wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

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
        assert service.snapshot().generation == "g2"
    finally:
        slow.set()
        records.close()
