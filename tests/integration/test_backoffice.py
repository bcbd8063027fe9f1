"""The organizer's back office (subgraphs/booking/backoffice.py): searching the bookings of
one's shows page by page, and one booking's history.

One show of the organizer's gets a known set of bookings — paid, awaiting payment, paid
then cancelled (refunded), one let in at the door — with order times set to known
instants; another organizer's show gets one booking. Every filter is checked against the
set, then paging while new bookings keep arriving, bad input, who may search, and the
history of each booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from subgraphs.booking.models import (
    Booking,
    BookingHistoryEntry,
    CheckIn,
    Hold,
    RefundRecord,
)
from subgraphs.booking.service import release_expired
from subgraphs.kernel.db import Database, utcnow
from tests.flows import Actors, ShowOnSale, User, seat_id, show_on_sale
from tests.harness import Stack, eventually
from tests.integration.support import only_error
from tests.payments import CANCEL_BOOKING, pay, pending_booking, wait_booking

SEARCH = """query($f: BookingSearch, $first: Int, $after: String) {
  organizerBookings(filter: $f, first: $first, after: $after) {
    edges { cursor node { id status createdAt lines { label } } }
    pageInfo { hasNextPage endCursor } } }"""
HISTORY_FIELDS = "history { kind at amount { amount currency } ticketId seat gate }"
HISTORY = "query($id: ID!) { booking(id: $id) { id " + HISTORY_FIELDS + " } }"
SEARCH_HISTORY = """query($f: BookingSearch) { organizerBookings(filter: $f) {
  edges { node { id """ + HISTORY_FIELDS + " } } } }"


@dataclass
class Known:
    show: ShowOnSale
    other_show: ShowOnSale
    bookings: dict[str, str]  # paid, pending, cancelled, other -> booking id


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def _paid(stack: Stack, who: User, show_id: str, seats: list[str]) -> str:
    booking = await pending_booking(stack.client("booking"), who, show_id, seats)
    await pay(stack.client("payment"), who, booking["id"])
    await wait_booking(stack.client("booking"), who, booking["id"], "CONFIRMED")
    return str(booking["id"])


@pytest.fixture(scope="module")
async def known(stack: Stack, actors: Actors, dbs: dict[str, Database]) -> Known:
    a = actors
    venue, booking = stack.client("venue"), stack.client("booking")
    show = await show_on_sale(venue, booking, a.organizer)
    other_show = await show_on_sale(venue, booking, a.other_organizer)
    paid = await _paid(stack, a.customer, show.id, [seat_id(show, 0), seat_id(show, 1)])
    pending = (await pending_booking(booking, a.other_customer, show.id,
                                     [seat_id(show, 2)]))["id"]
    cancelled = await _paid(stack, a.other_customer, show.id, [seat_id(show, 3)])
    await booking.data(CANCEL_BOOKING, {"id": cancelled}, a.other_customer.token)
    other = (await pending_booking(booking, a.customer, other_show.id,
                                   [seat_id(other_show, 0)]))["id"]
    db = dbs["booking"]

    async def refunded() -> bool:
        async with db.reader() as s:
            return await s.scalar(select(func.count()).select_from(RefundRecord).where(
                RefundRecord.booking_id == cancelled)) == 1

    await eventually(refunded, 30)
    times = {paid: "2026-03-01T10:00:00+00:00", pending: "2026-03-02T10:00:00+00:00",
             cancelled: "2026-03-03T10:00:00+00:00", other: "2026-03-02T12:00:00+00:00"}
    async with db.writer() as s:
        for booking_id, at in times.items():
            await s.execute(update(Booking).where(Booking.id == booking_id)
                            .values(created_at=_at(at)))
            hold_id = select(Booking.hold_id).where(Booking.id == booking_id).scalar_subquery()
            await s.execute(update(Hold).where(Hold.id == hold_id)
                            .values(created_at=_at(at.replace("10:00:00", "09:58:00")
                                                   .replace("12:00:00", "11:58:00"))))
        # The paid booking's first seat let in at the door (the check-in rules and their
        # tests are checkins.py's): what the history reads of it.
        s.add(CheckIn(ticket_id=f"{paid}:{seat_id(show, 0)}", show_id=show.id,
                      booking_id=paid, seat="A1", gate="north",
                      at=_at("2030-01-01T18:30:00+00:00"), scanned_by=a.organizer.id))
        await s.commit()
    return Known(show, other_show, {"paid": paid, "pending": pending, "cancelled": cancelled,
                                    "other": other})


async def _search(stack: Stack, who: User | None, search: dict[str, Any] | None = None,
                  first: int | None = None, after: str | None = None) -> dict[str, Any]:
    variables: dict[str, Any] = {"f": search}
    if first is not None:
        variables["first"] = first
    if after is not None:
        variables["after"] = after
    return await stack.client("booking").run(SEARCH, variables,
                                              who.token if who else None)


async def _ids(stack: Stack, who: User, search: dict[str, Any]) -> list[str]:
    body = await _search(stack, who, search, first=100)
    assert not body.get("errors"), body
    return [e["node"]["id"] for e in body["data"]["organizerBookings"]["edges"]]


async def test_each_filter_finds_exactly_the_bookings_it_names(
        stack: Stack, actors: Actors, known: Known) -> None:
    a, b, show = actors, known.bookings, known.show
    mine = {"showId": show.id}
    assert await _ids(stack, a.organizer, mine) == [b["cancelled"], b["pending"], b["paid"]]
    assert await _ids(stack, a.organizer, {"venueId": show.venue_id}) == [
        b["cancelled"], b["pending"], b["paid"]]
    assert await _ids(stack, a.organizer, {**mine, "status": "CONFIRMED"}) == [b["paid"]]
    assert await _ids(stack, a.organizer, {**mine, "status": "CANCELLED"}) == [b["cancelled"]]
    assert await _ids(stack, a.organizer, {**mine, "customerId": a.other_customer.id}) == [
        b["cancelled"], b["pending"]]
    assert await _ids(stack, a.organizer, {**mine, "seat": "A2"}) == [b["paid"]]
    assert await _ids(stack, a.organizer, {**mine, "seat": "a2"}) == []  # exact
    assert await _ids(stack, a.organizer, {
        **mine, "createdFrom": "2026-03-02T10:00:00+00:00",
        "createdTo": "2026-03-03T10:00:00+00:00"}) == [b["pending"]]  # from in, to out
    # Filters together: all must match.
    assert await _ids(stack, a.organizer, {**mine, "customerId": a.other_customer.id,
                                           "status": "PENDING_PAYMENT"}) == [b["pending"]]


async def test_organizers_see_their_own_shows_bookings_and_admins_everyones(
        stack: Stack, actors: Actors, known: Known) -> None:
    a, b = actors, known.bookings
    # Without a filter: the organizer's shows only (the other show's booking is not there).
    everything = await _ids(stack, a.organizer, {})
    assert b["other"] not in everything
    assert {b["paid"], b["pending"], b["cancelled"]} <= set(everything)
    assert await _ids(stack, a.other_organizer, {"showId": known.show.id}) == []
    assert await _ids(stack, a.other_organizer, {"showId": known.other_show.id}) == [b["other"]]
    assert await _ids(stack, a.organizer, {"showId": known.other_show.id}) == []
    assert await _ids(stack, a.admin, {"showId": known.show.id}) == [
        b["cancelled"], b["pending"], b["paid"]]
    assert await _ids(stack, a.admin, {"showId": known.other_show.id}) == [b["other"]]


async def test_customers_and_anonymous_callers_may_not_search(
        stack: Stack, actors: Actors, known: Known) -> None:
    anonymous = only_error(await _search(stack, None, {"showId": known.show.id}))
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
    for who in (actors.customer, actors.other_customer):
        body = await _search(stack, who, {"showId": known.show.id})
        assert only_error(body)["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(("search", "first", "after", "field"), [
    ({}, 0, None, "first"),
    ({}, 101, None, "first"),
    ({}, -1, None, "first"),
    ({}, 5, "not-a-cursor", "after"),
    ({}, 5, "WyJ4IiwgInkiXQ", "after"),  # base64 of ["x", "y"]
    ({"showId": "not-an-id"}, 5, None, "filter.showId"),
    ({"customerId": "x"}, 5, None, "filter.customerId"),
    ({"createdFrom": "2026-03-02T00:00:00+00:00", "createdTo": "2026-03-01T00:00:00+00:00"},
     5, None, "filter.createdTo"),
    ({"seat": "  "}, 5, None, "filter.seat"),
])
async def test_bad_input_is_refused_with_the_field_named(
        stack: Stack, actors: Actors, known: Known, search: dict[str, Any], first: int,
        after: str | None, field: str) -> None:
    error = only_error(await _search(stack, actors.organizer, search, first, after))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field


async def test_pages_miss_nothing_and_repeat_nothing_while_bookings_arrive(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    a = actors
    booking = stack.client("booking")
    show = await show_on_sale(booking=booking, venue=stack.client("venue"),
                              organizer=a.organizer)
    made = []
    for n in range(6):
        who = a.customer if n % 2 else a.other_customer
        made.append((await pending_booking(booking, who, show.id, [seat_id(show, n)]))["id"])
    # Four of them ordered at the same instant: the id breaks the tie.
    async with dbs["booking"].writer() as s:
        await s.execute(update(Booking).where(Booking.id.in_(made[1:5]))
                        .values(created_at=_at("2026-04-01T12:00:00+00:00")))
        await s.commit()
    expected = await _ids(stack, a.organizer, {"showId": show.id})
    assert sorted(expected) == sorted(made)
    seen: list[str] = []
    after = None
    arrived = []
    for page_number in range(10):
        body = await _search(stack, a.organizer, {"showId": show.id}, first=2, after=after)
        assert not body.get("errors"), body
        page = body["data"]["organizerBookings"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        # A new booking between pages: it is newer than every page, never in a later one.
        arrived.append((await pending_booking(booking, a.customer, show.id,
                                              [seat_id(show, 6 + page_number)]))["id"])
    assert seen == expected  # the same order, no duplicate, none missed
    assert arrived and not set(arrived) & set(seen)
    # Asked again from the start, the newcomers come first.
    assert await _ids(stack, a.organizer, {"showId": show.id}) == arrived[::-1] + expected
    # An empty page past the end.
    last = await _search(stack, a.organizer, {"showId": show.id}, first=100, after=after)
    tail = last["data"]["organizerBookings"]
    assert tail["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["id"] for e in tail["edges"]] == seen[-len(tail["edges"]):]


async def _history(stack: Stack, who: User, booking_id: str) -> list[dict[str, Any]]:
    body = await stack.client("booking").data(HISTORY, {"id": booking_id}, who.token)
    return list(body["booking"]["history"])


async def test_the_history_names_each_step_in_order(
        stack: Stack, actors: Actors, known: Known, dbs: dict[str, Database]) -> None:
    a, b = actors, known.bookings
    paid = await _history(stack, a.customer, b["paid"])
    assert [e["kind"] for e in paid] == ["HELD", "CHECKED_OUT", "CONFIRMED", "CHECKED_IN"]
    assert [e["at"] for e in paid] == sorted(e["at"] for e in paid)
    assert paid[0]["at"] == "2026-03-01T09:58:00+00:00"
    assert paid[1]["at"] == "2026-03-01T10:00:00+00:00"
    assert paid[2]["amount"] == {"amount": 2000, "currency": "EUR"}
    assert paid[3] == {
        "kind": "CHECKED_IN", "at": "2030-01-01T18:30:00+00:00", "amount": None,
        "ticketId": f"{b['paid']}:{seat_id(known.show, 0)}", "seat": "A1", "gate": "north"}
    cancelled = [e["kind"] for e in await _history(stack, a.other_customer, b["cancelled"])]
    assert cancelled == ["HELD", "CHECKED_OUT", "CONFIRMED", "CANCELLED", "REFUNDED"]
    refund = (await _history(stack, a.other_customer, b["cancelled"]))[-1]
    assert refund["amount"] == {"amount": 1000, "currency": "EUR"}
    pending = [e["kind"] for e in await _history(stack, a.other_customer, b["pending"])]
    assert pending == ["HELD", "CHECKED_OUT"]
    # The confirmation and cancellation rows were written by the transactions themselves.
    async with dbs["booking"].reader() as s:
        kinds = (await s.scalars(select(BookingHistoryEntry.kind).where(
            BookingHistoryEntry.booking_id == b["cancelled"])
            .order_by(BookingHistoryEntry.at))).all()
    assert kinds == ["CONFIRMED", "CANCELLED"]


async def test_the_organizer_reads_the_history_through_the_search_others_may_not(
        stack: Stack, actors: Actors, known: Known) -> None:
    a, b = actors, known.bookings
    found = await stack.client("booking").data(
        SEARCH_HISTORY, {"f": {"showId": known.show.id, "status": "CANCELLED"}},
        a.organizer.token)
    [edge] = found["organizerBookings"]["edges"]
    assert edge["node"]["id"] == b["cancelled"]
    assert [e["kind"] for e in edge["node"]["history"]] == [
        "HELD", "CHECKED_OUT", "CONFIRMED", "CANCELLED", "REFUNDED"]
    assert await _history(stack, a.admin, b["cancelled"]) == edge["node"]["history"]
    # Another customer, another organizer: the booking (and so its history) is refused.
    for who in (a.customer, a.other_organizer):
        body = await stack.client("booking").run(HISTORY, {"id": b["cancelled"]}, who.token)
        assert only_error(body)["extensions"]["code"] == "FORBIDDEN"
    anonymous = await stack.client("booking").run(HISTORY, {"id": b["cancelled"]})
    assert only_error(anonymous)["extensions"]["code"] == "UNAUTHENTICATED"
    # Reached as an entity (as the router would), the history keeps its own rule.
    entity = ("query($r: [_Any!]!) { _entities(representations: $r) { ... on Booking { "
              + HISTORY_FIELDS + " } } }")
    for who in (a.other_organizer, a.customer):
        body = await stack.client("booking").run(
            entity, {"r": [{"__typename": "Booking", "id": b["cancelled"]}]}, who.token)
        assert only_error(body)["extensions"]["code"] == "FORBIDDEN"



async def test_an_expired_booking_says_when_it_expired(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer)
    booking = await pending_booking(stack.client("booking"), actors.customer, show.id,
                                    [seat_id(show, 0)])
    # Sweep this customer's holds of this show as of a moment after they lapse.
    later = utcnow() + timedelta(hours=2)
    assert await release_expired(stack.services["booking"], now=later, show_id=show.id,
                                 user_id=actors.customer.id) == 1
    history = await _history(stack, actors.customer, booking["id"])
    assert [e["kind"] for e in history] == ["HELD", "CHECKED_OUT", "EXPIRED"]
    async with dbs["booking"].reader() as s:
        assert (await s.get(Booking, booking["id"])).status == "EXPIRED"  # type: ignore[union-attr]
