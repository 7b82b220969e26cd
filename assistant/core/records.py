"""The SQL store (SQLite by default, any SQLAlchemy URL): the query log, feedback and evidence gaps.

Answers log their question with `log_question(..., background=True)`: the row is written by a background thread,
many rows to a transaction, so a member never waits for the log (2 ms a question on SQLite, more on a
busy PostgreSQL). Every read drains the pending rows first, so a follow-up or a vote always finds
the question it refers to.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    create_engine,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from assistant.core.migrations import upgrade

log = logging.getLogger(__name__)

metadata = MetaData()

questions = Table(
    "questions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("face", String(20), nullable=False, default="api"),
    Column("question", Text, nullable=False),
    Column("standalone_question", Text, nullable=False),
    Column("no_evidence", Boolean, nullable=False),
    Column("answer_mode", String(20), nullable=False),
    Column("top_similarity", Float, nullable=True),
    Column("cited", Text, nullable=False, default="[]"),
    Column("nearest_topics", Text, nullable=False, default="[]"),
    # the question's language (ISO 639-1): "en", "fr", or one we do not answer in
    Column("language", String(12), nullable=False, default="en", server_default="en"),
    # the answer as the member read it (Markdown with its citations list), for the curators' console
    Column("answer", Text, nullable=True),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question_id", String(36), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rating", String(4), nullable=False),
    Column("comment", Text, nullable=True),
    Column("voter", String(200), nullable=True),
    UniqueConstraint("question_id", "voter", name="one_vote_per_voter"),
)


# A curator's decision on an evidence gap: "added" (the base now covers it) or "out-of-scope".
gap_marks = Table(
    "gap_marks",
    metadata,
    Column("question_id", String(36), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("marked_by", String(100), nullable=False),
    Column("marked_at", DateTime(timezone=True), nullable=False),
)

# One row per ingestion job: its counts and each failed file's error, for the console's documents view.
ingestion_runs = Table(
    "ingestion_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("seconds", Float, nullable=False),
    Column("added", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("deleted", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("rebuilt", Boolean, nullable=False),
    Column("errors", Text, nullable=False, default="[]"),
)


class AlreadyVoted(Exception):
    pass


class RecordsUnavailable(Exception):
    """The query log cannot be read or written now (file removed or damaged, server down)."""


class UnknownQuestion(Exception):
    pass


class RecordStore:
    """Writes and reads the query log; evidence gaps are the logged questions with no evidence."""

    def __init__(self, url: str) -> None:
        self._sqlite_file: Path | None = None
        if url.startswith("sqlite:///"):
            self._sqlite_file = Path(url.removeprefix("sqlite:///"))
            self._sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True)
        upgrade(self.engine)
        self.lost_rows = 0
        self._lock = threading.Lock()
        self._broken = False
        self._writer = _Writer(self._write_questions)
        # ids of questions whose row was lost, so a vote on one says why it cannot be recorded
        self._lost_ids: dict[str, None] = {}

    @contextmanager
    def _guard(self, writing_a_question: bool = False) -> Iterator[None]:
        """Turn a failing store into RecordsUnavailable, and reconnect on the next call.

        The engine's pool holds connections to the file or server as it was: after a failure
        they are dropped, so a restored file (or a server back up) is used without a restart,
        and a SQLite file that vanished is created again with its tables. Every call but the writer's
        first waits for the rows submitted before it, so what it reads or changes is up to date.
        """
        self._writer.drain()
        with self._lock:
            if self._broken or (self._sqlite_file is not None and not self._sqlite_file.exists()):
                self.engine.dispose()
                try:
                    upgrade(self.engine)
                    self._broken = False
                except (DBAPIError, OSError) as exc:
                    self._fail(writing_a_question)
                    raise RecordsUnavailable(f"the query log is unavailable: {_reason(exc)}") from None
        try:
            yield
        except (DBAPIError, OSError) as exc:
            if isinstance(exc, IntegrityError):
                raise
            with self._lock:
                self._broken = True
                self._fail(writing_a_question)
            raise RecordsUnavailable(f"the query log is unavailable: {_reason(exc)}") from None

    def _fail(self, writing_a_question: bool) -> None:
        if writing_a_question:
            self.lost_rows += 1

    def ping(self) -> None:
        """Raise RecordsUnavailable when the store cannot be read now."""
        with self._guard(), self.engine.connect() as conn:
            conn.execute(select(questions.c.id).limit(1)).all()

    def log_question(
        self,
        question: str,
        standalone: str,
        no_evidence: bool,
        answer_mode: str,
        top_similarity: float | None,
        cited: list[str],
        nearest: list[str],
        face: str = "api",
        language: str = "en",
        answer: str | None = None,
        background: bool = False,
    ) -> str:
        """The question's id. Written now (RecordsUnavailable when the log cannot take it), or with
        `background`, by the writer thread: a lost row is then counted in `lost_rows`, and a vote on it
        raises RecordsUnavailable."""
        row = {
            "id": str(uuid.uuid4()),
            "created_at": dt.datetime.now(dt.UTC),
            "face": face[:20],
            "question": question,
            "standalone_question": standalone,
            "no_evidence": no_evidence,
            "answer_mode": answer_mode,
            "top_similarity": top_similarity,
            "cited": json.dumps(cited),
            "nearest_topics": json.dumps(nearest),
            "language": language[:12],
            "answer": answer,
        }
        if background:
            self._writer.submit(row)
        else:
            with self._guard(writing_a_question=True), self.engine.begin() as conn:
                conn.execute(insert(questions), [row])
        return str(row["id"])

    def _write_questions(self, rows: list[dict[str, Any]]) -> None:
        try:
            with self._guard(), self.engine.begin() as conn:
                conn.execute(insert(questions), rows)
        except (RecordsUnavailable, IntegrityError) as exc:
            with self._lock:
                self.lost_rows += len(rows)
                for row in rows:
                    self._lost_ids[str(row["id"])] = None
                while len(self._lost_ids) > 10_000:
                    del self._lost_ids[next(iter(self._lost_ids))]
            log.error("lost %d question rows (%d so far): %s", len(rows), self.lost_rows, exc)

    def flush(self) -> None:
        """Wait until every question submitted so far is written (every read of this store does this itself)."""
        self._writer.drain()

    def turn(self, question_id: str) -> tuple[str, list[str]] | None:
        """The question as it was searched and the documents its answer cited, for a follow-up to continue."""
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(
                select(questions.c.standalone_question, questions.c.cited).where(questions.c.id == question_id)
            ).first()
        if row is None:
            return None
        return str(row[0]), [str(d) for d in json.loads(row[1] or "[]")]

    def add_feedback(self, question_id: str, rating: str, comment: str | None, voter: str | None) -> None:
        self._writer.drain()
        if question_id in self._lost_ids:
            raise RecordsUnavailable("this answer was given while the query log was down, so it cannot take a vote")
        with self._guard(), self.engine.begin() as conn:
            if conn.execute(select(questions.c.id).where(questions.c.id == question_id)).first() is None:
                raise UnknownQuestion(question_id)
            try:
                conn.execute(
                    insert(feedback).values(
                        question_id=question_id,
                        created_at=dt.datetime.now(dt.UTC),
                        rating=rating,
                        comment=comment,
                        voter=voter,
                    )
                )
            except IntegrityError:
                raise AlreadyVoted(question_id) from None

    def feedback_for(self, question_id: str) -> list[dict[str, Any]]:
        with self._guard(), self.engine.connect() as conn:
            rows = conn.execute(
                select(feedback.c.rating, feedback.c.comment, feedback.c.voter).where(
                    feedback.c.question_id == question_id
                )
            ).all()
        return [dict(r._mapping) for r in rows]

    def evidence_gaps(self, limit: int = 100) -> list[dict[str, Any]]:
        """The questions the evidence base could not answer, newest first."""
        with self._guard(), self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    questions.c.id,
                    questions.c.created_at,
                    questions.c.face,
                    questions.c.question,
                    questions.c.standalone_question,
                    questions.c.top_similarity,
                    questions.c.nearest_topics,
                    questions.c.language,
                )
                .where(questions.c.no_evidence.is_(True))
                .order_by(questions.c.created_at.desc())
                .limit(limit)
            ).all()
        out = []
        for r in rows:
            item = dict(r._mapping)
            item["created_at"] = item["created_at"].isoformat()
            item["nearest_topics"] = json.loads(item["nearest_topics"])
            out.append(item)
        return out

    # -- the curators' console -------------------------------------------------------------
    def query_log(self, where: LogFilter, limit: int = 200) -> list[dict[str, Any]]:
        """Logged questions matching `where`, newest first, each with its votes (ups, downs)."""
        votes = (
            select(
                feedback.c.question_id,
                func.sum(case((feedback.c.rating == "up", 1), else_=0)).label("ups"),
                func.sum(case((feedback.c.rating == "down", 1), else_=0)).label("downs"),
            )
            .group_by(feedback.c.question_id)
            .subquery()
        )
        query = (
            select(questions, votes.c.ups, votes.c.downs)
            .outerjoin(votes, votes.c.question_id == questions.c.id)
            .where(*where.clauses())
            .order_by(questions.c.created_at.desc())
            .limit(limit)
        )
        with self._guard(), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_row(r, ups=int(r.ups or 0), downs=int(r.downs or 0)) for r in rows]

    def feedback_log(self, where: LogFilter, rating: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Votes with the question and the answer as the member saw it, newest first."""
        query = (
            select(
                feedback.c.id.label("feedback_id"),
                feedback.c.rating,
                feedback.c.comment,
                feedback.c.created_at.label("voted_at"),
                questions,
            )
            .join(questions, questions.c.id == feedback.c.question_id)
            .where(*where.clauses())
            .order_by(feedback.c.created_at.desc())
            .limit(limit)
        )
        if rating:
            query = query.where(feedback.c.rating == rating)
        with self._guard(), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_row(r) for r in rows]

    def open_gaps(self, since: dt.datetime | None = None, limit: int = 2000) -> list[dict[str, Any]]:
        """Unanswered questions no curator has decided on yet, newest first."""
        query = (
            select(questions)
            .outerjoin(gap_marks, gap_marks.c.question_id == questions.c.id)
            .where(questions.c.no_evidence.is_(True), gap_marks.c.question_id.is_(None))
            .order_by(questions.c.created_at.desc())
            .limit(limit)
        )
        if since is not None:
            query = query.where(questions.c.created_at >= since)
        with self._guard(), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_row(r) for r in rows]

    def mark_gaps(self, question_ids: list[str], status: str, by: str) -> list[dict[str, Any]]:
        """Record a curator's decision on these gaps; returns the questions marked."""
        now = dt.datetime.now(dt.UTC)
        with self._guard(), self.engine.begin() as conn:
            rows = conn.execute(
                select(questions).where(questions.c.id.in_(question_ids), questions.c.no_evidence.is_(True))
            ).all()
            found = [r.id for r in rows]
            conn.execute(delete(gap_marks).where(gap_marks.c.question_id.in_(found)))
            if found:
                conn.execute(
                    insert(gap_marks),
                    [{"question_id": q, "status": status, "marked_by": by[:100], "marked_at": now} for q in found],
                )
        return [_row(r) for r in rows]

    def document_usage(self) -> dict[str, dict[str, int]]:
        """Per cited document: answers citing it, and the votes up and down on those answers."""
        with self._guard(), self.engine.connect() as conn:
            cited = conn.execute(select(questions.c.id, questions.c.cited).where(questions.c.cited != "[]")).all()
            votes = conn.execute(select(feedback.c.question_id, feedback.c.rating)).all()
        by_question: dict[str, list[str]] = {}
        for qid, rating in votes:
            by_question.setdefault(qid, []).append(rating)
        usage: dict[str, dict[str, int]] = {}
        for qid, docs in cited:
            ratings = by_question.get(qid, [])
            for doc in dict.fromkeys(json.loads(docs or "[]")):
                entry = usage.setdefault(doc, {"cited": 0, "up": 0, "down": 0})
                entry["cited"] += 1
                entry["up"] += ratings.count("up")
                entry["down"] += ratings.count("down")
        return usage

    def record_ingestion(self, summary: dict[str, Any], started_at: dt.datetime | None = None) -> str:
        """Keep an ingestion job's counts and per-file errors (a `SyncReport.summary()`)."""
        run_id = str(uuid.uuid4())
        with self._guard(), self.engine.begin() as conn:
            conn.execute(
                insert(ingestion_runs).values(
                    id=run_id,
                    started_at=started_at or dt.datetime.now(dt.UTC),
                    seconds=float(summary.get("seconds", 0.0)),
                    **{k: int(summary.get(k, 0)) for k in ("added", "updated", "unchanged", "deleted", "failed")},
                    chunks=int(summary.get("chunks", 0)),
                    dry_run=bool(summary.get("dry_run", False)),
                    rebuilt=bool(summary.get("rebuilt", False)),
                    errors=json.dumps([str(e) for e in summary.get("errors", [])]),
                )
            )
        return run_id

    def ingestion_history(self, limit: int = 10) -> list[dict[str, Any]]:
        with self._guard(), self.engine.connect() as conn:
            rows = conn.execute(select(ingestion_runs).order_by(ingestion_runs.c.started_at.desc()).limit(limit)).all()
        out = []
        for r in rows:
            item = dict(r._mapping)
            item["errors"] = json.loads(item["errors"] or "[]")
            out.append(item)
        return out

    def apply_retention(self, days: int, mode: str = "anonymise") -> int:
        """Questions older than `days`: their text and answer removed ("anonymise", the counts stay for the
        documents view) or the rows and their votes deleted ("delete"). Returns how many were touched."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        old = select(questions.c.id).where(questions.c.created_at < cutoff)
        with self._guard(), self.engine.begin() as conn:
            if mode == "delete":
                conn.execute(delete(feedback).where(feedback.c.question_id.in_(old)))
                conn.execute(delete(gap_marks).where(gap_marks.c.question_id.in_(old)))
                return int(conn.execute(delete(questions).where(questions.c.created_at < cutoff)).rowcount or 0)
            conn.execute(update(feedback).where(feedback.c.question_id.in_(old)).values(comment=None, voter=None))
            result = conn.execute(
                update(questions)
                .where(questions.c.created_at < cutoff, questions.c.question != REMOVED)
                .values(question=REMOVED, standalone_question=REMOVED, answer=None)
            )
            return int(result.rowcount or 0)

    def close(self) -> None:
        self._writer.close()
        self.engine.dispose()


class _Writer:
    """One background thread writing submitted rows in batches; started by the first row, not before."""

    BATCH = 500
    MAX_PENDING = 20_000  # a stalled database makes answers wait, rather than memory grow without bound

    def __init__(self, write: Callable[[list[dict[str, Any]]], None]) -> None:
        self._write = write
        self._rows: list[dict[str, Any]] = []
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()

    def submit(self, row: dict[str, Any]) -> None:
        with self._cond:
            if self._closed:
                raise RecordsUnavailable("the query log is closed")
            self._cond.wait_for(lambda: len(self._rows) < self.MAX_PENDING, timeout=30)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="query-log-writer", daemon=True)
                self._thread.start()
            self._rows.append(row)
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._rows) or self._closed)
                if not self._rows:
                    return
                batch, self._rows = self._rows[: self.BATCH], self._rows[self.BATCH :]
                self._busy = True
            try:
                self._write(batch)
            except Exception:  # the thread must outlive any one batch
                log.exception("the query log writer failed on %d rows", len(batch))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every row submitted so far is written (or counted lost)."""
        if threading.current_thread() is self._thread:
            return
        with self._cond:
            self._cond.wait_for(lambda: not self._rows and not self._busy, timeout=timeout)

    def close(self) -> None:
        self.drain()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)


REMOVED = "[removed after the retention period]"


@dataclass(frozen=True)
class LogFilter:
    """What the console's views filter the query log by; every field given must match."""

    text: str | None = None
    face: str | None = None
    language: str | None = None
    answered: bool | None = None
    document: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def clauses(self) -> list[Any]:
        out: list[Any] = []
        if self.text:
            pattern = "%" + self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            out.append(
                or_(
                    questions.c.question.ilike(pattern, escape="\\"),
                    questions.c.standalone_question.ilike(pattern, escape="\\"),
                )
            )
        if self.face:
            out.append(questions.c.face == self.face)
        if self.language:
            out.append(questions.c.language == self.language)
        if self.answered is not None:
            out.append(questions.c.no_evidence.is_(not self.answered))
        if self.document:
            out.append(questions.c.cited.like('%"' + self.document.replace('"', "") + '"%'))
        if self.since is not None:
            out.append(questions.c.created_at >= self.since)
        if self.until is not None:
            out.append(questions.c.created_at < self.until)
        return out


def day_bound(day: dt.date, end: bool = False) -> dt.datetime:
    """A day's start in UTC, or with `end` the next day's start: the bounds a "from"/"to" date filter means."""
    moment = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return moment + dt.timedelta(days=1) if end else moment


def _row(row: Any, **extra: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    for key in ("cited", "nearest_topics"):
        if key in item:
            item[key] = list(dict.fromkeys(json.loads(item[key] or "[]")))  # one citation per document
    for key, value in list(item.items()):
        if isinstance(value, dt.datetime):
            # SQLite gives naive datetimes back: they were written in UTC
            item[key] = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    item.update(extra)
    return item


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return text[:200] or type(exc).__name__
