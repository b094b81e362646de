"""Keep the owner's automation that a deployed override replaced, to restore it on undeploy."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add suggestions.replaced_automation."""
    with op.batch_alter_table("suggestions") as batch:
        batch.add_column(sa.Column("replaced_automation", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop suggestions.replaced_automation."""
    with op.batch_alter_table("suggestions") as batch:
        batch.drop_column("replaced_automation")
