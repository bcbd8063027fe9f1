"""What every payment provider speaks: the interface and the reports (docs/payments.md).

A provider turns a customer's proof of payment into a :class:`Charge`, gives money back
(:meth:`Provider.refund`, idempotent on our refund id) and verifies the webhooks it sends
(:meth:`Provider.verify_webhook`). It never touches the database: the service applies what
it reports, under the payment's row lock, so a late or repeated report changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from subgraphs.kernel.errors import ErrorCode, TicketFlowError

if TYPE_CHECKING:
    from subgraphs.payment.models import Payment, Refund


class PaymentProviderError(TicketFlowError):
    """The provider could not be reached or refused the request (``PAYMENT_FAILED``)."""

    code = ErrorCode.PAYMENT_FAILED


class InvalidWebhook(Exception):
    """A webhook whose signature does not match, or that cannot be read: answered with 400."""


@dataclass(frozen=True)
class Proof:
    """What the customer's browser got from the provider (one of the two is given)."""

    card: str | None = None
    razorpay_order_id: str | None = None
    razorpay_payment_id: str | None = None
    razorpay_signature: str | None = None


@dataclass(frozen=True)
class Charge:
    """Where a payment attempt stands at the provider."""

    status: Literal["SUCCEEDED", "FAILED", "PROCESSING"]
    provider_payment_id: str | None = None
    amount: int = 0
    currency: str = ""
    failure_code: str | None = None
    failure_message: str | None = None
    # Sandbox "processing" cards only: when, and how, the payment settles.
    settle_at: datetime | None = None
    settle_outcome: str | None = None


@dataclass(frozen=True)
class Instrument:
    """The payment instrument a payment is made with, for the cap per instrument of queued
    shows (docs/payments.md, "Cards per queued show").

    ``fingerprint`` identifies it across payments (a keyed hash, never the card number,
    token or UPI id itself); ``None`` when the provider cannot tell. ``charge`` is the
    provider's payment as it stood when it was identified, when the money was already taken
    before we heard of it (Razorpay: authorized, or captured, in Checkout); ``None`` when
    nothing is charged before ``confirm`` (the sandbox)."""

    fingerprint: str | None
    charge: Charge | None = None


@dataclass(frozen=True)
class RefundResult:
    """Where a refund stands at the provider."""

    status: Literal["SUCCEEDED", "PENDING", "FAILED"]
    provider_refund_id: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True)
class RefundNotice:
    """A refund the provider reports on (ours, matched by id, or made in its dashboard)."""

    provider_refund_id: str
    refund_id: str | None  # ours, when we created it
    provider_payment_id: str
    amount: int
    status: Literal["SUCCEEDED", "PENDING", "FAILED"]
    failure_message: str | None = None


@dataclass(frozen=True)
class Notice:
    """A verified webhook event, in TicketFlow's terms.

    ``charge`` reports a payment's outcome; ``authorized`` means the money is reserved but
    must still be captured (:meth:`Provider.capture`); ``refund`` reports a refund. An
    event that concerns neither is logged and acknowledged.
    """

    event_id: str
    event_type: str
    payment_id: str | None = None  # ours (sandbox)
    order_id: str | None = None  # the provider's order (Razorpay)
    charge: Charge | None = None
    authorized: bool = False
    refund: RefundNotice | None = None


@dataclass(frozen=True)
class Checkout:
    """What a client needs to open the provider's checkout for a payment."""

    provider: str
    key_id: str | None
    order_id: str | None


class Provider(Protocol):
    """One payment provider."""

    name: str
    # True when charging moves no real money (the sandbox): a charge that lost a race to
    # another is dropped instead of refunded.
    virtual: bool

    async def start(self, payment: Payment) -> str | None:
        """Create the provider's order for ``payment``; its id (``None``: not needed)."""

    def checkout(self, payment: Payment) -> Checkout:
        """What the client's checkout needs."""

    async def confirm(self, payment: Payment, proof: Proof) -> Charge:
        """Check the customer's proof and report the payment's outcome."""

    async def instrument(self, payment: Payment, proof: Proof) -> Instrument:
        """The instrument ``proof`` pays with (the provider may be asked). ``BAD_USER_INPUT``
        for a proof that cannot pay at all, before anything is asked of the provider."""

    async def instrument_of(self, payment: Payment, provider_payment_id: str) -> Instrument:
        """The instrument of the provider's payment ``provider_payment_id`` of ``payment``'s
        order, for a webhook (whose signature is the proof)."""

    async def capture(self, payment: Payment, provider_payment_id: str) -> Charge:
        """Capture an authorized payment (or report it as it stands)."""

    async def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        """Create ``refund`` at the provider, or report it if it exists (idempotent)."""

    def verify_webhook(self, raw: bytes, headers: Mapping[str, str]) -> Notice:
        """The event in ``raw`` if its signature is right; else :class:`InvalidWebhook`."""

    async def close(self) -> None:
        """Release connections."""
