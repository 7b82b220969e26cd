"""A running server picks up new evidence from a separate ingestion process, without a restart."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from assistant.api.app import create_app
from tests.conftest import make_settings, serve_app

REPO = Path(__file__).resolve().parents[2]
DOC = """---
id: graffiti-wipe-teams
title: Rapid graffiti removal teams
verdict: promising
sources:
  - title: Local pilot report
    citation: "Town of Example (2024). Rapid graffiti removal pilot. Internal report."
---
# Rapid graffiti removal teams

## Evidence

Rapid graffiti removal teams that cleaned tags within 48 hours saw fewer repeat tags on the same walls.
"""


def test_new_evidence_is_answered_without_restarting_the_server(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lighting.md").write_text(
        DOC.replace("graffiti-wipe-teams", "lighting-note")
        .replace("Rapid graffiti removal teams", "Street lighting note")
        .replace("cleaned tags within 48 hours saw fewer repeat tags on the same walls", "made streets brighter"),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path / "data")
    settings.embedding.backend = "fake"
    settings.retrieval.refresh_seconds = 0
    env = {**os.environ, "WHATWORKS_DATA_DIR": str(tmp_path / "data"), "WHATWORKS_EMBEDDING__BACKEND": "fake"}
    ingest = [str(REPO / ".venv/bin/whatworks-ingest"), str(corpus)]
    subprocess.run(ingest, env=env, check=True, capture_output=True, timeout=120)

    with serve_app(create_app(settings)) as url:
        question = {"question": "do rapid graffiti removal teams stop repeat tags?"}
        before = httpx.post(f"{url}/v1/ask", json=question, timeout=30).json()
        assert "graffiti-wipe-teams" not in [c["document_id"] for c in before["citations"]]

        (corpus / "graffiti.md").write_text(DOC, encoding="utf-8")
        subprocess.run(ingest, env=env, check=True, capture_output=True, timeout=120)
        time.sleep(0.2)
        after = httpx.post(f"{url}/v1/ask", json=question, timeout=30).json()
        deadline = time.monotonic() + 10
        while "graffiti-wipe-teams" not in [c["document_id"] for c in after["citations"]]:
            # the new snapshot is built beside the answering; the question that notices it waits briefly
            assert time.monotonic() < deadline, "the new evidence was not answered within 10 s"
            time.sleep(0.2)
            after = httpx.post(f"{url}/v1/ask", json=question, timeout=30).json()
        assert after["no_evidence"] is False
        assert "graffiti-wipe-teams" in [c["document_id"] for c in after["citations"]]
        assert "within 48 hours" in after["answer"]
