"""The automation_watch table: each run's track record of every automation it watched."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create automation_watch; no earlier row changes."""
    op.create_table(
        "automation_watch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("automation_entity", sa.String(255), nullable=True),
        sa.Column("automation_id", sa.String(255), nullable=True),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column(
            "suggestion_id",
            sa.Integer(),
            sa.ForeignKey("suggestions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("fires", sa.Integer(), nullable=False),
        sa.Column("last_fired", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fire_times", sa.JSON(), nullable=False),
        sa.Column("reverts", sa.JSON(), nullable=False),
        sa.Column("misses", sa.JSON(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("missing_entities", sa.JSON(), nullable=False),
        sa.Column("unavailable_entities", sa.JSON(), nullable=False),
    )
    op.create_index("ix_automation_watch_run_id", "automation_watch", ["run_id"])
    op.create_index("ix_automation_watch_suggestion_id", "automation_watch", ["suggestion_id"])


def downgrade() -> None:
    """Drop automation_watch."""
    op.drop_index("ix_automation_watch_suggestion_id", table_name="automation_watch")
    op.drop_index("ix_automation_watch_run_id", table_name="automation_watch")
    op.drop_table("automation_watch")
