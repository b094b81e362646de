"""Each suggestion's replay (fires, useful, idle, wrong, saved, wrong times) and condition note."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add suggestions.replay (JSON) and .condition_note; rows from before read as no replay."""
    with op.batch_alter_table("suggestions") as batch:
        batch.add_column(sa.Column("replay", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("condition_note", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the suggestions' replay and condition note."""
    with op.batch_alter_table("suggestions") as batch:
        batch.drop_column("condition_note")
        batch.drop_column("replay")
