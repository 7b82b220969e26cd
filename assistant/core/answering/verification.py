"""Check every generated sentence against the passage it cites: embedding similarity plus lexical overlap.

A sentence survives only when it cites a passage that was given, shares most of its
content words with that passage, is semantically close to it, and states no number the
passage does not contain. What the user reads is what survived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.core.answering.text import content_stems
from assistant.core.embeddings import Embedder

CITATION = re.compile(r"\[(\d{1,2})\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Verdict:
    sentence: str
    cited: tuple[int, ...]
    supported: bool
    reason: str
    similarity: float = 0.0
    overlap: float = 0.0


class SentenceVerifier:
    def __init__(self, embedder: Embedder, min_similarity: float = 0.45, min_overlap: float = 0.6) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.min_overlap = min_overlap

    def check(self, sentence: str, passages: dict[int, str]) -> Verdict:
        cited = tuple(int(n) for n in CITATION.findall(sentence))
        claim = CITATION.sub("", sentence).strip()
        if not cited:
            return Verdict(sentence, cited, False, "cites no passage")
        unknown = [n for n in cited if n not in passages]
        if unknown:
            return Verdict(sentence, cited, False, f"cites passage {unknown[0]}, which was not given")
        stems = content_stems(claim)
        if not stems:
            return Verdict(sentence, cited, False, "says nothing checkable")
        texts = [passages[n] for n in cited]
        overlap = max(len(stems & content_stems(t)) / len(stems) for t in texts)
        numbers = set(_NUMBER.findall(claim))
        if numbers and not any(numbers <= set(_NUMBER.findall(t)) for t in texts):
            return Verdict(sentence, cited, False, "states a number the passage does not contain", overlap=overlap)
        vectors = np.asarray(self.embedder.embed_documents([claim, *texts]), dtype=np.float32)
        similarity = float(max(vectors[0] @ v for v in vectors[1:]))
        supported = overlap >= self.min_overlap and similarity >= self.min_similarity
        reason = "supported" if supported else f"weak support (overlap {overlap:.2f}, similarity {similarity:.2f})"
        return Verdict(sentence, cited, supported, reason, similarity, overlap)
