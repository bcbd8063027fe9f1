"""The payment subgraph's GraphQL schema, and its webhook endpoint."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from subgraphs.kernel.auth import require_owner_or_admin
from subgraphs.kernel.errors import ErrorCode, present
from subgraphs.kernel.graphql import Info, Money, build_schema, session_batch
from subgraphs.kernel.service import Service, SubgraphSpec
from subgraphs.payment import models, outcomes, service
from subgraphs.payment.providers import Proof

_load_by_id = session_batch(service.payments_by_id)
_load_by_booking = session_batch(service.payments_by_booking)
_load_refunds = session_batch(service.refunds_by_payment)
_load_refund = session_batch(service.refunds_by_id)


@strawberry.enum(description="Where a payment stands (docs/payments.md draws the machine).")
class PaymentStatus(Enum):
    REQUIRES_PAYMENT = "REQUIRES_PAYMENT"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


@strawberry.enum
class RefundStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.enum
class PaymentProvider(Enum):
    SANDBOX = "sandbox"
    RAZORPAY = "razorpay"


@strawberry.type(description="Why the last attempt failed, in the provider's words.")
class PaymentFailure:
    code: str | None
    message: str | None


@strawberry.type(description="What a client needs to open the provider's checkout.")
class PaymentCheckout:
    provider: PaymentProvider
    key_id: str | None = strawberry.field(description="Razorpay: the key_id Checkout opens with.")
    order_id: str | None = strawberry.field(description="Razorpay: the order to pay.")


def _visible(info: Info, p: models.Payment) -> None:
    """The buyer, the show's organizer and admins see a payment."""
    require_owner_or_admin(info.context.caller, p.user_id, p.organizer_id)


@strawberry.federation.type(keys=["id"], description="Money given back for a payment.")
class Refund:
    id: strawberry.ID
    amount: Money
    status: RefundStatus
    reason: str = strawberry.field(description="BOOKING_CANCELLED, SHOW_CANCELLED, "
                                   "BOOKING_NOT_CONFIRMED (paid too late), REQUESTED (by the "
                                   "organizer or an admin), PROVIDER (its dashboard), "
                                   "DUPLICATE_PAYMENT (a second capture, given back whole) or "
                                   "INSTRUMENT_REFUSED (a capture of a payment declined for "
                                   "its instrument, given back whole).")
    provider_refund_id: str | None
    failure_message: str | None
    created_at: datetime
    settled_at: datetime | None
    payment_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, r: models.Refund) -> Refund:
        return cls(id=strawberry.ID(r.id), amount=Money(amount=r.amount, currency=r.currency),
                   status=RefundStatus(r.status), reason=r.reason,
                   provider_refund_id=r.provider_refund_id, failure_message=r.failure_message,
                   created_at=r.created_at, settled_at=r.settled_at, payment_id=r.payment_id)

    @strawberry.field(description="The payment refunded.")
    async def payment(self, info: Info) -> Payment:
        return present(await Payment.resolve_reference(info, strawberry.ID(self.payment_id)),
                       "a refund's payment")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Refund | None:
        refund = await info.context.loader(_load_refund).load(str(id))
        if refund is None:
            return None
        payment = await info.context.loader(_load_by_id).load(refund.payment_id)
        _visible(info, payment)
        return cls.from_model(refund)


@strawberry.federation.type(keys=["id"], description="Money paid (or owed) for one booking.")
class Payment:
    id: strawberry.ID
    amount: Money = strawberry.field(description="What the booking costs; never set by clients.")
    captured: Money = strawberry.field(description="What the provider took.")
    refunded: Money = strawberry.field(description="What was given back (refunds that "
                                       "succeeded).")
    status: PaymentStatus
    provider: PaymentProvider
    provider_payment_id: str | None
    failure: PaymentFailure | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    succeeded_at: datetime | None
    model: strawberry.Private[models.Payment]

    @classmethod
    def from_model(cls, p: models.Payment) -> Payment:
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=p.currency)

        failure = (PaymentFailure(code=p.failure_code, message=p.failure_message)
                   if p.failure_code or p.failure_message else None)
        return cls(id=strawberry.ID(p.id), amount=money(p.amount),
                   captured=money(p.captured_amount), refunded=money(p.refunded_amount),
                   status=PaymentStatus(p.status), provider=PaymentProvider(p.provider),
                   provider_payment_id=p.provider_payment_id, failure=failure,
                   attempts=p.attempts, created_at=p.created_at, updated_at=p.updated_at,
                   succeeded_at=p.succeeded_at, model=p)

    @classmethod
    def visible(cls, info: Info, p: models.Payment | None) -> Payment | None:
        if p is None:
            return None
        _visible(info, p)
        return cls.from_model(p)

    @strawberry.field(description="The booking paid for.")
    def booking(self) -> Booking:
        return Booking(id=strawberry.ID(self.model.booking_id))

    @strawberry.field(description="What the client opens the provider's checkout with.")
    def checkout(self, info: Info) -> PaymentCheckout:
        found = service.providers(info.context.service).get(self.model.provider)
        if found is None:
            return PaymentCheckout(provider=self.provider, key_id=None, order_id=None)
        c = found.checkout(self.model)
        return PaymentCheckout(provider=PaymentProvider(c.provider), key_id=c.key_id,
                               order_id=c.order_id)

    @strawberry.field(description="Refunds of this payment, oldest first.")
    async def refunds(self, info: Info) -> list[Refund]:
        rows = await info.context.loader(_load_refunds).load(self.model.id)
        return [Refund.from_model(r) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Payment | None:
        return cls.visible(info, await info.context.loader(_load_by_id).load(str(id)))


@strawberry.federation.type(keys=["id"])
class Booking:
    id: strawberry.ID

    @strawberry.field(description="The booking's payment; null until payment has seen it.")
    async def payment(self, info: Info) -> Payment | None:
        found = await info.context.loader(_load_by_booking).load(str(self.id))
        return Payment.visible(info, found)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Booking:
        return cls(id=id)


@strawberry.type(description="The provider declined: the booking stays pending until its hold "
                 "expires, so pay again (another card).")
class PaymentDeclined:
    code: str = ErrorCode.PAYMENT_FAILED.value
    message: str = "The payment was declined."
    reason: str | None = strawberry.field(default=None, description="The provider's decline "
                                          "code, e.g. card_declined, insufficient_funds; "
                                          "instrument_limit: this card already paid for "
                                          "as many bookings of this queued show as one "
                                          "card may; instrument_unidentified: the provider "
                                          "cannot tell which card paid (pay with UPI or a "
                                          "card saved with Razorpay). Either way nothing is "
                                          "kept: not captured, or refunded in full.")
    payment: Payment | None = None


@strawberry.type(description="The booking is no longer waiting for payment (its hold lapsed, or "
                 "it was cancelled): nothing was charged. Hold the seats again.")
class PaymentWindowClosed:
    code: str = ErrorCode.HOLD_EXPIRED.value
    message: str = "This booking can no longer be paid for."
    payment: Payment | None = None


ConfirmPaymentResult = Annotated[Payment | PaymentDeclined | PaymentWindowClosed,
                                 strawberry.union("ConfirmPaymentResult")]


@strawberry.input(description="What Razorpay Checkout's handler gave the browser.")
class RazorpayProofInput:
    order_id: str = strawberry.field(description="razorpay_order_id")
    payment_id: str = strawberry.field(description="razorpay_payment_id")
    signature: str = strawberry.field(description="razorpay_signature")


@strawberry.type
class Query:
    @strawberry.field(description="One payment (the buyer, the show's organizer or an admin).")
    async def payment(self, info: Info, id: strawberry.ID) -> Payment | None:
        return await Payment.resolve_reference(info, id)

    @strawberry.field(description="One refund (the buyer, the show's organizer or an admin).")
    async def refund(self, info: Info, id: strawberry.ID) -> Refund | None:
        return await Refund.resolve_reference(info, id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Get your booking's payment ready with a provider (default: "
                         "the deployment's, SANDBOX unless configured). For RAZORPAY this "
                         "creates the order; open Checkout with payment.checkout. Safe to "
                         "repeat.")
    async def start_payment(self, info: Info, booking_id: strawberry.ID,
                            provider: PaymentProvider | None = None,
                            idempotency_key: str | None = None) -> Payment:
        payment = await service.start_payment(
            info.context.service, info.context.caller, str(booking_id),
            provider.value if provider else None, idempotency_key)
        return Payment.from_model(payment)

    @strawberry.mutation(description="Pay: give a sandbox test card, or what Razorpay Checkout "
                         "returned. The amount is always the booking's. Confirming a payment "
                         "that already succeeded returns it and charges nothing.")
    async def confirm_payment(self, info: Info, payment_id: strawberry.ID,
                              card: str | None = None,
                              razorpay: RazorpayProofInput | None = None) -> ConfirmPaymentResult:
        proof = Proof(card=card) if razorpay is None else Proof(
            card=card, razorpay_order_id=razorpay.order_id,
            razorpay_payment_id=razorpay.payment_id, razorpay_signature=razorpay.signature)
        result = await service.confirm_payment(info.context.service, info.context.caller,
                                               str(payment_id), proof)
        if isinstance(result, outcomes.PaymentDeclined):
            p = result.payment
            return PaymentDeclined(message=p.failure_message or "The payment was declined.",
                                   reason=p.failure_code, payment=Payment.from_model(p))
        if isinstance(result, outcomes.PaymentWindowClosed):
            return PaymentWindowClosed(payment=Payment.from_model(result.payment))
        return Payment.from_model(result)

    @strawberry.mutation(description="Give money back (the show's organizer or an admin): "
                         "amount in minor units, or everything left when omitted. Refunding "
                         "everything cancels a confirmed booking and frees its seats.")
    async def refund_payment(self, info: Info, payment_id: strawberry.ID,
                             idempotency_key: str, amount: int | None = None) -> Refund:
        refund = await service.refund_payment(info.context.service, info.context.caller,
                                              str(payment_id), amount, idempotency_key)
        return Refund.from_model(refund)


def _routes(app: FastAPI, svc: Service) -> None:
    @app.post("/webhooks/{provider}")
    async def webhook(provider: str, request: Request) -> JSONResponse:
        answer = await service.receive_webhook(svc, provider, await request.body(),
                                               request.headers)
        key = "status" if answer.status < 400 else "error"
        return JSONResponse({key: answer.outcome}, status_code=answer.status)


schema = build_schema(Query, Mutation, types=[Payment, Refund, Booking])
SPEC = SubgraphSpec(name="payment", schema=schema, metadata=models.Base.metadata,
                    tables=models.TABLES, consumes={"booking": service.apply_booking_event},
                    background=[service.worker], routes=_routes)
