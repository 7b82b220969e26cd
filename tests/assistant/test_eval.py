"""The question sets, run through the real CLI against the real corpus and model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from tests.helpers import run_whatworks


@pytest.mark.parametrize(
    ("questions", "thresholds", "least"),
    [
        # the golden set: in scope, out of scope, follow-ups
        ("questions.yaml", "thresholds.yaml", (100, 15, 10)),
        # check sets written blind to the golden set and to the calibration questions the gate is fitted on
        ("holdout.yaml", "thresholds.yaml", (40, 40, 0)),
        ("blind.yaml", "thresholds.yaml", (40, 40, 0)),
        # members' own phrasing, with the section each intent needs; the second half was never read while tuning
        ("natural.yaml", "natural-thresholds.yaml", (100, 25, 0)),
        ("natural-holdout.yaml", "natural-thresholds.yaml", (100, 25, 0)),
        # francophone members' questions, answered from the same (mostly English) evidence
        ("french.yaml", "french-thresholds.yaml", (60, 20, 12)),
        ("french-holdout.yaml", "french-thresholds.yaml", (60, 20, 12)),
        ("french-2.yaml", "french2-thresholds.yaml", (60, 20, 10)),
        ("french-holdout2.yaml", "french2-thresholds.yaml", (60, 20, 10)),
        ("french-holdout3.yaml", "french3-thresholds.yaml", (64, 32, 10)),
    ],
)
def test_whatworks_eval_meets_the_thresholds_kept_in_the_repo(
    corpus_settings: Settings, questions: str, thresholds: str, least: tuple[int, int, int]
) -> None:
    run = run_whatworks(
        corpus_settings,
        *("eval", "--json", "--failures", "--questions", f"corpus/eval/{questions}"),
        *("--thresholds", f"corpus/eval/{thresholds}"),
    )
    print(run.stdout)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert run.returncode == 0, run.stderr
    assert result["passed"] is True
    metrics = result["metrics"]
    assert metrics["questions"] >= least[0]
    assert metrics["out_of_scope"] >= least[1]
    assert metrics["followups"] >= least[2]


def test_eval_fails_below_a_threshold(corpus_settings: Settings, tmp_path: Path) -> None:
    strict = tmp_path / "thresholds.yaml"
    strict.write_text("recall_at_5: 1.01\n", encoding="utf-8")
    run = run_whatworks(corpus_settings, "eval", "--questions", "corpus/eval/blind.yaml", "--thresholds", str(strict))
    assert run.returncode == 1
    assert "below threshold: recall_at_5" in run.stderr


def test_eval_leaves_no_trace_in_the_query_log_or_the_gap_list(corpus_settings: Settings, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from assistant.core.records import RecordStore, questions

    small = tmp_path / "small.yaml"
    small.write_text(
        "questions:\n- id: q1\n  question: does street lighting reduce crime?\n  expected: [street-lighting]\n"
        "out_of_scope:\n- id: o1\n  question: what is the best recipe for butter tarts?\n",
        encoding="utf-8",
    )
    records = RecordStore(corpus_settings.sql_url)
    with records.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(questions)).scalar_one()
    run = run_whatworks(corpus_settings, "eval", "--questions", str(small), "--thresholds", str(tmp_path / "none"))
    assert run.returncode == 0, run.stderr
    with records.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(questions)).scalar_one()
    assert after == before
    assert "butter tarts" not in " ".join(g["question"] for g in records.evidence_gaps(1000))
    records.close()
