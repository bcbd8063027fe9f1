"""The kernel's tables every subgraph keeps in its own database.

``outbox`` holds events written in the same transaction as the state change they
describe; the relay publishes them. ``processed_events`` records which events a
consumer has applied, so a redelivered event changes nothing. ``idempotency_keys``
remembers what each client-chosen key created. None of them grows forever: the pruner
(``kernel/retention.py``) deletes what no one will read again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from subgraphs.kernel.db import UTCDateTime, utcnow

MAX_KEY = 200  # the longest idempotency key


def idempotency_table(metadata: MetaData) -> Table:
    """Declare the table of used idempotency keys on a subgraph's metadata."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("user_id", String(36), primary_key=True),
        Column("key", String(MAX_KEY), primary_key=True),
        Column("operation", String(60), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("result_id", String(36), nullable=False),
        # Indexed for the pruner (kernel/retention.py), which deletes keys past their time.
        Column("created_at", UTCDateTime, nullable=False, default=utcnow, index=True),
    )


@dataclass(frozen=True)
class KernelTables:
    """The outbox, processed-events and idempotency tables of one subgraph's database."""

    outbox: Table
    processed: Table
    idempotency: Table


def kernel_tables(metadata: MetaData) -> KernelTables:
    """Declare the kernel's tables on a subgraph's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
               autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(100), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False, default=utcnow),
        Column("published_at", UTCDateTime, nullable=True, index=True),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(100), primary_key=True),
        Column("processed_at", UTCDateTime, nullable=False, default=utcnow, index=True),
    )
    return KernelTables(outbox=outbox, processed=processed,
                        idempotency=idempotency_table(metadata))
