"""The ONNX Runtime embedder (the default) gives the vectors PyTorch gives, from a file exported once from
the packaged weights; PyTorch stays one setting away."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.core.embeddings import OnnxEmbedder, SentenceTransformerEmbedder, make_embedder, vectors_tag
from assistant.core.settings import EmbeddingSettings

TEXTS = [
    "does cctv reduce crime?",
    "Scared Straight — Evidence\nA review of nine randomized trials found that participants offended more. " * 6,
    "Les caméras de surveillance réduisent-elles la criminalité?",
    "x",
]


@pytest.mark.slow
def test_onnx_vectors_equal_pytorchs_and_the_export_happens_once(tmp_path: Path) -> None:
    # two batches, of sorted lengths, on the packaged model's full-precision weights
    settings = EmbeddingSettings(onnx_dir=tmp_path / "onnx", batch_size=2, precision="fp32")
    onnx = OnnxEmbedder(settings)
    assert not onnx.onnx_path().exists()
    fast = np.asarray(onnx.embed_documents(TEXTS))
    assert onnx.onnx_path().exists()
    assert [p.name for p in (tmp_path / "onnx").iterdir()] == [onnx.onnx_path().name]  # no partial file left
    torch = np.asarray(SentenceTransformerEmbedder(settings).embed_documents(TEXTS))
    assert fast.shape == torch.shape == (4, 384)
    assert np.abs(fast - torch).max() < 1e-5
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert np.allclose(onnx.embed_query(TEXTS[0]), fast[0], atol=1e-6)
    # a second process finds the file: it loads, it does not export again
    stamp = onnx.onnx_path().stat().st_mtime_ns
    assert np.allclose(OnnxEmbedder(settings).embed_documents(TEXTS[:1]), fast[:1], atol=1e-6)
    assert onnx.onnx_path().stat().st_mtime_ns == stamp


def test_the_backend_is_a_setting() -> None:
    assert isinstance(make_embedder(EmbeddingSettings()), OnnxEmbedder)
    torch = make_embedder(EmbeddingSettings(backend="sentence-transformers"))
    assert type(torch) is SentenceTransformerEmbedder


@pytest.mark.slow
def test_export_onnx_command_exports_then_says_it_is_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATWORKS_EMBEDDING__ONNX_DIR", str(tmp_path))
    first = CliRunner().invoke(cli, ["export-onnx"])
    assert first.exit_code == 0, first.output
    said = sorted(line.split("exported: ")[-1] for line in first.output.splitlines() if "exported: " in line)
    # the embedding model (int8, quantised from the full-precision export, which is kept) and the judge
    assert [Path(p).name.split("-")[0] for p in said] == ["judge", "model"]
    assert said[1].endswith("-int8v2.onnx")
    assert said[0].endswith("-int8r.onnx")  # the judge runs as int8 too (7-bit weights); its full export is not kept
    files = sorted(p.name for p in tmp_path.glob("*.onnx"))
    assert files == sorted([Path(said[0]).name, Path(said[1]).name, Path(said[1]).name.replace("-int8v2", "")])
    again = CliRunner().invoke(cli, ["export-onnx"])
    assert [line.split(": ")[0] for line in again.output.splitlines()] == ["already exported"] * 2
    assert len(list(tmp_path.iterdir())) == 3  # no partial file left


@pytest.mark.slow
def test_int8_vectors_stay_near_the_full_precision_ones_and_get_chunk_ids_of_their_own(tmp_path: Path) -> None:
    full = OnnxEmbedder(EmbeddingSettings(onnx_dir=tmp_path, precision="fp32"))
    small = OnnxEmbedder(EmbeddingSettings(onnx_dir=tmp_path, precision="int8"))
    a, b = np.asarray(full.embed_documents(TEXTS)), np.asarray(small.embed_documents(TEXTS))
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.98, cosine  # measured: 0.996 on average over SciFact abstracts
    assert not np.allclose(a, b, atol=1e-4)  # it is the quantised model that ran
    assert small.onnx_path() != full.onnx_path()
    assert small.identity != full.identity
    # many batches go to one single-threaded session per core: the same vectors as one at a time
    many = OnnxEmbedder(EmbeddingSettings(onnx_dir=tmp_path, precision="int8", batch_size=1, threads=2))
    assert np.allclose(many.embed_documents(TEXTS), [small.embed_query(t) for t in TEXTS], atol=1e-5)
    # an index embedded one way is re-embedded when the other is configured: the chunk ids differ
    assert vectors_tag(full) == ""
    assert vectors_tag(small) == f"+{small.identity}"
    assert small.identity.endswith("/int8v2")


def test_the_onnx_embedders_tokenizer_cuts_and_counts_as_transformers_does() -> None:
    from transformers import AutoTokenizer

    onnx = OnnxEmbedder(EmbeddingSettings())
    reference = AutoTokenizer.from_pretrained(str(onnx.model_dir))
    texts = [*TEXTS, "Café crème, naïve façade — “quoted” 37% of 1,000 [1]", "word " * 400, "😀 emoji\tand\ttabs", ""]
    for text in texts:
        expected = reference(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        assert onnx.count_tokens(text) == len(expected)
    feeds = onnx._encode(texts)
    wanted = reference(texts, padding=True, truncation=True, max_length=256, return_tensors="np")
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert np.array_equal(feeds[name], wanted[name]), name
