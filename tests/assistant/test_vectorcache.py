"""Vectors a server embeds at every start are kept on disk: the second start reads them, and a changed
text, model or damaged file is embedded again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.core.answering.scope import load_scope_examples
from assistant.core.embeddings import FakeEmbedder
from assistant.core.vectorcache import KEEP, cached_vectors


class Model:
    def __init__(self, identity: str) -> None:
        self.identity = identity


A, B = Model("model/a"), Model("model/b")


class Counting:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(texts)
        return np.asarray(FakeEmbedder(8).embed_documents(texts), dtype=np.float32)


def test_the_second_call_reads_the_disk_and_any_change_embeds_again(tmp_path: Path) -> None:
    encode = Counting()
    first = cached_vectors(tmp_path, "scope", A, ["does cctv work?", "help me"], encode)
    again = cached_vectors(tmp_path, "scope", A, ["does cctv work?", "help me"], encode)
    assert np.array_equal(first, again)
    assert len(encode.calls) == 1
    cached_vectors(tmp_path, "scope", B, ["does cctv work?", "help me"], encode)  # another model
    cached_vectors(tmp_path, "scope", A, ["does cctv work?", "help me!"], encode)  # another text
    assert len(encode.calls) == 3
    for entry in tmp_path.glob("scope-*.npy"):
        entry.write_bytes(b"not an array")
    assert np.array_equal(cached_vectors(tmp_path, "scope", A, ["does cctv work?", "help me"], encode), first)
    assert len(encode.calls) == 4
    assert not list(tmp_path.glob(".*part"))


def test_old_entries_are_pruned(tmp_path: Path) -> None:
    encode = Counting()
    for i in range(KEEP + 5):
        cached_vectors(tmp_path, "documents-fr", A, [f"text {i}"], encode)
    assert len(list(tmp_path.glob("documents-fr-*.npy"))) == KEEP


def test_an_unwritable_folder_costs_time_not_the_answer(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    vectors = cached_vectors(blocked / "cache", "scope", A, ["a", "b"], Counting())
    assert vectors.shape == (2, 8)


def test_the_gates_examples_are_embedded_once_across_processes(tmp_path: Path) -> None:
    examples = tmp_path / "calibration.yaml"
    examples.write_text("questions:\n  - question: does cctv work?\nout_of_scope:\n  - question: a recipe?\n")
    cache = tmp_path / "cache"
    first = load_scope_examples(examples, FakeEmbedder(), cache)
    assert first is not None
    assert len(first) == 2
    assert len(list(cache.glob("scope-*.npy"))) == 1

    class Refusing(FakeEmbedder):
        def embed_documents(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError("embedded again instead of read from the cache")

    second = load_scope_examples(examples, Refusing(), cache)  # a new process: a new embedder object
    assert second is not None
    assert np.array_equal(second.inside, first.inside)
