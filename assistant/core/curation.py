"""What the curators' console shows, as data: evidence gaps grouped by meaning, the documents'
inventory with how their answers were received, CSV exports, and gaps set aside as out of scope.

The faces (the console's pages, the curator JSON routes) only lay these out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assistant.core.vectorcache import RememberedVectors

# Average-link distance (1 - cosine, Universal Sentence Encoder Multilingual) under which two groups
# of questions are one topic; fitted on
# corpus/eval/gap-clusters.yaml with `whatworks gap-clusters` (README, "The curator console").
GROUP_DISTANCE = 0.6

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass
class GapGroup:
    """Unanswered questions about one topic, newest first."""

    questions: list[dict[str, Any]]
    nearest_topics: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def newest(self) -> dict[str, Any]:
        return self.questions[0]

    @property
    def languages(self) -> list[str]:
        return sorted({str(q.get("language") or "en") for q in self.questions})

    @property
    def ids(self) -> list[str]:
        return [str(q["id"]) for q in self.questions]


class GapGrouper:
    """Groups questions by meaning; each question's vector is computed once and kept."""

    def __init__(self, encode: Encode, distance: float = GROUP_DISTANCE) -> None:
        self.vectors = RememberedVectors(encode)
        self.distance = distance

    def labels(self, texts: Sequence[str]) -> list[int]:
        """A group number per text (average-link clustering on cosine distance)."""
        if len(texts) < 2:
            return [0] * len(texts)
        from sklearn.cluster import AgglomerativeClustering

        model = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=self.distance
        )
        return [int(x) for x in model.fit_predict(self.vectors(texts))]

    def group(self, gaps: list[dict[str, Any]]) -> list[GapGroup]:
        """Gaps (newest first) in groups, the largest first, then the most recent."""
        texts = [str(g.get("standalone_question") or g["question"]) for g in gaps]
        by_label: dict[int, list[dict[str, Any]]] = {}
        for gap, label in zip(gaps, self.labels(texts), strict=True):
            by_label.setdefault(label, []).append(gap)
        groups = []
        for members in by_label.values():
            topics = Counter(t for m in members for t in m.get("nearest_topics") or [])
            groups.append(GapGroup(members, [t for t, _ in topics.most_common(3)]))
        groups.sort(key=lambda g: (-g.count, -g.newest["created_at"].timestamp()))
        return groups


def documents_inventory(documents: dict[str, list[Any]], usage: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """One row per document of the index: its evidence metadata, chunks, citations and 👎 rate."""
    rows = []
    for doc_id, chunks in documents.items():
        meta = chunks[0].metadata
        used = usage.get(doc_id, {"cited": 0, "up": 0, "down": 0})
        votes = used["up"] + used["down"]
        rows.append(
            {
                "id": doc_id,
                "title": chunks[0].title,
                "kind": meta.get("kind") or "",
                "verdict": meta.get("verdict") or "not-rated",
                "rating_source": meta.get("rating_source") or "",
                "updated": meta.get("updated") or "",
                "chunks": len(chunks),
                "cited": used["cited"],
                "votes": votes,
                "down_rate": (used["down"] / votes) if votes else None,
            }
        )
    rows.sort(key=lambda r: (-r["cited"], r["title"].lower()))
    return rows


def as_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV, lists joined with ';'; a cell that a spreadsheet would run as a formula is quoted
    with a leading apostrophe (members' questions are untrusted text)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def set_aside_out_of_scope(path: Path, questions: Iterable[tuple[str, str]], by: str) -> int:
    """Add questions a curator judged out of scope to a review file; a curator moves them into the
    gate's calibration examples (corpus/eval/calibration.yaml, the same entry shape) after reading them.
    Returns how many were new."""
    data: dict[str, Any] = {}
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries: list[dict[str, Any]] = list(data.get("out_of_scope") or [])
    known = {str(e.get("question")) for e in entries}
    today = dt.date.today().isoformat()
    added = 0
    for question_id, question in questions:
        if question not in known:
            entries.append({"id": f"gap-{question_id[:8]}", "question": question, "marked_by": by, "marked_on": today})
            known.add(question)
            added += 1
    header = (
        "# Questions curators marked 'out of scope' in the console. Review them, then move the ones\n"
        "# that are truly outside the evidence base's remit into corpus/eval/calibration.yaml\n"
        "# (out_of_scope) and run `whatworks calibrate`.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump({"out_of_scope": entries}, allow_unicode=True, sort_keys=False)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(header + body, encoding="utf-8")
    tmp.replace(path)
    return added


def load_grouping_set(path: Path) -> tuple[list[str], list[int]]:
    """A labelled set (corpus/eval/gap-clusters*.yaml): questions and their true group; each singleton its own."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts: list[str] = []
    labels: list[int] = []
    for number, group in enumerate(data["groups"]):
        for question in group["questions"]:
            texts.append(str(question))
            labels.append(number)
    for offset, question in enumerate(data.get("singletons") or []):
        texts.append(str(question))
        labels.append(len(data["groups"]) + offset)
    return texts, labels


def grouping_scores(found: Sequence[int], truth: Sequence[int]) -> dict[str, float]:
    """Adjusted Rand index, and pairwise precision and recall (pairs put together that belong together)."""
    from sklearn.metrics import adjusted_rand_score

    together = same = both = 0
    n = len(truth)
    for i in range(n):
        for j in range(i + 1, n):
            f, t = found[i] == found[j], truth[i] == truth[j]
            together += f
            same += t
            both += f and t
    return {
        "ari": float(adjusted_rand_score(truth, found)),
        "pair_precision": both / together if together else 1.0,
        "pair_recall": both / same if same else 1.0,
        "groups_found": float(len(set(found))),
        "groups_true": float(len(set(truth))),
    }
