"""The store's nearest-chunk query (the dense search above the exact-search line) never returns a French
twin's chunk, and asks Chroma's index without a metadata filter when it can: a filter makes Chroma read
every chunk's metadata first (`benchmarks/dense.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.core.chunks import Chunk
from assistant.core.store import ChromaChunkStore, ChromaConnection
from tests.conftest import make_settings


@pytest.fixture
def store(tmp_path: Path) -> Any:
    connection = ChromaConnection(make_settings(tmp_path / "data"))
    chunks = connection.index.active(create=True)
    assert chunks is not None
    english = [
        Chunk(id=f"en-{i}", text=f"street lighting {i}", metadata={"document_id": f"d{i}", "verdict": verdict})
        for i, verdict in enumerate(["effective", "harmful", "effective", "no-effect"])
    ]
    twin = Chunk(id="fr-0", text="éclairage des rues", metadata={"document_id": "d0", "language": "fr"})
    vectors = [[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.7, 0.7, 0.0], [0.0, 1.0, 0.0]]
    chunks.upsert([*english, twin], [*vectors, [0.0, 0.0, 1.0]])
    yield chunks
    connection.close()


def _asked(store: ChromaChunkStore, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    wheres: list[Any] = []
    real = store._query

    def spy(embedding: Any, n: int, where: Any) -> Any:
        wheres.append(where)
        return real(embedding, n, where)

    monkeypatch.setattr(store, "_query", spy)
    return wheres


def test_without_a_filter_the_index_is_asked_alone_when_no_twin_is_near(
    store: ChromaChunkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheres = _asked(store, monkeypatch)
    hits = store.query([1.0, 0.05, 0.0], 2)
    assert [c.id for c, _ in hits] == ["en-0", "en-1"]
    assert wheres == [None]


def test_a_twin_among_the_nearest_is_never_returned(store: ChromaChunkStore, monkeypatch: pytest.MonkeyPatch) -> None:
    wheres = _asked(store, monkeypatch)
    hits = store.query([0.0, 0.1, 1.0], 3)  # nearest of all: the twin's chunk
    assert [c.id for c, _ in hits] == ["en-3", "en-2", "en-1"]
    assert all(c.metadata.get("language") != "fr" for c, _ in hits)
    assert wheres == [None, {"language": {"$ne": "fr"}}]  # asked again, with the filter


def test_a_members_filter_goes_to_chroma_with_the_language_filter(
    store: ChromaChunkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheres = _asked(store, monkeypatch)
    hits = store.query([1.0, 0.0, 0.0], 5, {"verdict": ["harmful", "no-effect"]})
    assert [c.id for c, _ in hits] == ["en-1", "en-3"]
    assert len(wheres) == 1
    assert {"language": {"$ne": "fr"}} in wheres[0]["$and"]
