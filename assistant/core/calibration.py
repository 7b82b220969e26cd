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

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.core.answering.extractive import EvidenceGate, GateSignals
from assistant.core.answering.scope import ScopeExamples, load_scope_examples, read_examples
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


@dataclass
class Calibration:
    fit: GateFit
    fitted: dict[str, GateScore]
    current: dict[str, GateScore]


def calibrate(service: EvidenceService, checks: list[Path]) -> Calibration:
    """Fit on the scope examples file; score the fit and the current settings there and on each check file."""
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
    return Calibration(
        fit=fit,
        fitted={name: score_gate(fitted_gate, s, y) for name, (s, y) in sets.items()},
        current={name: score_gate(current_gate, s, y) for name, (s, y) in sets.items()},
    )
