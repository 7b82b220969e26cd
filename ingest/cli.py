"""`whatworks-ingest [PATHS...] [--dry-run] [--rebuild] [--json]`: the curators' ingestion job."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.core.settings import Settings
from ingest import manifest
from ingest.report import SyncReport

app = typer.Typer(add_completion=False, help="Load, validate, chunk, embed and sync evidence documents into Chroma.")


class TerminalProgress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int, name: str) -> None:
        if not self.enabled or total <= 0:
            return
        width = 28
        filled = int(width * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:<40}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


@app.command()
def main(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the corpus folder).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and chunk only; write nothing.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build a fresh collection, then switch to it.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="End with the summary as one JSON line.")] = False,
    show_report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="List each new or changed document: title, verdict, sections, chunks, link, suggested verdict, "
            "warnings.",
        ),
    ] = False,
) -> None:
    """Sync the evidence base into the vector store; exits 1 when any file failed."""
    settings = Settings()
    roots = list(paths or [settings.corpus_dir])
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        typer.echo(f"error: no such file or folder: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    started = dt.datetime.now(dt.UTC)
    report = _sync(settings, roots, rebuild=rebuild, dry_run=dry_run)
    if not dry_run:
        _record_run(settings, report.summary(), started)
    for error in report.errors:
        typer.echo(f"failed: {error}", err=True)
    if show_report:
        for document in report.documents:
            typer.echo("\n".join(document.lines()))
        if not report.documents:
            typer.echo("no new or changed documents")
    typer.echo(report.line())
    if as_json:
        typer.echo(json.dumps(report.summary()))
    raise typer.Exit(1 if report.failed else 0)


def _sync(settings: Settings, roots: list[Path], rebuild: bool, dry_run: bool) -> SyncReport:
    """The run: answered from the last run's manifest when nothing changed since (no Chroma, no model, no
    parsing: the heavy modules are imported only past that check), else done in full."""
    clock = time.perf_counter()
    seen = manifest.snapshot(roots) if not dry_run else None
    if seen is not None and not rebuild and (last := manifest.unchanged(settings, roots, seen)) is not None:
        return SyncReport(
            unchanged=last["documents"], chunks=last["chunks"], seconds=time.perf_counter() - clock, quick=True
        )

    from assistant.core.embeddings import make_embedder
    from assistant.core.store import open_chroma
    from ingest.chunking import chunker_for
    from ingest.sync import CorpusSync

    embedder = make_embedder(settings.embedding)
    chunker = chunker_for(embedder, settings.embedding)
    with _one_run_at_a_time(settings, wanted=seen is not None), open_chroma(settings) as index:
        if seen is not None:
            manifest.forget(settings)
        sync = CorpusSync(
            index,
            embedder,
            chunker,
            max_file_bytes=int(settings.max_file_mb * 1_000_000),
            batch_size=max(settings.embedding.batch_size, 256),  # chunks per write: fewer, larger upserts
            progress=TerminalProgress(),
            multilingual=_multilingual(settings),
            vector_cache=settings.vector_cache,
        )
        before = index.state()[1]
        report = sync.run(roots, rebuild=rebuild, dry_run=dry_run)
        # only when the index is as this run left it: another writer meanwhile (a second run) makes the
        # next run do its full work
        if seen is not None and not report.failed and not report.errors:
            after = index.state()[1]
            if after == (sync.generation or before):
                documents = report.added + report.updated + report.unchanged
                manifest.remember(settings, roots, seen, after, documents, report.chunks)
    return report


@contextmanager
def _one_run_at_a_time(settings: Settings, wanted: bool) -> Iterator[None]:
    """An exclusive lock on `DATA_DIR/ingest.lock` from before a run writes until its manifest is kept: two
    runs at once could otherwise each write their own reading of a file edited between them, and the second
    keep a manifest vouching for both versions' chunks. A second run waits for the first."""
    if not wanted:
        yield
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / "ingest.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            typer.echo("another ingestion of this data folder is running: waiting for it to finish", err=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _multilingual(settings: Settings) -> Any:
    """The servers' multilingual encoder, when ingestion is to make their vectors ahead."""
    if not (settings.retrieval.multilingual and settings.prepare_multilingual):
        return None
    from assistant.core.crosslingual import UniversalSentenceEncoder

    return UniversalSentenceEncoder()


def _record_run(settings: Settings, summary: dict[str, Any], started: dt.datetime) -> None:
    """Keep the run for the curators' console; the index is synced whether or not this works."""
    from assistant.core.records import RecordStore, RecordsUnavailable

    try:
        store = RecordStore(settings.sql_url)
    except Exception as exc:
        typer.echo(f"warning: the run was not recorded for the console ({exc})", err=True)
        return
    try:
        store.record_ingestion(summary, started)
    except RecordsUnavailable as exc:
        typer.echo(f"warning: the run was not recorded for the console ({exc})", err=True)
    finally:
        store.close()


def run() -> None:
    app()
