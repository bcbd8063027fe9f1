"""Promo codes' GraphQL types (the resolvers are in :mod:`.schema`, beside the others)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from subgraphs.booking import models
from subgraphs.booking.promo_rules import Rejected
from subgraphs.booking.promos import NewCode
from subgraphs.kernel.errors import ErrorCode
from subgraphs.kernel.graphql import Money


@strawberry.enum(description="PERCENT: a percentage of each line in scope, rounded half up "
                 "to the minor unit; AMOUNT: an amount off the lines in scope, in line order, "
                 "no line below zero.")
class PromoCodeKind(Enum):
    PERCENT = "PERCENT"
    AMOUNT = "AMOUNT"


@strawberry.enum(description="Why a promo code cannot be used.")
class PromoCodeRejection(Enum):
    NOT_FOUND = "NOT_FOUND"
    INACTIVE = "INACTIVE"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    EXHAUSTED = "EXHAUSTED"
    CUSTOMER_LIMIT_REACHED = "CUSTOMER_LIMIT_REACHED"


@strawberry.input
class MoneyInput:
    amount: int = strawberry.field(description=(
        "Minor units as ISO 4217 counts them: 1250 is 12.50 EUR, 1.250 KWD, 1250 JPY."))
    currency: str = strawberry.field(description="A current ISO 4217 code, e.g. EUR.")


@strawberry.input(description="A promo code of an organizer's. Give percent for PERCENT, "
                  "amount for AMOUNT.")
class CreatePromoCodeInput:
    code: str = strawberry.field(description="3 to 40 letters, digits, '-' or '_'; "
                                 "case-insensitive, unique per organizer.")
    kind: PromoCodeKind
    percent: int | None = strawberry.field(
        default=None, description="1 to 100 (0 to 100 for a code that unlocks categories).")
    amount: MoneyInput | None = strawberry.field(
        default=None, description="Off each booking, in the currency of the shows it "
        "applies to (shows in another currency are out of its scope).")
    show_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The organizer's shows it applies to; empty: all.")
    categories: list[str] = strawberry.field(
        default_factory=list, description="Price categories it discounts; empty: all.")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_redemptions: int | None = strawberry.field(
        default=None, description="Bookings that may redeem it at once; null: no limit. A "
        "cancelled, fully refunded or expired booking gives its redemption back.")
    max_per_customer: int | None = strawberry.field(
        default=None, description="Bookings one customer may redeem it for; null: no limit.")
    unlocks_categories: list[str] = strawberry.field(
        default_factory=list, description="Hidden price categories it unlocks: holds made "
        "with this code (promoCode) may take their seats and places. Such a code may take "
        "0 percent off.")
    organizer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Admins: whose code it is (default: the shows' organizer).")

    def read(self) -> NewCode:
        return NewCode(
            code=self.code, kind=self.kind.value, percent=self.percent,
            amount=None if self.amount is None else self.amount.amount,
            currency=None if self.amount is None else self.amount.currency,
            show_ids=[str(s) for s in self.show_ids], categories=list(self.categories),
            valid_from=self.valid_from, valid_until=self.valid_until,
            max_redemptions=self.max_redemptions, max_per_customer=self.max_per_customer,
            unlocks_categories=list(self.unlocks_categories),
            organizer_id=None if self.organizer_id is None else str(self.organizer_id))


@strawberry.type(description="An organizer's promo code.")
class PromoCode:
    id: strawberry.ID
    code: str
    kind: PromoCodeKind
    percent: int | None = strawberry.field(description="For PERCENT.")
    amount: Money | None = strawberry.field(description="For AMOUNT.")
    show_ids: list[strawberry.ID] = strawberry.field(description="Empty: all the organizer's "
                                                     "shows.")
    categories: list[str] = strawberry.field(description="Empty: all categories.")
    valid_from: datetime | None
    valid_until: datetime | None
    max_redemptions: int | None
    max_per_customer: int | None
    redeemed: int = strawberry.field(description="Bookings holding a redemption now.")
    unlocks_categories: list[str]
    active: bool
    organizer_id: strawberry.ID
    created_at: datetime

    @classmethod
    def from_model(cls, c: models.PromoCode) -> PromoCode:
        return cls(
            id=strawberry.ID(c.id), code=c.code, kind=PromoCodeKind(c.kind), percent=c.percent,
            amount=None if c.amount is None else Money(amount=c.amount,
                                                       currency=c.currency or ""),
            show_ids=[strawberry.ID(s) for s in c.show_ids], categories=list(c.categories),
            valid_from=c.valid_from, valid_until=c.valid_until,
            max_redemptions=c.max_redemptions, max_per_customer=c.max_per_customer,
            redeemed=c.redeemed, unlocks_categories=list(c.unlocks_categories),
            active=c.active, organizer_id=strawberry.ID(c.organizer_id),
            created_at=c.created_at)


@strawberry.type(description="The promo code cannot be used (reason says why); nothing "
                 "changed. At checkout: nothing was booked; remove the code "
                 "(removePromoCode) to book at full price.")
class PromoCodeRejected:
    code: str = ErrorCode.PROMO_CODE_REJECTED.value
    message: str = "This promo code cannot be used."
    reason: PromoCodeRejection = PromoCodeRejection.NOT_FOUND
    promo_code: str | None = strawberry.field(
        default=None, description="The code as given (always set; nullable so that it can "
        "share a selection with SeatHold.promoCode).")

    @classmethod
    def of(cls, rejected: Rejected) -> PromoCodeRejected:
        return cls(message=rejected.message, reason=PromoCodeRejection(rejected.reason),
                   promo_code=rejected.code)
