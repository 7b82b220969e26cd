"""Whether a sentence calls a program effective, read independently of the verifier's own rules: the
check that tests and benchmarks apply to what reaches a user (a sentence calling a program rated
harmful, no effect or mixed effective is the worst error in this domain). Deliberately plain and wide:
it is an oracle for measuring the verifier, not a part of it."""

from __future__ import annotations

import re

# in the words an LLM uses: "is effective", "works", "reduced offending", "prevents crime"
CALLS_IT_EFFECTIVE = re.compile(
    r"\b(?:is|are|was|were)\s+(?:an?\s+)?(?:very\s+|highly\s+)?(?:effective|successful|proven|recommended)\b"
    r"|\b(?:works|worked)\b|\b(?:reduces?|reduced|cuts?|lowers?|lowered|prevents?|prevented)\b",
    re.I,
)
NEGATED = re.compile(r"\b(?:not|no|never|n't|neither|nor|without)\b", re.I)


def calls_it_effective(sentence: str) -> bool:
    """The sentence says, without a negation, that something works."""
    return bool(CALLS_IT_EFFECTIVE.search(sentence)) and not NEGATED.search(sentence)
