"""The vector store behind a small protocol: Chroma (embedded or a `chroma run` server) and an in-memory fake.

Collections are versioned: the active one is named in a tiny pointer collection, so
`--rebuild` can fill a fresh collection and switch to it only when it is complete,
and a running server notices a new ingestion by the pointer's generation.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.chunks import Chunk, Metadata, chroma_where, matches_filters
from assistant.core.memory import give_back_freed_memory
from assistant.core.settings import Settings

log = logging.getLogger(__name__)

_PAGE = 2000


class StoreUnavailable(Exception):
    """The vector store cannot be reached (a Chroma server down or restarting); retrying later helps."""


def unreachable_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the store is not there", not "the request was wrong"."""
    import httpx

    return (ConnectionError, TimeoutError, httpx.TransportError)


class ChunkStore(Protocol):
    """What ingestion and retrieval need of a vector store."""

    def upsert(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]] | np.ndarray) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def records(self) -> dict[str, dict[str, Any]]:
        """Every chunk id with its metadata (no text, no vectors)."""
        ...

    def all_chunks(self) -> list[Chunk]: ...

    def ids(self) -> list[str]:
        """Every chunk id (nothing else is read)."""
        ...

    def query(
        self, embedding: Sequence[float], k: int, filters: dict[str, list[str]] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The k nearest chunks with their cosine similarity, best first."""
        ...

    def count(self) -> int: ...

    def export(self, ids: Sequence[str]) -> tuple[list[Chunk], np.ndarray]:
        """Chunks with their stored vectors (one float32 row each), for a snapshot or another collection."""
        ...


class MemoryChunkStore:
    """A brute-force in-memory store with the same behaviour, for fast unit tests."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Chunk, list[float]]] = {}

    def upsert(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]] | np.ndarray) -> None:
        for chunk, vector in zip(chunks, embeddings, strict=True):
            self._rows[chunk.id] = (chunk, list(vector))

    def delete(self, ids: Sequence[str]) -> None:
        for i in ids:
            self._rows.pop(i, None)

    def records(self) -> dict[str, dict[str, Any]]:
        return {i: dict(c.metadata) for i, (c, _) in self._rows.items()}

    def all_chunks(self) -> list[Chunk]:
        return [c for c, _ in self._rows.values()]

    def ids(self) -> list[str]:
        return list(self._rows)

    def query(
        self, embedding: Sequence[float], k: int, filters: dict[str, list[str]] | None = None
    ) -> list[tuple[Chunk, float]]:
        scored = [
            (chunk, _cosine(embedding, vector))
            for chunk, vector in self._rows.values()
            if matches_filters(chunk.metadata, filters)
        ]
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored[:k]

    def count(self) -> int:
        return len(self._rows)

    def export(self, ids: Sequence[str]) -> tuple[list[Chunk], np.ndarray]:
        rows = [self._rows[i] for i in ids if i in self._rows]
        return [c for c, _ in rows], _matrix([v for _, v in rows])


def _matrix(vectors: Any) -> np.ndarray:
    rows = np.asarray(vectors, dtype=np.float32)
    if rows.ndim == 2:
        return rows
    return rows.reshape(len(rows), -1) if len(rows) else np.zeros((0, 0), dtype=np.float32)


def _shared(meta: Any) -> Metadata:
    """A chunk's metadata in the snapshot's compact form (`Metadata`: strings shared, values in a tuple)."""
    return Metadata(meta or {})


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


class ChromaChunkStore:
    """One Chroma collection of chunks; vectors are computed by our embedder, never by Chroma."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @property
    def name(self) -> str:
        return str(self._collection.name)

    def upsert(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]] | np.ndarray) -> None:
        for start in range(0, len(chunks), _PAGE):
            part = chunks[start : start + _PAGE]
            self._collection.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[dict(c.metadata) for c in part],
                embeddings=_matrix(embeddings[start : start + _PAGE]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), _PAGE):
            self._collection.delete(ids=list(ids[start : start + _PAGE]))

    def records(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for page in self._pages(include=["metadatas"]):
            for i, meta in zip(page["ids"], page["metadatas"], strict=True):
                out[i] = dict(meta or {})
        return out

    def ids(self) -> list[str]:
        # one call: ids alone are small, and paging by offset rescans (100,000 ids: 1.5 s in pages of 2,000,
        # 0.2 s at once)
        return list(self._collection.get(include=[])["ids"])

    def all_chunks(self) -> list[Chunk]:
        chunks: list[Chunk] = []
        for page in self._pages(include=["documents", "metadatas"]):
            for i, text, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                chunks.append(Chunk(id=i, text=text or "", metadata=dict(meta or {})))
        return chunks

    def _pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self._collection.get(include=include, limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def query(
        self, embedding: Sequence[float], k: int, filters: dict[str, list[str]] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The k English chunks nearest the embedding (a French twin's chunks answer French questions only).

        Without a member's filter the index is asked alone, and the filter on language applied to what it
        found: any filter makes Chroma read every chunk's metadata first (`benchmarks/dense.py`: 19 ms
        against 1.3 ms at 10,000 chunks, 167 ms at 100,000). Only when a twin's chunk was among the nearest
        (their stand-in vectors, drawn from their ids, are near no question) is it asked again with the
        filter, so no twin's chunk is ever returned."""
        try:
            n = min(k, self.count())
            if n == 0:
                return []
            where = chroma_where(filters)
            if where is None:
                hits = self._query(embedding, n, None)
                if all(chunk.metadata.get("language") != "fr" for chunk, _ in hits):
                    return hits
            # Chroma's $ne also matches chunks without the key, which every English chunk is
            english = {"language": {"$ne": "fr"}}
            return self._query(embedding, n, {"$and": [where, english]} if where else english)
        except unreachable_errors() as exc:
            raise StoreUnavailable(f"the evidence store (Chroma) is unreachable: {exc}") from None

    def _query(self, embedding: Sequence[float], n: int, where: dict[str, Any] | None) -> list[tuple[Chunk, float]]:
        result = self._collection.query(
            query_embeddings=[list(embedding)],
            n_results=n,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        hits: list[tuple[Chunk, float]] = []
        for i, text, meta, dist in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
        ):
            # cosine space: distance = 1 - similarity
            hits.append((Chunk(id=i, text=text or "", metadata=dict(meta or {})), 1.0 - float(dist)))
        return hits

    def count(self) -> int:
        return int(self._collection.count())

    def export(self, ids: Sequence[str]) -> tuple[list[Chunk], np.ndarray]:
        chunks: list[Chunk] = []
        pages: list[np.ndarray] = []
        for start in range(0, len(ids), _PAGE):
            page = self._collection.get(
                ids=list(ids[start : start + _PAGE]), include=["documents", "metadatas", "embeddings"]
            )
            for i, text, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                chunks.append(Chunk(id=i, text=text or "", metadata=_shared(meta)))
            # kept as arrays: as Python floats, 100,000 chunks' vectors took 1.2 GB on the way
            pages.append(_matrix(page["embeddings"]))
        return chunks, np.concatenate(pages) if pages else _matrix([])


class ChromaIndex:
    """The Chroma client plus the pointer to the active chunk collection."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._pointer_name = f"{prefix}-pointer"

    # The pointer is a collection with no records; its metadata names the active collection.
    def _pointer(self) -> Any:
        return self._client.get_or_create_collection(self._pointer_name, metadata={"active": "", "generation": ""})

    def state(self) -> tuple[str, str]:
        """(active collection name, generation); empty strings before the first ingestion."""
        meta = self._pointer().metadata or {}
        return str(meta.get("active", "")), str(meta.get("generation", ""))

    def _set_state(self, active: str) -> str:
        generation = f"{time.time():.6f}-{uuid.uuid4().hex[:8]}"
        self._pointer().modify(metadata={"active": active, "generation": generation})
        return generation

    def _open(self, name: str) -> ChromaChunkStore:
        collection = self._client.get_or_create_collection(
            name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        return ChromaChunkStore(collection)

    def active(self, create: bool = False) -> ChromaChunkStore | None:
        """The collection queries should read; with `create`, make the first one if there is none."""
        name, _ = self.state()
        if name:
            return self._open(name)
        if not create:
            return None
        store = self._open(self._new_name())
        self._set_state(store.name)
        return store

    def mark_changed(self) -> str:
        """Tell running servers that the active collection changed (they reload BM25); the new generation."""
        name, _ = self.state()
        return self._set_state(name)

    def _new_name(self) -> str:
        return f"{self._prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"

    def staging(self) -> ChromaChunkStore:
        """A fresh, empty collection for a rebuild; invisible to queries until `activate`."""
        return self._open(self._new_name())

    def activate(self, store: ChromaChunkStore) -> str:
        """Switch queries to `store`, then drop collections older than the one just retired; the new generation."""
        previous, _ = self.state()
        generation = self._set_state(store.name)
        keep = {store.name, previous, self._pointer_name}
        for collection in self._client.list_collections():
            name = collection if isinstance(collection, str) else collection.name
            if name.startswith(f"{self._prefix}-") and name not in keep:
                self._client.delete_collection(name)
        return generation


# How long a replaced embedded Chroma system is left running before it is stopped: a question that took
# the last snapshot just before a change may still be reading through it.
RETIRE_AFTER_SECONDS = 10.0
# The embedded systems in use, by id, with how many connections of this process use each one: a system is
# stopped only when the last of them has moved on (a test may hold two connections to one directory).
_SYSTEM_USERS: dict[int, int] = {}
_SYSTEM_USERS_LOCK = threading.Lock()


class ChromaConnection:
    """Owns the Chroma client; `reconnect` re-reads what another process (the ingestion job) wrote."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._system: Any = None
        self.index = self._connect()

    def _connect(self) -> ChromaIndex:
        import chromadb
        from chromadb.config import Settings as ChromaClientSettings

        client_settings = ChromaClientSettings(anonymized_telemetry=False, allow_reset=False)
        if self.settings.chroma.url:
            from urllib.parse import urlparse

            url = urlparse(self.settings.chroma.url)
            client: Any = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=client_settings,
            )
        else:
            path = self.settings.chroma_path
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=client_settings)
            self._system = _shared_system(path)
            if self._system is not None:
                with _SYSTEM_USERS_LOCK:
                    _SYSTEM_USERS[id(self._system)] = _SYSTEM_USERS.get(id(self._system), 0) + 1
        return ChromaIndex(client, self.settings.chroma.collection)

    @property
    def embedded(self) -> bool:
        return not self.settings.chroma.url

    def reconnect(self) -> ChromaIndex:
        # An embedded client caches its vector index in memory: only a fresh client sees
        # records another process added. A server client is always current.
        if self.embedded:
            retired = self._system
            _forget_client(self.settings.chroma_path)
            self.index = self._connect()
            self._retire(retired, RETIRE_AFTER_SECONDS)
        return self.index

    def close(self) -> None:
        if self.embedded:
            _forget_client(self.settings.chroma_path)
            # not stopped here: a client made outside this connection may still use it
            _release(self._system)
            self._system = None

    @staticmethod
    def _retire(system: Any, after: float) -> None:
        """Stop a system this connection no longer uses once no connection of this process uses it.

        An embedded system holds its own copy of the vector index (read again by each new client) outside
        Python's objects; left running, every change to the collection kept one more copy. At 100,000 chunks,
        40 s after two changes, the server held 1,128 MB with this and 1,384 MB without (benchmarks/stall.py)."""
        if not _release(system):
            return
        timer = threading.Timer(after, _stop, args=(system,))
        timer.daemon = True
        timer.start()


@contextmanager
def open_chroma(settings: Settings) -> Iterator[ChromaIndex]:
    """Open the configured Chroma: a server when `chroma.url` is set, else the embedded store."""
    connection = ChromaConnection(settings)
    try:
        yield connection.index
    finally:
        connection.close()


def _release(system: Any) -> bool:
    """One connection fewer uses `system`; True when it was the last one."""
    if system is None:
        return False
    with _SYSTEM_USERS_LOCK:
        users = _SYSTEM_USERS.get(id(system), 0) - 1
        if users > 0:
            _SYSTEM_USERS[id(system)] = users
            return False
        _SYSTEM_USERS.pop(id(system), None)
        return True


def _shared_system(path: Path) -> Any:
    """The embedded system chromadb shares between the clients of `path` (None for a chromadb without it)."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        return SharedSystemClient._identifier_to_system.get(str(path))
    except Exception:  # pragma: no cover - a chromadb without this cache
        return None


def _stop(system: Any) -> None:
    if any(system is s for s in _live_systems()):
        return  # another client of this directory picked it up again: not ours to stop
    try:
        system.stop()
    except Exception:  # a system half torn down already: nothing more to free
        log.debug("stopping a retired Chroma system failed", exc_info=True)
    give_back_freed_memory()


def _live_systems() -> list[Any]:
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        return list(SharedSystemClient._identifier_to_system.values())
    except Exception:  # pragma: no cover
        return []


def _forget_client(path: Path) -> None:
    """Make the next embedded client for `path` a fresh one.

    chromadb caches one System per directory and every client looks it up by that key on
    each call, so replacing the entry moves all clients of this directory to the new one.
    The old System is not stopped: a query still running on it finishes.
    """
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    except Exception:  # pragma: no cover - a chromadb without this cache
        pass
