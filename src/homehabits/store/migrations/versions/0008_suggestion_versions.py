"""Versions of each suggestion's automation (who, when, why); existing ones get version 1."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0009"  # after the watch tables, merged first
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The reason given to the version every suggestion from before this migration starts with.
FIRST_REASON = "as it stood when versions began to be kept"


def upgrade() -> None:
    """Create suggestion_versions; every stored suggestion's current automation is version 1."""
    op.create_table(
        "suggestion_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("automation", sa.JSON(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("dialect", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("deployed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["suggestion_id"], ["suggestions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("suggestion_id", "number"),
    )
    op.create_index(
        "ix_suggestion_versions_suggestion_id", "suggestion_versions", ["suggestion_id"]
    )
    # one statement, in the migration's transaction: no suggestion is left without a version
    op.execute(
        sa.text(
            "INSERT INTO suggestion_versions "
            "(suggestion_id, number, automation, yaml, dialect, actor, reason, deployed, "
            "created_at) "
            "SELECT id, 1, automation, yaml, dialect, 'homehabits', :reason, "
            "CASE WHEN status = 'deployed' THEN :yes ELSE :no END, updated_at "
            "FROM suggestions"
        ).bindparams(reason=FIRST_REASON, yes=True, no=False)
    )


def downgrade() -> None:
    """Drop suggestion_versions (the suggestions keep their current automation)."""
    op.drop_index("ix_suggestion_versions_suggestion_id", table_name="suggestion_versions")
    op.drop_table("suggestion_versions")
