"""Notification's use cases, by module — the schema calls these:

* :mod:`.consumers` — events into deliveries: a PENDING delivery per channel, keyed by
  (event id, channel), recorded in the transaction that marks the event processed; nothing
  is sent inside that transaction;
* :mod:`.deliveries` — the worker, which sends each delivery at most once;
* :mod:`.rendering` — a delivery as a mail or a text message;
* :mod:`.admins` — admins list, read and retry deliveries;
* :mod:`.webhooks` — organizers' webhook endpoints: the same events, signed and posted.
"""

from subgraphs.kernel.events import Event
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.notification import consumers, webhooks
from subgraphs.notification.admins import deliveries, delivery, retry
from subgraphs.notification.consumers import apply_auth_event
from subgraphs.notification.deliveries import worker


async def apply_booking_or_payment_event(service: Service, uow: UnitOfWork,
                                         event: Event) -> None:
    """The customer's notices and the organizer's webhooks, in one transaction."""
    await consumers.apply_booking_or_payment_event(service, uow, event)
    await webhooks.apply_event(service, uow, event)


__all__ = [
    "apply_auth_event",
    "apply_booking_or_payment_event",
    "deliveries",
    "delivery",
    "retry",
    "worker",
]
