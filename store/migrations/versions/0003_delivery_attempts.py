"""Deliveries: one row per attempt, with its cause (rule, failover, deputy, reply), rule and sent-log key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

Written by hand to match ``store.models`` (the test suite compares the two). Only plain
``ADD COLUMN`` / ``DROP COLUMN``, as in 0002. Rows from before keep one row per channel; their
new columns are NULL.
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# A function, not a list: a Column belongs to the first table it is added to (see 0002).
def _delivery_columns() -> list[sa.Column]:
    return [
        sa.Column("sent_key", sa.String(), nullable=True),
        sa.Column("cause", sa.String(), nullable=True),
        sa.Column("rule", sa.Integer(), nullable=True),
        sa.Column("deputy_for", sa.String(), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=True),
    ]


def upgrade() -> None:
    for column in _delivery_columns():
        op.add_column("deliveries", column)


def downgrade() -> None:
    for column in reversed(_delivery_columns()):
        op.drop_column("deliveries", column.name)
