"""The kernel's tables as they were first created, for each subgraph's initial migration.

Frozen like any migration: a later change to the kernel's tables gets a new function
here and a new revision in every subgraph, never an edit of this one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from subgraphs.kernel.db import UTCDateTime


def create_kernel_tables_v1() -> None:
    """outbox, processed_events and idempotency_keys (revision 0001 of every subgraph)."""
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(op.f("ix_outbox_published_at"), "outbox", ["published_at"], unique=False)
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "consumer", name=op.f("pk_processed_events")),
    )


def drop_kernel_tables_v1() -> None:
    """Undo :func:`create_kernel_tables_v1`."""
    op.drop_table("processed_events")
    op.drop_index(op.f("ix_outbox_published_at"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("idempotency_keys")


# The indexes the pruner's deletes need (kernel/retention.py): by age, no full scan.
_RETENTION_INDEXES = (
    ("ix_processed_events_processed_at", "processed_events", "processed_at"),
    ("ix_idempotency_keys_created_at", "idempotency_keys", "created_at"),
)


def create_retention_indexes_v2() -> None:
    """Indexes on processed_events.processed_at and idempotency_keys.created_at.

    The tables may be large by now (nothing pruned them before), so on PostgreSQL the
    indexes are built ``CONCURRENTLY``, outside the migration's transaction: writers
    (consumers, creates with keys) are not blocked while they build.
    """
    concurrently = op.get_bind().dialect.name == "postgresql"
    for name, table, column in _RETENTION_INDEXES:
        if concurrently:
            with op.get_context().autocommit_block():
                op.create_index(name, table, [column], unique=False,
                                postgresql_concurrently=True)
        else:
            op.create_index(name, table, [column], unique=False)


def drop_retention_indexes_v2() -> None:
    """Undo :func:`create_retention_indexes_v2`."""
    for name, table, _column in reversed(_RETENTION_INDEXES):
        op.drop_index(name, table_name=table)
