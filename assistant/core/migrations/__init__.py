"""The SQL store's schema migrations (Alembic, shipped in this package): `upgrade(engine)` brings a
database made by any release, or none, to the schema of `assistant.core.records`.

No alembic.ini: the configuration is built here, Alembic configures no logging and prints nothing.
A new column or table in records.py needs a new revision in `versions/`, written by hand
(`tests/assistant/test_records.py` compares the migrated schema with the tables and fails without it).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

SCRIPTS = Path(__file__).resolve().parent
# PostgreSQL advisory lock held while one process upgrades; any constant, the same in every release.
UPGRADE_LOCK = 0x7768_6174
# Alembic's `context` and `op` are module-wide, so within one process upgrades run one at a time.
_one_at_a_time = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our scripts, running on `connection` (see env.py)."""
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this release ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first upgrade (or for a release before Alembic)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind `engine` to `revision` (the newest by default), in one transaction.

    A database made by a release before Alembic (tables but no `alembic_version`) is first stamped
    with the revision it matches. Safe when two processes (the API and an ingestion job) open the
    same database at once: on PostgreSQL the upgrade holds an advisory lock, on SQLite its
    transaction takes the write lock first; whoever comes second finds the work done and does nothing.
    """
    with _one_at_a_time, _migrating(engine) as migrating, migrating.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        config = alembic_config(conn)
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None and (earlier := _release_before_alembic(conn)) is not None:
            command.stamp(config, earlier)
            current = earlier
        if current != head_revision() or revision != "head":
            command.upgrade(config, revision)


def _release_before_alembic(conn: Connection) -> str | None:
    """The revision whose schema an earlier release's `create_all` made, or None for an empty database."""
    tables = set(inspect(conn).get_table_names())
    if "questions" not in tables:
        return None
    columns = {c["name"] for c in inspect(conn).get_columns("questions")}
    if "answer" in columns and {"gap_marks", "ingestion_runs"} <= tables:
        return "0003"  # made by a development build between the releases
    return "0002" if "language" in columns else "0001"


@contextmanager
def _migrating(engine: Engine) -> Iterator[Engine]:
    """The engine to migrate with: a SQLite file gets one whose transactions take the write lock at BEGIN.

    Python's sqlite3 commits DDL as it goes unless a transaction is open, and begins a transaction
    only before INSERT/UPDATE/DELETE; SQLAlchemy's documented recipe makes it emit BEGIN IMMEDIATE.
    """
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield engine
        return
    own = create_engine(engine.url)

    @event.listens_for(own, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(own, "begin")
    def _take_the_write_lock(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        yield own
    finally:
        own.dispose()
