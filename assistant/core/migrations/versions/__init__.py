"""Alembic revisions of the SQL store, oldest first (0001, 0002, ...); Alembic loads them by path."""
