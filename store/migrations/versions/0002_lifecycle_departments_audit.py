"""Incident lifecycle columns, joint-dispatch departments, partition timer audits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Written by hand to match ``store.models`` (the test suite compares the two). Only plain
``ADD COLUMN`` / ``DROP COLUMN``, never batch mode: on SQLite a batch would recreate
``incidents``, and dropping the old table with foreign keys on deletes every timeline row.
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Functions, not lists: a Column belongs to the first table it is added to, and this module may
# run more than once per process (several databases, downgrade and upgrade again).
def _timeline_columns() -> list[sa.Column]:
    return [
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("command_id", sa.String(), nullable=True),
        sa.Column("late_s", sa.Float(), nullable=True),
    ]


def _incident_columns() -> list[sa.Column]:
    return [
        # Rows from before 0002 were each opened by one alarm.
        sa.Column("alarm_count", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    for column in _timeline_columns():
        op.add_column("timeline", column)
    op.create_index(op.f("ix_timeline_command_id"), "timeline", ["command_id"])
    for column in _incident_columns():
        op.add_column("incidents", column)

    op.create_table(
        "incident_departments",
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("accepted_by", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "department", name=op.f("pk_incident_departments")),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE",
                                name=op.f("fk_incident_departments_incident_id_incidents")),
    )

    op.create_table(
        "partition_audit",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open_incidents", sa.Integer(), nullable=False),
        sa.Column("pending_steps", sa.Integer(), nullable=False),
        sa.Column("overdue_steps", sa.Integer(), nullable=False),
        sa.Column("max_overdue_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partition_audit")),
    )


def downgrade() -> None:
    op.drop_table("partition_audit")
    op.drop_table("incident_departments")
    for column in reversed(_incident_columns()):
        op.drop_column("incidents", column.name)
    op.drop_index(op.f("ix_timeline_command_id"), table_name="timeline")
    for column in reversed(_timeline_columns()):
        op.drop_column("timeline", column.name)
