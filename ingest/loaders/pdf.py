"""PDF files via pypdf: text by page, so every chunk knows its page number.

Running heads and footers repeated across pages, page numbers and record fields are taken
out, and lines wrapped by the page layout are joined back into sentences.
"""

from __future__ import annotations

from pathlib import Path

from assistant.core.evidence import EvidenceMetadata
from ingest.loaders.base import (
    Block,
    LoadedDocument,
    LoadError,
    derived_title,
    uncurated_document,
    with_link,
)
from ingest.loaders.cleaning import Cleaning, running_lines, without_running_lines
from ingest.loaders.markdown import clean_document, markdown_blocks


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
        info = reader.metadata
        info_title = str(info.get("/Title") or "") if info is not None else ""
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(path, f"corrupt or unreadable PDF ({exc}): re-export it from the original") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise LoadError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    cleaning = Cleaning()
    blocks: list[Block] = []
    if metadata is not None:
        # a curated PDF (often a form or a template) keeps its page text as laid out
        blocks = [Block(section="", text=text.strip(), page=n) for n, text in enumerate(pages, 1) if text.strip()]
    running = running_lines(pages) if metadata is None else set()
    first_line: str | None = None
    section = ""
    for number, page in enumerate(pages if metadata is None else [], 1):
        title, body = clean_document(without_running_lines(page, running, cleaning), cleaning, take_title=number == 1)
        first_line = first_line or title
        for block in markdown_blocks(body):
            # a section runs on across pages until the next heading
            section = block.section or section
            blocks.append(Block(section=section, text=block.text, page=number, heading_level=block.heading_level))
    if not blocks:
        raise LoadError(path, "the PDF has no extractable text (a scan?): add a text version or run OCR first")
    if metadata is not None:
        return LoadedDocument(
            path=path, metadata=with_link(metadata, cleaning), blocks=blocks, removed=len(cleaning.removed)
        )
    usable_info = info_title if not info_title.lower().startswith(("microsoft word", "untitled")) else None
    return uncurated_document(path, derived_title(first_line, usable_info), blocks, cleaning, "\n".join(pages))
