"""Keep each run's calibration: the factors the owner's decisions gave its ranking."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0011"
# chained after the newest revision on main; the lead fixes the chain when 0010 is merged
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add analysis_runs.calibration; earlier runs read as calibrated by nothing."""
    with op.batch_alter_table("analysis_runs") as batch:
        batch.add_column(sa.Column("calibration", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("analysis_runs") as batch:
        batch.drop_column("calibration")
