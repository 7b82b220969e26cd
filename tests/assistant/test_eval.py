"""The golden question set, run through the real CLI against the real corpus and model."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from assistant.core.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_whatworks_eval_meets_the_thresholds_kept_in_the_repo(corpus_settings: Settings) -> None:
    env = {**os.environ, "WHATWORKS_DATA_DIR": str(corpus_settings.data_dir)}
    run = subprocess.run(
        [str(REPO / ".venv/bin/whatworks"), "eval", "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(run.stdout)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert run.returncode == 0, run.stderr
    assert result["passed"] is True
    metrics = result["metrics"]
    assert metrics["questions"] >= 100
    assert metrics["out_of_scope"] >= 15
    assert metrics["followups"] >= 10
