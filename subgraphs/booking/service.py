"""Booking's use cases, by module — the schema's resolvers call these:

* :mod:`.holds` — hold chosen seats (and what every kind of hold shares);
* :mod:`.best_available` — hold the best seats left;
* :mod:`.hold_changes` — release a hold, extend it;
* :mod:`.admission` — hold standing places;
* :mod:`.bookings` — check out, confirm on payment, cancel, a cancelled show, the events
  booking consumes;
* :mod:`.expiry` — how holds end, and the sweeper;
* :mod:`.checkins` — check-in at the door (door staff, ``checkIn``, the offline list,
  uploaded scans, counters), with :mod:`.ticket_keys` (notification's ticket keys);
* :mod:`.ticket_types` — the ticket type of each seat or place of a hold, its price frozen
  on the hold (:func:`.reads.typed_price` prices a hold from it);
* :mod:`.reads` — the loaders' batch reads.

Underneath: :mod:`.seats` (the statements that move seat rows), :mod:`.sections`
(standing places), :mod:`.limits` (places per customer), :mod:`.ledger` and
:mod:`.counts` (versions, counters, live messages), :mod:`.inventory` (a show's inventory
and its reads), :mod:`.shows` (a show's fixed facts).
"""

from subgraphs.booking.admission import hold_general_admission
from subgraphs.booking.best_available import hold_best_available
from subgraphs.booking.bookings import (
    apply_payment_event,
    apply_venue_event,
    cancel_booking,
    cancel_show,
    checkout,
    confirm_booking,
)
from subgraphs.booking.expiry import release_expired, sweeper
from subgraphs.booking.hold_changes import extend_hold, release_hold
from subgraphs.booking.holds import hold_seats, validate_quantity, validate_seat_ids

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
