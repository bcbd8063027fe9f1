"""The venue subgraph's GraphQL inputs, and turning ``createShow``'s into a
:class:`subgraphs.venue.shows.ShowSpec`."""


from __future__ import annotations

from datetime import datetime

import strawberry

from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.l10n import check_currency
from subgraphs.venue import service
from subgraphs.venue.enums import ShowKind
from subgraphs.venue.fares import FareClass, FareSpec, LegAmounts, OdFare
from subgraphs.venue.ticket_types import TicketTypeSpec


@strawberry.input
class ShowFilter:
    kind: ShowKind | None = None
    venue_id: strawberry.ID | None = None
    starts_from: datetime | None = strawberry.field(default=None, name="from")
    starts_to: datetime | None = strawberry.field(default=None, name="to")
    text: str | None = strawberry.field(default=None, description="Part of the title.")
    series_id: strawberry.ID | None = strawberry.field(
        default=None, description="Shows of this series (createShowSeries) only.")


@strawberry.input
class RowInput:
    label: str = strawberry.field(description="Row name, e.g. A; seats are labelled A1, A2, ...")
    seats: int = strawberry.field(description="Number of seats, 1 to 1000.")
    category: str = "STANDARD"


@strawberry.input
class CreateVenueInput:
    name: str
    time_zone: str = strawberry.field(description=(
        "The venue's IANA time zone, e.g. Europe/Berlin or America/New_York; show times in "
        "mails and tickets are given in it."))
    rows: list[RowInput] | None = strawberry.field(
        default=None, description="Shortcut: one hall named Main with these rows.")


@strawberry.input
class MoneyInput:
    amount: int = strawberry.field(description=(
        "Minor units as ISO 4217 counts them: 1250 is 12.50 EUR, 1.250 KWD, 1250 JPY."))
    currency: str = strawberry.field(description="A current ISO 4217 code, e.g. EUR.")


@strawberry.input
class PriceTierInput:
    category: str
    amount: int = strawberry.field(description="Minor units.")
    hidden: bool = strawberry.field(
        default=False, description="Sold only to holds whose promo code unlocks this "
        "category (PromoCode.unlocksCategories).")


@strawberry.input(description="The price of one category for one ticket type.")
class TicketTypePriceInput:
    category: str
    amount: int = strawberry.field(description="Minor units.")


@strawberry.input(description="A kind of ticket sold for the same seats and places (Adult, "
                  "Child, Senior...), priced per category.")
class TicketTypeInput:
    key: str = strawberry.field(description="Its key, e.g. ADULT: capital letters, digits, _.")
    name: str = strawberry.field(description="What lines, mails and tickets name, e.g. Adult.")
    eligibility: str | None = strawberry.field(
        default=None, description="Who may buy it, e.g. Under 12; shown to buyers.")
    prices: list[TicketTypePriceInput] = strawberry.field(
        description="A price for every category the hall uses.")
    min_per_order: int = strawberry.field(
        default=0, description="At least this many of the type in a hold that has any.")
    max_per_order: int | None = strawberry.field(
        default=None, description="At most this many of the type in one hold.")


@strawberry.input
class StopInput:
    name: str
    departs_at: datetime | None = None


@strawberry.input
class LegAmountsInput:
    category: str
    amounts: list[int] = strawberry.field(description=(
        "One amount per leg (minor units); a segment's fare is the sum over its legs."))


@strawberry.input
class OdFareInput:
    origin: int = strawberry.field(name="from", description="Index into stops.")
    destination: int = strawberry.field(name="to", description="Index into stops, > from.")
    category: str
    amount: int = strawberry.field(description="Minor units.")


@strawberry.input
class FaresInput:
    leg_amounts: list[LegAmountsInput] | None = None
    od_fares: list[OdFareInput] | None = strawberry.field(default=None, description=(
        "Origin-destination fares; a pair left out falls back to the category's legAmounts "
        "(without them every pair must be given)."))


@strawberry.input
class FareClassInput:
    name: str = strawberry.field(description="e.g. SAVER or FLEX: capitals, digits, _.")
    percent: int = strawberry.field(default=100, description=(
        "The class's price: this percent of the segment's fare, rounded half up."))
    quota: int | None = strawberry.field(default=None, description=(
        "At most this many seats of the class on each leg; none: no limit."))


@strawberry.input
class CreateShowInput:
    hall_id: strawberry.ID | None = strawberry.field(
        default=None, description="The hall; may be left out when the venue has one hall.")
    venue_id: strawberry.ID | None = None
    title: str
    kind: ShowKind = ShowKind.OTHER
    starts_at: datetime
    ends_at: datetime | None = None
    currency: str | None = strawberry.field(default=None,
                                            description="A current ISO 4217 code, e.g. EUR.")
    price_tiers: list[PriceTierInput] | None = strawberry.field(
        default=None, description="A price for every category the hall uses.")
    price: MoneyInput | None = strawberry.field(
        default=None, description="Shortcut: one price for every category.")
    stops: list[StopInput] | None = strawberry.field(
        default=None, description="Ordered stops of a journey (two or more).")
    fares: FaresInput | None = strawberry.field(
        default=None, description="A journey's fares per segment (else the price tiers).")
    fare_classes: list[FareClassInput] | None = strawberry.field(
        default=None, description="Fare classes a hold may ask for, e.g. SAVER with a quota.")
    ticket_types: list[TicketTypeInput] | None = strawberry.field(
        default=None, description=(
            "Ticket types sold for the same seats and places, each priced per category; the "
            "first is the default of a hold that names none. Without them every hold is "
            "priced from the price tiers (price or priceTiers are still required)."))


@strawberry.input(description=(
    "What updateShow changes of one show; a field left out stays as it is."))
class UpdateShowInput:
    title: str | None = strawberry.field(default=None, description="1 to 200 characters.")
    starts_at: datetime | None = strawberry.field(default=None, description=(
        "The new start; without endsAt the show keeps its length."))
    ends_at: datetime | None = strawberry.field(default=None,
                                                description="The new end, after the start.")


def show_change(input: UpdateShowInput) -> service.ShowChange:
    return service.ShowChange(title=input.title, starts_at=input.starts_at,
                              ends_at=input.ends_at)


def fare_spec(input: CreateShowInput) -> FareSpec:
    fares = input.fares
    return FareSpec(
        legs=[LegAmounts(f.category, list(f.amounts))
              for f in (fares.leg_amounts if fares else None) or []],
        od=[OdFare(f.origin, f.destination, f.category, f.amount)
            for f in (fares.od_fares if fares else None) or []],
        classes=[FareClass(c.name, c.percent, c.quota) for c in input.fare_classes or []])


def show_spec(input: CreateShowInput) -> service.ShowSpec:
    price, priced = input.price, input.price_tiers
    if (price is None) == (priced is None):
        raise BadUserInput("Give either price or priceTiers.", field="input.priceTiers")
    tiers: dict[str, int] = {}
    hidden: set[str] = set()
    if price is None:
        for i, tier in enumerate(priced or []):
            if tier.category in tiers:
                raise BadUserInput(f"{tier.category} is priced twice.",
                                   field=f"input.priceTiers[{i}].category")
            tiers[tier.category] = tier.amount
            if tier.hidden:
                hidden.add(tier.category)
        currency = input.currency or ""
    else:
        currency = price.currency
        if price.amount < 0:
            raise BadUserInput("A price cannot be negative.", field="input.price.amount")
        check_currency(currency, "input.price.currency")
    return service.ShowSpec(
        title=input.title, starts_at=input.starts_at, ends_at=input.ends_at,
        currency=currency, tiers=tiers, kind=input.kind.value, hidden=frozenset(hidden),
        flat_price=price.amount if price is not None else None,
        hall_id=str(input.hall_id) if input.hall_id else None,
        venue_id=str(input.venue_id) if input.venue_id else None,
        stops=[(s.name, s.departs_at) for s in input.stops or []],
        fares=fare_spec(input),
        ticket_types=tuple(
            TicketTypeSpec(key=t.key, name=t.name, eligibility=t.eligibility,
                           prices=tuple((p.category, p.amount) for p in t.prices),
                           min_per_order=t.min_per_order, max_per_order=t.max_per_order)
            for t in input.ticket_types or []))
