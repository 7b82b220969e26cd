"""The SQL store, on SQLite and on a real PostgreSQL: the query log and votes, and its migrations, which
bring a store written by any earlier version up to date and make exactly the tables records.py defines."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, select, text
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.core.migrations import head_revision, upgrade
from assistant.core.records import (
    REMOVED,
    AlreadyVoted,
    LogFilter,
    RecordStore,
    RecordsUnavailable,
    UnknownQuestion,
    metadata,
    questions,
)
from tests.conftest import REPO

# The tables as the first release made them (its `create_all`): no `language` column.
FIRST_RELEASE = """
CREATE TABLE questions (
    id VARCHAR(36) NOT NULL PRIMARY KEY, created_at DATETIME NOT NULL, face VARCHAR(20) NOT NULL,
    question TEXT NOT NULL, standalone_question TEXT NOT NULL, no_evidence BOOLEAN NOT NULL,
    answer_mode VARCHAR(20) NOT NULL, top_similarity FLOAT, cited TEXT NOT NULL,
    nearest_topics TEXT NOT NULL
);
CREATE TABLE feedback (
    id INTEGER NOT NULL, question_id VARCHAR(36) NOT NULL, created_at DATETIME NOT NULL,
    rating VARCHAR(4) NOT NULL, comment TEXT, voter VARCHAR(200), PRIMARY KEY (id),
    CONSTRAINT one_vote_per_voter UNIQUE (question_id, voter)
);
CREATE INDEX ix_feedback_question_id ON feedback (question_id);
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
    assert revision_and_differences(f"sqlite:///{path}") == (head_revision(), [])


# The same first release on PostgreSQL (its `create_all` there).
FIRST_RELEASE_POSTGRES = [
    """CREATE TABLE questions (
        id VARCHAR(36) NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL, face VARCHAR(20) NOT NULL,
        question TEXT NOT NULL, standalone_question TEXT NOT NULL, no_evidence BOOLEAN NOT NULL,
        answer_mode VARCHAR(20) NOT NULL, top_similarity FLOAT, cited TEXT NOT NULL, nearest_topics TEXT NOT NULL,
        PRIMARY KEY (id))""",
    """CREATE TABLE feedback (
        id SERIAL NOT NULL, question_id VARCHAR(36) NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        rating VARCHAR(4) NOT NULL, comment TEXT, voter VARCHAR(200), PRIMARY KEY (id),
        CONSTRAINT one_vote_per_voter UNIQUE (question_id, voter))""",
    "CREATE INDEX ix_feedback_question_id ON feedback (question_id)",
    """INSERT INTO questions VALUES ('old-1', '2026-11-01 10:00:00+00', 'slack', 'do curfews work?',
        'do curfews work?', true, 'extractive', 0.2, '[]', '["hot-spots-policing"]')""",
    "INSERT INTO feedback (question_id, created_at, rating, voter) VALUES ('old-1', now(), 'down', 'u1')",
]


@contextmanager
def new_postgres_database(server_url: str) -> Iterator[str]:
    """An empty database of its own on the test server, dropped afterwards."""
    name = f"records_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'whatworks.db'}"
    else:
        with new_postgres_database(request.getfixturevalue("postgres_url")) as url:
            yield url


@pytest.fixture
def store(store_url: str) -> Iterator[RecordStore]:
    opened = RecordStore(store_url)
    yield opened
    opened.close()


def revision_and_differences(url: str) -> tuple[str | None, list[Any]]:
    """The database's revision, and how its schema differs from the tables records.py defines."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            return context.get_current_revision(), compare_metadata(context, metadata)
    finally:
        engine.dispose()


def schema(url: str) -> dict[str, list[tuple[str, str, bool]]]:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            table: [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)]
            for table in sorted(found.get_table_names())
        }
    finally:
        engine.dispose()


def test_a_question_is_logged_with_its_language_and_answer(store: RecordStore) -> None:
    gap = store.log_question(
        "les couvre-feux marchent-ils ?", "les couvre-feux pour les jeunes marchent-ils ?", True, "extractive",
        0.21, [], ["hot-spots-policing"], face="widget", language="fr",
        answer="La base ne contient pas de preuves sur les couvre-feux.",
    )  # fmt: skip
    answered = store.log_question(
        "does cctv work?", "does cctv work?", False, "extractive", 0.82, ["cctv-surveillance"], [],
        language="en", answer="**CCTV** reduces crime in car parks [1].\n\n[1] CCTV surveillance",
    )  # fmt: skip

    gaps = store.evidence_gaps()
    assert [g["id"] for g in gaps] == [gap]  # an answered question is no gap
    assert gaps[0]["language"] == "fr"
    assert gaps[0]["face"] == "widget"
    assert gaps[0]["question"] == "les couvre-feux marchent-ils ?"
    assert gaps[0]["nearest_topics"] == ["hot-spots-policing"]
    assert gaps[0]["top_similarity"] == pytest.approx(0.21)
    assert store.turn(answered) == ("does cctv work?", ["cctv-surveillance"])
    assert store.turn("no-such-question") is None
    with store.engine.connect() as conn:
        answers = dict(conn.execute(select(questions.c.id, questions.c.answer)).all())
    assert answers[answered] == "**CCTV** reduces crime in car parks [1].\n\n[1] CCTV surveillance"
    assert answers[gap] == "La base ne contient pas de preuves sur les couvre-feux."


def test_one_vote_per_voter_and_only_on_a_logged_question(store: RecordStore) -> None:
    qid = store.log_question("does cctv work?", "does cctv work?", False, "extractive", 0.8, ["cctv"], [])
    store.add_feedback(qid, "up", "clear and cited", "voter-1")
    store.add_feedback(qid, "down", None, "voter-2")
    with pytest.raises(AlreadyVoted):
        store.add_feedback(qid, "down", "changed my mind", "voter-1")
    with pytest.raises(UnknownQuestion):
        store.add_feedback("no-such-question", "up", None, "voter-1")
    assert sorted(store.feedback_for(qid), key=lambda v: v["voter"]) == [
        {"rating": "up", "comment": "clear and cited", "voter": "voter-1"},
        {"rating": "down", "comment": None, "voter": "voter-2"},
    ]


def test_the_migrations_make_exactly_the_tables_records_py_defines(store_url: str) -> None:
    """A column or table added to records.py without a migration fails here."""
    RecordStore(store_url).close()
    revision, differences = revision_and_differences(store_url)
    assert revision == head_revision()
    assert differences == []


def test_opening_an_up_to_date_store_again_changes_nothing(store_url: str) -> None:
    first = RecordStore(store_url)
    qid = first.log_question("does cctv work?", "does cctv work?", True, "extractive", 0.3, [], [], language="en")
    first.close()
    before = schema(store_url)

    again = RecordStore(store_url)
    try:
        assert [g["id"] for g in again.evidence_gaps()] == [qid]
    finally:
        again.close()
    assert schema(store_url) == before
    assert revision_and_differences(store_url) == (head_revision(), [])


def test_a_store_from_the_release_with_languages_is_recognised_and_upgraded(store_url: str) -> None:
    engine = create_engine(store_url)
    upgrade(engine, "0002")  # the tables as that release's create_all made them, without Alembic's record
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text(
                "INSERT INTO questions (id, created_at, face, question, standalone_question, no_evidence,"
                " answer_mode, cited, nearest_topics, language) VALUES ('fr-1', '2026-12-01 09:00:00+00:00',"
                " 'widget', 'la vidéosurveillance ?', 'la vidéosurveillance ?', :yes, 'extractive', '[]', '[]', 'fr')"
            ),
            {"yes": True},
        )
    engine.dispose()

    store = RecordStore(store_url)
    try:
        [row] = store.evidence_gaps()
        assert (row["id"], row["language"]) == ("fr-1", "fr")
    finally:
        store.close()
    assert revision_and_differences(store_url) == (head_revision(), [])


@pytest.mark.slow
def test_a_first_release_postgres_query_log_is_upgraded_in_place(postgres_url: str) -> None:
    with new_postgres_database(postgres_url) as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            for statement in FIRST_RELEASE_POSTGRES:
                conn.execute(text(statement))
        engine.dispose()

        store = RecordStore(url)
        try:
            new = store.log_question(
                "est-ce utile ?", "est-ce utile ?", True, "extractive", None, [], [], language="fr"
            )
            gaps = {g["id"]: g for g in store.evidence_gaps()}
            assert gaps["old-1"]["language"] == "en"  # rows from before languages were recorded were English
            assert gaps["old-1"]["question"] == "do curfews work?"
            assert gaps["old-1"]["nearest_topics"] == ["hot-spots-policing"]
            assert gaps[new]["language"] == "fr"
            assert store.feedback_for("old-1") == [{"rating": "down", "comment": None, "voter": "u1"}]
            with pytest.raises(AlreadyVoted):
                store.add_feedback("old-1", "up", None, "u1")
        finally:
            store.close()
        assert revision_and_differences(url) == (head_revision(), [])
        columns = {name for name, _, _ in schema(url)["questions"]}
        assert {"language", "answer"} <= columns


# A process that opens the store the moment the test says "go" (after its imports, so they start together).
OPENER = """
import sys
from assistant.core.records import RecordStore
print("ready", flush=True)
sys.stdin.readline()
RecordStore(sys.argv[1]).close()
"""


def test_processes_opening_a_new_store_at_once_upgrade_it_once(store_url: str) -> None:
    """The API and ingestion jobs starting together: one creates the tables, the others find them made."""
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, store_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(3)
    ]
    try:
        for opener in openers:  # each imported and waiting
            assert opener.stdout is not None
            assert opener.stdout.readline() == "ready\n"
        for opener in openers:
            assert opener.stdin is not None
            opener.stdin.write("go\n")
            opener.stdin.flush()
        failures = [err for opener in openers if (err := opener.communicate(timeout=60)[1]) or opener.returncode]
    finally:
        for opener in openers:
            opener.kill()
    assert failures == []
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]
    finally:
        engine.dispose()
    assert revision_and_differences(store_url) == (head_revision(), [])


def test_the_cli_shows_the_revision_and_upgrades(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "whatworks.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(FIRST_RELEASE)
    monkeypatch.setenv("WHATWORKS_DATABASE_URL", f"sqlite:///{path}")
    runner = CliRunner()

    before = runner.invoke(cli, ["db", "current"])
    assert before.exit_code == 0, before.output
    assert before.output == f"none (empty, or made before migrations); this release's head: {head_revision()}\n"
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.output == f"at {head_revision()} (head)\n"
    assert runner.invoke(cli, ["db", "current"]).output == f"{head_revision()} (head)\n"


# -- what the curators' console reads, on both backends ----------------------------------------


def _log(store: RecordStore, question: str, **kw: Any) -> str:
    args: dict[str, Any] = {
        "no_evidence": False, "answer_mode": "extractive", "top_similarity": 0.5, "cited": [], "nearest": [],
        "face": "widget", "language": "en", "answer": f"answer to {question}",
    } | kw  # fmt: skip
    return store.log_question(
        question, question, args["no_evidence"], args["answer_mode"], args["top_similarity"], args["cited"],
        args["nearest"], args["face"], args["language"], args["answer"],
    )  # fmt: skip


def _age(store: RecordStore, question_id: str, days: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            questions.update()
            .where(questions.c.id == question_id)
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
        )


def test_the_query_log_filters_by_every_field_and_counts_votes(store: RecordStore) -> None:
    cctv = _log(store, "Does CCTV work in car parks?", cited=["cctv", "cctv", "overview"], face="slack")
    french = _log(store, "Les caméras fonctionnent-elles?", cited=["cctv"], language="fr")
    gap = _log(store, "100% of snow_removal budgets?", no_evidence=True, nearest=["street-lighting"])
    old = _log(store, "An old question about DARE", cited=["dare"])
    _age(store, old, 40)
    store.add_feedback(cctv, "down", "off topic", "v1")
    store.add_feedback(cctv, "up", None, "v2")
    store.add_feedback(cctv, "down", None, "v3")

    def ids(**where: Any) -> list[str]:
        return [r["id"] for r in store.query_log(LogFilter(**where))]

    assert ids() == [gap, french, cctv, old]  # newest first
    assert ids(face="slack") == [cctv]
    assert ids(language="fr") == [french]
    assert ids(answered=False) == [gap]
    assert ids(answered=True) == [french, cctv, old]
    assert ids(document="cctv") == [french, cctv]
    assert ids(text="car PARKS") == [cctv]  # any case
    assert ids(text="100%") == [gap]  # LIKE's wildcards are taken literally
    assert ids(text="snow_r") == [gap]
    assert ids(text="Does_CCTV") == []  # unescaped, '_' would match the space
    assert ids(text="snow%budgets") == []
    assert ids(since=dt.datetime.now(dt.UTC) - dt.timedelta(days=30)) == [gap, french, cctv]
    assert ids(until=dt.datetime.now(dt.UTC) - dt.timedelta(days=30)) == [old]
    row = next(r for r in store.query_log(LogFilter()) if r["id"] == cctv)
    assert (row["ups"], row["downs"]) == (1, 2)
    assert row["cited"] == ["cctv", "overview"]  # one entry per document
    assert row["answer"] == "answer to Does CCTV work in car parks?"
    assert row["created_at"].tzinfo is not None


def test_feedback_comes_with_its_question_and_answer_and_documents_with_their_reception(store: RecordStore) -> None:
    cctv = _log(store, "Does CCTV work?", cited=["cctv"])
    dare = _log(store, "Does DARE work?", cited=["dare", "overview"], face="slack")
    store.add_feedback(cctv, "up", None, "v1")
    store.add_feedback(dare, "down", "it said DARE works", "v1")
    store.add_feedback(dare, "down", None, "v2")
    downs = store.feedback_log(LogFilter(), "down")
    assert [(r["question"], r["comment"]) for r in downs] == [
        ("Does DARE work?", None),
        ("Does DARE work?", "it said DARE works"),
    ]
    assert downs[0]["answer"] == "answer to Does DARE work?"
    assert [r["question"] for r in store.feedback_log(LogFilter(face="widget"))] == ["Does CCTV work?"]
    assert [r["question"] for r in store.feedback_log(LogFilter(document="overview"))] == ["Does DARE work?"] * 2
    usage = store.document_usage()
    assert usage["dare"] == {"cited": 1, "up": 0, "down": 2}
    assert usage["cctv"] == {"cited": 1, "up": 1, "down": 0}


def test_gaps_marked_by_a_curator_leave_the_open_list(store: RecordStore) -> None:
    first = _log(store, "snow removal?", no_evidence=True)
    second = _log(store, "dog parks?", no_evidence=True)
    answered = _log(store, "cctv?")
    old = _log(store, "library hours?", no_evidence=True)
    _age(store, old, 100)
    assert [g["id"] for g in store.open_gaps()] == [second, first, old]
    assert [g["id"] for g in store.open_gaps(dt.datetime.now(dt.UTC) - dt.timedelta(days=30))] == [second, first]
    marked = store.mark_gaps([first, answered, "no-such-id"], "out-of-scope", "alice")
    assert [m["id"] for m in marked] == [first]  # only unanswered questions are gaps
    store.mark_gaps([first], "added", "bob")  # a second decision replaces the first
    assert [g["id"] for g in store.open_gaps()] == [second, old]


def test_ingestion_runs_keep_each_failed_files_error(store: RecordStore) -> None:
    summary = {"added": 1, "updated": 0, "unchanged": 60, "deleted": 0, "failed": 1, "chunks": 512}
    summary |= {"seconds": 3.25, "errors": ["corpus/broken.pdf: not a PDF (damaged): re-export it"]}
    store.record_ingestion(summary)
    store.record_ingestion({"added": 0, "failed": 0, "errors": []})
    runs = store.ingestion_history()
    assert [r["failed"] for r in runs] == [0, 1]
    assert runs[1]["errors"] == ["corpus/broken.pdf: not a PDF (damaged): re-export it"]
    assert runs[1]["chunks"] == 512


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_retention_removes_old_questions_text_or_rows(store: RecordStore, mode: str) -> None:
    old = _log(store, "an old question naming a person", cited=["cctv"])
    new = _log(store, "a new question", cited=["cctv"])
    store.add_feedback(old, "down", "a comment naming someone", "v1")
    _age(store, old, 400)
    assert store.apply_retention(365, mode) == 1
    rows = {r["id"]: r for r in store.query_log(LogFilter())}
    assert rows[new]["question"] == "a new question"
    if mode == "delete":
        assert old not in rows
        assert store.feedback_for(old) == []
    else:
        assert rows[old]["question"] == REMOVED
        assert rows[old]["answer"] is None
        assert rows[old]["downs"] == 1  # counts stay for the documents view
        assert store.feedback_for(old) == [{"rating": "down", "comment": None, "voter": None}]
    assert store.apply_retention(365, mode) == 0  # nothing more to do


def test_questions_logged_in_the_background_are_read_back_in_order_and_take_votes(store: RecordStore) -> None:
    ids = [
        store.log_question(
            f"question {i}", f"question {i}", i % 2 == 0, "extractive", 0.5, [], [], "api", background=True
        )
        for i in range(300)
    ]
    # the reads wait for what was submitted before them: a follow-up finds its turn, a vote its question
    assert store.turn(ids[-1]) == ("question 299", [])
    store.add_feedback(ids[0], "up", None, "voter-1")
    assert store.feedback_for(ids[0]) == [{"rating": "up", "comment": None, "voter": "voter-1"}]
    assert len(store.evidence_gaps(limit=1000)) == 150
    assert store.lost_rows == 0


def test_a_row_the_background_writer_loses_is_counted_and_its_vote_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    store = RecordStore(f"sqlite:///{path}")
    try:
        kept = store.log_question("kept", "kept", False, "extractive", 0.5, [], [], background=True)
        assert store.turn(kept) == ("kept", [])
        path.write_bytes(b"this is not a database" * 100)
        lost = store.log_question("lost", "lost", False, "extractive", 0.5, [], [], background=True)
        with pytest.raises(RecordsUnavailable, match="query log was down"):
            store.add_feedback(lost, "up", None, "voter-1")
        assert store.lost_rows == 1
    finally:
        store.close()
