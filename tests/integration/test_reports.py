"""Sales reports and CSV exports for a show's organizer (README, "Reports and exports").

One show in Europe/Berlin with two categories gets a known set of bookings — paid, paid
then partly refunded (one of them across both categories), paid then cancelled (refunded
in full), paid with a promo code on one category, awaiting payment, and a plain hold —
placed on either side of midnight in Berlin (the same day in UTC), and every figure of the
report is checked against hand-computed values; then who may read it, the CSV exports'
content, quoting and access, and an export of 5,000 orders read in chunks.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from subgraphs.booking import exports
from subgraphs.booking.models import BookableShow, Booking, BookingLine, Hold, RefundRecord
from subgraphs.kernel.db import Database
from tests.flows import HOLD, Actors, User
from tests.harness import Stack, eventually
from tests.integration import promo_support as promo
from tests.payments import CANCEL_BOOKING, REFUND, pay, pending_booking, wait_booking

CREATE_VENUE = """mutation($i: CreateVenueInput!) { createVenue(input: $i) {
  id seats { id label category } } }"""
CREATE_SHOW = "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }"
PUBLISH = "mutation($id: ID!) { publishShow(id: $id) { status } }"
REPORT_FIELDS = """salesReport { currency timeZone
  totals { sold held bookings pendingBookings cancelledBookings refundedBookings
           gross { amount currency } discounts { amount } refunded { amount } net { amount } }
  byCategory { category sold gross { amount } discounts { amount } refunded { amount }
               net { amount } }
  byDay { date sold gross { amount } discounts { amount } refunded { amount } net { amount } }
  days: salesOverTime { at sold net { amount } cumulativeSold cumulativeNet { amount } }
  hours: salesOverTime(bucket: HOUR) { at sold net { amount } cumulativeSold
                                       cumulativeNet { amount } } }"""
REPORT = ("query($r: [_Any!]!) { _entities(representations: $r) { ... on Show { "
          + REPORT_FIELDS + " } } }")
# A row label a spreadsheet would run as a formula, with a comma and a quote to be quoted.
EVIL_ROW = '=1+2,"x"'


@dataclass
class Sold:
    show_id: str
    seats: dict[str, str]  # label -> seat id
    bookings: dict[str, str]  # b1..b5 -> booking id


async def _show(stack: Stack, organizer: User) -> tuple[str, dict[str, str]]:
    """A show in Berlin: row A STANDARD at 10.00 EUR, row EVIL_ROW VIP at 25.00 EUR."""
    venue = stack.client("venue")
    v = await venue.data(CREATE_VENUE, {"i": {
        "name": f"Report Hall {uuid.uuid4().hex[:6]}", "timeZone": "Europe/Berlin",
        "rows": [{"label": "A", "seats": 5, "category": "STANDARD"},
                 {"label": EVIL_ROW, "seats": 5, "category": "VIP"}]}}, organizer.token)
    s = await venue.data(CREATE_SHOW, {"i": {
        "venueId": v["createVenue"]["id"], "title": "Report Show",
        "startsAt": "2031-01-01T19:00:00+00:00", "currency": "EUR",
        "priceTiers": [{"category": "STANDARD", "amount": 1000},
                       {"category": "VIP", "amount": 2500}]}}, organizer.token)
    show_id = s["createShow"]["id"]
    await venue.data(PUBLISH, {"id": show_id}, organizer.token)
    booking = stack.client("booking")

    async def ready() -> bool:
        body = await booking.run(REPORT.replace(REPORT_FIELDS, "availability { total }"),
                                 {"r": [{"__typename": "Show", "id": show_id}]})
        found = ((body.get("data") or {}).get("_entities") or [None])[0]
        return bool(found and found["availability"])

    await eventually(ready)
    return show_id, {seat["label"]: seat["id"] for seat in v["createVenue"]["seats"]}


async def _paid(stack: Stack, who: User, show_id: str, seat_ids: list[str]) -> tuple[str, str]:
    booking = await pending_booking(stack.client("booking"), who, show_id, seat_ids)
    paid = await pay(stack.client("payment"), who, booking["id"])
    await wait_booking(stack.client("booking"), who, booking["id"], "CONFIRMED")
    return booking["id"], paid["id"]


async def _refund(stack: Stack, organizer: User, payment_id: str, amount: int) -> None:
    body = await stack.client("payment").data(
        REFUND, {"id": payment_id, "amount": amount, "key": uuid.uuid4().hex}, organizer.token)
    assert body["refundPayment"]["status"] == "SUCCEEDED", body


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
async def sold(stack: Stack, actors: Actors, dbs: dict[str, Database]) -> Sold:
    """The known bookings, their order and refund times set to known instants."""
    a = actors
    show_id, seats = await _show(stack, a.organizer)
    vip = [seats[f"{EVIL_ROW}{n}"] for n in range(1, 6)]
    b1, p1 = await _paid(stack, a.customer, show_id, [seats["A1"], vip[0]])  # 1000 + 2500
    b2, p2 = await _paid(stack, a.customer, show_id, [seats["A2"], seats["A3"]])  # 2000
    b3, _ = await _paid(stack, a.other_customer, show_id, [vip[1]])  # 2500
    await _refund(stack, a.organizer, p1, 700)  # shared: STANDARD 200, VIP 500
    await _refund(stack, a.organizer, p2, 500)
    await stack.client("booking").data(CANCEL_BOOKING, {"id": b3}, a.other_customer.token)
    b4 = (await pending_booking(stack.client("booking"), a.customer, show_id,
                                [seats["A4"]]))["id"]
    # 10 % off VIP seats: 250 off the VIP seat, nothing off the STANDARD one.
    code = await promo.create_code(stack.client("booking"), a.organizer, showIds=[show_id],
                                   categories=["VIP"])
    hold5 = await promo.hold(stack.client("booking"), a.customer, show_id,
                             [seats["A5"], vip[3]])
    await promo.apply(stack.client("booking"), a.customer, hold5, code["code"])
    b5 = (await promo.checkout(stack.client("booking"), a.customer, hold5))["id"]
    assert (await pay(stack.client("payment"), a.customer, b5))["__typename"] == "Payment"
    await wait_booking(stack.client("booking"), a.customer, b5, "CONFIRMED")
    held = await stack.client("booking").data(HOLD, {"show": show_id, "seats": [vip[2]]},
                                              a.other_customer.token)
    assert held["holdSeats"]["__typename"] == "SeatHold"
    db = dbs["booking"]

    async def refunds_recorded() -> bool:
        async with db.reader() as s:
            return await s.scalar(select(func.count()).select_from(RefundRecord).where(
                RefundRecord.show_id == show_id)) == 3

    await eventually(refunds_recorded, 30)
    # Ordered at 23:30, 00:30 and 00:45 in Berlin: two local days, one day in UTC.
    times = {b1: "2026-03-01T22:30:00+00:00", b2: "2026-03-01T23:30:00+00:00",
             b3: "2026-03-01T23:45:00+00:00", b4: "2026-03-01T23:50:00+00:00",
             b5: "2026-03-01T23:10:00+00:00"}
    async with db.writer() as s:
        for booking_id, at in times.items():
            await s.execute(update(Booking).where(Booking.id == booking_id)
                            .values(created_at=_at(at)))
        await s.execute(update(RefundRecord).where(RefundRecord.show_id == show_id)
                        .values(refunded_at=_at("2026-03-02T10:00:00+00:00")))
        await s.commit()
    return Sold(show_id, seats, {"b1": b1, "b2": b2, "b3": b3, "b4": b4, "b5": b5})


async def _report(stack: Stack, show_id: str, who: User | None) -> dict[str, Any]:
    return await stack.client("booking").run(
        REPORT, {"r": [{"__typename": "Show", "id": show_id}]}, who.token if who else None)


async def test_the_report_adds_up_sales_refunds_and_holds_by_category_and_local_day(
        stack: Stack, actors: Actors, sold: Sold) -> None:
    body = await _report(stack, sold.show_id, actors.organizer)
    assert "errors" not in body, body
    report = body["data"]["_entities"][0]["salesReport"]
    assert report["currency"] == "EUR" and report["timeZone"] == "Europe/Berlin"
    totals = report["totals"]
    assert totals == {
        "sold": 6,  # two seats each of b1, b2 and b5; b3 was cancelled
        "held": 2,  # b4's seat awaiting payment and the plain hold
        "bookings": 3, "pendingBookings": 1, "cancelledBookings": 1, "refundedBookings": 3,
        "gross": {"amount": 11500, "currency": "EUR"}, "discounts": {"amount": 250},
        "refunded": {"amount": 3700}, "net": {"amount": 7550}}

    def money(**figures: int) -> dict[str, Any]:
        return {k: {"amount": v} if k != "sold" else v for k, v in figures.items()}

    assert report["byCategory"] == [
        {"category": "STANDARD", **money(sold=4, gross=4000, discounts=0, refunded=700,
                                         net=3300)},
        {"category": "VIP", **money(sold=2, gross=7500, discounts=250, refunded=3000,
                                    net=4250)}]
    assert report["byDay"] == [
        {"date": "2026-03-01", **money(sold=2, gross=3500, discounts=0, refunded=0, net=3500)},
        {"date": "2026-03-02", **money(sold=4, gross=8000, discounts=250, refunded=3700,
                                       net=4050)}]

    def points(series: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(_at(p["at"]), p["sold"], p["net"]["amount"], p["cumulativeSold"],
                 p["cumulativeNet"]["amount"]) for p in series]

    assert points(report["days"]) == [(_at("2026-03-01T00:00:00+01:00"), 2, 3500, 2, 3500),
                                      (_at("2026-03-02T00:00:00+01:00"), 4, 4050, 6, 7550)]
    assert report["days"][0]["at"].endswith("+01:00")  # the venue's midnight
    assert points(report["hours"]) == [(_at("2026-03-01T23:00:00+01:00"), 2, 3500, 2, 3500),
                                       (_at("2026-03-02T00:00:00+01:00"), 4, 7750, 6, 11250),
                                       (_at("2026-03-02T11:00:00+01:00"), 0, -3700, 6, 7550)]


async def test_a_refund_event_delivered_again_is_recorded_once(
        stack: Stack, dbs: dict[str, Database], sold: Sold) -> None:
    from subgraphs.booking.sales_ledger import record_refund
    from subgraphs.kernel.events import Event, PaymentRefunded

    async with dbs["booking"].reader() as s:
        first = (await s.scalars(select(RefundRecord).where(
            RefundRecord.show_id == sold.show_id).limit(1))).one()
    again = PaymentRefunded(payment_id=first.payment_id, booking_id=first.booking_id,
                            refund_id=first.refund_id, amount=first.amount,
                            currency=first.currency, reason=first.reason,
                            refunded_total=first.amount, fully_refunded=False)
    service = stack.services["booking"]
    async with service.uow() as uow:
        await record_refund(uow, again, Event("PaymentRefunded", "payment",
                                              again.to_payload()))
        await uow.commit()
    async with dbs["booking"].reader() as s:
        assert await s.scalar(select(func.count()).select_from(RefundRecord).where(
            RefundRecord.show_id == sold.show_id)) == 3


async def test_only_the_organizer_and_admins_read_the_report(
        stack: Stack, actors: Actors, sold: Sold) -> None:
    a = actors

    def outcome(body: dict[str, Any]) -> str:
        if body.get("errors"):
            return str(body["errors"][0]["extensions"]["code"])
        return "ok" if body["data"]["_entities"][0]["salesReport"] else "null"

    got = {name: outcome(await _report(stack, sold.show_id, who)) for name, who in [
        ("anonymous", None), ("customer", a.customer), ("other organizer", a.other_organizer),
        ("organizer", a.organizer), ("admin", a.admin)]}
    assert got == {"anonymous": "UNAUTHENTICATED", "customer": "FORBIDDEN",
                   "other organizer": "FORBIDDEN", "organizer": "ok", "admin": "ok"}
    assert outcome(await _report(stack, str(uuid.uuid4()), a.admin)) == "null"


def _url(stack: Stack, show_id: str, name: str) -> str:
    return f"{stack.url('booking').removesuffix('/graphql')}/exports/shows/{show_id}/{name}.csv"


async def _get(stack: Stack, show_id: str, name: str, token: str | None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(_url(stack, show_id, name), headers=headers)


@pytest.mark.parametrize("name", ["orders", "attendees"])
async def test_exports_answer_the_organizer_and_admins_only(
        stack: Stack, actors: Actors, sold: Sold, name: str) -> None:
    a = actors
    got = {who: (await _get(stack, sold.show_id, name, token)).status_code for who, token in [
        ("anonymous", None), ("bad token", "not-a-token"), ("customer", a.customer.token),
        ("other organizer", a.other_organizer.token), ("organizer", a.organizer.token),
        ("admin", a.admin.token)]}
    assert got == {"anonymous": 401, "bad token": 401, "customer": 403,
                   "other organizer": 403, "organizer": 200, "admin": 200}
    unknown = await _get(stack, str(uuid.uuid4()), name, a.admin.token)
    assert unknown.status_code == 404 and unknown.json()["error"] == "NOT_FOUND"
    refused = await _get(stack, sold.show_id, name, None)
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.json()["error"] == "UNAUTHENTICATED"


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


async def test_the_orders_export_has_a_row_per_booking(
        stack: Stack, actors: Actors, sold: Sold) -> None:
    rows = _rows(await _get(stack, sold.show_id, "orders", actors.organizer.token))
    b = sold.bookings
    assert [r["booking_id"] for r in rows] == [b["b1"], b["b5"], b["b2"], b["b3"], b["b4"]]
    got = {r["booking_id"]: (r["status"], r["seats"], r["gross"], r["discount"], r["total"],
                             r["refunded"], r["currency"], r["user_id"]) for r in rows}
    c, o = actors.customer.id, actors.other_customer.id
    assert got == {b["b1"]: ("CONFIRMED", "2", "3500", "0", "3500", "700", "EUR", c),
                   b["b2"]: ("CONFIRMED", "2", "2000", "0", "2000", "500", "EUR", c),
                   b["b3"]: ("CANCELLED", "1", "2500", "0", "2500", "2500", "EUR", o),
                   b["b4"]: ("PENDING_PAYMENT", "1", "1000", "0", "1000", "0", "EUR", c),
                   b["b5"]: ("CONFIRMED", "2", "3500", "250", "3250", "0", "EUR", c)}
    first = rows[0]
    assert first["ordered_at_utc"] == "2026-03-01T22:30:00+00:00"
    assert first["ordered_at_local"] == "2026-03-01T23:30:00+01:00"
    assert first["payment_id"] and rows[4]["payment_id"] == ""


async def test_the_attendees_export_has_a_row_per_ticket_quoted_and_formula_safe(
        stack: Stack, actors: Actors, sold: Sold) -> None:
    response = await _get(stack, sold.show_id, "attendees", actors.organizer.token)
    rows = _rows(response)
    b = sold.bookings
    evil = f"{EVIL_ROW}1"
    got = sorted((r["booking_id"], r["seat_label"], r["category"], r["holder_user_id"])
                 for r in rows)
    c = actors.customer.id
    assert got == sorted([(b["b1"], "A1", "STANDARD", c), (b["b1"], "'" + evil, "VIP", c),
                          (b["b2"], "A2", "STANDARD", c), (b["b2"], "A3", "STANDARD", c),
                          (b["b5"], "A5", "STANDARD", c),
                          (b["b5"], "'" + f"{EVIL_ROW}4", "VIP", c)])
    # The raw bytes: the label is quoted (comma, doubled quotes) behind the guard quote.
    assert '"\'=1+2,""x""1"' in response.text
    assert response.text.startswith("booking_id,ticket_id,seat_label,category,section,"
                                    "holder_user_id\r\n")


async def _bulk_orders(db: Database, show_id: str, n: int) -> None:
    """``n`` expired bookings of one seat each, written straight to the database."""
    now = datetime.now(UTC)
    holds = [{"id": str(uuid.uuid4()), "show_id": show_id, "user_id": str(uuid.uuid4()),
              "status": "EXPIRED", "expires_at": now, "created_at": now} for _ in range(n)]
    bookings = [{"id": str(uuid.uuid4()), "user_id": h["user_id"], "show_id": show_id,
                 "hold_id": h["id"], "status": "EXPIRED", "total_amount": 1000,
                 "currency": "EUR", "created_at": now} for h in holds]
    lines = [{"booking_id": bk["id"], "seat_id": "s", "label": f"=X{i}", "price_amount": 1000}
             for i, bk in enumerate(bookings)]
    async with db.writer() as s:
        await s.execute(insert(Hold), holds)
        await s.execute(insert(Booking), bookings)
        await s.execute(insert(BookingLine), lines)
        await s.commit()


async def test_a_large_export_is_read_and_sent_a_chunk_at_a_time(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show_id, _ = await _show(stack, actors.organizer)
    await _bulk_orders(dbs["booking"], show_id, 5000)
    service = stack.services["booking"]
    async with dbs["booking"].reader() as s:
        show = await s.get(BookableShow, show_id)
    assert show is not None
    pieces = exports.orders_csv(service, show, chunk_rows=400)
    header = await anext(pieces)
    assert header.decode().count("\r\n") == 1
    first = await anext(pieces)  # only the first 400 rows have been read and written
    assert first.decode().count("\r\n") == 400
    rest = [piece async for piece in pieces]
    assert [p.decode().count("\r\n") for p in rest] == [400] * 11 + [200]
    # Over HTTP: streamed (chunked, no length given), 5,000 rows and the header.
    lines = 0
    async with httpx.AsyncClient(timeout=60) as client, client.stream(
            "GET", _url(stack, show_id, "orders"),
            headers={"authorization": f"Bearer {actors.organizer.token}"}) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        async for piece in response.aiter_bytes():
            lines += piece.count(b"\n")
    assert lines == 5001

