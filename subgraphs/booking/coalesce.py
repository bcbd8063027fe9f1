"""The pure part of booking's live seat feed: seat maps, merged changes, the send window.

A live message (``inventory.announce_after_commit``) names one version of a show: the
seats that changed in it (``seat_id``, ``state``, ``legs``) and every count as of it.
Several consecutive messages merge into one :class:`Changes`: seats by id, the latest
state winning, and the counts of the latest message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from subgraphs.booking.inventory import Snapshot

Message = dict[str, Any]
COUNTS = ("counts", "by_category", "general_admission")


@dataclass
class Changes:
    """What changed after ``from_version`` up to ``version``, merged."""

    from_version: int
    version: int
    seats: dict[str, Message]
    counts: Message  # the latest message's counts, by_category and general_admission

    def as_message(self, show_id: str) -> Message:
        """As a live message of ``version`` (every changed seat once)."""
        return {"show_id": show_id, "version": self.version, "seats": list(self.seats.values()),
                **self.counts}


def merged(changes: Changes | None, from_version: int, message: Message) -> Changes:
    """``changes`` (or nothing yet, after ``from_version``) followed by ``message``.

    ``message`` must be the next version; its seats replace earlier states of the same
    seats (which keep their first place in the order), its counts replace the counts.
    """
    if changes is None:
        changes = Changes(from_version, from_version, {}, {})
    if message["version"] != changes.version + 1:
        raise ValueError(f"version {message['version']} does not follow {changes.version}")
    for seat in message["seats"]:
        changes.seats[seat["seat_id"]] = seat
    changes.version = message["version"]
    changes.counts = {k: message[k] for k in COUNTS}
    return changes


@dataclass
class SeatMap:
    """Every seat of a show (in seat-map order) and the counts, as of ``version``."""

    show_id: str
    version: int
    seats: dict[str, Message]
    counts: Message

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> SeatMap:
        """The state a database snapshot describes."""
        counts = snap.availability.as_message()
        return cls(snap.show_id, snap.version, {s.seat_id: s.as_message() for s in snap.seats},
                   {k: counts[k] for k in COUNTS})

    def apply(self, changes: Changes) -> None:
        """Move to ``changes.version``; ``changes`` must follow this state's version."""
        if changes.from_version != self.version:
            raise ValueError(f"changes from {changes.from_version} to a map at {self.version}")
        self.seats.update(changes.seats)
        self.version = changes.version
        self.counts = changes.counts

    def as_message(self) -> Message:
        """Every seat and the counts, shaped as a live message."""
        return {"show_id": self.show_id, "version": self.version,
                "seats": list(self.seats.values()), **self.counts}


class Window:
    """At most one message per ``seconds``: one after a quiet spell goes at once, one
    that follows another within ``seconds`` waits until the window since it ends."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last_sent = -math.inf

    def due(self, now: float) -> float:
        """When a change that arrives at ``now`` may go (``now``: at once)."""
        return max(now, self.last_sent + self.seconds)

    def sent(self, now: float) -> None:
        """A message went at ``now``: the next window starts."""
        self.last_sent = now
