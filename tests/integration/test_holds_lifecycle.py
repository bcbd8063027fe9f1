"""A hold's life after holdSeats: released or extended by its owner, and the per-customer limit.

Every answer is checked against what the booking database stored: seats, the hold's
status and expiry, the show's version and the events in the outbox.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.booking.models import AVAILABLE, HELD, TABLES, Hold, ShowSeat
from subgraphs.kernel.db import Database
from tests.flows import (
    CHECKOUT,
    HOLD,
    SEAT_AVAILABILITY,
    Actors,
    ShowOnSale,
    User,
    seat_ids,
    show_on_sale,
)
from tests.harness import Stack, Subscription
from tests.integration.support import Deployment, lapse_hold, refusal, seat_rows, show_version

RELEASE = """mutation($h: ID!) { releaseHold(holdId: $h) { id status seatIds expiresAt } }"""
EXTEND = """mutation($h: ID!) { extendHold(holdId: $h) { __typename
  ... on SeatHold { id status expiresAt seatIds } ... on HoldExpired { code holdId } } }"""


async def held(client: Any, show: ShowOnSale, positions: list[int], who: User) -> str:
    """Hold free seats; the hold's id."""
    body = await client.run(HOLD, {"show": show.id, "seats": seat_ids(show, *positions)},
                            who.token)
    assert body["data"]["holdSeats"]["__typename"] == "SeatHold", body
    return str(body["data"]["holdSeats"]["id"])


async def stored_hold(db: Database, hold_id: str) -> Hold:
    async with db.reader() as session:
        hold = await session.get(Hold, hold_id)
    assert hold is not None
    return hold


async def seat_expiries(db: Database, hold_id: str) -> set[datetime | None]:
    async with db.reader() as session:
        return set(await session.scalars(select(ShowSeat.hold_expires_at)
                                         .where(ShowSeat.hold_id == hold_id)))


async def events(db: Database, event_type: str, hold_id: str) -> list[dict[str, Any]]:
    outbox = TABLES.outbox
    async with db.reader() as session:
        bodies = (await session.execute(select(outbox.c.body)
                                        .where(outbox.c.type == event_type))).scalars()
        payloads = [json.loads(b)["payload"] for b in bodies]
    return [p for p in payloads if p.get("hold_id") == hold_id]


def caller(actors: Actors, who: str) -> User | None:
    return None if who == "anonymous" else getattr(actors, who)


# releaseHold


async def test_releasing_frees_exactly_the_holds_seats_and_records_the_event(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [0, 1], actors.customer)
    other = await held(booking, show, [2], actors.other_customer)
    before = await show_version(dbs["booking"], show.id)
    body = await booking.data(RELEASE, {"h": mine}, actors.customer.token)
    assert body["releaseHold"]["status"] == "RELEASED"
    assert body["releaseHold"]["seatIds"] == []
    rows = await seat_rows(dbs["booking"], show.id)
    assert [rows[s] for s in seat_ids(show, 0, 1, 2)] == [
        (AVAILABLE, None), (AVAILABLE, None), (HELD, other)]
    assert (await stored_hold(dbs["booking"], mine)).status == "RELEASED"
    assert await show_version(dbs["booking"], show.id) == before + 1
    (event,) = await events(dbs["booking"], "HoldReleased", mine)
    assert event["seat_ids"] == seat_ids(show, 0, 1)


async def test_releasing_tells_watchers_which_seats_came_back(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [3, 4], actors.customer)
    async with Subscription(stack.url("booking"), SEAT_AVAILABILITY, {"show": show.id}) as live:
        snapshot = (await live.next())["data"]["seatAvailability"]
        await booking.data(RELEASE, {"h": mine}, actors.customer.token)
        delta = (await live.next())["data"]["seatAvailability"]
    assert (delta["kind"], delta["version"]) == ("DELTA", snapshot["version"] + 1)
    assert delta["seats"] == [{"seatId": s, "state": "AVAILABLE"} for s in seat_ids(show, 3, 4)]
    assert delta["availability"] == {"total": 10, "available": 10, "held": 0, "sold": 0}


@pytest.mark.parametrize(("who", "expected"), [
    ("anonymous", "UNAUTHENTICATED"), ("other_customer", "FORBIDDEN"),
    ("organizer", "FORBIDDEN")])
async def test_only_the_owner_or_an_admin_may_release(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale,
        who: str, expected: str) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [5], actors.customer)
    user = caller(actors, who)
    body = await booking.run(RELEASE, {"h": mine}, user.token if user else None)
    assert refusal(body)[0] == expected
    assert (await stored_hold(dbs["booking"], mine)).status == "ACTIVE"
    assert (await seat_rows(dbs["booking"], show.id))[seat_ids(show, 5)[0]] == (HELD, mine)


async def test_an_admin_may_release_anyones_hold(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [6], actors.customer)
    body = await booking.data(RELEASE, {"h": mine}, actors.admin.token)
    assert body["releaseHold"]["status"] == "RELEASED"
    assert (await seat_rows(dbs["booking"], show.id))[seat_ids(show, 6)[0]] == (AVAILABLE, None)


async def test_releasing_an_unknown_hold_is_not_found(stack: Stack, actors: Actors) -> None:
    body = await stack.client("booking").run(RELEASE, {"h": str(uuid.uuid4())},
                                             actors.customer.token)
    assert refusal(body) == ("NOT_FOUND", "holdId")


async def test_releasing_twice_is_a_conflict_that_changes_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [7], actors.customer)
    await booking.data(RELEASE, {"h": mine}, actors.customer.token)
    again = await held(booking, show, [7], actors.other_customer)
    before = await show_version(dbs["booking"], show.id)
    body = await booking.run(RELEASE, {"h": mine}, actors.customer.token)
    assert refusal(body) == ("CONFLICT", "holdId")
    assert body["errors"][0]["extensions"]["status"] == "RELEASED"
    assert (await seat_rows(dbs["booking"], show.id))[seat_ids(show, 7)[0]] == (HELD, again)
    assert await show_version(dbs["booking"], show.id) == before
    assert len(await events(dbs["booking"], "HoldReleased", mine)) == 1


async def test_releasing_a_checked_out_hold_is_a_conflict(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [8], actors.customer)
    await booking.data(CHECKOUT, {"hold": mine, "key": uuid.uuid4().hex}, actors.customer.token)
    body = await booking.run(RELEASE, {"h": mine}, actors.customer.token)
    assert refusal(body) == ("CONFLICT", "holdId")
    assert body["errors"][0]["extensions"]["status"] == "CHECKED_OUT"
    assert (await stored_hold(dbs["booking"], mine)).status == "CHECKED_OUT"
    assert (await seat_rows(dbs["booking"], show.id))[seat_ids(show, 8)[0]] == (HELD, mine)


# extendHold


async def test_extending_moves_the_hold_and_its_seats_expiry_forward(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [0, 1], actors.customer)
    first = await stored_hold(dbs["booking"], mine)
    before = await show_version(dbs["booking"], show.id)
    body = await booking.data(EXTEND, {"h": mine}, actors.customer.token)
    result = body["extendHold"]
    assert result["__typename"] == "SeatHold"
    extended = await stored_hold(dbs["booking"], mine)
    assert extended.expires_at > first.expires_at
    assert datetime.fromisoformat(result["expiresAt"]) == extended.expires_at
    assert await seat_expiries(dbs["booking"], mine) == {extended.expires_at}
    assert await show_version(dbs["booking"], show.id) == before + 1
    (event,) = await events(dbs["booking"], "HoldExtended", mine)
    assert datetime.fromisoformat(event["expires_at"]) == extended.expires_at


async def test_extending_never_passes_the_maximum_hold_time(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale,
        monkeypatch: pytest.MonkeyPatch) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [2], actors.customer)
    monkeypatch.setattr(stack.settings, "hold_ttl_seconds", 1000)
    monkeypatch.setattr(stack.settings, "hold_max_seconds", 900)
    await booking.data(EXTEND, {"h": mine}, actors.customer.token)
    capped = await stored_hold(dbs["booking"], mine)
    assert capped.expires_at == capped.created_at + timedelta(seconds=900)
    before = await show_version(dbs["booking"], show.id)
    again = await booking.data(EXTEND, {"h": mine}, actors.customer.token)
    assert datetime.fromisoformat(again["extendHold"]["expiresAt"]) == capped.expires_at
    assert (await stored_hold(dbs["booking"], mine)).expires_at == capped.expires_at
    assert await show_version(dbs["booking"], show.id) == before  # nothing to change, no version
    assert len(await events(dbs["booking"], "HoldExtended", mine)) == 1


@pytest.mark.parametrize(("who", "expected"), [
    ("anonymous", "UNAUTHENTICATED"), ("other_customer", "FORBIDDEN"),
    ("organizer", "FORBIDDEN")])
async def test_only_the_owner_or_an_admin_may_extend(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale,
        who: str, expected: str) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [3], actors.customer)
    first = await stored_hold(dbs["booking"], mine)
    user = caller(actors, who)
    body = await booking.run(EXTEND, {"h": mine}, user.token if user else None)
    assert refusal(body)[0] == expected
    assert (await stored_hold(dbs["booking"], mine)).expires_at == first.expires_at


async def test_an_admin_may_extend_anyones_hold(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [4], actors.customer)
    first = await stored_hold(dbs["booking"], mine)
    body = await booking.data(EXTEND, {"h": mine}, actors.admin.token)
    assert body["extendHold"]["__typename"] == "SeatHold"
    assert (await stored_hold(dbs["booking"], mine)).expires_at > first.expires_at


async def test_extending_an_unknown_hold_is_not_found(stack: Stack, actors: Actors) -> None:
    body = await stack.client("booking").run(EXTEND, {"h": str(uuid.uuid4())},
                                             actors.customer.token)
    assert refusal(body) == ("NOT_FOUND", "holdId")


async def test_extending_a_released_hold_is_a_conflict(
        stack: Stack, actors: Actors, dbs: dict[str, Database], show: ShowOnSale) -> None:
    booking = stack.client("booking")
    mine = await held(booking, show, [5], actors.customer)
    await booking.data(RELEASE, {"h": mine}, actors.customer.token)
    body = await booking.run(EXTEND, {"h": mine}, actors.customer.token)
    assert refusal(body) == ("CONFLICT", "holdId")
    assert (await stored_hold(dbs["booking"], mine)).status == "RELEASED"


async def test_a_lapsed_hold_is_hold_expired_and_cannot_be_released(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    booking = dep.stack.client("booking")
    show = await show_on_sale(dep.stack.client("venue"), booking, dep.actors.organizer)
    mine = await held(booking, show, [0], dep.actors.customer)
    await lapse_hold(dep.dbs["booking"], mine)
    first = await stored_hold(dep.dbs["booking"], mine)
    body = await booking.data(EXTEND, {"h": mine}, dep.actors.customer.token)
    assert body["extendHold"] == {"__typename": "HoldExpired", "code": "HOLD_EXPIRED",
                                  "holdId": mine}
    refused = await booking.run(RELEASE, {"h": mine}, dep.actors.customer.token)
    assert refusal(refused) == ("CONFLICT", "holdId")
    assert refused["errors"][0]["extensions"]["status"] == "EXPIRED"
    after = await stored_hold(dep.dbs["booking"], mine)
    assert (after.status, after.expires_at) == ("ACTIVE", first.expires_at)  # not swept yet
    assert await seat_expiries(dep.dbs["booking"], mine) == {first.expires_at}


# the per-customer limit


async def test_a_customer_may_hold_and_book_at_most_the_limit_for_one_show(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    limit = stack.settings.max_seats_per_customer
    booking = stack.client("booking")
    show = await show_on_sale(stack.client("venue"), booking, actors.organizer,
                              rows=[{"label": "A", "seats": limit + 5}])
    first = await held(booking, show, list(range(4)), actors.customer)
    await booking.data(CHECKOUT, {"hold": first, "key": uuid.uuid4().hex}, actors.customer.token)
    await held(booking, show, list(range(4, 7)), actors.customer)
    await held(booking, show, list(range(7, limit)), actors.customer)  # exactly the limit
    before = await show_version(dbs["booking"], show.id)
    body = await booking.run(HOLD, {"show": show.id, "seats": seat_ids(show, limit)},
                             actors.customer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "seatIds")
    assert body["errors"][0]["extensions"]["limit"] == limit
    assert (await seat_rows(dbs["booking"], show.id))[seat_ids(show, limit)[0]] == (
        AVAILABLE, None)
    assert await show_version(dbs["booking"], show.id) == before
    # Another customer is not affected, and a released hold gives the places back.
    await held(booking, show, [limit], actors.other_customer)
    async with dbs["booking"].reader() as session:
        second = await session.scalar(select(Hold.id).where(
            Hold.show_id == show.id, Hold.user_id == actors.customer.id,
            Hold.status == "ACTIVE").order_by(Hold.created_at).limit(1))
    await booking.data(RELEASE, {"h": second}, actors.customer.token)
    await held(booking, show, [limit + 1], actors.customer)
