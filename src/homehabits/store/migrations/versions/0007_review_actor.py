"""Who did each review step: feedback.actor (the Home Assistant user under ingress)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add feedback.actor, empty for the steps taken before it was recorded."""
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("actor", sa.String(255), nullable=True))


def downgrade() -> None:
    """Drop feedback.actor."""
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("actor")
