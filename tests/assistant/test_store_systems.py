"""An embedded Chroma system that a reconnect replaced is stopped once no connection uses it, so each change to
the collection does not leave the server holding one more copy of the index; one still in use is kept."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.core import store
from assistant.core.chunks import Chunk
from assistant.core.store import ChromaConnection
from tests.conftest import make_settings


def _bindings_alive(system: object) -> bool:
    from chromadb.api import ServerAPI

    server = system.instance(ServerAPI)  # type: ignore[attr-defined]
    return hasattr(server, "bindings")


def test_a_replaced_system_is_stopped_after_the_grace_and_the_new_one_reads_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "RETIRE_AFTER_SECONDS", 0.2)
    connection = ChromaConnection(make_settings(tmp_path / "data"))
    chunks = connection.index.active(create=True)
    assert chunks is not None
    chunks.upsert([Chunk(id="a", text="street lighting", metadata={"document_id": "d"})], [[1.0, 0.0]])
    first = connection._system
    assert first is not None
    assert _bindings_alive(first)

    index = connection.reconnect()
    second = connection._system
    assert second is not first
    deadline = time.monotonic() + 5
    while _bindings_alive(first):
        assert time.monotonic() < deadline, "the replaced system was never stopped"
        time.sleep(0.05)
    active = index.active()
    assert active is not None
    assert sorted(active.ids()) == ["a"]  # the new system reads what the old one wrote
    assert _bindings_alive(second)
    connection.close()


def test_a_system_another_connection_still_uses_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "RETIRE_AFTER_SECONDS", 0.1)
    settings = make_settings(tmp_path / "data")
    serving = ChromaConnection(settings)
    other = ChromaConnection(settings)
    shared = serving._system
    assert other._system is shared

    serving.reconnect()
    time.sleep(0.5)
    assert _bindings_alive(shared), "stopped while another connection of this process used it"
    created = other.index.active(create=True)
    assert created is not None
    other.close()
    serving.close()
