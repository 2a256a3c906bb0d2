"""Adapter (mirror): ads remember the raw item they were last accepted from; a stage index.

``raw_hash``, ``raw_rules`` and ``raw_payload_hash`` let a run skip validating a
feed item that did not change (see ``syncd.core.validate.known``). The index on
(dealer_code, stage, source_id) answers the in-flight and intent queries, which
order by source_id, without walking every row; it replaces (dealer_code, stage),
which it covers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEMO_COLUMNS = ("raw_hash", "raw_rules", "raw_payload_hash")


def upgrade() -> None:
    """Add the three nullable memo columns (NULL: validate the item) and swap the index."""
    for name in _MEMO_COLUMNS:
        op.add_column("ads", sa.Column(name, sa.String(), nullable=True))
    op.create_index(
        "ix_ads_dealer_code_stage_source_id", "ads", ["dealer_code", "stage", "source_id"]
    )
    op.drop_index("ix_ads_dealer_code_stage", table_name="ads")


def downgrade() -> None:
    """Drop the memo columns (the next runs validate every item) and restore the old index."""
    op.create_index("ix_ads_dealer_code_stage", "ads", ["dealer_code", "stage"])
    op.drop_index("ix_ads_dealer_code_stage_source_id", table_name="ads")
    # In place on both (ALTER TABLE ... DROP COLUMN; SQLite 3.35 or newer, else the
    # downgrade fails and changes nothing). Not batch mode's copy of the table: with
    # foreign keys on, SQLite's DROP of the old table cascades to action_logs, and every
    # log entry would be lost.
    with op.batch_alter_table("ads", recreate="never") as batch:
        for name in _MEMO_COLUMNS:
            batch.drop_column(name)
