"""Choosing what to quote: relevant passages, their best sentences, and the evidence gate.

`answering.planning` shapes these into the answer (bottom lines first, then what the intent needs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.core.answering.scope import ScopeExamples
from assistant.core.answering.text import content_stems, split_sentences, without_words, words
from assistant.core.retrieval import EvidenceSnapshot, Passage

MAX_CITATIONS = 5
MAX_PER_DOCUMENT = 2
QUOTE_WORDS = 55
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_EFFECT_QUESTION = re.compile(
    r"\b(work|works|working|effective|effect|evidence|proven|succeed|success|help|helps|reduce|reduces|"
    r"prevent|prevents|impact|results|worth|good idea|should (?:we|i)|fund|invest|recommended?|use)\b",
    re.I,
)
_EVIDENCE_SECTIONS = ("evidence", "summary")
_EFFECT_SENTENCE = re.compile(
    r"\b(reduc\w*|increas\w*|fell|fall|drop\w*|lower\w*|rais\w*|no (?:significant )?effect|effective|"
    r"found|showed|rated|harm\w*|backfir\w*|worse|improv\w*)\b",
    re.I,
)


def wants_effect(question: str) -> bool:
    """'does X work', 'what works for X', 'is X effective': the evidence sections answer these."""
    return bool(_EFFECT_QUESTION.search(question))


def sentence_units(text: str) -> list[str]:
    """Sentences, with each list item or line taken apart first; every unit is verbatim text."""
    units: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if line:
            units.extend(line[s:e] for s, e in split_sentences(line))
    return units


# The evidence's passages, their sentences and the sentences' stems are the same for every question:
# split and stem once (at 20 questions a second, splitting and stemming them again was a tenth of an answer).
@lru_cache(maxsize=20_000)
def units_of(text: str) -> tuple[str, ...]:
    return tuple(sentence_units(text))


@lru_cache(maxsize=200_000)
def stems_of(unit: str) -> frozenset[str]:
    """`content_stems` of one of the evidence's sentences."""
    return frozenset(content_stems(unit))


@lru_cache(maxsize=256)
def question_stems(question: str) -> frozenset[str]:
    """`content_stems` of a question, which an answer asks for several times. A cache of its own, and small:
    members' questions are any text, and must not crowd out (or fill memory beside) the evidence's."""
    return frozenset(content_stems(question))


@lru_cache(maxsize=4_096)
def passage_stems(text: str) -> frozenset[str]:
    """`content_stems` of a whole passage, as the gate reads the five best of each question."""
    return frozenset(content_stems(text))


def best_quote(text: str, question: str) -> str:
    """The sentences of a passage that share most with the question, kept short for chat."""
    units = units_of(text)
    if not units:
        return " ".join(text.split())
    if sum(len(u.split()) for u in units) <= QUOTE_WORDS:
        return " ".join(units)
    wanted = question_stems(question)
    scores = [len(wanted & stems_of(u)) for u in units]
    if wants_effect(question):
        # "does X work" is answered by a sentence that reports an effect, not by a definition
        scores = [s + (1 if _EFFECT_SENTENCE.search(u) else 0) for s, u in zip(scores, units, strict=True)]
    best = max(range(len(units)), key=lambda i: (scores[i], -i))
    lo, hi = best, best
    size = len(units[best].split())
    # grow towards the neighbour that shares more with the question, while the quote stays short
    while True:
        options = []
        if hi + 1 < len(units):
            options.append((scores[hi + 1], 1, hi + 1))
        if lo > 0:
            options.append((scores[lo - 1], 0, lo - 1))
        if not options:
            break
        _score, _side, idx = max(options)
        extra = len(units[idx].split())
        if size + extra > QUOTE_WORDS:
            break
        size += extra
        lo, hi = min(lo, idx), max(hi, idx)
    return " ".join(units[lo : hi + 1])


def _similar(a: str, b: str) -> bool:
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return False
    return len(wa & wb) / min(len(wa), len(wb)) > 0.7


@dataclass
class Selection:
    passages: list[Passage]
    quotes: list[str]


@dataclass(frozen=True)
class GateSignals:
    """What the gate weighs for one question; `whatworks calibrate` fits the weights on these."""

    similarity: float
    coverage: float
    scope: float = 0.0
    novelty: float = 0.0


@dataclass(frozen=True)
class EvidenceGate:
    """When does the evidence base cover a question? Fitted by `whatworks calibrate` (see README).

    Four signals, added with weights:
    - similarity: cosine of the question and the closest retrieved passage;
    - coverage: the IDF-weighted share of the question's content words that one top passage
      contains (names and jargon embed poorly, so "the Sherman list" needs this);
    - scope: closeness to example questions we answer minus closeness to ones we do not
      (`answering.scope`). Every word of "how do I become a police officer in Ontario?" is in
      the evidence and a passage on Ontario policing is close; only the kind of question differs;
    - novelty, subtracted: how much of the question's meaning lies in words the evidence never
      uses, as 1 - cosine(question, question without those words). "Are youth curfews
      effective?" reads like a question we answer, and passages on youth crime are close, but
      its topic is the one word the evidence base lacks; a typo or a stray "flopped" moves the
      meaning little.
    """

    threshold: float
    lexical_weight: float
    scope_weight: float = 0.0
    novelty_weight: float = 0.0
    examples: ScopeExamples | None = None
    # Words that say who or where is asking, never what about ("RCMP", "band council", "Winnipeg"):
    # the evidence may not use them, but they are no sign of an uncovered topic.
    context_words: frozenset[str] = frozenset()

    def signals(
        self,
        passages: list[Passage],
        question: str,
        snapshot: EvidenceSnapshot,
        query_vector: np.ndarray | None = None,
        embed: Callable[[str], np.ndarray] | None = None,
        lazy: bool = False,
    ) -> GateSignals:
        """The four signals; `lazy` leaves novelty at 0 when the others already fall short of the
        threshold (novelty only subtracts, so the decision is the same, without a second embedding)."""
        if not passages:
            return GateSignals(0.0, 0.0)
        top = max(p.similarity for p in passages)
        wanted = question_stems(question)
        total = sum(snapshot.idf(w) for w in wanted)
        coverage = 0.0
        if total:
            found = max(
                sum(snapshot.idf(w) for w in wanted & passage_stems(p.chunk.context_text())) for p in passages[:5]
            )
            coverage = found / total
        scope = novelty = 0.0
        if query_vector is not None:
            if self.examples is not None:
                scope = self.examples.score(query_vector)
            unknown = [w for w in snapshot.vocabulary.unknown(question) if w.lower() not in self.context_words]
            if lazy and not self.covers(GateSignals(top, coverage, scope, 0.0)):
                unknown = []
            if unknown and embed is not None:
                novelty = 1.0 - float(embed(without_words(question, unknown)) @ query_vector)
        return GateSignals(top, coverage, scope, novelty)

    def score(self, s: GateSignals) -> float:
        return (
            s.similarity
            + self.lexical_weight * s.coverage
            + self.scope_weight * s.scope
            - self.novelty_weight * s.novelty
        )

    def covers(self, signals: GateSignals) -> bool:
        return self.score(signals) >= self.threshold


def select_passages(passages: list[Passage], question: str, margin: float, passage_floor: float = 0.0) -> Selection:
    """Relevant, varied passages: near the best one, above the floor; distinct documents first."""
    if not passages:
        return Selection([], [])
    top = max(p.similarity for p in passages)
    floor = max(passage_floor, top - margin)
    prefer_evidence = wants_effect(question)

    def rank(p: Passage) -> float:
        return p.score * (1.15 if prefer_evidence and _is_evidence(p) else 1.0)

    ranked = [p for p in sorted(passages, key=rank, reverse=True) if p.similarity >= floor]
    if prefer_evidence:
        # For "does X work", a document speaks through its Evidence or Summary passage when it has one.
        doc_order = list(dict.fromkeys(p.chunk.document_id for p in ranked))
        ranked.sort(key=lambda p: (doc_order.index(p.chunk.document_id), not _is_evidence(p)))
    chosen: list[Passage] = []
    quotes: list[str] = []
    per_doc: dict[str, int] = {}
    # First the best passage of each document, then second passages while room is left.
    for allowed in range(1, MAX_PER_DOCUMENT + 1):
        for p in ranked:
            if len(chosen) >= MAX_CITATIONS:
                break
            doc = p.chunk.document_id
            if p in chosen or per_doc.get(doc, 0) >= allowed:
                continue
            quote = best_quote(p.chunk.text, question)
            if any(_similar(quote, q) for q in quotes):
                continue
            chosen.append(p)
            quotes.append(quote)
            per_doc[doc] = per_doc.get(doc, 0) + 1
    order = sorted(range(len(chosen)), key=lambda i: ranked.index(chosen[i]))
    return Selection([chosen[i] for i in order], [quotes[i] for i in order])


def _is_evidence(p: Passage) -> bool:
    return p.chunk.section.lower().startswith(_EVIDENCE_SECTIONS)
