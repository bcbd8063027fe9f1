"""What the promo-code tests share: shows with price categories, codes, holds with a code."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from subgraphs.booking.models import PromoCode, PromoCustomerUse, PromoRedemption
from subgraphs.kernel.db import Database
from tests.flows import CREATE_VENUE, PUBLISH_SHOW, User
from tests.harness import GraphQL, Stack, eventually
from tests.integration.support import count

CREATE_SHOW = """mutation($i: CreateShowInput!) { createShow(input: $i) { id } }"""
AVAILABILITY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { availability { total } } } }"""
CODE_FIELDS = """id code kind percent amount { amount currency } showIds categories
  validFrom validUntil maxRedemptions maxPerCustomer redeemed unlocksCategories active
  organizerId"""
CREATE_CODE = """mutation($i: CreatePromoCodeInput!, $key: String) {
  createPromoCode(input: $i, idempotencyKey: $key) { FIELDS } }""".replace("FIELDS", CODE_FIELDS)
DEACTIVATE = "mutation($id: ID!) { deactivatePromoCode(id: $id) { id active } }"
CODES = """query($o: ID) { promoCodes(organizerId: $o) { id code redeemed } }"""
HOLD_FIELDS = """id status promoCode discount { amount currency } total { amount currency }
  lines { seatId sectionId label quantity price { amount } discount { amount } }"""
APPLY = """mutation($hold: ID!, $code: String!) { applyPromoCode(holdId: $hold, code: $code) {
  __typename ... on SeatHold { FIELDS }
  ... on PromoCodeRejected { code message reason promoCode } } }""".replace("FIELDS",
                                                                          HOLD_FIELDS)
REMOVE = "mutation($hold: ID!) { removePromoCode(holdId: $hold) { FIELDS } }".replace(
    "FIELDS", HOLD_FIELDS)
HOLD = """mutation($show: ID!, $seats: [ID!]!) { holdSeats(showId: $show, seatIds: $seats) {
  __typename ... on SeatHold { id } } }"""
CHECKOUT = """mutation($hold: ID!, $key: String!) { checkout(holdId: $hold, idempotencyKey: $key) {
  __typename
  ... on Booking { id status total { amount currency } discount { amount }
                   lines { seatId price { amount } discount { amount } }
                   generalAdmission { sectionId price { amount } discount { amount } } }
  ... on HoldExpired { code }
  ... on PromoCodeRejected { code message reason promoCode } } }"""


@dataclass
class TieredShow:
    id: str
    currency: str
    seats: list[dict[str, Any]]  # id label category, seat-map order

    def of(self, category: str) -> list[str]:
        return [s["id"] for s in self.seats if s["category"] == category]


async def tiered_show(stack: Stack, organizer: User, currency: str,
                      tiers: dict[str, int], seats_per_row: int = 4,
                      hidden: tuple[str, ...] = ()) -> TieredShow:
    """A show on sale with one row of ``seats_per_row`` seats per category at its price
    (rows in the order of ``tiers``); the ``hidden`` categories are hidden."""
    venue, booking = stack.client("venue"), stack.client("booking")
    rows = [{"label": chr(ord("A") + i), "seats": seats_per_row, "category": category}
            for i, category in enumerate(tiers)]
    v = await venue.data(CREATE_VENUE, {"i": {"name": f"Promo {uuid.uuid4().hex[:6]}",
                                              "timeZone": "UTC", "rows": rows}},
                         organizer.token)
    s = await venue.data(CREATE_SHOW, {"i": {
        "venueId": v["createVenue"]["id"], "title": "Promo Show",
        "startsAt": "2030-06-01T19:00:00+00:00", "currency": currency,
        "priceTiers": [{"category": c, "amount": a, "hidden": c in hidden}
                       for c, a in tiers.items()]}},
        organizer.token)
    show_id = s["createShow"]["id"]
    await venue.data(PUBLISH_SHOW, {"id": show_id}, organizer.token)

    async def ready() -> bool:
        body = await booking.run(AVAILABILITY, {"r": [{"__typename": "Show", "id": show_id}]})
        found = ((body.get("data") or {}).get("_entities") or [None])[0]
        return bool(found and found["availability"])

    await eventually(ready)
    return TieredShow(show_id, currency, v["createVenue"]["seats"])


def code_text(stem: str = "SAVE") -> str:
    """A code text no other test uses."""
    return f"{stem}-{uuid.uuid4().hex[:8]}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def hours(n: float) -> str:
    """An ISO time ``n`` hours from now."""
    return iso(datetime.now(UTC) + timedelta(hours=n))


async def create_code(booking: GraphQL, who: User, **fields: Any) -> dict[str, Any]:
    """A code made by ``who`` (must succeed): PERCENT 10 unless told otherwise."""
    i = {"code": code_text(), "kind": "PERCENT", "percent": 10} | fields
    body = await booking.data(CREATE_CODE, {"i": i}, who.token)
    return dict(body["createPromoCode"])


async def hold(booking: GraphQL, who: User, show_id: str, seat_ids: list[str]) -> str:
    body = await booking.data(HOLD, {"show": show_id, "seats": seat_ids}, who.token)
    assert body["holdSeats"]["__typename"] == "SeatHold", body
    return str(body["holdSeats"]["id"])


async def apply(booking: GraphQL, who: User, hold_id: str, code: str) -> dict[str, Any]:
    body = await booking.data(APPLY, {"hold": hold_id, "code": code}, who.token)
    return dict(body["applyPromoCode"])


async def checkout(booking: GraphQL, who: User, hold_id: str) -> dict[str, Any]:
    body = await booking.data(CHECKOUT, {"hold": hold_id, "key": uuid.uuid4().hex}, who.token)
    return dict(body["checkout"])


@dataclass
class CodeState:
    redeemed: int
    redemptions: int
    uses: dict[str, int]  # user id -> used


async def code_state(db: Database, code_id: str) -> CodeState:
    """A code's counter, its redemption rows and its customers' counters, as stored."""
    async with db.reader() as session:
        redeemed = await session.scalar(select(PromoCode.redeemed)
                                        .where(PromoCode.id == code_id))
        uses = dict((await session.execute(
            select(PromoCustomerUse.user_id, PromoCustomerUse.used)
            .where(PromoCustomerUse.code_id == code_id))).all())
    assert redeemed is not None, code_id
    return CodeState(int(redeemed),
                     await count(db, PromoRedemption, PromoRedemption.code_id == code_id),
                     {str(k): int(v) for k, v in uses.items()})
