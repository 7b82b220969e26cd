"""Each logged question's language; rows logged before languages were recorded were English.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("language", sa.String(12), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("language")
