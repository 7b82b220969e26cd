"""Fitting the evidence gate to labelled questions: `whatworks calibrate`.

The gate adds similarity, lexical coverage and scope, less novelty, with weights and compares the sum
with a threshold (`answering.extractive.EvidenceGate`). Those numbers are the
coefficients of a logistic regression of "the evidence base covers this" on the signals
of the calibration questions, divided by the similarity coefficient so they read in the
units of a cosine similarity. Each calibration question's scope signal is computed without
itself among the examples; otherwise it would find itself and the fit would trust scope
far too much. The golden set (`questions.yaml`) is never fitted on: it checks the result.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.core.answering.extractive import EvidenceGate, GateSignals
from assistant.core.answering.scope import ScopeExamples, load_scope_examples, read_examples
from assistant.core.crosslingual import FrenchGate, searches_agree
from assistant.core.service import EvidenceService

L2 = 0.1


@dataclass(frozen=True)
class GateScore:
    """How a gate does on a question set: the share of in-scope questions it answers, out-of-scope it refuses."""

    answered: float
    refused: float
    inside: int
    outside: int


@dataclass(frozen=True)
class GateFit:
    threshold: float
    lexical_weight: float
    scope_weight: float
    novelty_weight: float

    def settings_lines(self) -> list[str]:
        return [
            f"WHATWORKS_RETRIEVAL__GATE_THRESHOLD={self.threshold:.2f}",
            f"WHATWORKS_RETRIEVAL__GATE_LEXICAL_WEIGHT={self.lexical_weight:.2f}",
            f"WHATWORKS_RETRIEVAL__GATE_SCOPE_WEIGHT={self.scope_weight:.2f}",
            f"WHATWORKS_RETRIEVAL__GATE_NOVELTY_WEIGHT={self.novelty_weight:.2f}",
        ]

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def question_signals(
    service: EvidenceService, path: Path, examples: ScopeExamples | None, leave_one_out: bool
) -> tuple[list[GateSignals], list[bool]]:
    """The gate's signals for every question of a file, and whether each is in scope."""
    inside, outside = read_examples(path)
    snapshot = service.snapshot()
    signals: list[GateSignals] = []
    labels: list[bool] = []
    for label, questions in ((True, inside), (False, outside)):
        for i, question in enumerate(questions):
            own = examples
            if examples is not None and leave_one_out:
                own = examples.without(inside=i) if label else examples.without(outside=i)
            _passages, found = service.judge(
                snapshot, question, gate=EvidenceGate(0.0, 0.0, examples=own, context_words=service.context_words)
            )
            signals.append(found)
            labels.append(label)
    return signals, labels


def fit_gate(signals: list[GateSignals], labels: list[bool], l2: float = L2) -> GateFit:
    """Logistic regression (Newton's method, L2 on the weights, not the intercept), scaled to similarity."""
    # novelty enters negated, so every weight of a sensible fit is positive
    x = np.array([[s.similarity, s.coverage, s.scope, -s.novelty, 1.0] for s in signals], dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    if y.min() == y.max():
        raise ValueError("calibration needs both in-scope and out-of-scope questions")
    penalty = l2 * np.diag([1.0, 1.0, 1.0, 1.0, 0.0])
    w = np.zeros(5)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    if w[0] <= 0:
        raise ValueError("similarity does not separate the calibration questions; check the question file")
    w = w / w[0]
    return GateFit(
        threshold=float(-w[4]),
        lexical_weight=float(max(w[1], 0.0)),
        scope_weight=float(max(w[2], 0.0)),
        novelty_weight=float(max(w[3], 0.0)),
    )


def score_gate(gate: EvidenceGate, signals: list[GateSignals], labels: list[bool]) -> GateScore:
    inside = [gate.covers(s) for s, label in zip(signals, labels, strict=True) if label]
    outside = [not gate.covers(s) for s, label in zip(signals, labels, strict=True) if not label]
    return GateScore(
        answered=sum(inside) / len(inside) if inside else 0.0,
        refused=sum(outside) / len(outside) if outside else 0.0,
        inside=len(inside),
        outside=len(outside),
    )


@dataclass(frozen=True)
class FrenchSignals:
    """What the French gate reads of a question: its best document's similarity and French BM25 score,
    and whether it names a program."""

    similarity: float
    lexical: float
    named: bool
    agree: bool = False  # the vectors and the French BM25 put the same document first


@dataclass(frozen=True)
class FrenchFit:
    threshold: float
    lexical_floor: float
    lexical_strong: float
    agree_floor: float = float("inf")
    agree_lexical: float = float("inf")

    def gate(self) -> FrenchGate:
        return FrenchGate(self.threshold, self.lexical_floor, self.lexical_strong, self.agree_floor, self.agree_lexical)

    def settings_lines(self) -> list[str]:
        def value(x: float, digits: int) -> str:
            return '"inf"' if x == float("inf") else f"{x:.{digits}f}"

        return [
            f"WHATWORKS_RETRIEVAL__FRENCH_THRESHOLD={self.threshold:.3f}",
            f"WHATWORKS_RETRIEVAL__FRENCH_LEXICAL=[{self.lexical_floor:.2f},{value(self.lexical_strong, 1)}]",
            f"WHATWORKS_RETRIEVAL__FRENCH_AGREE=[{value(self.agree_floor, 2)},{value(self.agree_lexical, 1)}]",
        ]

    def as_dict(self) -> dict[str, float | str]:
        return {k: round(v, 4) if v != float("inf") else "inf" for k, v in asdict(self).items()}


def french_signals(service: EvidenceService, path: Path) -> tuple[list[FrenchSignals], list[bool]]:
    """The French gate's signals for every question of a French question file, and whether each is in scope."""
    from assistant.core.answering.planning import library_of

    inside, outside = read_examples(path)
    snapshot = service.snapshot()
    library = library_of(snapshot)
    documents = service.documents_fr(snapshot)
    signals: list[FrenchSignals] = []
    labels: list[bool] = []
    for label, questions in ((True, inside), (False, outside)):
        for question in questions:
            ranked = documents.rank(question)
            named = any(link.specific for link in library.links(question, None))
            signals.append(
                FrenchSignals(
                    max((m.similarity for m in ranked), default=0.0),
                    max((m.lexical for m in ranked), default=0.0),
                    named,
                    searches_agree(ranked),
                )
            )
            labels.append(label)
    return signals, labels


# The lexical rule's candidates: a question a little less similar than the threshold is covered when it
# shares this much French vocabulary with a document (BM25); "inf" turns the rule off.
LEXICAL_FLOORS = (0.25, 0.28, 0.30, 0.32)
LEXICAL_STRONG = (4.0, 5.0, 6.0, 7.0, 8.0, float("inf"))
# The agreement rule's candidates: both searches put the same document first, at this similarity and BM25.
AGREE_FLOORS = (0.30, 0.32, 0.34, 0.36, float("inf"))
AGREE_LEXICAL = (2.0, 3.0, 4.0, float("inf"))


def fit_french(signals: list[FrenchSignals], labels: list[bool]) -> FrenchFit:
    """The French gate that best separates in-scope from out-of-scope questions (balanced accuracy).

    Ties go to the gate that refuses more out-of-scope questions, then to the higher threshold, then to the
    stricter agreement rule: a refusal with nearest topics costs a member less than an answer about
    something else.
    """
    if all(labels) or not any(labels):
        raise ValueError("French calibration needs both in-scope and out-of-scope questions")
    sim = np.asarray([s.similarity for s in signals])
    lex = np.asarray([s.lexical for s in signals])
    named = np.asarray([s.named for s in signals])
    agree = np.asarray([s.agree for s in signals])
    inside = np.asarray(labels)
    sims = sorted({round(s.similarity, 4) for s in signals})
    candidates = [(a + b) / 2 for a, b in zip(sims, sims[1:], strict=False)] or sims
    agreeing = {
        (a, b): agree & (sim >= a) & (lex >= b)
        for a in AGREE_FLOORS
        for b in AGREE_LEXICAL
        if a != float("inf") or b == float("inf")
    }
    best: tuple[tuple[float, ...], FrenchFit] | None = None
    for threshold in candidates:
        for floor in LEXICAL_FLOORS:
            for strong in LEXICAL_STRONG:
                if floor >= threshold and strong != float("inf"):
                    continue
                base = named | (sim >= threshold) | ((sim >= floor) & (lex >= strong))
                for (a, b), extra in agreeing.items():
                    if a >= threshold and a != float("inf"):
                        continue
                    covered = base | extra
                    answered = float(covered[inside].mean())
                    refused = float((~covered[~inside]).mean())
                    key = ((answered + refused) / 2, refused, threshold, a, b)
                    if best is None or key > best[0]:
                        best = (key, FrenchFit(threshold, floor, strong, a, b))
    assert best is not None
    return best[1]


def _score_french(gate: FrenchGate, signals: list[FrenchSignals], labels: list[bool]) -> GateScore:
    covered = [gate.covers(s.similarity, s.lexical, s.named, s.agree) for s in signals]
    inside = [c for c, y in zip(covered, labels, strict=True) if y]
    outside = [not c for c, y in zip(covered, labels, strict=True) if not y]
    return GateScore(
        answered=sum(inside) / len(inside) if inside else 0.0,
        refused=sum(outside) / len(outside) if outside else 0.0,
        inside=len(inside),
        outside=len(outside),
    )


@dataclass
class Calibration:
    fit: GateFit
    fitted: dict[str, GateScore]
    current: dict[str, GateScore]
    french_fit: FrenchFit | None = None
    french_fitted: dict[str, GateScore] = field(default_factory=dict)
    french_current: dict[str, GateScore] = field(default_factory=dict)


def calibrate(service: EvidenceService, checks: list[Path], french_checks: list[Path] | None = None) -> Calibration:
    """Fit on the scope examples file; score the fit and the current settings there and on each check file.

    With the multilingual path on and a French calibration file, the French gate is fitted too, and
    scored on it and on each French check file.
    """
    path = service.settings.scope_examples_path
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no calibration questions (set WHATWORKS_RETRIEVAL__SCOPE_EXAMPLES)")
    examples = load_scope_examples(path, service.embedder)
    signals, labels = question_signals(service, path, examples, leave_one_out=True)
    fit = fit_gate(signals, labels)
    fitted_gate = EvidenceGate(
        fit.threshold, fit.lexical_weight, fit.scope_weight, fit.novelty_weight, examples, service.context_words
    )
    current_gate = service.gate
    sets = {str(path): (signals, labels)}
    for check in checks:
        sets[str(check)] = question_signals(service, check, examples, leave_one_out=False)
    result = Calibration(
        fit=fit,
        fitted={name: score_gate(fitted_gate, s, y) for name, (s, y) in sets.items()},
        current={name: score_gate(current_gate, s, y) for name, (s, y) in sets.items()},
    )
    french_paths = [p for p in service.settings.french_scope_examples_paths if p.is_file()]
    if service.multilingual is not None and french_paths:
        french_sets = {str(p): french_signals(service, p) for p in french_paths}
        for check in french_checks or []:
            french_sets[str(check)] = french_signals(service, check)
        # fitted on every calibration file together: on a hundred-odd questions the best setting moved
        # with a dozen of them (see the README)
        pooled_signals = [x for p in french_paths for x in french_sets[str(p)][0]]
        pooled_labels = [y for p in french_paths for y in french_sets[str(p)][1]]
        result.french_fit = fit_french(pooled_signals, pooled_labels)
        for name, (fs, fy) in french_sets.items():
            result.french_fitted[name] = _score_french(result.french_fit.gate(), fs, fy)
            result.french_current[name] = _score_french(service.french_gate, fs, fy)
    return result
