"""Vectors kept on disk between runs, by text: the gate's example questions, every document's and French
passage's multilingual vector. A server's start reads them in milliseconds instead of encoding them
for seconds (for 12,500 documents, minutes), and ingestion writes those of the documents it changed,
so that a server starting after a large ingestion has nothing to encode.

One folder per kind and encoder (`{kind}-{hash of the encoder's identity}/`) holds segments, each a
file of SHA-1 keys of texts and their vectors. A text is looked up by its key, so a changed text,
document or model is simply missing and encoded, whoever asks first. Each write adds a small segment
(written aside, then renamed): one changed document of 12,500 writes one vector, not the 100 MB of
them all. Reads go newest segment first and stop once every text wanted is found. When segments pile
up, or hold far more than is asked for, they are merged into one under a lock shared by the
processes on this disk. A damaged segment is ignored (its texts are encoded again).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
SLACK = 64  # texts beyond twice those asked for before the ones no longer asked for are removed
SEGMENTS = 8  # segments of a kind before they are merged


def cached_vectors(
    folder: Path | None,
    kind: str,
    encoder: object,
    texts: Sequence[str],
    encode: Callable[[list[str]], Any],
    known: Mapping[str, np.ndarray] | None = None,
    prune: bool = True,
) -> np.ndarray:
    """`encode(texts)`, each text's vector read from `folder` when any run wrote it (no folder: all
    encoded). `known`: vectors already in hand by text (the last snapshot's, same encoder); only the
    texts found in neither are encoded, so one changed document of 12,500 costs one encoding.

    `prune`: `texts` is everything of this kind that is wanted now (a server's whole snapshot), so once
    the segments hold more than twice as many, the others are dropped. Ingestion adds without pruning:
    the vectors it writes are for documents the server has not read yet."""
    if folder is None or not texts:
        return _encode_missing(texts, encode, known)
    shelf = folder / f"{kind}-{_digest(str(getattr(encoder, 'identity', type(encoder).__name__)))[:16]}"
    have = dict(known or {})
    wanted = {_key(t): t for t in dict.fromkeys(texts) if t not in have}
    found, held, seen = _read(shelf, wanted) if wanted else ({}, 0, [])
    for key, vector in found.items():
        have[wanted[key]] = vector
    missing = [t for k, t in wanted.items() if k not in found]
    fresh = dict(zip(missing, np.asarray(encode(missing), dtype=np.float32), strict=True)) if missing else {}
    have.update(fresh)
    vectors = np.asarray([have[t] for t in texts], dtype=np.float32)
    if fresh:
        _add(shelf, {_key(t): v for t, v in fresh.items()})
    if prune and held > 2 * len(set(texts)) + SLACK:
        # only the segments read: one written meanwhile (by an ingestion, say) holds what this snapshot
        # has not read yet
        _compact(shelf, {_key(t) for t in texts}, seen)
    return vectors


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode(), usedforsecurity=False).digest()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _segments(shelf: Path) -> list[Path]:
    """Newest first (names begin with the time they were written)."""
    try:
        return sorted(shelf.glob("*.npz"), key=lambda p: p.name, reverse=True)
    except OSError:
        return []


def _load(segment: Path, wanted: Collection[bytes] | None = None) -> tuple[dict[bytes, np.ndarray], int]:
    """The segment's vectors of the `wanted` keys (all when None), and how many it holds. Its keys are
    read first and its vectors only when some are wanted: a change looking for one text among 50,000
    reads 1 MB of keys, not 100 MB of vectors."""
    try:
        with np.load(segment, allow_pickle=False) as data:
            keys = data["keys"]
            if keys.ndim != 2 or keys.shape[1] != 20:
                raise ValueError("the keys are not 20-byte digests")
            as_bytes = [bytes(k) for k in keys]
            rows = [i for i, k in enumerate(as_bytes) if wanted is None or k in wanted]
            if not rows:
                return {}, len(keys)
            vectors = data["vectors"]
            if len(vectors) != len(keys):
                raise ValueError("keys and vectors do not match")
    except FileNotFoundError:
        raise  # merged away meanwhile: the reader looks again
    except Exception as exc:  # damaged (empty, cut short, not a zip: numpy raises several kinds); encoded again
        log.warning("ignoring the damaged vector file %s (%s)", segment, exc)
        return {}, 0
    vectors = vectors.astype(np.float32, copy=False)
    return {as_bytes[i]: vectors[i] for i in rows}, len(keys)


def _read(shelf: Path, wanted: Collection[bytes]) -> tuple[dict[bytes, np.ndarray], int, list[Path]]:
    """The wanted keys' vectors, newest segment first, stopping once all are found; how many entries the
    segments read held (all of them when some key was never found); and the segments read. A segment
    merged away while it was being read sends the reader back to the list for the merged one."""
    found: dict[bytes, np.ndarray] = {}
    held = 0
    seen: list[Path] = []
    for _ in range(3):
        vanished = False
        for segment in _segments(shelf):
            if segment in seen:
                continue
            try:
                entries, count = _load(segment, {k for k in wanted if k not in found} if found else wanted)
            except FileNotFoundError:
                vanished = True
                continue
            seen.append(segment)
            held += count
            found.update(entries)
            if len(found) == len(wanted):
                return found, held, seen
        if not vanished:
            break
    return found, held, seen


def _write_segment(shelf: Path, entries: Mapping[bytes, np.ndarray]) -> Path:
    shelf.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}-{threading.get_ident()}"
    partial = shelf / f".{name}.part"
    width = next(iter(entries.values())).shape[0] if entries else 0
    with partial.open("wb") as f:
        np.savez(
            f,
            keys=np.frombuffer(b"".join(entries), dtype=np.uint8).reshape(len(entries), 20),
            vectors=np.asarray(list(entries.values()), dtype=np.float32).reshape(len(entries), width),
        )
        f.flush()
        os.fsync(f.fileno())  # renamed only once whole: a power cut must not leave an empty segment
    return partial.replace(shelf / f"{name}.npz")


def _add(shelf: Path, entries: Mapping[bytes, np.ndarray]) -> None:
    try:
        _write_segment(shelf, entries)
        for old in shelf.parent.glob(f"{shelf.name.rsplit('-', 1)[0]}-*.np[yz]"):
            old.unlink(missing_ok=True)  # the single files of earlier versions
    except OSError as exc:  # a read-only disk costs the next start time, nothing else
        log.warning("could not keep vectors in %s: %s", shelf, exc)
    if len(_segments(shelf)) > SEGMENTS:
        _compact(shelf, None)


def _compact(shelf: Path, keep: set[bytes] | None, only: Sequence[Path] | None = None) -> None:
    """Merge the segments (`only` those, when given) into one, the newest vector of a key winning, keeping
    only `keep` when given; nothing is done when there are few and nothing to drop. Damaged segments go."""
    try:
        with _locked(shelf):
            segments = [s for s in _segments(shelf) if only is None or s in only]
            if len(segments) <= (SEGMENTS if keep is None else 0):
                return
            merged: dict[bytes, np.ndarray] = {}
            for segment in reversed(segments):  # oldest first: newer ones overwrite
                try:
                    merged.update(_load(segment)[0])
                except FileNotFoundError:
                    continue
            if keep is not None:
                merged = {k: v for k, v in merged.items() if k in keep}
            if merged:
                _write_segment(shelf, merged)
            for segment in segments:  # only those merged: a segment written meanwhile stays
                segment.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not merge the vectors in %s: %s", shelf, exc)


@contextmanager
def _locked(shelf: Path) -> Iterator[None]:
    shelf.mkdir(parents=True, exist_ok=True)
    with (shelf / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _encode_missing(
    texts: Sequence[str], encode: Callable[[list[str]], Any], known: Mapping[str, np.ndarray] | None
) -> np.ndarray:
    if not known:
        return np.asarray(encode(list(texts)), dtype=np.float32)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    fresh = dict(zip(missing, np.asarray(encode(missing), dtype=np.float32), strict=True)) if missing else {}
    return np.asarray([known[t] if t in known else fresh[t] for t in texts], dtype=np.float32)


class RememberedVectors:
    """Unit vectors by text, each text encoded once (in one call with the others it came with) and kept in
    memory; at most `limit` texts, forgotten all at once when full. For texts a server meets again and
    again: the questions it groups, the French twins' sentences it quotes."""

    def __init__(self, encode: Callable[[list[str]], Any], limit: int | None = None) -> None:
        self._encode = encode
        self.limit = limit
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._known))
            if missing:
                if self.limit is not None and len(self._known) + len(missing) > self.limit:
                    self._known.clear()
                self._put(missing, np.asarray(self._encode(missing), dtype=np.float32))
            return np.stack([self._known[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Vectors encoded elsewhere (read from disk, say), normalised like the others."""
        with self._lock:
            self._put(texts, vectors)

    def _put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(vectors) else vectors
        self._known.update(zip(texts, vectors / np.maximum(norms, 1e-9), strict=True))
