"""The SQL store keeps working on a query log written by an earlier version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.core.records import RecordStore

# The questions table as the first release made it: no `language` column.
FIRST_RELEASE = """
CREATE TABLE questions (
    id VARCHAR(36) PRIMARY KEY, created_at DATETIME NOT NULL, face VARCHAR(20) NOT NULL,
    question TEXT NOT NULL, standalone_question TEXT NOT NULL, no_evidence BOOLEAN NOT NULL,
    answer_mode VARCHAR(20) NOT NULL, top_similarity FLOAT, cited TEXT NOT NULL,
    nearest_topics TEXT NOT NULL
);
INSERT INTO questions VALUES ('old-1', '2026-11-01 10:00:00', 'slack', 'do curfews work?',
    'do curfews work?', 1, 'extractive', 0.2, '[]', '["hot-spots-policing"]');
"""


def test_an_earlier_query_log_gains_the_language_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "whatworks.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(FIRST_RELEASE)
    store = RecordStore(f"sqlite:///{path}")
    try:
        new = store.log_question("¿funciona?", "¿funciona?", True, "extractive", None, [], [], "widget", "fr")
        gaps = {g["id"]: g for g in store.evidence_gaps()}
        assert gaps["old-1"]["language"] == "en"  # rows from before languages were recorded were English
        assert gaps["old-1"]["question"] == "do curfews work?"
        assert gaps[new]["language"] == "fr"
    finally:
        store.close()
    RecordStore(f"sqlite:///{path}").close()  # opening an up-to-date store again changes nothing
