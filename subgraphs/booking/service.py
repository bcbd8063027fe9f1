"""Booking's use cases, by module — the schema's resolvers call these:

* :mod:`.holds` — hold chosen seats, hold the best seats left, release, extend;
* :mod:`.admission` — hold standing places;
* :mod:`.bookings` — check out, confirm on payment, cancel, a cancelled show, the events
  booking consumes;
* :mod:`.expiry` — how holds end, and the sweeper;
* :mod:`.reads` — the loaders' batch reads.

Underneath: :mod:`.seats` (the statements that move seat rows), :mod:`.sections`
(standing places), :mod:`.limits` (places per customer), :mod:`.ledger` and
:mod:`.counts` (versions, counters, live messages), :mod:`.inventory` (a show's inventory
and its reads), :mod:`.shows` (a show's fixed facts).
"""

from subgraphs.booking.admission import hold_general_admission
from subgraphs.booking.bookings import (
    apply_payment_event,
    apply_venue_event,
    cancel_booking,
    cancel_show,
    checkout,
    confirm_booking,
)
from subgraphs.booking.expiry import release_expired, sweeper
from subgraphs.booking.holds import (
    extend_hold,
    hold_best_available,
    hold_seats,
    release_hold,
    validate_quantity,
    validate_seat_ids,
)

__all__ = [
    "apply_payment_event",
    "apply_venue_event",
    "cancel_booking",
    "cancel_show",
    "checkout",
    "confirm_booking",
    "extend_hold",
    "hold_best_available",
    "hold_general_admission",
    "hold_seats",
    "release_expired",
    "release_hold",
    "sweeper",
    "validate_quantity",
    "validate_seat_ids",
]
