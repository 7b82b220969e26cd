"""Labelled claim files: read them line by line, run the verifier, and score it by kind of claim.

A claim file is JSON Lines, one `{"id", "passage", "claim"}` per line; a claim ends with
`[1]` and cites the passage. Optional keys: `passages` (`{"1": ..., "2": ...}`) instead of
`passage`, `verdict` (the cited document's verdict), `document_id` (a curated document whose
title, aliases and verdict the check then knows, as an answer's does), `label` (`supported` or `unsupported`)
and `kind` (what the claim does: paraphrase, direction, negation, ...). With labels, the run
is scored: the share of unsupported claims accepted, of supported claims rejected, and the
same per kind. A bad line is reported with its number and what is wrong, and every other
line is still checked.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.answering.linking import NamedProgram, NameIndex, RatedNames
from assistant.core.verification.verifier import CITATION, CitedPassage, SentenceVerifier, Verdict

MAX_PASSAGE_CHARS = 20_000
MAX_CLAIM_CHARS = 2_000
LABELS = ("supported", "unsupported")


@dataclass(frozen=True)
class Claim:
    id: str
    line: int
    claim: str
    passages: dict[int, CitedPassage]
    label: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


@dataclass
class ClaimResult:
    claim: Claim
    verdict: Verdict

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.claim.id,
            "supported": self.verdict.supported,
            "check": self.verdict.check,
            "reason": self.verdict.reason,
        }
        if self.claim.label:
            out |= {"label": self.claim.label, "kind": self.claim.kind}
        return out


@dataclass
class ClaimScore:
    """Error rates of one run on labelled claims; `by_kind` gives the rate that matters for each kind."""

    unsupported_accepted: float
    supported_rejected: float
    flips_accepted: int
    counts: dict[str, int]
    by_kind: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unsupported_accepted": round(self.unsupported_accepted, 4),
            "supported_rejected": round(self.supported_rejected, 4),
            "flips_accepted": self.flips_accepted,
            "counts": self.counts,
            "by_kind": self.by_kind,
        }

    def below(self, floors: dict[str, float]) -> list[str]:
        """Floors missed: `unsupported_accepted_max`, `supported_rejected_max`, `kind_accepted_max`, `flips_max`."""
        missed = []
        if self.unsupported_accepted > floors.get("unsupported_accepted_max", 1.0):
            missed.append(
                f"unsupported accepted {self.unsupported_accepted:.3f} > {floors['unsupported_accepted_max']}"
            )
        if self.supported_rejected > floors.get("supported_rejected_max", 1.0):
            missed.append(f"supported rejected {self.supported_rejected:.3f} > {floors['supported_rejected_max']}")
        if self.flips_accepted > floors.get("flips_max", 10**9):
            missed.append(f"direction/negation/verdict flips accepted {self.flips_accepted} > {floors['flips_max']}")
        limit = floors.get("kind_accepted_max")
        if limit is not None:
            for kind, row in self.by_kind.items():
                if row["label"] == "unsupported" and row["error"] > limit:
                    missed.append(f"{kind} accepted {row['error']:.3f} > {limit}")
        return missed


FLIP_KINDS = frozenset({"direction", "negation", "verdict"})


@dataclass(frozen=True)
class DocumentNames:
    """What an answer knows of a cited passage's document besides its text."""

    title: str
    aliases: tuple[str, ...]
    verdict: str | None
    kind: str = "program"


def corpus_documents(corpus_dir: Path) -> dict[str, DocumentNames]:
    """The title, aliases and verdict of every curated document (Markdown front matter) under corpus_dir.

    A claim line that gives a `document_id` is checked as an answer's sentence is: knowing the
    document's own names (so "CIT" for Crisis Intervention Teams is not a stranger) and its verdict.
    """
    import yaml

    out: dict[str, DocumentNames] = {}
    for path in sorted(corpus_dir.glob("*/*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.startswith("---"):
            continue
        try:
            meta = yaml.safe_load(text[3:].split("\n---", 1)[0])
        except yaml.YAMLError:
            continue  # ingestion reports broken front matter; here the claim is checked without names
        if isinstance(meta, dict) and meta.get("id"):
            aliases = meta.get("aliases") or []
            out[str(meta["id"])] = DocumentNames(
                str(meta.get("title") or ""),
                tuple(str(a) for a in aliases if isinstance(a, str)),
                str(meta["verdict"]) if meta.get("verdict") else None,
                str(meta.get("kind") or "practice"),
            )
    return out


def rated_names(documents: dict[str, DocumentNames]) -> RatedNames:
    """The verdicts of the programs a claim names, as an answer's sentence is checked for them."""
    from assistant.core.answering.planning import RATED_KINDS

    index = NameIndex((doc_id, d.title, d.aliases) for doc_id, d in documents.items())
    verdicts = {doc_id: d.verdict for doc_id, d in documents.items() if d.verdict and d.kind in RATED_KINDS}
    return RatedNames(index, verdicts)


def read_claims(path: Path, documents: dict[str, DocumentNames] | None = None) -> tuple[list[Claim], list[LineError]]:
    """Every well-formed claim of the file, and an error for each line that is not.

    `documents` (from `corpus_documents`) fills in the names and verdict of a claim's `document_id`.
    """
    claims: list[Claim] = []
    errors: list[LineError] = []
    seen: set[str] = set()
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(LineError(number, f"not UTF-8 (byte {exc.start + 1}); save the file as UTF-8"))
            continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        try:
            claim = _claim(data, number, documents or {})
        except ValueError as exc:
            errors.append(LineError(number, str(exc)))
            continue
        if claim.id in seen:
            errors.append(LineError(number, f"id {claim.id!r} is used by an earlier line; ids must be unique"))
            continue
        seen.add(claim.id)
        claims.append(claim)
    return claims, errors


def _claim(data: Any, number: int, documents: dict[str, DocumentNames]) -> Claim:
    if not isinstance(data, dict):
        raise ValueError('expected an object like {"id": ..., "passage": ..., "claim": ...}')
    cid = data.get("id")
    if not isinstance(cid, str | int) or not str(cid).strip():
        raise ValueError('missing "id" (a non-empty string)')
    text = data.get("claim")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f'claim {cid}: "claim" is missing or empty')
    if len(text) > MAX_CLAIM_CHARS:
        raise ValueError(f'claim {cid}: "claim" is {len(text)} characters; one sentence of at most {MAX_CLAIM_CHARS}')
    raw_passages: Any = data.get("passages")
    if raw_passages is None:
        if "passage" not in data:
            raise ValueError(f'claim {cid}: "passage" is missing')
        raw_passages = {"1": data["passage"]}
    if not isinstance(raw_passages, dict) or not raw_passages:
        raise ValueError(f'claim {cid}: "passages" must be an object like {{"1": "text"}}')
    known = documents.get(str(data.get("document_id") or ""))
    verdict = data.get("verdict") or (known.verdict if known else None)
    title, aliases = (known.title, known.aliases) if known else ("", ())
    passages: dict[int, CitedPassage] = {}
    for key, value in raw_passages.items():
        if not str(key).isdigit():
            raise ValueError(f'claim {cid}: passage key {key!r} must be a number such as "1"')
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"claim {cid}: passage [{key}] is missing or empty")
        if len(value) > MAX_PASSAGE_CHARS:
            raise ValueError(
                f"claim {cid}: passage [{key}] is {len(value)} characters; the limit is {MAX_PASSAGE_CHARS} "
                "(cite the paragraph that supports the claim, not the whole document)"
            )
        passages[int(key)] = CitedPassage(value, title, str(verdict) if verdict else None, aliases)
    cited = {int(n) for n in CITATION.findall(text)}
    if not cited:
        raise ValueError(f"claim {cid}: cites no passage; end the claim with [1]")
    missing = sorted(cited - passages.keys())
    if missing:
        raise ValueError(f"claim {cid}: cites [{missing[0]}], but no such passage is given")
    label = data.get("label")
    if label is not None and label not in LABELS:
        raise ValueError(f'claim {cid}: "label" must be "supported" or "unsupported", not {label!r}')
    kind = data.get("kind")
    return Claim(str(cid), number, text, passages, label, str(kind) if kind else None)


def verify_claims(
    verifier: SentenceVerifier, claims: list[Claim], rated: Callable[[str], Sequence[NamedProgram]] | None = None
) -> list[ClaimResult]:
    """Each claim's verdict; `rated` (rated_names) gives the verdicts of the programs a claim names."""
    return [ClaimResult(c, verifier.check(c.claim, c.passages, rated)) for c in claims]


def score(results: list[ClaimResult]) -> ClaimScore | None:
    """Error rates over labelled claims; None when no claim is labelled."""
    labelled = [r for r in results if r.claim.label]
    if not labelled:
        return None
    errors: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    flips = 0
    for r in labelled:
        label = r.claim.label or ""
        wrong = r.verdict.supported != (label == "supported")
        totals[label] += 1
        errors[label] += wrong
        kind = f"{label}:{r.claim.kind or '-'}"
        kinds[kind]["n"] += 1
        kinds[kind]["wrong"] += wrong
        if label == "unsupported" and wrong and (r.claim.kind or "") in FLIP_KINDS:
            flips += 1
    by_kind = {
        kind: {
            "label": kind.split(":")[0],
            "n": c["n"],
            "error": round(c["wrong"] / c["n"], 4),
        }
        for kind, c in sorted(kinds.items())
    }
    return ClaimScore(
        unsupported_accepted=errors["unsupported"] / totals["unsupported"] if totals["unsupported"] else 0.0,
        supported_rejected=errors["supported"] / totals["supported"] if totals["supported"] else 0.0,
        flips_accepted=flips,
        counts=dict(totals),
        by_kind=by_kind,
    )
