"""An unchanged re-ingest answered from the last run's manifest, through the real `whatworks-ingest`: trusted only
while the files, the settings and the index are as that run left them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.core.settings import Settings
from assistant.core.store import open_chroma
from ingest import manifest
from tests.conftest import make_settings
from tests.helpers import run_ingest
from tests.ingest.test_sync import index_state


def run(data: Path, *args: str, **env: str) -> dict[str, Any]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        done = run_ingest(data, *args, "--json")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    summary["returncode"], summary["stdout"], summary["stderr"] = done.returncode, done.stdout, done.stderr
    return summary


def test_an_unchanged_rerun_is_answered_from_the_manifest_and_any_change_is_not(
    corpus_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = run(data, str(corpus_dir))
    assert (first["added"], first["quick"]) == (3, False)
    assert (data / manifest.NAME).is_file()

    again = run(data, str(corpus_dir))
    assert (again["unchanged"], again["chunks"], again["quick"], again["returncode"]) == (3, 3, True, 0)
    assert "3 unchanged" in again["stdout"]
    assert "no file changed since the last run" in again["stdout"]

    # an edit, even keeping the size and the time of the file, is a change
    camps = corpus_dir / "camps.md"
    before = camps.stat()
    camps.write_text(camps.read_text(encoding="utf-8").replace("no effect", "an effect"), encoding="utf-8")
    os.utime(camps, ns=(before.st_atime_ns, before.st_mtime_ns))
    edited = run(data, str(corpus_dir))
    assert (edited["updated"], edited["unchanged"], edited["quick"]) == (1, 2, False)
    assert any("an effect" in str(m) for m in _texts(data))
    assert run(data, str(corpus_dir))["quick"] is True

    # metadata beside a file, a new file, a file gone
    (corpus_dir / "notes.txt").write_text("A plain note about street lighting and crime.\n", encoding="utf-8")
    added = run(data, str(corpus_dir))
    assert (added["added"], added["quick"]) == (1, False)
    (corpus_dir / "notes.meta.yaml").write_text("id: notes\ntitle: Street lighting notes\nverdict: promising\n")
    assert run(data, str(corpus_dir))["updated"] == 1
    (corpus_dir / "lighting.md").unlink()
    gone = run(data, str(corpus_dir))
    assert (gone["deleted"], gone["quick"]) == (1, False)
    assert "lighting" not in {m["document_id"] for m in index_state(make_settings(data)).values()}

    # what ingestion skips (the eval folder) is not a change; other settings or other roots are
    (corpus_dir / "eval").mkdir()
    (corpus_dir / "eval" / "questions.yaml").write_text("- q: what works?\n", encoding="utf-8")
    assert run(data, str(corpus_dir))["quick"] is True
    assert run(data, str(corpus_dir), WHATWORKS_EMBEDDING__CHUNK_TOKENS="120")["quick"] is False
    assert run(data, str(corpus_dir / "camps.md"))["quick"] is False


def _texts(data: Path) -> list[str]:
    with open_chroma(make_settings(data)) as index:
        store = index.active()
        assert store is not None
        return [c.text for c in store.all_chunks()]


def test_another_writer_to_the_index_makes_the_next_run_do_its_full_work(corpus_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, str(corpus_dir))
    settings = make_settings(data)
    with open_chroma(settings) as index:
        store = index.active()
        assert store is not None
        store.delete([cid for cid, m in store.records().items() if m["document_id"] == "camps"])
        index.mark_changed()
    repaired = run(data, str(corpus_dir))
    assert (repaired["quick"], repaired["updated"] + repaired["added"]) == (False, 1)
    assert {m["document_id"] for m in index_state(settings).values()} == {"lighting", "cameras", "camps"}


def test_a_failing_file_is_reported_again_and_a_damaged_manifest_is_ignored(corpus_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (corpus_dir / "empty.md").write_text("", encoding="utf-8")
    assert run(data, str(corpus_dir))["returncode"] == 1
    assert not (data / manifest.NAME).exists()
    again = run(data, str(corpus_dir))
    assert (again["returncode"], again["failed"], again["quick"]) == (1, 1, False)
    assert "empty.md: the file is empty" in again["stderr"]

    (corpus_dir / "empty.md").unlink()
    assert run(data, str(corpus_dir))["returncode"] == 0
    (data / manifest.NAME).write_text('{"key": {"version": 1}, "files": [', encoding="utf-8")
    damaged = run(data, str(corpus_dir))
    assert (damaged["returncode"], damaged["unchanged"], damaged["quick"]) == (0, 3, False)
    assert run(data, str(corpus_dir))["quick"] is True


def test_a_run_that_writes_removes_the_manifest_before_it_writes(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed midway must not leave a manifest vouching for the index it was changing."""
    data = tmp_path / "data"
    assert run(data, str(corpus_dir))["returncode"] == 0
    (corpus_dir / "camps.md").write_text((corpus_dir / "camps.md").read_text() + "\nMore.\n", encoding="utf-8")
    from ingest import sync
    from ingest.cli import app

    seen: list[bool] = []

    def killed(self: Any, *args: Any, **kwargs: Any) -> None:
        seen.append((data / manifest.NAME).exists())
        raise RuntimeError("killed midway")

    monkeypatch.setattr(sync.CorpusSync, "run", killed)
    monkeypatch.setenv("WHATWORKS_DATA_DIR", str(data))
    monkeypatch.setenv("WHATWORKS_EMBEDDING__BACKEND", "fake")
    result = CliRunner().invoke(app, [str(corpus_dir)])
    assert seen == [False]
    assert isinstance(result.exception, RuntimeError)
    monkeypatch.undo()
    rerun = run(data, str(corpus_dir))
    assert (rerun["quick"], rerun["updated"]) == (False, 1)


def test_no_manifest_is_kept_for_a_chroma_server(tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path / "data")
    settings.chroma.url = "http://127.0.0.1:9"
    seen = manifest.snapshot([tmp_path])
    manifest.remember(settings, [tmp_path], seen, "generation", 1, 1)
    assert not (tmp_path / "data" / manifest.NAME).exists()
    assert manifest.generation(settings) is None


def test_a_run_another_writer_overlapped_leaves_no_manifest(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs at once: the one finishing after the other changed the index must not vouch for it."""
    data = tmp_path / "data"
    from ingest import sync
    from ingest.cli import app

    real_run = sync.CorpusSync.run

    def overlapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        report = real_run(self, *args, **kwargs)
        assert self.index is not None
        self.index.mark_changed()  # as a second ingestion would, between this run's write and its manifest
        return report

    monkeypatch.setattr(sync.CorpusSync, "run", overlapped)
    monkeypatch.setenv("WHATWORKS_DATA_DIR", str(data))
    monkeypatch.setenv("WHATWORKS_EMBEDDING__BACKEND", "fake")
    result = CliRunner().invoke(app, [str(corpus_dir)])
    assert result.exit_code == 0, result.output
    assert not (data / manifest.NAME).exists()
    monkeypatch.undo()
    assert run(data, str(corpus_dir))["quick"] is False
    assert run(data, str(corpus_dir))["quick"] is True


def test_a_file_given_alone_is_watched_with_its_sidecar_and_odd_files_do_not_stop_the_run(tmp_path: Path) -> None:
    """Review findings: the sidecar of "study.v2.txt" is "study.v2.meta.yaml" (as the loader reads it); a
    dangling link (an editor's lock file) or a FIFO in the corpus is skipped, not read."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    study = corpus / "study.v2.txt"
    study.write_text("A study of street lighting and night-time burglary in two towns.\n", encoding="utf-8")
    sidecar = corpus / "study.v2.meta.yaml"
    sidecar.write_text("id: study\ntitle: Street lighting study\nverdict: promising\n", encoding="utf-8")
    data = tmp_path / "data"
    assert run(data, str(study))["added"] == 1
    assert run(data, str(study))["quick"] is True
    sidecar.write_text("id: study\ntitle: Street lighting study\nverdict: effective\n", encoding="utf-8")
    changed = run(data, str(study))
    assert (changed["quick"], changed["updated"]) == (False, 1)
    assert {m["verdict"] for m in index_state(make_settings(data)).values()} == {"effective"}

    (corpus / ".#study.v2.txt").symlink_to(corpus / "gone.txt")  # dangling
    os.mkfifo(corpus / "pipe.txt")
    odd = run(data, str(corpus))
    assert odd["returncode"] == 0, odd["stderr"]
    assert run(data, str(corpus))["quick"] is True


def test_swapping_two_links_is_a_change(tmp_path: Path) -> None:
    store, corpus = tmp_path / "store", tmp_path / "corpus"
    store.mkdir()
    corpus.mkdir()
    for n in (1, 2):
        (store / f"{n}.txt").write_text(f"Notes number {n} about cameras in car parks and theft.\n", encoding="utf-8")
    for name, verdict in (("a", "promising"), ("b", "effective")):
        (corpus / f"{name}.meta.yaml").write_text(f"id: doc-{name}\ntitle: Doc {name}\nverdict: {verdict}\n")
    (corpus / "a.txt").symlink_to(store / "1.txt")
    (corpus / "b.txt").symlink_to(store / "2.txt")
    data = tmp_path / "data"
    assert run(data, str(corpus))["added"] == 2
    (corpus / "a.txt").unlink()
    (corpus / "b.txt").unlink()
    (corpus / "a.txt").symlink_to(store / "2.txt")
    (corpus / "b.txt").symlink_to(store / "1.txt")
    swapped = run(data, str(corpus))
    assert swapped["quick"] is False
    assert swapped["updated"] == 2  # each file now goes with the other sidecar's metadata
