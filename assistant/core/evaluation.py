"""The golden question set: recall@5, MRR, citation precision, no-evidence accuracy, follow-up recall."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.core.answers import AskResponse, Message
from assistant.core.service import EvidenceService

TOP = 5


@dataclass
class EvalReport:
    metrics: dict[str, float]
    thresholds: dict[str, float]
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.below()

    def below(self) -> list[str]:
        """Thresholds missed; a metric the question set cannot measure (no follow-ups, say) is not held to one."""
        return [
            f"{k} {self.metrics[k]:.3f} < {v}"
            for k, v in self.thresholds.items()
            if k in self.metrics and self.metrics[k] < v
        ]


def load_questions(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        "questions": data.get("questions", []),
        "out_of_scope": data.get("out_of_scope", []),
        "followups": data.get("followups", []),
    }


def load_thresholds(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    return {k: float(v) for k, v in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items()}


def _ranked_documents(response: AskResponse) -> list[str]:
    """Cited documents in order of relevance, each once."""
    ranked: list[str] = []
    for c in sorted(response.citations, key=lambda c: c.relevance_rank):
        if c.document_id not in ranked:
            ranked.append(c.document_id)
    return ranked[:TOP]


def run_eval(service: EvidenceService, questions_path: Path, thresholds_path: Path | None = None) -> EvalReport:
    data = load_questions(questions_path)
    failures: list[dict[str, Any]] = []
    hits = 0
    reciprocal = 0.0
    cited = 0
    cited_expected = 0
    answered = 0
    for item in data["questions"]:
        response = service.ask(item["question"], face="eval")
        docs = _ranked_documents(response)
        expected = set(item["expected"])
        answered += not response.no_evidence
        if expected <= set(docs):
            hits += 1
        else:
            failures.append({"id": item["id"], "question": item["question"], "expected": sorted(expected), "got": docs})
        ranks = [i for i, d in enumerate(docs, 1) if d in expected]
        reciprocal += 1.0 / ranks[0] if ranks else 0.0
        cited += len(response.citations)
        cited_expected += sum(c.document_id in expected for c in response.citations)

    refused = 0
    for item in data["out_of_scope"]:
        response = service.ask(item["question"], face="eval")
        if response.no_evidence:
            refused += 1
        else:
            failures.append(
                {
                    "id": item["id"],
                    "question": item["question"],
                    "expected": "no evidence",
                    "got": _ranked_documents(response),
                }
            )

    fu_hits = 0
    for item in data["followups"]:
        conversation = [Message(**turn) for turn in item["conversation"]]
        response = service.ask(item["question"], conversation=conversation, face="eval")
        docs = _ranked_documents(response)
        if set(item["expected"]) <= set(docs):
            fu_hits += 1
        else:
            failures.append(
                {
                    "id": item["id"],
                    "question": item["question"],
                    "standalone": response.standalone_question,
                    "expected": item["expected"],
                    "got": docs,
                }
            )

    n, m, f = len(data["questions"]), len(data["out_of_scope"]), len(data["followups"])
    metrics: dict[str, float] = {}
    if n:
        metrics |= {
            "recall_at_5": hits / n,
            "mrr": reciprocal / n,
            "citation_precision": cited_expected / cited if cited else 0.0,
            "answered_in_scope": answered / n,
        }
    if m:
        metrics["no_evidence_accuracy"] = refused / m
    if f:
        metrics["followup_recall"] = fu_hits / f
    metrics |= {"questions": float(n), "out_of_scope": float(m), "followups": float(f)}
    thresholds = load_thresholds(thresholds_path) if thresholds_path else {}
    return EvalReport({k: round(v, 4) for k, v in metrics.items()}, thresholds, failures)
