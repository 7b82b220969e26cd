"""The ONNX Runtime embedder (the default) gives the vectors PyTorch gives, from a file exported once from
the packaged weights; PyTorch stays one setting away."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.core.embeddings import OnnxEmbedder, SentenceTransformerEmbedder, make_embedder
from assistant.core.settings import EmbeddingSettings

TEXTS = [
    "does cctv reduce crime?",
    "Scared Straight — Evidence\nA review of nine randomized trials found that participants offended more. " * 6,
    "Les caméras de surveillance réduisent-elles la criminalité?",
    "x",
]


@pytest.mark.slow
def test_onnx_vectors_equal_pytorchs_and_the_export_happens_once(tmp_path: Path) -> None:
    settings = EmbeddingSettings(onnx_dir=tmp_path / "onnx", batch_size=2)  # two batches, of sorted lengths
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
    # the embedding model and the verifier's judge
    assert said == sorted(str(p) for p in tmp_path.glob("*.onnx"))
    assert [Path(p).name.split("-")[0] for p in said] == ["judge", "model"]
    again = CliRunner().invoke(cli, ["export-onnx"])
    assert [line.split(": ")[0] for line in again.output.splitlines()] == ["already exported"] * 2
    assert len(list(tmp_path.iterdir())) == 2
