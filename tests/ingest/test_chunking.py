"""Chunks stay inside the model's window (measured with its own tokenizer) and keep title and section."""

from __future__ import annotations

from pathlib import Path

from assistant.core.embeddings import SentenceTransformerEmbedder
from assistant.core.settings import EmbeddingSettings
from ingest.chunking import Chunker
from ingest.loaders import discover, load_document

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_every_corpus_chunk_fits_the_model_window_with_its_title() -> None:
    settings = EmbeddingSettings()
    tokenizer_only = SentenceTransformerEmbedder(settings)  # chunking needs the tokenizer, not the model
    chunker = Chunker(tokenizer_only.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens, 256)
    total = 0
    for path in discover([CORPUS]):
        doc = load_document(path, 20_000_000)
        chunks = chunker.split(doc, str(path))
        assert chunks, path
        for chunk in chunks:
            assert tokenizer_only.count_tokens(chunk.context_text()) <= 256, (path, chunk.section)
            assert chunk.context_text().startswith(doc.metadata.title)
            assert chunk.metadata["document_id"] == doc.metadata.id
            assert chunk.section.split(" > ")[0].lower() != "sources"
        total += len(chunks)
    assert total > 300


def test_long_section_is_split_and_keeps_its_path() -> None:
    from assistant.core.evidence import EvidenceMetadata
    from ingest.loaders import Block, LoadedDocument

    settings = EmbeddingSettings()
    model = SentenceTransformerEmbedder(settings)
    chunker = Chunker(model.count_tokens, 120, 0, 256)
    text = " ".join(f"Sentence number {i} says that the programme reduced offending in the town." for i in range(60))
    doc = LoadedDocument(
        path=Path("x.md"),
        metadata=EvidenceMetadata(id="long-doc", title="A long document"),
        blocks=[Block(section="Evidence > Canadian context", text=text)],
    )
    chunks = chunker.split(doc, "x.md")
    assert len(chunks) > 3
    assert {c.section for c in chunks} == {"Evidence > Canadian context"}
    assert all(model.count_tokens(c.context_text()) <= 120 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)
