"""`whatworks train-judge`: fit the verifier's judge on labelled claims and choose its threshold.

The judge is trained on claim files (JSON Lines, as `verify-claims` reads them, with labels);
its threshold is chosen on a separate validation file, for the verifier as answers use it
(rules first, then the judge): the one with the fewest errors, a wrongly kept sentence
counting twice. What was trained on, and the validation figures, go into `judge.json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.verification.claimset import Claim
from assistant.core.verification.judge import CONFIG, WEIGHTS, WINDOW, judge_input
from assistant.core.verification.verifier import CITATION, SentenceVerifier


def pair_of(claim: Claim) -> tuple[str, str]:
    cited = dict.fromkeys(int(n) for n in CITATION.findall(claim.claim))
    return judge_input(claim.claim, [claim.passages[n] for n in cited if n in claim.passages])


@dataclass(frozen=True)
class Fit:
    threshold: float
    unsupported_accepted: float
    supported_rejected: float

    @property
    def cost(self) -> float:
        # a sentence wrongly kept reaches a member; one wrongly dropped only shortens the answer
        return 2 * self.unsupported_accepted + self.supported_rejected


class _Recorded:
    """A judge answering from scores computed once, so each candidate threshold costs only the rules."""

    def __init__(self, scores: dict[tuple[str, str], float], threshold: float, override: float) -> None:
        self.scores = scores
        self.threshold = threshold
        self.override = override

    def support(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        return [self.scores[p] for p in pairs]


def rates(verifier: SentenceVerifier, claims: list[Claim]) -> tuple[float, float]:
    """(unsupported accepted, supported rejected) of a verifier on labelled claims."""
    accepted = [(verifier.check(c.claim, c.passages).supported, c.label == "supported") for c in claims]
    unsupported = [a for a, s in accepted if not s]
    supported = [a for a, s in accepted if s]
    return sum(unsupported) / max(len(unsupported), 1), sum(not a for a in supported) / max(len(supported), 1)


def choose_threshold(rules: SentenceVerifier, claims: list[Claim], scores: Sequence[float], override: float) -> Fit:
    """The threshold at which the verifier as answers use it (rules, then judge) errs least on the
    claims, counting a wrongly kept sentence twice."""
    recorded = {pair_of(c): s for c, s in zip(claims, scores, strict=True)}
    best: Fit | None = None
    for step in range(1, 20):
        threshold = step / 20
        judged = SentenceVerifier(
            rules.embedder, judge=_Recorded(recorded, threshold, override), names=rules.names, rated=rules.rated
        )
        fit = Fit(threshold, *rates(judged, claims))
        if best is None or fit.cost < best.cost:
            best = fit
    assert best is not None
    return best


def fit_judge(
    train_claims: list[Claim],
    validation_claims: list[Claim],
    rules: SentenceVerifier,
    out_dir: Path,
    *,
    epochs: int,
    frozen_layers: int,
    max_length: int,
    override: float,
    sources: list[str],
    int8: bool = True,
    progress: Callable[[str], None] = print,
    start: Path | None = None,
    learning_rate: float = 3e-5,
) -> dict[str, Any]:
    """Train (from the judge in `start` when given), save the weights, then choose and save the threshold
    (`refit_threshold`)."""
    from assistant.core.verification import crossencoder

    labelled = [c for c in train_claims if c.label]
    examples = [(pair_of(c), c.label == "supported") for c in labelled]
    progress(f"training on {len(examples)} claims ({sum(y for _, y in examples)} supported)")
    started_from = json.loads((start / CONFIG).read_text(encoding="utf-8")) if start is not None else None
    net, tokenizer = crossencoder.train(
        examples,
        epochs=epochs,
        frozen_layers=frozen_layers,
        max_length=max_length,
        progress=progress,
        start=start / WEIGHTS if start is not None else None,
        learning_rate=learning_rate,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    crossencoder.save(net, out_dir / WEIGHTS)
    report = {
        "threshold": 0.5,
        "override": override,
        "max_length": max_length,
        "frozen_layers": frozen_layers,
        "window": WINDOW,
        "epochs": epochs,
        "trained_on": sources,
        "training_claims": len(examples),
        "learning_rate": learning_rate,
        "onnx_int8": int8,
    }
    if started_from is not None:  # what the judge it went on from had been trained on
        report["continued_from"] = {k: started_from.get(k) for k in ("epochs", "trained_on", "training_claims")}
    (out_dir / CONFIG).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return refit_threshold(out_dir, validation_claims, rules, override=override)


def refit_threshold(
    out_dir: Path, validation_claims: list[Claim], rules: SentenceVerifier, *, override: float | None = None
) -> dict[str, Any]:
    """Choose the judge's threshold in `out_dir` on the validation claims and write it to judge.json."""
    from assistant.core.verification.judge import CrossEncoderJudge

    report = json.loads((out_dir / CONFIG).read_text(encoding="utf-8"))
    override = float(report.get("override", 0.9)) if override is None else override
    checked = [c for c in validation_claims if c.label]
    judge = CrossEncoderJudge(out_dir)
    if judge.config.onnx_int8:
        # fitted on the int8 graph that answers run, not on PyTorch's scores
        import tempfile

        with tempfile.TemporaryDirectory() as onnx_dir:
            scores = CrossEncoderJudge(out_dir, onnx_dir=Path(onnx_dir)).support([pair_of(c) for c in checked])
    else:
        scores = judge.support([pair_of(c) for c in checked])
    fit = choose_threshold(rules, checked, scores, override)
    rules_only = rates(rules, checked)
    report |= {
        "threshold": fit.threshold,
        "override": override,
        "validation": {
            "claims": len(checked),
            "rules_only": {
                "unsupported_accepted": round(rules_only[0], 4),
                "supported_rejected": round(rules_only[1], 4),
            },
            "rules_and_judge": {
                "unsupported_accepted": round(fit.unsupported_accepted, 4),
                "supported_rejected": round(fit.supported_rejected, 4),
            },
        },
    }
    (out_dir / CONFIG).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
