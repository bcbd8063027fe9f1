"""Integration events: what a subgraph tells the others, and their wire form.

The outbox that carries them is declared in :mod:`subgraphs.kernel.tables`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from subgraphs.kernel.db import new_id, utcnow


@dataclass(frozen=True)
class Event:
    """Something that happened, named in the past tense (``ShowPublished``)."""

    type: str
    source: str
    payload: dict[str, Any]
    id: str = field(default_factory=new_id)
    occurred_at: str = field(default_factory=lambda: utcnow().isoformat())

    def to_json(self) -> str:
        """The wire form carried on the bus."""
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

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
        )

    @property
    def occurred(self) -> datetime:
        """``occurred_at`` as a datetime."""
        return datetime.fromisoformat(self.occurred_at)
