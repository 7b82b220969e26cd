"""Vectors kept on disk between runs, for texts a server embeds at every start (the gate's example
questions, every document for the multilingual search): a restart reads them in milliseconds instead
of embedding them again for seconds.

An entry is named by a hash of the encoder's identity and every text, so a changed file, document or
model makes a new entry; nothing is ever updated in place. A damaged entry is embedded again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
KEEP = 16  # entries kept per kind; older ones are removed as new ones are written


def cached_vectors(
    folder: Path | None,
    kind: str,
    encoder: object,
    texts: Sequence[str],
    encode: Callable[[list[str]], Any],
    known: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """`encode(texts)`, from `folder` when an earlier run wrote it (no folder: always encoded). The
    entry is named by the encoder's `identity` (its class name when it has none) and the texts.
    `known`: vectors already in hand by text (the last snapshot's, same encoder); only the other texts
    are encoded, so one changed document of 12,500 costs one encoding, not 12,500."""
    if folder is None or not texts:
        return _encode_missing(texts, encode, known)
    identity = str(getattr(encoder, "identity", type(encoder).__name__))
    digest = hashlib.sha256(identity.encode())
    for text in texts:
        digest.update(b"\x1e" + text.encode())
    path = folder / f"{kind}-{digest.hexdigest()[:24]}.npy"
    try:
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape[0] == len(texts):
            return vectors.astype(np.float32, copy=False)
    except (OSError, ValueError):
        pass  # absent, or damaged: embedded again below
    vectors = _encode_missing(texts, encode, known)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        with partial.open("wb") as f:
            np.save(f, vectors)
        partial.replace(path)
        _prune(folder, kind)
    except OSError as exc:  # a read-only disk costs the next start time, nothing else
        log.warning("could not keep %s vectors in %s: %s", kind, folder, exc)
    return vectors


def _encode_missing(
    texts: Sequence[str], encode: Callable[[list[str]], Any], known: Mapping[str, np.ndarray] | None
) -> np.ndarray:
    if not known:
        return np.asarray(encode(list(texts)), dtype=np.float32)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    fresh = dict(zip(missing, np.asarray(encode(missing), dtype=np.float32), strict=True)) if missing else {}
    return np.asarray([known[t] if t in known else fresh[t] for t in texts], dtype=np.float32)


def _prune(folder: Path, kind: str) -> None:
    entries = sorted(folder.glob(f"{kind}-*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)


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
