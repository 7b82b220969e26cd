"""`whatworks db current | upgrade`: the SQL store's schema revision, for operators (see core/migrations)."""

from __future__ import annotations

import typer
from sqlalchemy import create_engine

from assistant.core.settings import Settings

db_app = typer.Typer(add_completion=False, help="The SQL store's schema (Alembic migrations, run at every start).")


@db_app.command()
def current() -> None:
    """Print the revision the database is at, and this release's newest."""
    from assistant.core.migrations import current_revision, head_revision

    engine = create_engine(Settings().sql_url)
    try:
        revision, head = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    if revision is None:
        typer.echo(f"none (empty, or made before migrations); this release's head: {head}")
    elif revision == head:
        typer.echo(f"{revision} (head)")
    else:
        typer.echo(f"{revision}; this release's head: {head} (`whatworks db upgrade`, or start the API)")


@db_app.command()
def upgrade() -> None:
    """Bring the database to this release's schema now (the API and ingestion also do it when they start)."""
    from assistant.core.migrations import current_revision
    from assistant.core.records import RecordStore

    store = RecordStore(Settings().sql_url)  # opening it upgrades it
    try:
        typer.echo(f"at {current_revision(store.engine)} (head)")
    finally:
        store.close()
