"""The SQL store (SQLite by default, any SQLAlchemy URL): the query log, feedback and evidence gaps."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
    create_engine,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

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
        metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        self.lost_rows = 0
        self._lock = threading.Lock()
        self._broken = False

    @contextmanager
    def _guard(self, writing_a_question: bool = False) -> Iterator[None]:
        """Turn a failing store into RecordsUnavailable, and reconnect on the next call.

        The engine's pool holds connections to the file or server as it was: after a failure
        they are dropped, so a restored file (or a server back up) is used without a restart,
        and a SQLite file that vanished is created again with its tables.
        """
        with self._lock:
            if self._broken or (self._sqlite_file is not None and not self._sqlite_file.exists()):
                self.engine.dispose()
                try:
                    metadata.create_all(self.engine)
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
    ) -> str:
        qid = str(uuid.uuid4())
        with self._guard(writing_a_question=True), self.engine.begin() as conn:
            conn.execute(
                insert(questions).values(
                    id=qid,
                    created_at=dt.datetime.now(dt.UTC),
                    face=face[:20],
                    question=question,
                    standalone_question=standalone,
                    no_evidence=no_evidence,
                    answer_mode=answer_mode,
                    top_similarity=top_similarity,
                    cited=json.dumps(cited),
                    nearest_topics=json.dumps(nearest),
                    language=language[:12],
                )
            )
        return qid

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

    def close(self) -> None:
        self.engine.dispose()


def _add_missing_columns(engine: Engine) -> None:
    """Bring a store made by an earlier version up to date: columns added since get their default.

    Only additions with a default happen here; anything larger waits for real migrations.
    """
    known = {c["name"] for c in inspect(engine).get_columns("questions")}
    with engine.begin() as conn:
        for column in questions.columns:
            if column.name not in known and column.server_default is not None:
                default = column.server_default.arg  # type: ignore[attr-defined]
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(
                    text(f"ALTER TABLE questions ADD COLUMN {column.name} {kind} NOT NULL DEFAULT '{default}'")
                )


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return text[:200] or type(exc).__name__
