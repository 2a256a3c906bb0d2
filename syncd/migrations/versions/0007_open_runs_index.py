"""Adapter (mirror): the dealer's open runs found without reading its kept runs.

``ix_runs_dealer_code_open``: a partial index on ``runs(dealer_code)`` of the runs still
open (``finished_at IS NULL``) only. ``start_run`` closes the dealer's abandoned open
runs (a process killed mid-run left them) with an UPDATE on ``dealer_code`` and
``finished_at IS NULL``: through ``(dealer_code, started_at)`` that visited every run the
dealer has kept (6.5 ms at 30 000 runs on SQLite, and growing with the history);
through this index it visits the open ones only (the new run and, after a crash, the
abandoned one), whatever the history's length. A finished run leaves the index, so it
stays a handful of rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("finished_at IS NULL")


def upgrade() -> None:
    """Add the partial index of the open runs."""
    op.create_index(
        "ix_runs_dealer_code_open",
        "runs",
        ["dealer_code"],
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )


def downgrade() -> None:
    """Drop it (an older syncd closes abandoned runs through the other index; slower)."""
    op.drop_index("ix_runs_dealer_code_open", table_name="runs")
