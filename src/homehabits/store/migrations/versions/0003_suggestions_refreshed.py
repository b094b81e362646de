"""Count, per run, the pending suggestions it brought up to date with fresh evidence."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add analysis_runs.suggestions_refreshed."""
    with op.batch_alter_table("analysis_runs") as batch:
        batch.add_column(
            sa.Column("suggestions_refreshed", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Drop analysis_runs.suggestions_refreshed."""
    with op.batch_alter_table("analysis_runs") as batch:
        batch.drop_column("suggestions_refreshed")
