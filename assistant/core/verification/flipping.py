"""Unsupported claims made from supported ones by one reversed word, for training the judge.

The judge accepted fluent sentences that reverse the finding they restate ("reduced" for "increased",
"is" for "is not"): written claims teach it too few of them. `flipped_claims` turns each supported
training claim into one that says the opposite by a single unambiguous change (a direction word swapped
for its opposite, or a negation after an auxiliary added or taken away), labelled unsupported, so that
the judge sees the same passage with both readings. `whatworks flip-claims` writes them as a claim file.
The change is chosen at random but from a fixed seed, so the same input gives the same file.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from typing import Any

# each pair reverses a finding whatever the rest of the sentence says
_OPPOSITE_PAIRS = (
    ("reduced", "increased"),
    ("reduce", "increase"),
    ("reduces", "increases"),
    ("reducing", "increasing"),
    ("reduction", "increase"),
    ("decreased", "increased"),
    ("decrease", "increase"),
    ("lower", "higher"),
    ("lowered", "raised"),
    ("fewer", "more"),
    ("improved", "worsened"),
    ("improve", "worsen"),
    ("improves", "worsens"),
    ("better", "worse"),
    ("fell", "rose"),
    ("dropped", "rose"),
    ("declined", "rose"),
    ("prevented", "caused"),
    ("helped", "harmed"),
    ("beneficial", "harmful"),
    ("effective", "ineffective"),
    ("positive", "negative"),
    ("successful", "unsuccessful"),
)
OPPOSITES: dict[str, str] = {}
for _a, _b in _OPPOSITE_PAIRS:
    OPPOSITES.setdefault(_a, _b)
    OPPOSITES.setdefault(_b, _a)

_WORD = re.compile(r"[A-Za-z]+")
_AUXILIARY = r"is|are|was|were|did|does|do|has|have|had|can|could|will|would|should"
_NEGATED = re.compile(rf"\b({_AUXILIARY}) not\b")
_CONTRACTED = re.compile(r"\b(is|are|was|were|did|does|do|has|have|had|could|would|should)n't\b")
_PLAIN = re.compile(r"\b(is|are|was|were|can|could|will|would|should|may)\b(?! not)")


def flips(claim: str) -> list[tuple[str, str]]:
    """Every (kind, sentence) one change away from `claim` that says the opposite."""
    out: list[tuple[str, str]] = []
    for m in _WORD.finditer(claim):
        word = m.group(0)
        opposite = OPPOSITES.get(word.lower())
        if opposite:
            opposite = opposite.capitalize() if word[0].isupper() else opposite
            out.append(("direction", claim[: m.start()] + opposite + claim[m.end() :]))
    denials = [claim[: m.start()] + m.group(1) + claim[m.end() :] for m in _NEGATED.finditer(claim)]
    denials += [claim[: m.start()] + m.group(1) + claim[m.end() :] for m in _CONTRACTED.finditer(claim)]
    plain = None if denials else _PLAIN.search(claim)
    if plain is not None:
        denial = "cannot" if plain.group(1) == "can" else f"{plain.group(1)} not"
        denials.append(claim[: plain.start()] + denial + claim[plain.end() :])
    out += [("negation", d) for d in denials]
    return out


def flipped_claims(rows: Iterable[dict[str, Any]], seed: int = 17) -> list[dict[str, Any]]:
    """One unsupported claim for each supported, cited claim in `rows` that can be reversed by one change."""
    chooser = random.Random(seed)
    out = []
    for row in rows:
        if row.get("label") != "supported" or "[" not in str(row.get("claim", "")):
            continue
        options = flips(str(row["claim"]))
        if not options:
            continue
        kind, text = chooser.choice(options)
        out.append({**row, "id": f"flip-{row['id']}", "claim": text, "label": "unsupported", "kind": kind})
    return out
