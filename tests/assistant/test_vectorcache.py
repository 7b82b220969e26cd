"""Vectors a server embeds at every start are kept on disk by text: the second start reads them, a
changed text or model is embedded again (only it), a damaged file is written anew, and ingestion's
vectors made ahead are what the server reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.core.answering.scope import load_scope_examples
from assistant.core.embeddings import FakeEmbedder
from assistant.core.vectorcache import SEGMENTS, SLACK, cached_vectors


class Model:
    def __init__(self, identity: str) -> None:
        self.identity = identity


A, B = Model("model/a"), Model("model/b")


class Refusing:
    def __call__(self, texts: list[str]) -> np.ndarray:
        raise AssertionError(f"encoded {texts} again")


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
    cached_vectors(tmp_path, "scope", B, ["does cctv work?", "help me"], encode)  # another model: all again
    assert encode.calls[-1] == ["does cctv work?", "help me"]
    cached_vectors(tmp_path, "scope", A, ["does cctv work?", "help me!"], encode)  # another text: it alone
    assert encode.calls[-1] == ["help me!"]
    for entry in tmp_path.glob("scope-*/*.npz"):
        entry.write_bytes(b"not an array")
    assert np.array_equal(cached_vectors(tmp_path, "scope", A, ["does cctv work?", "help me"], encode), first)
    assert len(encode.calls) == 4
    for damage in (b"", b"PK\x03\x04 cut short"):  # empty after a power cut; a zip cut short
        for entry in tmp_path.glob("scope-*/*.npz"):
            entry.write_bytes(damage)
        assert np.array_equal(cached_vectors(tmp_path, "scope", A, ["does cctv work?", "help me"], encode), first)
    assert len(encode.calls) == 6
    assert np.array_equal(cached_vectors(tmp_path, "scope", A, ["does cctv work?", "help me"], encode), first)
    assert len(encode.calls) == 6  # the damaged file was written anew
    assert not list(tmp_path.glob(".*part"))


def test_vectors_added_ahead_are_kept_until_the_shelf_holds_twice_what_is_asked(tmp_path: Path) -> None:
    encode = Counting()
    texts = [f"text {i}" for i in range(10)]
    for i in range(40):  # ingestion adds, never removes: the server has not read these documents yet
        cached_vectors(tmp_path, "documents-fr", A, [f"added {i}"], encode, prune=False)
    shelf = next(tmp_path.glob("documents-fr-*"))
    assert len(list(shelf.glob("*.npz"))) <= SEGMENTS + 1  # merged as they pile up
    cached_vectors(tmp_path, "documents-fr", A, texts, encode)  # a server's whole snapshot
    calls = len(encode.calls)
    cached_vectors(tmp_path, "documents-fr", A, [*texts, "added 39"], encode)
    assert len(encode.calls) == calls  # still kept: 50 texts held is not over 2 x 11 + SLACK
    cached_vectors(tmp_path, "documents-fr", A, [f"more {i}" for i in range(2 * 11 + SLACK)], encode, prune=False)
    fewer = [f"text {i}" for i in range(10, 20)]
    cached_vectors(tmp_path, "documents-fr", A, fewer, encode)  # read whole: over, so only these are kept
    assert len(list(shelf.glob("*.npz"))) == 1
    cached_vectors(tmp_path, "documents-fr", A, ["added 0", *fewer], encode)
    assert encode.calls[-1] == ["added 0"]


def test_one_changed_text_writes_one_vector_and_reads_no_other_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100,000 chunks a change used to read and rewrite 100 MB of vectors to add one."""
    encode = Counting()
    texts = [f"document {i}" for i in range(300)]
    first = cached_vectors(tmp_path, "documents-fr", A, texts, encode)
    shelf = next(tmp_path.glob("documents-fr-*"))
    big = next(shelf.glob("*.npz"))
    changed = [*texts[:-1], "document 299, edited"]
    known = dict(zip(texts, first, strict=True))
    cached_vectors(tmp_path, "documents-fr", A, changed, encode, known)
    segments = sorted(shelf.glob("*.npz"))
    assert len(segments) == 2
    newest = next(p for p in segments if p != big)
    with np.load(newest) as data:
        assert data["vectors"].shape == (1, 8)
    read: list[str] = []
    getitem = np.lib.npyio.NpzFile.__getitem__

    def recording(self: np.lib.npyio.NpzFile, key: str) -> np.ndarray:
        read.append(key)
        return getitem(self, key)

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", recording)
    # (prune=False: a few texts asked for are not everything wanted, as a server's snapshot is)
    again = cached_vectors(tmp_path, "documents-fr", A, ["document 299, edited", "document 3"], Refusing(), prune=False)
    assert np.array_equal(again, np.asarray(encode(["document 299, edited", "document 3"])))
    assert read == ["keys", "vectors", "keys", "vectors"]  # both segments needed
    read.clear()
    cached_vectors(tmp_path, "documents-fr", A, ["document 299, edited"], Refusing(), prune=False)
    assert read == ["keys", "vectors"]  # the newest held it: the other is not opened
    read.clear()
    cached_vectors(tmp_path, "documents-fr", A, ["document 299, edited", "new"], encode, prune=False)
    assert read == ["keys", "vectors", "keys"]  # the big one's keys only: "new" is not among them


def test_what_another_process_wrote_meanwhile_is_kept(tmp_path: Path) -> None:
    """Each write adds to the file as it is then, not as it was read: ingestion and a server both write."""
    encode = Counting()
    cached_vectors(tmp_path, "documents-fr", A, ["one"], encode, prune=False)
    cached_vectors(tmp_path, "documents-fr", A, ["two"], encode, prune=False)
    calls = len(encode.calls)
    cached_vectors(tmp_path, "documents-fr", A, ["one", "two"], encode)
    assert len(encode.calls) == calls


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
    assert len(list(cache.glob("scope-*/*.npz"))) == 1

    class Refusing(FakeEmbedder):
        def embed_documents(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError("embedded again instead of read from the cache")

    second = load_scope_examples(examples, Refusing(), cache)  # a new process: a new embedder object
    assert second is not None
    assert np.array_equal(second.inside, first.inside)


def test_vectors_in_hand_are_reused_and_only_changed_texts_encoded(tmp_path: Path) -> None:
    encode = Counting()
    texts = [f"document {i}" for i in range(50)]
    first = cached_vectors(tmp_path, "documents-fr", A, texts, encode)
    changed = [*texts[:10], "document 10, edited", *texts[11:], "a new document"]
    known = dict(zip(texts, first, strict=True))
    second = cached_vectors(tmp_path, "documents-fr", A, changed, encode, known)
    assert encode.calls[-1] == ["document 10, edited", "a new document"]  # not the 49 others
    assert np.array_equal(second, np.asarray(encode(changed)))  # the same vectors as all encoded anew
    assert np.array_equal(cached_vectors(None, "documents-fr", A, changed, encode, known), second)


def test_a_changed_document_costs_one_multilingual_encoding() -> None:
    from assistant.core.chunks import Chunk
    from assistant.core.crosslingual import DocumentVectors, FakeMultilingualEncoder

    def documents(edited: str) -> dict[str, list[Chunk]]:
        texts = {f"d{i}": f"Document {i} on street lighting" for i in range(20)} | {"d3": edited}
        # a chunk id changes with its text, as chunk_id() makes them
        return {d: [Chunk(id=f"{d}:{t}", text=t, metadata={"document_id": d, "title": d})] for d, t in texts.items()}

    encoder = FakeMultilingualEncoder()
    first = DocumentVectors(encoder, documents("Document 3 on street lighting"))
    assert len(encoder.encoded) == 20
    second = DocumentVectors(encoder, documents("Document 3, now on mentoring"), previous=first)
    assert len(encoder.encoded) == 21
    anew = DocumentVectors(FakeMultilingualEncoder(), documents("Document 3, now on mentoring"))
    assert np.allclose(second.matrix, anew.matrix)


def test_the_twins_sentences_are_read_ahead_only_when_memory_would_keep_them_all(tmp_path: Path) -> None:
    """A small base's twins are encoded once (then read from disk at the next start); at 100,000 chunks
    they are not read ahead at all: that took minutes of both cores after readiness, for a part of them."""
    from assistant.core.chunks import Chunk
    from assistant.core.crosslingual import FakeMultilingualEncoder, TwinAligner

    twin = [Chunk(id=f"t{i}", text=f"Phrase un du passage {i}. Phrase deux.", metadata={}) for i in range(3)]
    encoder = FakeMultilingualEncoder()
    assert TwinAligner(encoder, 0.6).learn([twin], tmp_path) == 7  # 3 passages, 3 first sentences, 1 shared
    assert len(encoder.encoded) == 7
    assert TwinAligner(encoder, 0.6).learn([twin], tmp_path) == 7
    assert len(encoder.encoded) == 7  # the next start read them from disk

    class Small(TwinAligner):
        CACHE = 8

    assert Small(encoder, 0.6).learn([twin], tmp_path / "other") == 0
    assert len(encoder.encoded) == 7


def test_a_changed_twin_alone_changes_its_documents_french_words_and_passages() -> None:
    """Texts and vector rows are kept per document whose chunks (and twin's) are unchanged; a twin edited
    alone still changes the French BM25 and its passage's vector."""
    from assistant.core.chunks import Chunk
    from assistant.core.crosslingual import DocumentVectors, FakeMultilingualEncoder

    def chunk(d: str, text: str, lang: str = "en") -> Chunk:
        return Chunk(id=f"{d}:{lang}:{text}", text=text, metadata={"document_id": d, "title": d, "language": lang})

    documents = {f"d{i}": [chunk(f"d{i}", f"Document {i} on street lighting")] for i in range(5)}
    first = DocumentVectors(
        FakeMultilingualEncoder(), documents, translations={"d1": [chunk("d1", "Éclairage des rues", "fr")]}
    )
    second = DocumentVectors(
        FakeMultilingualEncoder(),
        documents,
        previous=first,
        translations={"d1": [chunk("d1", "Mentorat des jeunes filles", "fr")]},
    )
    assert second.texts[0] is first.texts[0]  # an unchanged document's text kept, not made again
    assert second.texts[1] == first.texts[1]
    assert "Mentorat des jeunes filles" in second.passage_texts[0]
    anew = FakeMultilingualEncoder().encode(second.passage_texts)
    assert np.allclose(second.passage_matrix, anew)
    assert second.rank("mentorat des filles")[0].document_id == "d1"
    assert first.rank("mentorat des filles")[0].lexical == 0.0


def test_a_prune_keeps_what_another_process_wrote_while_it_encoded(tmp_path: Path) -> None:
    """A server's first start encodes for minutes; an ingestion writing meanwhile must not see its vectors
    pruned away by the server's merge, which only merges the segments it read."""
    encode = Counting()
    old = [f"old {i}" for i in range(2 * 3 + SLACK + 1)]  # over the prune line for a snapshot of three texts
    cached_vectors(tmp_path, "documents-fr", A, old, encode, prune=False)

    def server_encode(texts: list[str]) -> np.ndarray:
        cached_vectors(tmp_path, "documents-fr", A, ["ingested meanwhile"], encode, prune=False)
        return encode(texts)

    cached_vectors(tmp_path, "documents-fr", A, ["a", "b", "c"], server_encode)
    calls = len(encode.calls)
    cached_vectors(tmp_path, "documents-fr", A, ["ingested meanwhile", "a"], Refusing(), prune=False)
    assert len(encode.calls) == calls
    cached_vectors(tmp_path, "documents-fr", A, ["old 0"], encode, prune=False)  # the old ones were pruned
    assert encode.calls[-1] == ["old 0"]
