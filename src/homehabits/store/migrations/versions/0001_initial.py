"""The first schema: analysis runs, patterns, suggestions, feedback and the words cache."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "analysis_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _moment("started_at"),
        _moment("finished_at", nullable=True),
        _moment("window_start"),
        _moment("window_end"),
        sa.Column("time_zone", sa.String(64), nullable=True),
        sa.Column("ha_version", sa.String(32), nullable=True),
        sa.Column("events_read", sa.Integer(), nullable=False),
        sa.Column("events_rejected", sa.Integer(), nullable=False),
        sa.Column("patterns_found", sa.Integer(), nullable=False),
        sa.Column("suggestions_created", sa.Integer(), nullable=False),
        sa.Column("suggestions_dropped", sa.Integer(), nullable=False),
        sa.Column("phase_seconds", sa.JSON(), nullable=False),
        sa.Column("model_calls", sa.Integer(), nullable=False),
        sa.Column("cache_hits", sa.Integer(), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("rejected_examples", sa.JSON(), nullable=False),
    )
    op.create_index("ix_analysis_runs_status", "analysis_runs", ["status"])

    op.create_table(
        "patterns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target_entity", sa.String(255), nullable=False),
        sa.Column("trigger_entity", sa.String(255), nullable=True),
        sa.Column("area_id", sa.String(255), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_patterns_run_id", "patterns", ["run_id"])
    op.create_index("ix_patterns_fingerprint", "patterns", ["fingerprint"])

    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(20), nullable=False),
        _moment("created_at"),
        _moment("updated_at"),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("sensitive_reason", sa.Text(), nullable=True),
        sa.Column("target_entity", sa.String(255), nullable=False),
        sa.Column("trigger_entity", sa.String(255), nullable=True),
        sa.Column("area_id", sa.String(255), nullable=True),
        sa.Column("area_name", sa.String(255), nullable=True),
        sa.Column("automation", sa.JSON(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("dialect", sa.String(16), nullable=False),
        sa.Column("diff", sa.Text(), nullable=True),
        sa.Column("pattern", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("ha_automation_id", sa.String(255), nullable=True),
        sa.Column("deploy_message", sa.Text(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_suggestions_run_id", "suggestions", ["run_id"])
    op.create_index("ix_suggestions_status", "suggestions", ["status"])
    op.create_index("ix_suggestions_fingerprint", "suggestions", ["fingerprint"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "suggestion_id",
            sa.Integer(),
            sa.ForeignKey("suggestions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _moment("created_at"),
    )
    op.create_index("ix_feedback_suggestion_id", "feedback", ["suggestion_id"])
    op.create_index("ix_feedback_fingerprint", "feedback", ["fingerprint"])

    op.create_table(
        "writer_cache",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        _moment("created_at"),
    )


def downgrade() -> None:
    """Drop every table of the first schema."""
    for table in ("writer_cache", "feedback", "suggestions", "patterns", "analysis_runs"):
        op.drop_table(table)
