"""Integration events, and the kernel's tables every subgraph keeps.

``outbox`` holds events written in the same transaction as the state change they
describe; the relay publishes them. ``processed_events`` records which events a
consumer has applied, so a redelivered event changes nothing. ``idempotency_keys``
remembers what each client-chosen key created.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from subgraphs.kernel.db import UTCDateTime, new_id, utcnow
from subgraphs.kernel.idempotency import idempotency_table


@dataclass(frozen=True)
class Event:
    """Something that happened, named in the past tense (``ShowPublished``)."""

    type: str
    source: str
    payload: dict[str, Any]
    id: str = field(default_factory=new_id)
    occurred_at: str = field(default_factory=lambda: utcnow().isoformat())
    # The W3C traceparent of the transaction that wrote it (only when tracing is on):
    # the consumer's span links back to it (kernel/tracing.py).
    trace: str | None = None

    def to_json(self) -> str:
        """The wire form carried on the bus."""
        data = asdict(self)
        if self.trace is None:
            del data["trace"]
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        """Parse the wire form."""
        data = json.loads(raw)
        return cls(
            type=data["type"],
            source=data["source"],
            payload=data["payload"],
            id=data["id"],
            occurred_at=data["occurred_at"],
            trace=data.get("trace"),
        )

    @property
    def occurred(self) -> datetime:
        """``occurred_at`` as a datetime."""
        return datetime.fromisoformat(self.occurred_at)


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
        Column("processed_at", UTCDateTime, nullable=False, default=utcnow),
    )
    return KernelTables(outbox=outbox, processed=processed,
                        idempotency=idempotency_table(metadata))
