"""What a booking use case answers besides success: each expected outcome has one name,
the same as the schema's union member that carries it to the client."""

from __future__ import annotations

from dataclasses import dataclass

from subgraphs.booking.models import Hold
from subgraphs.booking.reads import HoldPrice


@dataclass(frozen=True)
class SeatsUnavailable:
    """The hold failed: these seats are held or sold by someone else."""

    seat_ids: list[str]


@dataclass(frozen=True)
class HoldExpired:
    """The hold lapsed (or was released) before checkout or extension."""

    hold_id: str


@dataclass(frozen=True)
class SoldOut:
    """Fewer places (or seats that fit together) than asked for are left."""

    available: int


@dataclass(frozen=True)
class Held:
    """A hold, with what it will charge when it was just made (``None`` when it was read
    back, say for a retried idempotency key)."""

    hold: Hold
    price: HoldPrice | None = None


@dataclass(frozen=True)
class Refused:
    """A hold attempt that committed nothing: what it asked for was not all there.
    ``outcome`` is the answer when the attempt knew it already (``SoldOut``); otherwise the
    use case finds out after the rollback."""

    outcome: SoldOut | None = None


@dataclass(frozen=True)
class OverLimit:
    """A hold attempt that committed nothing: it would pass the customer's limit of places
    for the show."""
