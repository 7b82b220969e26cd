"""Prometheus metrics at /metrics and one JSON log line per question.

HTTP request counts and latencies per route come from prometheus-fastapi-instrumentator;
the answers themselves (by mode, language and face), refusals, questions in a language we
do not answer, sentences the verifier dropped, and requests over the abuse limit are counted
here. Each app has its own registry, so several apps in one process (tests) do not collide.
The log line carries ids, counts and timings, never the question's text (that stays in the
query log, for curators).
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter
from prometheus_fastapi_instrumentator import Instrumentator

from assistant.core.answers import AskResponse

log = logging.getLogger("whatworks.questions")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.answers = Counter(
            "whatworks_answers",
            "Questions answered, by how (extractive, llm, llm-fallback), language and face.",
            ["mode", "language", "face"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "whatworks_refusals",
            "Questions not answered: no-evidence (an evidence gap) or unsupported-language.",
            ["reason", "language", "face"],
            registry=self.registry,
        )
        self.dropped = Counter(
            "whatworks_verifier_dropped_sentences",
            "Written (LLM) sentences the verifier dropped for lack of support.",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "whatworks_rate_limited_requests", "Requests refused with 429 by the abuse limits.", registry=self.registry
        )

    def instrument(self, app: FastAPI) -> None:
        Instrumentator(
            registry=self.registry, should_group_status_codes=False, excluded_handlers=["/metrics"]
        ).instrument(app).expose(app, include_in_schema=False)

    def answered(self, response: AskResponse, face: str) -> None:
        """Count one question's outcome and write its log line."""
        face = face[:20]
        if response.unsupported_language:
            self.refusals.labels("unsupported-language", response.unsupported_language, face).inc()
        elif response.no_evidence:
            self.refusals.labels("no-evidence", response.language, face).inc()
        else:
            self.answers.labels(response.answer_mode, response.language, face).inc()
        if response.dropped_sentences:
            self.dropped.inc(response.dropped_sentences)
        log.info(
            json.dumps(
                {
                    "event": "question",
                    "question_id": response.question_id,
                    "face": face,
                    "language": response.unsupported_language or response.language,
                    "no_evidence": response.no_evidence,
                    "answer_mode": response.answer_mode,
                    "cited": list(dict.fromkeys(c.document_id for c in response.citations)),
                    "dropped_sentences": response.dropped_sentences,
                    "timings_ms": response.timings_ms,
                }
            )
        )
