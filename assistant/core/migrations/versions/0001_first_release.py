"""The schema as the first release made it: the query log and feedback.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("face", sa.String(20), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("standalone_question", sa.Text, nullable=False),
        sa.Column("no_evidence", sa.Boolean, nullable=False),
        sa.Column("answer_mode", sa.String(20), nullable=False),
        sa.Column("top_similarity", sa.Float, nullable=True),
        sa.Column("cited", sa.Text, nullable=False),
        sa.Column("nearest_topics", sa.Text, nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.String(4), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("voter", sa.String(200), nullable=True),
        sa.UniqueConstraint("question_id", "voter", name="one_vote_per_voter"),
    )
    op.create_index("ix_feedback_question_id", "feedback", ["question_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_question_id", table_name="feedback")
    op.drop_table("feedback")
    op.drop_table("questions")
