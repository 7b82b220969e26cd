"""Test helpers shared by several test modules (not fixtures)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.core.embeddings import Embedder
from assistant.core.settings import Settings
from assistant.core.store import open_chroma
from ingest.chunking import Chunker
from ingest.sync import CorpusSync, SyncReport


def make_chunker(settings: Settings, embedder: Embedder) -> Chunker:
    e = settings.embedding
    return Chunker(embedder.count_tokens, e.chunk_tokens, e.chunk_overlap_tokens, e.max_tokens)


def ingest(settings: Settings, embedder: Embedder, roots: Sequence[Path], rebuild: bool = False) -> SyncReport:
    """Run the same sync the CLI runs, in-process."""
    with open_chroma(settings) as index:
        sync = CorpusSync(index, embedder, make_chunker(settings, embedder), int(settings.max_file_mb * 1e6))
        return sync.run(list(roots), rebuild=rebuild)
