"""The payment subgraph's GraphQL schema."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from subgraphs.kernel.app import SubgraphSpec
from subgraphs.kernel.auth import require_owner_or_admin
from subgraphs.kernel.graphql import Info, Money, build_schema, session_batch
from subgraphs.payment import models, service

_load_by_id = session_batch(service.payments_by_id)
_load_by_booking = session_batch(service.payments_by_booking)


@strawberry.enum
class PaymentStatus(Enum):
    REQUIRES_PAYMENT = "REQUIRES_PAYMENT"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


@strawberry.federation.type(keys=["id"], description="Money paid (or owed) for one booking.")
class Payment:
    id: strawberry.ID
    amount: Money
    status: PaymentStatus
    provider: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def visible(cls, info: Info, p: models.Payment | None) -> Payment | None:
        if p is None:
            return None
        require_owner_or_admin(info.context.caller, p.user_id)
        return cls(id=strawberry.ID(p.id), amount=Money(amount=p.amount, currency=p.currency),
                   status=PaymentStatus(p.status), provider=p.provider,
                   created_at=p.created_at, updated_at=p.updated_at)

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


@strawberry.type
class Query:
    @strawberry.field(description="One payment (the buyer or an admin).")
    async def payment(self, info: Info, id: strawberry.ID) -> Payment | None:
        return await Payment.resolve_reference(info, id)


schema = build_schema(Query, types=[Payment, Booking])
SPEC = SubgraphSpec(name="payment", schema=schema, metadata=models.Base.metadata,
                    tables=models.TABLES, consumes={"booking": service.apply_booking_event})
