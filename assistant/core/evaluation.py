"""Question sets: recall@5, first cited, MRR, sections for the intent, length, leaks, refusals, follow-ups.

Eval asks are not recorded: they never reach the query log, the gap list or feedback.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.core.answering.linking import linked_documents
from assistant.core.answering.planning import library_of
from assistant.core.answers import AskResponse, Message
from assistant.core.service import EvidenceService

TOP = 5
_BLANK = re.compile(r"_{3,}|\[\s\]")
_SOURCES_HEADING = "**Sources**"


@dataclass
class EvalReport:
    metrics: dict[str, float]
    thresholds: dict[str, float]
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.below()

    def below(self) -> list[str]:
        """Thresholds missed; a metric the question set cannot measure (no follow-ups, say) is not held to one.

        A name ending in `_max` is a ceiling on the metric without that suffix (median_words_max).
        """
        missed = []
        for k, v in self.thresholds.items():
            name = k.removesuffix("_max")
            if name not in self.metrics:
                continue
            value = self.metrics[name]
            if k.endswith("_max") and value > v:
                missed.append(f"{name} {value:.3f} > {v}")
            elif not k.endswith("_max") and value < v:
                missed.append(f"{name} {value:.3f} < {v}")
        return missed


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


def _first_read(response: AskResponse) -> str | None:
    """The document a member reads first: the first bottom line, else citation [1]."""
    if response.summary:
        return response.summary[0].document_id
    first = min(response.citations, key=lambda c: c.n, default=None)
    return first.document_id if first else None


def body_of(answer: str) -> str:
    """The answer before its sources list: what a member reads."""
    return answer.split(_SOURCES_HEADING, 1)[0]


def leaks(answer: str, document_ids: set[str]) -> list[str]:
    """Internal ids and template blanks in what a member reads."""
    body = body_of(answer)
    found = [m.group(0) for m in _BLANK.finditer(body)]
    tokens = set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", body))
    return found + sorted(tokens & document_ids)


def replay(service: EvidenceService, conversation: list[Message]) -> list[Message]:
    """The conversation as a face would send it: each answer carries the documents it showed, in order.

    A question set's transcript gives each answer as text: the documents it shows are the ones it
    names. An answer that names none is asked again (unrecorded), and carries what this version of
    the service cited for it.
    """
    library = library_of(service.snapshot())
    replayed: list[Message] = []
    for turn in conversation:
        if turn.role == "assistant" and turn.cited is None:
            cited = linked_documents(library.links(turn.content))
            if not cited and replayed and replayed[-1].role == "user":
                earlier = service.ask(replayed[-1].content, replayed[:-1] or None, face="eval", record=False)
                cited = list(dict.fromkeys(c.document_id for c in sorted(earlier.citations, key=lambda c: c.n)))
            turn = turn.model_copy(update={"cited": cited})
        replayed.append(turn)
    return replayed


def _top_section(section: str) -> str:
    return section.split(" > ")[0].strip().lower()


def run_eval(service: EvidenceService, questions_path: Path, thresholds_path: Path | None = None) -> EvalReport:
    data = load_questions(questions_path)
    document_ids = {d for d in service.snapshot().documents() if "-" in d}
    failures: list[dict[str, Any]] = []
    hits = 0
    first_hits = 0
    reciprocal = 0.0
    cited = 0
    cited_expected = 0
    answered = 0
    lengths: list[int] = []
    leaked = 0
    intents = 0
    intent_hits = 0
    for item in data["questions"]:
        response = service.ask(item["question"], face="eval", record=False)
        docs = _ranked_documents(response)
        expected = set(item["expected"])
        answered += not response.no_evidence
        if expected <= set(docs):
            hits += 1
        else:
            failures.append({"id": item["id"], "question": item["question"], "expected": sorted(expected), "got": docs})
        first_hits += _first_read(response) in expected
        ranks = [i for i, d in enumerate(docs, 1) if d in expected]
        reciprocal += 1.0 / ranks[0] if ranks else 0.0
        cited += len(response.citations)
        cited_expected += sum(c.document_id in expected for c in response.citations)
        if not response.no_evidence:
            lengths.append(len(body_of(response.answer).split()))
            if bad := leaks(response.answer, document_ids):
                leaked += 1
                failures.append({"id": item["id"], "question": item["question"], "leaks": bad})
        if item.get("sections"):
            intents += 1
            wanted = {str(s).lower() for s in item["sections"]}
            if any(c.document_id in expected and _top_section(c.section) in wanted for c in response.citations):
                intent_hits += 1
            else:
                failures.append(
                    {
                        "id": item["id"],
                        "question": item["question"],
                        "sections": sorted(wanted),
                        "got": sorted({f"{c.document_id}: {c.section}" for c in response.citations}),
                    }
                )

    refused = 0
    for item in data["out_of_scope"]:
        response = service.ask(item["question"], face="eval", record=False)
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
        conversation = replay(service, [Message(**turn) for turn in item["conversation"]])
        response = service.ask(item["question"], conversation=conversation, face="eval", record=False)
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
            "first_cited": first_hits / n,
            "mrr": reciprocal / n,
            "citation_precision": cited_expected / cited if cited else 0.0,
            "answered_in_scope": answered / n,
        }
    if lengths:
        metrics["median_words"] = float(statistics.median(lengths))
        metrics["answers_without_leaks"] = 1 - leaked / len(lengths)
    if intents:
        metrics["intent_section"] = intent_hits / intents
    if m:
        metrics["no_evidence_accuracy"] = refused / m
    if f:
        metrics["followup_recall"] = fu_hits / f
    metrics |= {
        "questions": float(n),
        "out_of_scope": float(m),
        "followups": float(f),
        "intent_questions": float(intents),
    }
    thresholds = load_thresholds(thresholds_path) if thresholds_path else {}
    return EvalReport({k: round(v, 4) for k, v in metrics.items()}, thresholds, failures)
