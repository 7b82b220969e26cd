"""Which files under the given paths ingestion reads: kept free of the loaders' imports, since the check of an
unchanged run (`ingest.manifest`) walks the same folders before anything heavy is loaded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

SUPPORTED = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"}
SKIP_NAMES = {"README.md", "readme.md"}
SKIP_DIRS = {"eval", ".git", "__pycache__"}


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Every ingestible file under the given files or folders, in a stable order."""
    for root in paths:
        if root.is_file():
            yield root
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or any(p in SKIP_DIRS or p.startswith(".") for p in rel.parts[:-1]):
                continue
            if path.name in SKIP_NAMES or path.name.startswith(".") or path.name.endswith(".meta.yaml"):
                continue
            if path.suffix.lower() in SUPPORTED:
                yield path
