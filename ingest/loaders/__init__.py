"""Find corpus files and load each with the loader for its format."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assistant.core.evidence import EvidenceMetadata
from ingest.discovery import SUPPORTED, discover
from ingest.loaders.base import Block, LoadedDocument, LoadError, parse_yaml, read_text_file, validate_metadata
from ingest.loaders.docx import load_docx
from ingest.loaders.html import load_html
from ingest.loaders.markdown import load_markdown, load_text
from ingest.loaders.pdf import load_pdf

__all__ = ["SUPPORTED", "Block", "LoadError", "LoadedDocument", "discover", "load_document"]


def sidecar_metadata(path: Path) -> EvidenceMetadata | None:
    """Front matter for a PDF, DOCX, HTML or text file, from NAME.meta.yaml beside it."""
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + ".meta.yaml")
    if not sidecar.exists():
        return None
    raw = parse_yaml(sidecar, read_text_file(sidecar), "metadata file")
    return validate_metadata(sidecar, raw, "metadata file")


def load_document(path: Path, max_bytes: int) -> LoadedDocument:
    """Load one file; raises LoadError naming the file and the reason."""
    size = path.stat().st_size
    if size > max_bytes:
        raise LoadError(
            path,
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit: split it, "
            "or raise WHATWORKS_MAX_FILE_MB",
        )
    if size == 0:
        raise LoadError(path, "the file is empty: add content or delete it")
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        doc = load_markdown(path)
    elif suffix == ".txt":
        doc = load_text(path, sidecar_metadata(path))
    elif suffix in (".html", ".htm"):
        doc = load_html(path, sidecar_metadata(path))
    elif suffix == ".pdf":
        doc = load_pdf(path, sidecar_metadata(path))
    elif suffix == ".docx":
        doc = load_docx(path, sidecar_metadata(path))
    else:
        raise LoadError(path, f"unsupported file type {suffix!r}: use Markdown, text, HTML, PDF or DOCX")
    digest = hashlib.sha256(path.read_bytes())
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + ".meta.yaml")
    if sidecar.exists():
        digest.update(sidecar.read_bytes())
    doc.content_hash = digest.hexdigest()
    return doc
