"""A learned second reader for the verifier: does the cited passage say what this sentence says?

The rule checks (verifier.py) catch the errors they have words for; a fluent writer finds others
("left young people no worse off" against a passage reporting more delinquency). The judge is a
cross-encoder: all-MiniLM-L6-v2 from its package, fine-tuned here on labelled claims about the
evidence base (`whatworks train-judge`, data in `corpus/eval/claims/train/`), that reads the
sentence together with the passage sentences it restates and the cited document's title and
verdict, and gives the probability that the passage supports it. A sentence the rules accept is
still rejected below the judge's threshold, and the rejection says so with its score.

The fine-tuned layers ship beside this module (`judge/`); the rest of the model is the packaged
one, so nothing is fetched. `FakeJudge` stands in for it in fast unit tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.core.answering.text import STOPWORDS
from assistant.core.settings import EmbeddingSettings
from assistant.core.verification.reading import sentences, stem

if TYPE_CHECKING:
    from assistant.core.settings import VerificationSettings

JUDGE_DIR = Path(__file__).parent / "judge"
WEIGHTS = "weights.safetensors"
CONFIG = "judge.json"
WINDOW = 3  # passage sentences read with the claim: the finding it restates and its neighbours in rank
_CITATION = re.compile(r"\s*\[\d{1,2}\]")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


class PassageLike(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def verdict(self) -> str | None: ...


class ClaimJudge(Protocol):
    """Scores (sentence, passage) pairs: the probability that the passage supports the sentence."""

    threshold: float
    # at or above this, the judge overrides the word-level doubts (who-where, strength, detail, support)
    override: float

    def support(self, pairs: Sequence[tuple[str, str]]) -> list[float]: ...


_TOKEN = re.compile(r"[^\W_]+|[.!?;:]")
_STOP = frozenset(".!?;:")
# words that, earlier in the passage sentence, change what an excerpt of it says
_CONTEXT_TURNS = frozenset(
    "not no never nor neither without whether if unless fail failed fails n't cannot nothing none little "
    "doubt doubtful unclear unknown claim claims claimed belief believe believed".split()
)


def verbatim_excerpt(claim: str, passage: str, min_words: int = 6) -> bool:
    """The claim is a run of at least `min_words` consecutive words of the passage, within one sentence,
    with no negation, condition or reported belief earlier in that sentence: a copy, which says what the
    passage says, so the judge need not read it."""
    words = [w for w in _TOKEN.findall(_CITATION.sub("", claim).lower().replace("n't", " n't")) if w not in _STOP]
    if len(words) < min_words:
        return False
    tokens = _TOKEN.findall(passage.lower().replace("n't", " n't"))
    n = len(words)
    for i in range(len(tokens) - n + 1):
        if tokens[i] == words[0] and tokens[i : i + n] == words:
            before = []
            for t in reversed(tokens[:i]):
                if t in _STOP:
                    break
                before.append(t)
            if not _CONTEXT_TURNS & set(before):
                return True
    return False


def _content(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text) if w.lower() not in STOPWORDS}


def judge_input(claim: str, passages: Sequence[PassageLike], window: int = WINDOW) -> tuple[str, str]:
    """The pair the judge reads, the same in training and in answers.

    The passage side is each cited document's title and verdict, then the `window` passage
    sentences sharing most content words with the claim, in passage order: the model sees the
    finding being restated without the rest of a long section crowding it out.
    """
    text = _CITATION.sub("", claim).strip()
    heads = []
    for p in passages:
        if p.title:
            head = f"{p.title} (verdict: {p.verdict or 'not rated'})."
            if head not in heads:
                heads.append(head)
    units = [s for p in passages for s in sentences(p.text)]
    if len(units) > window:
        mine = _content(text)
        ranked = sorted(range(len(units)), key=lambda i: (len(mine & _content(units[i])), -i), reverse=True)
        units = [units[i] for i in sorted(ranked[:window])]
    return text, " ".join([*heads, *units])


@dataclass(frozen=True)
class JudgeConfig:
    """What was trained, so the weights are used as they were fitted."""

    threshold: float
    max_length: int
    frozen_layers: int
    window: int = WINDOW
    override: float = 0.9
    # run as an int8 graph (weights per channel, like the embedder's): the threshold is fitted on its scores
    onnx_int8: bool = False

    @classmethod
    def load(cls, directory: Path) -> JudgeConfig:
        data = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
        return cls(
            threshold=float(data["threshold"]),
            max_length=int(data["max_length"]),
            frozen_layers=int(data["frozen_layers"]),
            window=int(data.get("window", WINDOW)),
            override=float(data.get("override", 0.9)),
            onnx_int8=bool(data.get("onnx_int8", False)),
        )


class CrossEncoderJudge:
    """The fine-tuned MiniLM cross-encoder, loaded on first use; thread-safe.

    `onnx_dir` set: run by ONNX Runtime from a graph exported once from the weights (by
    `whatworks export-onnx` at install time, or at first use), about a third of PyTorch's time
    per sentence here; None: PyTorch.
    """

    def __init__(
        self,
        directory: Path | None = None,
        threshold: float | None = None,
        model: str = "",
        onnx_dir: Path | None = None,
        threads: int = 0,
    ) -> None:
        self.directory = directory or JUDGE_DIR
        self.config = JudgeConfig.load(self.directory)
        self.threshold = self.config.threshold if threshold is None else threshold
        self.override = self.config.override
        self._model_name = model
        self._onnx_dir = onnx_dir
        self._threads = threads
        self._net: Any = None
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @staticmethod
    def available(directory: Path | None = None) -> bool:
        directory = directory or JUDGE_DIR
        return (directory / WEIGHTS).is_file() and (directory / CONFIG).is_file()

    def onnx_path(self) -> Path | None:
        if self._onnx_dir is None:
            return None
        digest = hashlib.sha256((self.directory / WEIGHTS).read_bytes()).hexdigest()[:12]
        # "-int8r": weights in 7 bits (a graph of the earlier 8-bit export is not reused)
        return self._onnx_dir / f"judge-{digest}{'-int8r' if self.config.onnx_int8 else ''}.onnx"

    def _load(self) -> None:
        with self._lock:
            if self._tokenizer is not None:
                return
            from assistant.core.verification.crossencoder import export_onnx, load_cross_encoder

            path = self.onnx_path()
            if path is None or not path.exists():
                net, tokenizer = load_cross_encoder(
                    self.directory / WEIGHTS, self.config.frozen_layers, self._model_name
                )
                if path is None:
                    self._net = net
                    self._tokenizer = tokenizer
                    return
                if self.config.onnx_int8:
                    from assistant.core.embeddings import quantize_onnx

                    # the full-precision graph is only the quantiser's input: not kept
                    full = path.with_name(f".{path.stem}.{os.getpid()}.full.onnx")
                    try:
                        # 7-bit weights: the same scores on CPUs with and without VNNI (8-bit ones moved a
                        # score by 0.1 on an AVX2-only CPU)
                        quantize_onnx(export_onnx(net, tokenizer, full), path, reduce_range=True)
                    finally:
                        full.unlink(missing_ok=True)
                else:
                    export_onnx(net, tokenizer, path)
            else:
                from transformers import AutoTokenizer

                from assistant.core.verification.crossencoder import packaged_model_dir

                tokenizer = AutoTokenizer.from_pretrained(str(packaged_model_dir(self._model_name)))
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.log_severity_level = 3
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizer

    def prepare(self) -> None:
        """Load now (and export the ONNX graph when it is missing), not at the first sentence."""
        self._load()

    def support(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        if not pairs:
            return []
        self._load()
        if self._session is None:
            from assistant.core.verification.crossencoder import probabilities

            return probabilities(self._net, self._tokenizer, list(pairs), self.config.max_length)
        out: list[float] = []
        for start in range(0, len(pairs), 32):
            batch = pairs[start : start + 32]
            encoded = self._tokenizer(
                [c for c, _ in batch],
                [p for _, p in batch],
                truncation="only_second",
                max_length=self.config.max_length,
                padding=True,
                return_tensors="np",
            )
            feeds = {n: encoded[n].astype(np.int64) for n in ("input_ids", "attention_mask", "token_type_ids")}
            logits = self._session.run(None, feeds)[0]
            out.extend((1.0 / (1.0 + np.exp(-logits))).tolist())
        return out


def make_judge(settings: VerificationSettings, embedding: EmbeddingSettings | None = None) -> ClaimJudge | None:
    """The judge the settings ask for; None when they turn it off. Missing weights are an error, not a
    silent fall back to the rules alone."""
    if settings.judge == "none":
        return None
    if not CrossEncoderJudge.available():
        raise RuntimeError(
            f"the verifier's judge is missing from {JUDGE_DIR} (reinstall the package, or train one with "
            "`whatworks train-judge`; WHATWORKS_VERIFICATION__JUDGE=none runs the rules alone)"
        )
    embedding = embedding or EmbeddingSettings()
    onnx = embedding.backend != "sentence-transformers"
    return CrossEncoderJudge(
        threshold=settings.judge_threshold,
        model=embedding.model,
        onnx_dir=judge_onnx_dir(embedding) if onnx else None,
        threads=embedding.threads,
    )


def judge_onnx_dir(embedding: EmbeddingSettings) -> Path:
    return embedding.onnx_dir or Path(sys.prefix) / "share" / "whatworks" / "onnx"


class FakeJudge:
    """A judge for unit tests: a score from a function of the pair (default: always supported)."""

    def __init__(
        self, score: Callable[[str, str], float] | None = None, threshold: float = 0.5, override: float = 0.9
    ) -> None:
        self.threshold = threshold
        self.override = override
        self._score = score or (lambda claim, passage: 1.0)
        self.calls: list[tuple[str, str]] = []

    def support(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        self.calls.extend(pairs)
        return [self._score(c, p) for c, p in pairs]
