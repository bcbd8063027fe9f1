"""What paying answers besides success: each expected outcome has one name, the same as
the schema's union member that carries it to the client."""

from __future__ import annotations

from dataclasses import dataclass

from subgraphs.payment.models import Payment


@dataclass(frozen=True)
class PaymentDeclined:
    """The provider declined the card: the booking stays pending; pay again."""

    payment: Payment


@dataclass(frozen=True)
class PaymentWindowClosed:
    """The booking is no longer waiting for this payment (its hold lapsed, or it ended):
    nothing was charged."""

    payment: Payment
