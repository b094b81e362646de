"""Runs held by a live process: an owner and heartbeat per run, one analysis lock row."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add analysis_runs.owner and .heartbeat_at, and the analysis_lock table with its row."""
    with op.batch_alter_table("analysis_runs") as batch:
        batch.add_column(sa.Column("owner", sa.String(255), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    lock = op.create_table(
        "analysis_lock",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )
    # the lock is taken by updating this row, so it exists from the start (free)
    op.bulk_insert(lock, [{"id": 1}])


def downgrade() -> None:
    """Drop the analysis_lock table and the run owner columns."""
    op.drop_table("analysis_lock")
    with op.batch_alter_table("analysis_runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
