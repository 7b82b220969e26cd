"""Incremental sync into a real Chroma: adds, updates, deletes, failures that lose nothing, rebuilds, a server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.core.embeddings import Embedder, FakeEmbedder
from assistant.core.settings import Settings
from assistant.core.store import open_chroma
from tests.conftest import CORPUS, free_port, make_settings
from tests.helpers import ingest, run_ingest, start_server, stop_server
from tests.ingest.conftest import doc

REPO = Path(__file__).resolve().parents[2]


def index_state(settings: Settings) -> dict[str, dict]:
    with open_chroma(settings) as index:
        store = index.active()
        return store.records() if store else {}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


def test_first_run_adds_then_rerun_changes_nothing(corpus_dir: Path, settings: Settings) -> None:
    first = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert (first.added, first.updated, first.unchanged, first.deleted, first.failed) == (3, 0, 0, 0, 0)
    ids = set(index_state(settings))
    again = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 3, 0)
    assert set(index_state(settings)) == ids


def test_changed_document_replaces_its_chunks_and_deleted_file_disappears(corpus_dir: Path, settings: Settings) -> None:
    ingest(settings, FakeEmbedder(), [corpus_dir])
    doc(corpus_dir, "lighting", "# Lighting\n\n## Evidence\n\nLighting reduced crime by a fifth.\n")
    (corpus_dir / "camps.md").unlink()
    report = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert (report.updated, report.deleted, report.unchanged) == (1, 1, 1)
    records = index_state(settings)
    texts_by_doc = {m["document_id"] for m in records.values()}
    assert texts_by_doc == {"lighting", "cameras"}
    with open_chroma(settings) as index:
        chunks = index.active().all_chunks()  # type: ignore[union-attr]
    lighting = [c.text for c in chunks if c.document_id == "lighting"]
    assert lighting == ["Lighting reduced crime by a fifth."]
    assert len(records) == len({c.id for c in chunks})


def test_a_broken_file_is_reported_and_its_indexed_chunks_are_kept(corpus_dir: Path, settings: Settings) -> None:
    ingest(settings, FakeEmbedder(), [corpus_dir])
    before = {i for i, m in index_state(settings).items() if m["document_id"] == "cameras"}
    (corpus_dir / "cameras.md").write_text(
        "---\nid: cameras\ntitle: Cameras\nverdict: superb\n---\nx", encoding="utf-8"
    )
    report = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert report.failed == 1
    assert "cameras.md (field 'verdict')" in report.errors[0]
    after = {i for i, m in index_state(settings).items() if m["document_id"] == "cameras"}
    assert after == before
    assert report.deleted == 0


def test_duplicate_ids_fail_the_second_file(corpus_dir: Path, settings: Settings) -> None:
    twin = corpus_dir / "zz-twin.md"
    twin.write_text((corpus_dir / "lighting.md").read_text(encoding="utf-8"), encoding="utf-8")
    report = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert report.failed == 1
    assert "id 'lighting' is already used by" in report.errors[0]


def test_rebuild_switches_to_a_complete_new_collection(corpus_dir: Path, settings: Settings) -> None:
    ingest(settings, FakeEmbedder(), [corpus_dir])
    with open_chroma(settings) as index:
        old_name, old_generation = index.state()
    report = ingest(settings, FakeEmbedder(), [corpus_dir], rebuild=True)
    assert report.added == 3
    with open_chroma(settings) as index:
        new_name, new_generation = index.state()
        assert new_name != old_name
        assert new_generation != old_generation
        assert index.active().count() == report.chunks  # type: ignore[union-attr]


def test_cli_prints_a_summary_and_json_and_exits_1_on_failure(corpus_dir: Path, tmp_path: Path) -> None:
    (corpus_dir / "empty.md").write_text("", encoding="utf-8")
    run = run_ingest(tmp_path / "cli-data", str(corpus_dir), "--json")
    assert run.returncode == 1
    assert "empty.md: the file is empty" in run.stderr
    lines = run.stdout.strip().splitlines()
    assert lines[-2].startswith("synced: 3 added, 0 updated, 0 unchanged, 0 deleted, 1 failed documents")
    summary = json.loads(lines[-1])
    assert {k: summary[k] for k in ("added", "updated", "unchanged", "deleted", "failed")} == {
        "added": 3,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "failed": 1,
    }
    assert summary["chunks"] == 3
    assert isinstance(summary["seconds"], float)
    assert summary["multilingual"] == 3


def test_the_cli_makes_the_real_multilingual_vectors_the_server_reads(corpus_dir: Path, tmp_path: Path) -> None:
    """`whatworks-ingest` with the real Universal Sentence Encoder: a server's document vectors are then read
    from the data folder, the same as encoded, and nothing is encoded again; with `prepare_multilingual`
    off nothing is made."""
    from assistant.core.crosslingual import DocumentVectors, UniversalSentenceEncoder
    from assistant.core.retrieval import EvidenceSnapshot

    class Refusing(UniversalSentenceEncoder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError(f"encoded {list(texts)[:2]} again")

    run = run_ingest(tmp_path / "data", str(corpus_dir), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1])["multilingual"] == 3
    assert "(3 embedded; 3 multilingual vectors made for French questions) in " in run.stdout
    settings = make_settings(tmp_path / "data")
    with open_chroma(settings) as index:
        snapshot = EvidenceSnapshot(index.active(), "g")  # type: ignore[arg-type]
    vectors = DocumentVectors(Refusing(), snapshot.documents(), settings.vector_cache)
    assert np.allclose(vectors.matrix, UniversalSentenceEncoder().encode(vectors.texts), atol=1e-5)

    os.environ["WHATWORKS_PREPARE_MULTILINGUAL"] = "false"
    try:
        off = run_ingest(tmp_path / "off", str(corpus_dir), "--json")
    finally:
        del os.environ["WHATWORKS_PREPARE_MULTILINGUAL"]
    assert json.loads(off.stdout.strip().splitlines()[-1])["multilingual"] == 0
    assert not (tmp_path / "off" / "cache").exists()


def test_dry_run_writes_nothing(corpus_dir: Path, tmp_path: Path) -> None:
    run = run_ingest(tmp_path / "dry", str(corpus_dir), "--dry-run", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1])["added"] == 3
    assert "would sync" in run.stdout
    assert index_state(make_settings(tmp_path / "dry")) == {}


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` server on a free loopback port."""
    port = free_port()
    cmd = [str(REPO / ".venv/bin/chroma"), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}"
    proc = start_server([*cmd, "--port", str(port)], f"{url}/api/v2/heartbeat", timeout=60)
    try:
        yield url
    finally:
        stop_server(proc)


def test_sync_against_a_chroma_server(corpus_dir: Path, tmp_path: Path, chroma_server: str) -> None:
    settings = make_settings(tmp_path / "unused")
    settings.chroma.url = chroma_server
    assert ingest(settings, FakeEmbedder(), [corpus_dir]).added == 3
    (corpus_dir / "camps.md").unlink()
    report = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert (report.deleted, report.unchanged) == (1, 2)
    assert {m["document_id"] for m in index_state(settings).values()} == {"lighting", "cameras"}
    assert not (tmp_path / "unused" / "chroma").exists()


@pytest.mark.slow
def test_sigkill_midway_then_rerun_equals_a_clean_build(tmp_path: Path, corpus_settings: Settings) -> None:
    """Kill a real ingestion of the real corpus with SIGKILL mid-write; the re-run must repair it exactly."""
    data = tmp_path / "crash"
    env = {**os.environ, "WHATWORKS_DATA_DIR": str(data), "WHATWORKS_EMBEDDING__BATCH_SIZE": "16"}
    cmd = [str(REPO / ".venv/bin/whatworks-ingest"), str(CORPUS.relative_to(REPO))]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    crashed = make_settings(data)
    deadline = time.monotonic() + 240
    written = 0
    while proc.poll() is None and time.monotonic() < deadline:
        written = len(index_state(crashed)) if (data / "chroma").exists() else 0
        if written >= 60:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.3)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the ingestion finished before it could be killed"
    assert 0 < written < len(index_state(corpus_settings))

    rerun = subprocess.run(cmd + ["--json"], env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    repaired = index_state(crashed)
    clean = index_state(corpus_settings)
    assert set(repaired) == set(clean)
    assert json.loads(rerun.stdout.strip().splitlines()[-1])["chunks"] == len(clean)
    shutil.rmtree(data, ignore_errors=True)


def test_a_metadata_only_change_rewrites_the_chunks(corpus_dir: Path, settings: Settings) -> None:
    ingest(settings, FakeEmbedder(), [corpus_dir])
    path = corpus_dir / "camps.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("verdict: no-effect", "verdict: harmful"), encoding="utf-8"
    )
    report = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert (report.updated, report.unchanged) == (1, 2)
    verdicts = {m["verdict"] for m in index_state(settings).values() if m["document_id"] == "camps"}
    assert verdicts == {"harmful"}


class CountingEmbedder(FakeEmbedder):
    """The fake model, counting how often the tokenizer is asked (chunking counts tokens; skipping does not)."""

    def __init__(self) -> None:
        super().__init__()
        self.token_counts = 0

    def count_tokens(self, text: str) -> int:
        self.token_counts += 1
        return super().count_tokens(text)


def test_an_unchanged_document_is_not_chunked_again_and_a_changed_cut_is(corpus_dir: Path, settings: Settings) -> None:
    first = CountingEmbedder()
    ingest(settings, first, [corpus_dir])
    assert first.token_counts > 0
    again = CountingEmbedder()
    report = ingest(settings, again, [corpus_dir])
    assert (report.unchanged, again.token_counts) == (3, 0)  # known by their fingerprint, not re-chunked
    # one changed file is chunked alone
    doc(corpus_dir, "camps", "# Camps\n\n## Evidence\n\nBoot camps had no effect on reoffending.\n", "no-effect")
    one = CountingEmbedder()
    report = ingest(settings, one, [corpus_dir])
    assert (report.updated, report.unchanged) == (1, 2)
    assert 0 < one.token_counts
    # a different cut (chunk size) is a different fingerprint: everything is chunked and compared again
    settings.embedding.chunk_tokens = 150
    report = ingest(settings, CountingEmbedder(), [corpus_dir])
    assert report.unchanged + report.updated == 3
    assert {m["fingerprint"] for m in index_state(settings).values()} != {""}


def test_the_splitter_counts_each_text_once(tmp_path: Path) -> None:
    from ingest.chunking import Chunker
    from ingest.loaders import load_document

    body = " ".join(f"In site {i} street lighting cut crime by {i % 7 + 2} percent." for i in range(200))
    path = doc(tmp_path, "long", "# Long\n\n## Evidence\n\n" + body + "\n")
    asked: list[str] = []
    chunker = Chunker(lambda t: (asked.append(t), FakeEmbedder().count_tokens(t))[1], 60, 10, 256)
    chunks = chunker.split(load_document(path, 10_000_000), "long.md")
    assert len(chunks) > 5
    assert len(asked) == len(set(asked))  # the splitter asks again and again; the tokenizer hears each text once


def test_a_french_translation_joins_its_document_and_follows_its_metadata(corpus_dir: Path, settings: Settings) -> None:
    """`cameras.fr.md` (id and lang: fr) is ingested as the French text of `cameras`: its chunks carry the
    original's verdict and `language: fr`, the English snapshot never sees them, and a changed verdict in
    the original rewrites them too."""
    from assistant.core.retrieval import EvidenceSnapshot

    twin = corpus_dir / "cameras.fr.md"
    twin.write_text(
        "---\nid: cameras\nlang: fr\n---\n\n# Caméras\n\n## Ce que disent les données\n\n"
        "Les caméras ont aidé dans les stationnements.\n",
        encoding="utf-8",
    )
    report = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert (report.added, report.failed) == (4, 0), report.errors
    french = {i: m for i, m in index_state(settings).items() if m.get("language") == "fr"}
    assert [(m["document_id"], m["verdict"], m["section"]) for m in french.values()] == [
        ("cameras", "effective", "Ce que disent les données")
    ]
    with open_chroma(settings) as index:
        snapshot = EvidenceSnapshot(index.active(), "g1")  # type: ignore[arg-type]
    assert all(c.metadata.get("language", "en") == "en" for c in snapshot.chunks)
    assert [c.text for c in snapshot.translations()["cameras"]] == ["Les caméras ont aidé dans les stationnements."]
    assert [c.text for c in snapshot.documents()["cameras"]] == ["Cameras helped in car parks."]

    doc(corpus_dir, "cameras", "# Cameras\n\n## Evidence\n\nCameras helped in car parks.\n", verdict="mixed")
    again = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert again.updated == 2, again.documents
    french = [m for m in index_state(settings).values() if m.get("language") == "fr"]
    assert [m["verdict"] for m in french] == ["mixed"]


def test_ingestion_makes_the_multilingual_vectors_a_starting_server_would(corpus_dir: Path, settings: Settings) -> None:
    """At 12,500 documents a server's first start spent minutes encoding every document for French questions;
    ingestion now makes those vectors for the documents it writes, and the server reads them."""
    from assistant.core.crosslingual import DocumentVectors, FakeMultilingualEncoder
    from assistant.core.retrieval import EvidenceSnapshot

    class Refusing(FakeMultilingualEncoder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError(f"the server encoded {list(texts)[:2]} again")

    (corpus_dir / "cameras.fr.md").write_text(
        "---\nid: cameras\nlang: fr\n---\n\n# Caméras\n\n## Données\n\nLes caméras ont aidé.\n", encoding="utf-8"
    )
    encoder = FakeMultilingualEncoder()
    report = ingest(settings, FakeEmbedder(), [corpus_dir], multilingual=encoder)
    # three documents, the twin's one passage, and the same text again as a sentence its aligner reads
    assert report.multilingual == 5
    assert report.summary()["multilingual"] == 5

    def server_vectors() -> DocumentVectors:
        with open_chroma(settings) as index:
            snapshot = EvidenceSnapshot(index.active(), "g")  # type: ignore[arg-type]
        return DocumentVectors(Refusing(), snapshot.documents(), settings.vector_cache, None, snapshot.translations())

    vectors = server_vectors()
    assert sorted(vectors.ids) == ["cameras", "camps", "lighting"]
    assert np.allclose(vectors.matrix, FakeMultilingualEncoder().encode(vectors.texts))

    encoder.encoded.clear()
    doc(corpus_dir, "lighting", "# Lighting\n\n## Evidence\n\nBetter lighting reduced crime at night.\n")
    again = ingest(settings, FakeEmbedder(), [corpus_dir], multilingual=encoder)
    assert (again.updated, again.multilingual) == (1, 1)
    assert len(encoder.encoded) == 1  # the changed document alone
    assert "at night" in encoder.encoded[0]
    assert any("at night" in t for t in server_vectors().texts)  # read, not encoded (Refusing)
    assert ingest(settings, FakeEmbedder(), [corpus_dir], multilingual=encoder).multilingual == 0


@pytest.mark.parametrize(
    ("front", "field", "says"),
    [
        ("id: nothing-here\nlang: fr", "id", "no document with id 'nothing-here' to translate"),
        ("id: cameras\nlang: de", "lang", "use 'fr'"),
        ("id: cameras\nlang: fr\nverdict: effective", "verdict", "belongs in the original"),
        ("lang: fr", "id", "needs the 'id'"),
    ],
)
def test_a_broken_translation_names_its_file_and_field_and_loses_nothing(
    corpus_dir: Path, settings: Settings, front: str, field: str, says: str
) -> None:
    ingest(settings, FakeEmbedder(), [corpus_dir])
    before = index_state(settings)
    (corpus_dir / "cameras.fr.md").write_text(f"---\n{front}\n---\n\n## Données\n\nDu texte.\n", encoding="utf-8")
    report = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert report.failed == 1
    assert report.errors[0].startswith(f"{corpus_dir / 'cameras.fr.md'} (field '{field}'): "), report.errors
    assert says in report.errors[0]
    assert index_state(settings) == before


def test_a_translation_ingested_alone_takes_the_metadata_of_the_file_beside_it(
    corpus_dir: Path, settings: Settings
) -> None:
    twin = corpus_dir / "camps.fr.md"
    twin.write_text(
        "---\nid: camps\nlang: fr\n---\n\n## Données\n\nLes camps n'ont eu aucun effet.\n", encoding="utf-8"
    )
    report = ingest(settings, FakeEmbedder(), [twin])
    assert (report.added, report.failed) == (1, 0), report.errors
    assert [m["verdict"] for m in index_state(settings).values()] == ["no-effect"]


def test_a_translation_is_not_embedded_by_the_english_model(corpus_dir: Path, settings: Settings) -> None:
    """The English model never searches a twin's chunks, so it does not embed them: each gets a stand-in unit
    vector drawn from its id (the same at every run), and the English chunks keep the model's vectors."""
    from ingest.sync import stand_in

    (corpus_dir / "cameras.fr.md").write_text(
        "---\nid: cameras\nlang: fr\n---\n\n## Données\n\nLes caméras ont aidé.\n\n## Coût\n\nAucun chiffre.\n",
        encoding="utf-8",
    )
    embedder = FakeEmbedder()
    report = ingest(settings, embedder, [corpus_dir])
    assert report.embedded == 3  # the three English documents' chunks, not the twin's two
    with open_chroma(settings) as index:
        chunks, vectors = index.active().export(sorted(index_state(settings)))  # type: ignore[union-attr]
    for chunk, vector in zip(chunks, vectors, strict=True):
        if chunk.metadata.get("language") == "fr":
            assert list(vector) == pytest.approx(stand_in(chunk.id, embedder.dimension))
        else:
            assert list(vector) == pytest.approx(embedder.embed_documents([chunk.context_text()])[0])


def test_a_renamed_file_keeps_its_chunks_and_an_unreadable_original_fails_only_its_twin(
    corpus_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunk ids do not depend on the path, so a renamed file's chunks, written under the new name, must not be
    deleted with the old name; and an original that cannot be read fails its twin, never the run."""
    import ingest.sync as sync_module

    ingest(settings, FakeEmbedder(), [corpus_dir])
    before = {i for i, m in index_state(settings).items() if m["document_id"] == "cameras"}
    (corpus_dir / "cameras.md").rename(corpus_dir / "cameras-renamed.md")
    (corpus_dir / "camps.fr.md").write_text("---\nid: camps\nlang: fr\n---\n\n## Données\n\nAucun effet.\n", "utf-8")
    (corpus_dir / "camps.md").unlink()
    real = sync_module.load_document

    def unreadable(path: Path, max_bytes: int):  # type: ignore[no-untyped-def]
        if path.name == "camps.md":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, max_bytes)

    monkeypatch.setattr(sync_module, "load_document", unreadable)
    (corpus_dir / "camps.md").write_text("placeholder", encoding="utf-8")
    report = ingest(settings, FakeEmbedder(), [corpus_dir])
    assert report.failed == 2  # camps.md unreadable, and so its twin
    assert any("camps.fr.md" in e for e in report.errors)
    after = {i for i, m in index_state(settings).items() if m["document_id"] == "cameras"}
    assert after == before
    assert {m["source"] for i, m in index_state(settings).items() if i in after} == {
        str(corpus_dir / "cameras-renamed.md")
    }


def test_an_original_ingested_alone_rewrites_its_twin(corpus_dir: Path, settings: Settings) -> None:
    (corpus_dir / "cameras.fr.md").write_text(
        "---\nid: cameras\nlang: fr\n---\n\n## Données\n\nLes caméras ont aidé.\n", encoding="utf-8"
    )
    ingest(settings, FakeEmbedder(), [corpus_dir])
    doc(corpus_dir, "cameras", "# Cameras\n\n## Evidence\n\nCameras helped in car parks.\n", verdict="mixed")
    report = ingest(settings, FakeEmbedder(), [corpus_dir / "cameras.md"])
    assert (report.updated, report.failed) == (2, 0), report.errors
    assert {m["verdict"] for m in index_state(settings).values() if m["document_id"] == "cameras"} == {"mixed"}


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_translation_whose_original_was_deleted_leaves_the_index_with_it(
    corpus_dir: Path, settings: Settings, rebuild: bool
) -> None:
    """A curator withdraws `cameras.md` but forgets `cameras.fr.md`: French answers must not go on quoting the
    withdrawn evidence, so the twin's chunks go too, and the run says which file to delete."""
    twin = corpus_dir / "cameras.fr.md"
    twin.write_text("---\nid: cameras\nlang: fr\n---\n\n## Données\n\nLes caméras ont aidé.\n", encoding="utf-8")
    ingest(settings, FakeEmbedder(), [corpus_dir])
    assert any(m.get("language") == "fr" for m in index_state(settings).values())
    (corpus_dir / "cameras.md").unlink()
    report = ingest(settings, FakeEmbedder(), [corpus_dir], rebuild=rebuild)
    assert "cameras" not in {m["document_id"] for m in index_state(settings).values()}
    assert report.failed == 1
    assert any(e.startswith(f"{twin}: its original 'cameras' is no longer in the index") for e in report.errors), (
        report.errors
    )
    assert any("delete this file, or restore the original" in e for e in report.errors)


def test_batches_are_written_in_order_beside_the_embedding_and_a_failed_write_stops_the_run(tmp_path: Path) -> None:
    """Each batch is written on a second thread while the next is embedded: in order, one at a time, and a
    write that fails fails the run, as it did when writes were made in line (the next run repairs)."""
    from assistant.core.store import MemoryChunkStore
    from ingest.chunking import Chunker
    from ingest.sync import CorpusSync

    root = tmp_path / "many"
    root.mkdir()
    for n in range(12):
        doc(root, f"doc-{n:02d}", f"# Doc {n}\n\n## Evidence\n\nFinding number {n} about street lighting.\n")
    calls: list[tuple[str, int]] = []

    class Recording(MemoryChunkStore):
        fail_at: int | None = None

        def upsert(self, chunks, embeddings):  # type: ignore[no-untyped-def]
            calls.append(("upsert", len(chunks)))
            if self.fail_at is not None and len(calls) == self.fail_at:
                raise RuntimeError("disk full")
            time.sleep(0.05)  # a slow write: the next batch is embedded meanwhile
            super().upsert(chunks, embeddings)

    store = Recording()
    embedder = FakeEmbedder()
    sync = CorpusSync(None, embedder, Chunker(embedder.count_tokens, 200, 30, 256), 10_000_000, 4, store=store)
    report = sync.run([root])
    assert (report.added, report.chunks, report.embedded) == (12, 12, 12)
    assert calls == [("upsert", 4)] * 3
    assert sorted(c.document_id for c in store.all_chunks()) == [f"doc-{n:02d}" for n in range(12)]

    calls.clear()
    failing = Recording()
    failing.fail_at = 2
    sync = CorpusSync(None, embedder, Chunker(embedder.count_tokens, 200, 30, 256), 10_000_000, 4, store=failing)
    with pytest.raises(RuntimeError, match="disk full"):
        sync.run([root])
    assert calls == [("upsert", 4), ("upsert", 4)]  # nothing written after the failed batch
    assert len(failing.all_chunks()) == 4


def test_multilingual_vectors_that_fail_never_fail_the_run(corpus_dir: Path, settings: Settings) -> None:
    from assistant.core.crosslingual import FakeMultilingualEncoder

    class Broken(FakeMultilingualEncoder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise MemoryError("no room for the vectors")

    report = ingest(settings, FakeEmbedder(), [corpus_dir], multilingual=Broken())
    assert (report.added, report.chunks, report.multilingual, report.failed) == (3, 3, 0, 0)
    assert len(index_state(settings)) == 3


def test_ingestion_makes_the_french_twins_sentence_vectors_a_server_reads(tmp_path: Path, embedder: Embedder) -> None:
    """A document with a French twin: the sentences a server's aligner reads after start-up come from the data
    folder, made by ingestion (each API process spent 5-8 s of CPU on them just after `/readyz` before)."""
    from assistant.core.crosslingual import TwinAligner, UniversalSentenceEncoder
    from assistant.core.retrieval import EvidenceSnapshot

    class Refusing(UniversalSentenceEncoder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError(f"encoded {list(texts)[:2]} again")

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("cctv.md", "cctv.fr.md"):
        shutil.copy(next(CORPUS.rglob(name)), corpus / name)
    settings = make_settings(tmp_path / "data")
    assert ingest(settings, embedder, [corpus], multilingual=UniversalSentenceEncoder()).failed == 0
    with open_chroma(settings) as index:
        snapshot = EvidenceSnapshot(index.active(), "g")  # type: ignore[arg-type]
    twins = snapshot.translations("fr").values()
    assert sum(len(t) for t in twins) > 1
    learned = TwinAligner(Refusing(), 0.6).learn(twins, settings.vector_cache)
    assert learned > sum(len(t) for t in twins)  # every passage and its sentences
