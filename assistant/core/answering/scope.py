"""Is a question ours at all? A second opinion for the evidence gate, from labelled example questions.

Retrieval scores alone cannot tell "how do I become a police officer in Ontario?" from a
hard in-scope question: every word of it is in the evidence base, and a passage about
Ontario policing is close. What differs is the kind of question. So the gate also asks how
close the question is to example questions we answer, against examples we do not
(careers, translation, personal legal advice, IT help...). The examples are a curated YAML
file (`corpus/eval/calibration.yaml`, the same one the gate is calibrated on), so a curator
who sees a wrongly answered question in the logs can add it and re-run `whatworks calibrate`.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from assistant.core.embeddings import Embedder
from assistant.core.vectorcache import cached_vectors

NEIGHBOURS = 3


@dataclass(frozen=True)
class ScopeExamples:
    """Unit vectors of example questions we answer (`inside`) and do not (`outside`)."""

    inside: np.ndarray
    outside: np.ndarray
    neighbours: int = NEIGHBOURS

    def score(self, query_vector: np.ndarray) -> float:
        """Mean similarity to the nearest examples inside, minus the same outside; about 0 when unsure."""
        if not len(self.inside) or not len(self.outside):
            return 0.0
        return _near(self.inside @ query_vector, self.neighbours) - _near(self.outside @ query_vector, self.neighbours)

    def without(self, inside: int | None = None, outside: int | None = None) -> ScopeExamples:
        """The examples less one: to score an example question fairly, it must not meet itself."""
        return ScopeExamples(
            np.delete(self.inside, inside, axis=0) if inside is not None else self.inside,
            np.delete(self.outside, outside, axis=0) if outside is not None else self.outside,
            self.neighbours,
        )

    def __len__(self) -> int:
        return len(self.inside) + len(self.outside)


def _near(similarities: np.ndarray, k: int) -> float:
    k = min(k, len(similarities))
    return float(np.mean(np.partition(similarities, -k)[-k:]))


def read_examples(path: Path) -> tuple[list[str], list[str]]:
    """The in-scope and out-of-scope questions of a question file (the eval format)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected `questions:` and `out_of_scope:` lists")
    inside = [str(item["question"]) for item in data.get("questions") or []]
    outside = [str(item["question"]) for item in data.get("out_of_scope") or []]
    return inside, outside


# per embedder (weakly, so a discarded model's entry goes with it), per file content
_cache: weakref.WeakKeyDictionary[Embedder, dict[str, ScopeExamples]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def load_scope_examples(path: Path | None, embedder: Embedder, cache: Path | None = None) -> ScopeExamples | None:
    """Embedded examples, or None when there is no file (the gate then relies on retrieval alone).

    Embedding the ~260 questions takes about a second, so each (embedder, file content) pair is embedded once
    per process, and once for all processes when a `cache` folder is given (`vectorcache`).
    """
    if path is None or not path.is_file():
        return None
    key = hashlib.sha256(path.read_bytes()).hexdigest()
    with _cache_lock:
        embedded = _cache.setdefault(embedder, {})
        if key not in embedded:
            inside, outside = read_examples(path)
            vectors = cached_vectors(cache, "scope", embedder, inside + outside, embedder.embed_documents)
            vectors = vectors.reshape(len(inside) + len(outside), -1)
            embedded[key] = ScopeExamples(vectors[: len(inside)], vectors[len(inside) :])
        return embedded[key]


def load_context_words(path: Path | None) -> frozenset[str]:
    """Lower-case words of a context-words file (one term per line, # comments); empty without a file."""
    if path is None or not path.is_file():
        return frozenset()
    found: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        term = line.split("#", 1)[0].strip().lower()
        found.update(term.replace("-", " ").split())
    return frozenset(found)
