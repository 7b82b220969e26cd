"""PDF files via pypdf: one block per page, so every chunk knows its page number."""

from __future__ import annotations

from pathlib import Path

from assistant.core.evidence import EvidenceMetadata
from ingest.loaders.base import Block, LoadedDocument, LoadError, slug_from_filename, title_from_filename


def load_pdf(path: Path, metadata: EvidenceMetadata | None) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if path.stat().st_size == 0:
        raise LoadError(path, "the file is empty: add content or delete it")
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise LoadError(path, "the PDF is encrypted (password-protected): save an unprotected copy and ingest that")
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(path, f"corrupt or unreadable PDF ({exc}): re-export it from the original") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise LoadError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    blocks = [Block(section="", text=text.strip(), page=n) for n, text in enumerate(pages, 1) if text.strip()]
    if not blocks:
        raise LoadError(path, "the PDF has no extractable text (a scan?): add a text version or run OCR first")
    meta = metadata or EvidenceMetadata(
        id=slug_from_filename(path), title=_first_line(blocks) or title_from_filename(path)
    )
    return LoadedDocument(path=path, metadata=meta, blocks=blocks)


def _first_line(blocks: list[Block]) -> str:
    line = blocks[0].text.strip().splitlines()[0].strip() if blocks else ""
    return line if 3 <= len(line) <= 200 else ""
