"""Payment's use cases, by module — the schema's resolvers call these:

* :mod:`.paying` — ``startPayment`` and ``confirmPayment``;
* :mod:`.refunds` — opening and settling refunds, the organizer's ``refundPayment``;
* :mod:`.booking_events` — what payment does with booking's events (the saga);
* :mod:`.webhooks` — provider webhooks, applied once each;
* :mod:`.worker` — the background worker (sandbox settlements, refunds under way);
* :mod:`.reads` — the loaders' batch reads;
* :mod:`.outcomes` — what paying answers besides success.

Underneath: :mod:`.charges` (the providers, the payment's row lock, applying what a
provider reports) and :mod:`.providers` (one small interface, two providers).

The rule everywhere: talk to the provider outside any transaction, then apply what it
reported under the payment's row lock, and only if the payment can still move that way.
docs/payments.md draws the state machine.
"""

from subgraphs.payment.booking_events import apply_booking_event
from subgraphs.payment.charges import providers
from subgraphs.payment.paying import confirm_payment, start_payment
from subgraphs.payment.reads import (
    payments_by_booking,
    payments_by_id,
    refunds_by_id,
    refunds_by_payment,
)
from subgraphs.payment.refunds import refund_payment
from subgraphs.payment.webhooks import receive_webhook
from subgraphs.payment.worker import worker

__all__ = [
    "apply_booking_event",
    "confirm_payment",
    "payments_by_booking",
    "payments_by_id",
    "providers",
    "receive_webhook",
    "refund_payment",
    "refunds_by_id",
    "refunds_by_payment",
    "start_payment",
    "worker",
]
