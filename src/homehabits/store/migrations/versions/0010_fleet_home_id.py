"""The fleet's home id on analysis_runs and suggestions (NULL: the single home)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0011"  # after the calibration, merged first
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add a nullable, indexed home_id to runs and suggestions; existing rows keep NULL."""
    for table in ("analysis_runs", "suggestions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("home_id", sa.String(255), nullable=True))
        op.create_index(f"ix_{table}_home_id", table, ["home_id"])


def downgrade() -> None:
    """Drop home_id from runs and suggestions."""
    for table in ("analysis_runs", "suggestions"):
        op.drop_index(f"ix_{table}_home_id", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("home_id")
