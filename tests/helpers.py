"""Test helpers shared by several test modules (not fixtures)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import httpx

from assistant.core.embeddings import Embedder
from assistant.core.settings import Settings
from assistant.core.store import open_chroma
from ingest.chunking import Chunker, chunker_for
from ingest.sync import CorpusSync, SyncReport

REPO = Path(__file__).resolve().parents[1]


def run_whatworks(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `whatworks` command over the data directory of `settings`, run from the repo's root."""
    import os

    return subprocess.run(
        [str(REPO / ".venv/bin/whatworks"), *args],
        env={**os.environ, "WHATWORKS_DATA_DIR": str(settings.data_dir)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )


def run_ingest(data_dir: Path, *args: str, fake_model: bool = True) -> subprocess.CompletedProcess[str]:
    """The real `whatworks-ingest` command into `data_dir`, run from the repo's root."""
    import os

    env = {**os.environ, "WHATWORKS_DATA_DIR": str(data_dir)}
    if fake_model:
        env["WHATWORKS_EMBEDDING__BACKEND"] = "fake"
    return subprocess.run(
        [str(REPO / ".venv/bin/whatworks-ingest"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )


def make_chunker(settings: Settings, embedder: Embedder) -> Chunker:
    return chunker_for(embedder, settings.embedding)


def ingest(
    settings: Settings, embedder: Embedder, roots: Sequence[Path], rebuild: bool = False, multilingual: Any = None
) -> SyncReport:
    """Run the same sync the CLI runs, in-process (with `multilingual`, making its vectors ahead as the CLI does)."""
    with open_chroma(settings) as index:
        sync = CorpusSync(
            index,
            embedder,
            make_chunker(settings, embedder),
            int(settings.max_file_mb * 1e6),
            multilingual=multilingual,
            vector_cache=settings.vector_cache if multilingual is not None else None,
        )
        return sync.run(list(roots), rebuild=rebuild)


def start_server(cmd: list[str], ready_url: str, timeout: float = 120) -> subprocess.Popen[bytes]:
    """Start a server process and wait until `ready_url` answers 200; kill it if it never does."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"{cmd[0]} did not start")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def drain(generator: Generator[Any, None, Any]) -> tuple[list[Any], Any]:
    """Every item a generator yields, and the value it returns."""
    items = []
    while True:
        try:
            items.append(next(generator))
        except StopIteration as stop:
            return items, stop.value
