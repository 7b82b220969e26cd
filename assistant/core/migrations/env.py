"""Alembic's environment: migrations run on the connection `upgrade()` hands over, online only."""

from __future__ import annotations

from alembic import context

from assistant.core.records import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run the migrations through assistant.core.migrations.upgrade(engine)")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
