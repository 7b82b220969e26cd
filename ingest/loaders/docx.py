"""Word documents via python-docx: paragraphs grouped under their Heading styles."""

from __future__ import annotations

from pathlib import Path

from assistant.core.evidence import EvidenceMetadata
from ingest.loaders.base import Block, LoadedDocument, LoadError, slug_from_filename, title_from_filename


def load_docx(path: Path, metadata: EvidenceMetadata | None) -> LoadedDocument:
    import docx

    if path.stat().st_size == 0:
        raise LoadError(path, "the file is empty: add content or delete it")
    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise LoadError(path, f"corrupt or unreadable DOCX ({type(exc).__name__}): re-save it from Word") from None

    blocks: list[Block] = []
    trail: dict[int, str] = {}
    buffer: list[str] = []
    title = ""

    def flush() -> None:
        if buffer:
            blocks.append(Block(section=" > ".join(trail[k] for k in sorted(trail)), text="\n".join(buffer)))
            buffer.clear()

    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        if style == "Title" or style.startswith("Heading"):
            level = 1 if style == "Title" else int(style.split()[-1]) if style.split()[-1].isdigit() else 1
            flush()
            if level == 1:
                title = title or text
                trail.clear()
                continue
            trail = {k: v for k, v in trail.items() if k < level}
            trail[level] = text
        else:
            buffer.append(("- " if "List" in style else "") + text)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                buffer.append(" | ".join(cells))
    flush()
    if not blocks:
        raise LoadError(path, "the DOCX has no text paragraphs")
    meta = metadata or EvidenceMetadata(id=slug_from_filename(path), title=title or title_from_filename(path))
    return LoadedDocument(path=path, metadata=meta, blocks=blocks)
