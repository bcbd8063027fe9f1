from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import PromoCodeKind, ShowKind


class LoginInput(BaseModel):
    email: str
    password: str


class RegisterInput(BaseModel):
    email: str
    password: str
    "At least 10 characters, not the email."
    name: str


class CheckInScanInput(BaseModel):
    """A scan a gate made offline."""

    ticket_id: str = Field(alias="ticketId")
    "The ticket's tid."
    at: datetime
    "When the gate scanned it."
    gate: str


class CreatePromoCodeInput(BaseModel):
    """A promo code of an organizer's. Give percent for PERCENT, amount for AMOUNT."""

    code: str
    "3 to 40 letters, digits, '-' or '_'; case-insensitive, unique per organizer."
    kind: PromoCodeKind
    percent: Optional[int] = None
    "1 to 100 (0 to 100 for a code that unlocks categories)."
    amount: Optional["MoneyInput"] = None
    "Off each booking, in the currency of the shows it applies to (shows in another currency are out of its scope)."
    show_ids: list[str] = Field(alias="showIds", default_factory=lambda: [])
    "The organizer's shows it applies to; empty: all."
    categories: list[str] = Field(default_factory=lambda: [])
    "Price categories it discounts; empty: all."
    valid_from: Optional[datetime] = Field(alias="validFrom", default=None)
    valid_until: Optional[datetime] = Field(alias="validUntil", default=None)
    max_redemptions: Optional[int] = Field(alias="maxRedemptions", default=None)
    "Bookings that may redeem it at once; null: no limit. A cancelled, fully refunded or expired booking gives its redemption back."
    max_per_customer: Optional[int] = Field(alias="maxPerCustomer", default=None)
    "Bookings one customer may redeem it for; null: no limit."
    unlocks_categories: list[str] = Field(
        alias="unlocksCategories", default_factory=lambda: []
    )
    "Hidden price categories it unlocks: holds made with this code (promoCode) may take their seats and places. Such a code may take 0 percent off."
    organizer_id: Optional[str] = Field(alias="organizerId", default=None)
    "Admins: whose code it is (default: the shows' organizer)."


class MoneyInput(BaseModel):
    amount: int
    "Minor units as ISO 4217 counts them: 1250 is 12.50 EUR, 1.250 KWD, 1250 JPY."
    currency: str
    "A current ISO 4217 code, e.g. EUR."


class QueueInput(BaseModel):
    """A show's waiting room."""

    opens_at: datetime = Field(alias="opensAt")
    "When the pre-queue is shuffled and admission starts (with its UTC offset)."
    rate_per_minute: Optional[int] = Field(alias="ratePerMinute", default=None)
    "People admitted per minute; leave out for auto."
    require_verified_email: bool = Field(alias="requireVerifiedEmail", default=True)
    "joinQueue takes only accounts whose email address is verified (EMAIL_NOT_VERIFIED otherwise): one place per verified account."


class SegmentInput(BaseModel):
    """Part of a journey: from one stop to a later one, as indexes into Show.stops (0 is the first stop). Leave it out for the whole journey."""

    from_: int = Field(alias="from")
    to: int


class RazorpayProofInput(BaseModel):
    """What Razorpay Checkout's handler gave the browser."""

    order_id: str = Field(alias="orderId")
    "razorpay_order_id"
    payment_id: str = Field(alias="paymentId")
    "razorpay_payment_id"
    signature: str
    "razorpay_signature"


class CreateShowInput(BaseModel):
    hall_id: Optional[str] = Field(alias="hallId", default=None)
    "The hall; may be left out when the venue has one hall."
    venue_id: Optional[str] = Field(alias="venueId", default=None)
    title: str
    kind: ShowKind = ShowKind.OTHER
    starts_at: datetime = Field(alias="startsAt")
    ends_at: Optional[datetime] = Field(alias="endsAt", default=None)
    currency: Optional[str] = None
    "A current ISO 4217 code, e.g. EUR."
    price_tiers: Optional[list["PriceTierInput"]] = Field(
        alias="priceTiers", default=None
    )
    "A price for every category the hall uses."
    price: Optional["MoneyInput"] = None
    "Shortcut: one price for every category."
    stops: Optional[list["StopInput"]] = None
    "Ordered stops of a journey (two or more)."
    fares: Optional["FaresInput"] = None
    "A journey's fares per segment (else the price tiers)."
    fare_classes: Optional[list["FareClassInput"]] = Field(
        alias="fareClasses", default=None
    )
    "Fare classes a hold may ask for, e.g. SAVER with a quota."
    ticket_types: Optional[list["TicketTypeInput"]] = Field(
        alias="ticketTypes", default=None
    )
    "Ticket types sold for the same seats and places, each priced per category; the first is the default of a hold that names none. Without them every hold is priced from the price tiers (price or priceTiers are still required)."


class CreateVenueInput(BaseModel):
    name: str
    time_zone: str = Field(alias="timeZone")
    "The venue's IANA time zone, e.g. Europe/Berlin or America/New_York; show times in mails and tickets are given in it."
    rows: Optional[list["RowInput"]] = None
    "Shortcut: one hall named Main with these rows."


class FareClassInput(BaseModel):
    name: str
    "e.g. SAVER or FLEX: capitals, digits, _."
    percent: int = 100
    "The class's price: this percent of the segment's fare, rounded half up."
    quota: Optional[int] = None
    "At most this many seats of the class on each leg; none: no limit."


class FaresInput(BaseModel):
    leg_amounts: Optional[list["LegAmountsInput"]] = Field(
        alias="legAmounts", default=None
    )
    od_fares: Optional[list["OdFareInput"]] = Field(alias="odFares", default=None)
    "Origin-destination fares; a pair left out falls back to the category's legAmounts (without them every pair must be given)."


class LegAmountsInput(BaseModel):
    category: str
    amounts: list[int]
    "One amount per leg (minor units); a segment's fare is the sum over its legs."


class OdFareInput(BaseModel):
    from_: int = Field(alias="from")
    "Index into stops."
    to: int
    "Index into stops, > from."
    category: str
    amount: int
    "Minor units."


class PriceTierInput(BaseModel):
    category: str
    amount: int
    "Minor units."
    hidden: bool = False
    "Sold only to holds whose promo code unlocks this category (PromoCode.unlocksCategories)."


class RowInput(BaseModel):
    label: str
    "Row name, e.g. A; seats are labelled A1, A2, ..."
    seats: int
    "Number of seats, 1 to 1000."
    category: str = "STANDARD"


class ShowFilter(BaseModel):
    kind: Optional[ShowKind] = None
    venue_id: Optional[str] = Field(alias="venueId", default=None)
    from_: Optional[datetime] = Field(alias="from", default=None)
    to: Optional[datetime] = None
    text: Optional[str] = None
    "Part of the title."
    series_id: Optional[str] = Field(alias="seriesId", default=None)
    "Shows of this series (createShowSeries) only."


class StopInput(BaseModel):
    name: str
    departs_at: Optional[datetime] = Field(alias="departsAt", default=None)


class TicketTypeInput(BaseModel):
    """A kind of ticket sold for the same seats and places (Adult, Child, Senior...), priced per category."""

    key: str
    "Its key, e.g. ADULT: capital letters, digits, _."
    name: str
    "What lines, mails and tickets name, e.g. Adult."
    eligibility: Optional[str] = None
    "Who may buy it, e.g. Under 12; shown to buyers."
    prices: list["TicketTypePriceInput"]
    "A price for every category the hall uses."
    min_per_order: int = Field(alias="minPerOrder", default=0)
    "At least this many of the type in a hold that has any."
    max_per_order: Optional[int] = Field(alias="maxPerOrder", default=None)
    "At most this many of the type in one hold."


class TicketTypePriceInput(BaseModel):
    """The price of one category for one ticket type."""

    category: str
    amount: int
    "Minor units."


CreatePromoCodeInput.model_rebuild()
CreateShowInput.model_rebuild()
CreateVenueInput.model_rebuild()
FaresInput.model_rebuild()
TicketTypeInput.model_rebuild()
