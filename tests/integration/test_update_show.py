"""updateShow: renaming or moving one show (of a series or not), a draft or one on sale
(booking's copy follows through ``ShowRescheduled``), the hall's no-overlap rule, the
states that cannot change, bad input that changes nothing, and who may do it."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.booking.models import BookableShow, Booking, BookingStatus, Hold, HoldStatus
from subgraphs.kernel.db import Database, utcnow
from subgraphs.kernel.events import Event, ShowRescheduled
from subgraphs.kernel.logs import request_id
from subgraphs.venue.models import TABLES, Seat, Show, ShowSeries
from tests.flows import CHECKOUT, HOLD, Actors, User
from tests.harness import Stack, eventually
from tests.integration.seating import CANCEL_SHOW, Venues, at, events
from tests.integration.support import counts, only_error, refusal
from tests.integration.test_batching import statements_of
from tests.integration.test_show_series import SERIES, create, hall_in, shows_of

UPDATE = """mutation($id: ID!, $i: UpdateShowInput!) { updateShow(id: $id, input: $i) {
  id title status startsAt endsAt } }"""
CANCEL_BOOKING = "mutation($id: ID!) { cancelBooking(bookingId: $id) { id status } }"


@pytest.fixture
def venues(stack: Stack) -> Venues:
    return Venues(stack.client("venue"))


async def update(stack: Stack, who: User | None, show_id: str,
                 **fields: Any) -> dict[str, Any]:
    return await stack.client("venue").run(UPDATE, {"id": show_id, "i": fields},
                                           who.token if who else None)


async def row(db: Database, show_id: str) -> tuple[str, str, str, str]:
    """``(title, status, starts_at, ends_at)`` of venue's show, as stored (UTC ISO)."""
    async with db.reader() as session:
        show = await session.get(Show, show_id)
    assert show is not None
    return show.title, show.status, show.starts_at.isoformat(), show.ends_at.isoformat()


async def stored(db: Database) -> dict[str, int]:
    return await counts(db, Show, ShowSeries, TABLES.outbox)


async def replica(db: Database, show_id: str) -> BookableShow | None:
    async with db.reader() as session:
        return await session.get(BookableShow, show_id)


# --- renaming and moving -----------------------------------------------------------------


async def test_renaming_one_show_of_a_series_leaves_the_others_and_the_rule(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await hall_in(venues, actors.organizer)
    series = await create(stack.client("venue"), actors.organizer, hall["id"])
    before = await shows_of(dbs["venue"], series["id"])
    edited = before[1]
    body = await update(stack, actors.organizer, edited.id, title="  The Film (Q&A)  ")
    assert body.get("errors") is None, body
    assert body["data"]["updateShow"]["title"] == "The Film (Q&A)"
    after = await shows_of(dbs["venue"], series["id"])
    assert [(s.id, s.title, s.starts_at) for s in after] == [
        (s.id, "The Film (Q&A)" if s.id == edited.id else s.title, s.starts_at)
        for s in before]
    listed = await stack.client("venue").data(SERIES, {"id": series["id"]},
                                               actors.organizer.token)
    got = listed["showSeries"]
    assert got["title"] == "The Film"  # the series' own title and rule are unchanged
    assert {n["id"]: n["title"] for n in got["shows"]["nodes"]}[edited.id] == "The Film (Q&A)"
    assert got["count"] == len(before)


async def test_moving_a_draft_keeps_its_length_and_writes_no_event(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19), endsAt=at(21))
    body = await update(stack, actors.organizer, show["id"], startsAt=at(13, offset="+02:00"))
    assert body.get("errors") is None, body
    assert (body["data"]["updateShow"]["startsAt"], body["data"]["updateShow"]["endsAt"]) == (
        at(11), at(13))
    assert await row(dbs["venue"], show["id"]) == ("Test Show", "DRAFT", at(11), at(13))
    assert await events(dbs["venue"], "ShowRescheduled", show["id"]) == []


async def test_a_move_may_take_the_time_it_had_and_end_where_another_starts(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19), endsAt=at(21))
    await venues.show(actors.organizer, hall["id"], at(22), endsAt=at(23))
    body = await update(stack, actors.organizer, show["id"], startsAt=at(20), endsAt=at(22))
    assert body.get("errors") is None, body
    assert await row(dbs["venue"], show["id"]) == ("Test Show", "DRAFT", at(20), at(22))


async def test_moving_a_show_on_sale_moves_bookings_copy_and_its_cancel_deadline(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19), endsAt=at(21))
    await venues.publish(actors.organizer, show["id"])
    await eventually(lambda: replica(dbs["booking"], show["id"]))
    async with dbs["venue"].reader() as session:
        seat = await session.scalar(select(Seat.id).where(Seat.hall_id == hall["id"]).limit(1))
    booking = stack.client("booking")
    hold = await booking.data(HOLD, {"show": show["id"], "seats": [seat]},
                              actors.customer.token)
    done = await booking.data(CHECKOUT, {"hold": hold["holdSeats"]["id"],
                                         "key": uuid.uuid4().hex}, actors.customer.token)
    booked = done["checkout"]["id"]
    # Moved to a time already past: the customer may no longer cancel (booking's rule).
    past = "2020-01-01T10:00:00+00:00"
    body = await update(stack, actors.organizer, show["id"], title="Moved", startsAt=past,
                        endsAt="2020-01-01T12:00:00+00:00")
    assert body.get("errors") is None, body
    assert body["data"]["updateShow"]["status"] == "ON_SALE"
    assert await events(dbs["venue"], "ShowRescheduled", show["id"]) == [{
        "show_id": show["id"], "starts_at": past, "ends_at": "2020-01-01T12:00:00+00:00",
        "title": "Moved", "previous_starts_at": at(19)}]

    async def moved() -> bool:
        found = await replica(dbs["booking"], show["id"])
        return found is not None and found.starts_at == datetime.fromisoformat(past)

    await eventually(moved)
    found = await replica(dbs["booking"], show["id"])
    assert found is not None and found.title == "Moved"
    # The booking is pending: its holder is not told (only confirmed bookings are).
    assert await events(dbs["booking"], "BookingRescheduled", show["id"]) == []
    refused = await booking.run(CANCEL_BOOKING, {"id": booked}, actors.customer.token)
    assert refusal(refused) == ("CONFLICT", "bookingId")
    assert "started" in only_error(refused)["message"]


async def confirmed_bookings(db: Database, show_id: str, n: int) -> list[str]:
    """``n`` confirmed bookings of the show, written straight into booking's tables (what a
    move reads of them: who, the total, the status)."""
    ids = []
    async with db.writer() as session, session.begin():
        for _ in range(n):
            hold = Hold(show_id=show_id, user_id=str(uuid.uuid4()), status=HoldStatus.BOOKED,
                        expires_at=utcnow())
            session.add(hold)
            await session.flush()
            booking = Booking(user_id=hold.user_id, show_id=show_id, hold_id=hold.id,
                              status=BookingStatus.CONFIRMED, total_amount=1000,
                              currency="EUR", payment_id=str(uuid.uuid4()))
            session.add(booking)
            await session.flush()
            ids.append(booking.id)
    return ids


async def apply_move(stack: Stack, show_id: str, starts_at: str) -> int:
    """Booking applies a move of the show (as its consumer does): the statements it took."""
    service, rid = stack.services["booking"], f"move-{uuid.uuid4().hex}"
    moved = Event(type=ShowRescheduled.type_name(), source="venue",
                  payload=ShowRescheduled(show_id=show_id, starts_at=starts_at,
                                          ends_at=starts_at).to_payload())
    token = request_id.set(rid)
    try:
        with statements_of(rid) as seen:
            async with service.uow() as uow:
                await service.spec.consumes["venue"](service, uow, moved)
                await uow.commit()
    finally:
        request_id.reset(token)
    return len(seen)


async def test_a_move_tells_every_confirmed_booking_in_statements_that_do_not_grow_with_them(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    small = await venues.show(actors.organizer, hall["id"], at(10), endsAt=at(11))
    large = await venues.show(actors.organizer, hall["id"], at(12), endsAt=at(13))
    for show in (small, large):
        await venues.publish(actors.organizer, show["id"])
        await eventually(functools.partial(replica, dbs["booking"], show["id"]))
    few = await confirmed_bookings(dbs["booking"], small["id"], 2)
    many = await confirmed_bookings(dbs["booking"], large["id"], 300)
    cost = [await apply_move(stack, small["id"], at(14)),
            await apply_move(stack, large["id"], at(16))]
    assert cost[0] == cost[1]
    for show, booked in ((small, few), (large, many)):
        told = await events(dbs["booking"], "BookingRescheduled", show["id"])
        assert sorted(t["booking_id"] for t in told) == sorted(booked)
    # The same start again (a duplicate of the move under another id): nobody is told again.
    await apply_move(stack, large["id"], at(16))
    assert len(await events(dbs["booking"], "BookingRescheduled", large["id"])) == 300


async def test_an_overlapping_move_is_a_conflict_naming_the_show_and_changes_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(10), endsAt=at(12))
    other = await venues.show(actors.organizer, hall["id"], at(19), endsAt=at(21))
    before, kept = await stored(dbs["venue"]), await row(dbs["venue"], show["id"])
    body = await update(stack, actors.organizer, show["id"], title="New",
                        startsAt=at(20), endsAt=at(22))
    assert refusal(body) == ("CONFLICT", "input.startsAt")
    assert only_error(body)["extensions"]["showId"] == other["id"]
    assert await stored(dbs["venue"]) == before
    assert await row(dbs["venue"], show["id"]) == kept


async def test_a_cancelled_show_cannot_change(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database]) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(19))
    await stack.client("venue").data(CANCEL_SHOW, {"id": show["id"]}, actors.organizer.token)
    kept = await row(dbs["venue"], show["id"])
    body = await update(stack, actors.organizer, show["id"], title="Back", startsAt=at(9))
    assert refusal(body) == ("CONFLICT", "id")
    assert await row(dbs["venue"], show["id"]) == kept


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("nothing to change", {}, "input"),
    ("empty title", {"title": "   "}, "input.title"),
    ("title too long", {"title": "x" * 201}, "input.title"),
    ("end before start", {"startsAt": at(19), "endsAt": at(18)}, "input.endsAt"),
    ("end at the start", {"startsAt": at(19), "endsAt": at(19)}, "input.endsAt"),
    ("end before the kept start", {"endsAt": at(9)}, "input.endsAt"),
    ("start without a zone", {"startsAt": "2032-03-01T19:00:00"}, "input.startsAt"),
]


@pytest.mark.parametrize(("case", "fields", "field"), BAD, ids=[c for c, _, _ in BAD])
async def test_bad_input_is_refused_and_changes_nothing(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database], case: str,
        fields: dict[str, Any], field: str) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(10))
    before, kept = await stored(dbs["venue"]), await row(dbs["venue"], show["id"])
    body = await update(stack, actors.organizer, show["id"], **fields)
    assert refusal(body) == ("BAD_USER_INPUT", field), case
    assert await stored(dbs["venue"]) == before
    assert await row(dbs["venue"], show["id"]) == kept


async def test_an_unknown_show_is_not_found(stack: Stack, actors: Actors) -> None:
    body = await update(stack, actors.organizer, str(uuid.uuid4()), title="X")
    assert refusal(body)[0] == "NOT_FOUND"


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "code"), [
    (None, "UNAUTHENTICATED"), ("customer", "FORBIDDEN"), ("other_organizer", "FORBIDDEN")])
async def test_only_the_venues_managers_and_admins_may_change_a_show(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database],
        who: str | None, code: str) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(10))
    kept = await row(dbs["venue"], show["id"])
    body = await update(stack, getattr(actors, who) if who else None, show["id"],
                        title="Taken over")
    assert refusal(body)[0] == code
    assert await row(dbs["venue"], show["id"]) == kept


@pytest.mark.parametrize("who", ["organizer", "admin"])
async def test_the_owner_and_an_admin_may_change_a_show(
        stack: Stack, venues: Venues, actors: Actors, dbs: dict[str, Database],
        who: str) -> None:
    hall = await venues.hall(actors.organizer)
    show = await venues.show(actors.organizer, hall["id"], at(10))
    body = await update(stack, getattr(actors, who), show["id"], title=f"By {who}")
    assert body.get("errors") is None, body
    assert (await row(dbs["venue"], show["id"]))[0] == f"By {who}"
