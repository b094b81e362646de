"""Keep each run's warnings and service-account proposals; remember confirmed service accounts."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add analysis_runs.warnings and .service_account_proposals, and service_accounts."""
    with op.batch_alter_table("analysis_runs") as batch:
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("service_account_proposals", sa.JSON(), nullable=False, server_default="[]")
        )
    op.create_table(
        "service_accounts",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("service_accounts")
    with op.batch_alter_table("analysis_runs") as batch:
        batch.drop_column("service_account_proposals")
        batch.drop_column("warnings")
