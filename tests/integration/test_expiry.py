"""Holds expire: a lapsed hold never blocks a seat, and the sweeper settles what it left.

These tests run on their own deployment whose sweeper only runs when a test calls it
(``release_expired``), and a hold lapses when a test moves its expiry into the past
(``lapse_hold``): "lapsed" and "before the sweep" are states the test sets, not races
it hopes to win against a clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from subgraphs.booking.models import AVAILABLE, HELD, Booking
from subgraphs.booking.service import release_expired
from subgraphs.payment.models import Payment
from tests.flows import (
    AVAILABILITY,
    CHECKOUT,
    HOLD,
    SEAT_AVAILABILITY,
    ShowOnSale,
    User,
    seat_ids,
    show_on_sale,
)
from tests.harness import Subscription, eventually
from tests.integration.support import Deployment, hold_status, lapse_hold, seat_rows

SEAT_STATES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { seatStates { seatId state } } } }"""


@dataclass
class HeldSeats:
    id: str
    seat_ids: list[str]
    expires_at: datetime


async def hold(dep: Deployment, show: ShowOnSale, positions: list[int], who: User) -> HeldSeats:
    """Hold free seats; the hold as the API described it."""
    wanted = seat_ids(show, *positions)
    body = await dep.stack.client("booking").data(HOLD, {"show": show.id, "seats": wanted},
                                                  who.token)
    result = body["holdSeats"]
    assert result["__typename"] == "SeatHold", result
    return HeldSeats(result["id"], wanted, datetime.fromisoformat(result["expiresAt"]))


async def lapsed(dep: Deployment, hold: HeldSeats) -> None:
    """Make the hold lapse now (its expiry moves into the past in booking's database)."""
    hold.expires_at = await lapse_hold(dep.dbs["booking"], hold.id)


async def fresh_show(dep: Deployment) -> ShowOnSale:
    return await show_on_sale(dep.stack.client("venue"), dep.stack.client("booking"),
                              dep.actors.organizer)


async def test_a_lapsed_hold_counts_as_available_before_the_sweep(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    show = await fresh_show(dep)
    first = await hold(dep, show, [0, 1], dep.actors.customer)
    await lapsed(dep, first)
    booking = dep.stack.client("booking")
    counts = await booking.data(AVAILABILITY, {"r": [{"__typename": "Show", "id": show.id}]})
    states = await booking.data(SEAT_STATES, {"r": [{"__typename": "Show", "id": show.id}]})
    assert counts["_entities"][0]["availability"] == {"total": 10, "available": 10, "held": 0,
                                                      "sold": 0}
    assert {s["state"] for s in states["_entities"][0]["seatStates"]} == {"AVAILABLE"}
    rows = await seat_rows(dep.dbs["booking"], show.id)
    assert [rows[s] for s in first.seat_ids] == [(HELD, first.id)] * 2  # not swept yet


async def test_a_lapsed_hold_never_blocks_its_seats_before_the_sweep(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    show = await fresh_show(dep)
    first = await hold(dep, show, [0, 1], dep.actors.customer)
    await lapsed(dep, first)
    second = await hold(dep, show, [1, 2], dep.actors.other_customer)
    rows = await seat_rows(dep.dbs["booking"], show.id)
    assert [rows[s] for s in second.seat_ids] == [(HELD, second.id)] * 2
    assert await hold_status(dep.dbs["booking"], first.id) == "ACTIVE"  # the sweeper never ran


async def test_the_sweep_releases_a_lapsed_hold_and_tells_watchers(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    show = await fresh_show(dep)
    first = await hold(dep, show, [3, 4], dep.actors.customer)
    await lapsed(dep, first)
    async with Subscription(dep.stack.url("booking"), SEAT_AVAILABILITY,
                            {"show": show.id}) as live:
        snapshot = (await live.next())["data"]["seatAvailability"]
        await release_expired(dep.services["booking"])
        delta = (await live.next())["data"]["seatAvailability"]
    rows = await seat_rows(dep.dbs["booking"], show.id)
    assert [rows[s] for s in first.seat_ids] == [(AVAILABLE, None)] * 2
    assert await hold_status(dep.dbs["booking"], first.id) == "EXPIRED"
    assert (delta["kind"], delta["version"]) == ("DELTA", snapshot["version"] + 1)
    assert delta["seats"] == [{"seatId": s, "state": "AVAILABLE"} for s in first.seat_ids]


async def test_the_sweep_leaves_alone_a_seat_taken_again_since(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    show = await fresh_show(dep)
    first = await hold(dep, show, [5, 6], dep.actors.customer)
    await lapsed(dep, first)
    second = await hold(dep, show, [6], dep.actors.other_customer)
    # Sweep as of a moment after the first hold lapsed and before the second one does.
    await release_expired(dep.services["booking"], now=second.expires_at - timedelta(seconds=0.5))
    rows = await seat_rows(dep.dbs["booking"], show.id)
    assert rows[first.seat_ids[0]] == (AVAILABLE, None)
    assert rows[second.seat_ids[0]] == (HELD, second.id)
    assert (await hold_status(dep.dbs["booking"], first.id),
            await hold_status(dep.dbs["booking"], second.id)) == ("EXPIRED", "ACTIVE")


async def test_checking_out_a_lapsed_hold_is_hold_expired_and_books_nothing(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    show = await fresh_show(dep)
    first = await hold(dep, show, [9], dep.actors.customer)
    await lapsed(dep, first)
    body = await dep.stack.client("booking").data(
        CHECKOUT, {"hold": first.id, "key": uuid.uuid4().hex}, dep.actors.customer.token)
    assert body["checkout"] == {"__typename": "HoldExpired", "code": "HOLD_EXPIRED",
                                "holdId": first.id}
    async with dep.dbs["booking"].reader() as session:
        assert await session.scalar(select(Booking.id).where(Booking.hold_id == first.id)) is None


async def stored(dep: Deployment, model: Any, column: Any, key: str) -> Any:
    """The status column of the row of ``model`` whose ``column`` equals ``key``."""
    db = dep.dbs["payment" if model is Payment else "booking"]
    async with db.reader() as session:
        return await session.scalar(select(model.status).where(column == key))


async def test_the_sweep_expires_a_lapsed_booking_and_cancels_its_payment(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    show = await fresh_show(dep)
    held = await hold(dep, show, [7, 8], dep.actors.customer)
    body = await dep.stack.client("booking").data(
        CHECKOUT, {"hold": held.id, "key": uuid.uuid4().hex}, dep.actors.customer.token)
    booking_id = body["checkout"]["id"]
    await eventually(lambda: stored(dep, Payment, Payment.booking_id, booking_id))
    assert await stored(dep, Payment, Payment.booking_id, booking_id) == "REQUIRES_PAYMENT"

    await release_expired(dep.services["booking"], now=held.expires_at + timedelta(seconds=1))

    assert await stored(dep, Booking, Booking.id, booking_id) == "EXPIRED"
    assert await hold_status(dep.dbs["booking"], held.id) == "EXPIRED"
    rows = await seat_rows(dep.dbs["booking"], show.id)
    assert [rows[s] for s in held.seat_ids] == [(AVAILABLE, None)] * 2

    async def payment_cancelled() -> bool:
        return await stored(dep, Payment, Payment.booking_id, booking_id) == "CANCELLED"

    await eventually(payment_cancelled)
