"""Notification's use cases, by module — the schema calls these:

* :mod:`.consumers` — events into deliveries: a PENDING delivery per channel, keyed by
  (event id, channel), recorded in the transaction that marks the event processed; nothing
  is sent inside that transaction;
* :mod:`.deliveries` — the worker, which sends each delivery at most once;
* :mod:`.rendering` — a delivery as a mail or a text message;
* :mod:`.admins` — admins list, read and retry deliveries.
"""

from subgraphs.notification.admins import deliveries, delivery, retry
from subgraphs.notification.consumers import apply_auth_event, apply_booking_or_payment_event
from subgraphs.notification.deliveries import worker

__all__ = [
    "apply_auth_event",
    "apply_booking_or_payment_event",
    "deliveries",
    "delivery",
    "retry",
    "worker",
]
