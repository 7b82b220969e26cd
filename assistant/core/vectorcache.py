"""Vectors kept on disk between runs, by text: the gate's example questions, every document's and French
passage's multilingual vector. A server's start reads them in milliseconds instead of encoding them
for seconds (for 12,500 documents, minutes), and ingestion writes those of the documents it changed,
so that a server starting after a large ingestion has nothing to encode.

One file per kind and encoder (`{kind}-{hash of the encoder's identity}.npz`) holds a SHA-1 key per
text and its vector. A text is looked up by its key, so a changed text, document or model is simply
missing and encoded, whoever asks first. The file is replaced whole (written aside, then renamed, under
a lock shared by the processes on this disk); a damaged one is ignored and written anew.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
SLACK = 64  # texts beyond twice those asked for before the ones no longer asked for are removed


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
    the file holds more than twice as many, the others are dropped. Ingestion adds without pruning: the
    vectors it writes are for documents the server has not read yet."""
    if folder is None or not texts:
        return _encode_missing(texts, encode, known)
    path = folder / f"{kind}-{_digest(str(getattr(encoder, 'identity', type(encoder).__name__)))[:16]}.npz"
    stored = _read(path)
    keys = [_key(t) for t in texts]
    have = dict(known or {})
    for text, key in zip(texts, keys, strict=True):
        if text not in have and key in stored:
            have[text] = stored[key]
    missing = [t for t in dict.fromkeys(texts) if t not in have]
    if missing:
        have.update(zip(missing, np.asarray(encode(missing), dtype=np.float32), strict=True))
    vectors = np.asarray([have[t] for t in texts], dtype=np.float32)
    new = {k: v for k, v in zip(keys, vectors, strict=True) if k not in stored}
    oversized = prune and len(stored) > 2 * len(set(keys)) + SLACK
    if new or oversized:
        _write(path, new, set(keys) if oversized else None)
    return vectors


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode(), usedforsecurity=False).digest()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _read(path: Path) -> dict[bytes, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
        if keys.ndim != 2 or keys.shape[1] != 20 or len(keys) != len(vectors):
            raise ValueError("keys and vectors do not match")
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError) as exc:  # damaged: its texts are encoded again and it is rewritten
        log.warning("ignoring the damaged vector file %s (%s)", path, exc)
        return {}
    return dict(zip((bytes(k) for k in keys), vectors.astype(np.float32, copy=False), strict=True))


def _write(path: Path, new: dict[bytes, np.ndarray], keep: set[bytes] | None) -> None:
    """Adds `new` to what the file holds now (another process may have written since it was read), keeping
    only `keep` when given."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            entries = _read(path)
            entries.update(new)
            if keep is not None:
                entries = {k: v for k, v in entries.items() if k in keep}
            partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
            with partial.open("wb") as f:
                width = next(iter(entries.values())).shape[0] if entries else 0
                np.savez(
                    f,
                    keys=np.frombuffer(b"".join(entries), dtype=np.uint8).reshape(len(entries), 20),
                    vectors=np.asarray(list(entries.values()), dtype=np.float32).reshape(len(entries), width),
                )
            partial.replace(path)
            for old in path.parent.glob(f"{path.name.rsplit('-', 1)[0]}-*.npy"):
                old.unlink(missing_ok=True)  # the whole-set entries of earlier versions
    except OSError as exc:  # a read-only disk costs the next start time, nothing else
        log.warning("could not keep vectors in %s: %s", path, exc)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.with_name(f".{path.name}.lock").open("a") as lock:
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
