"""A fare class's quota never oversells a leg: forty customers race for SAVER seats on
overlapping segments of a train, every request in flight at once (real HTTP requests to
the booking subgraph). Afterwards the database is checked: on every leg the SAVER seats
held or sold are at most the quota, and each leg's counter equals those rows. Then every
winning hold is released twice at once, and every counter is back to zero: a hold gives
its seats back exactly once (invariant 15)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from subgraphs.booking.models import HELD, SOLD, FareQuota, HoldFare, ShowSeat
from subgraphs.kernel.db import Database
from tests.flows import Actors, User
from tests.harness import Stack
from tests.integration.support import customer
from tests.integration.test_fares import HOLD, RELEASE, FaredShow, fared_show

CUSTOMERS = 40
HOLDS_PER_CUSTOMER = 2
QUOTA = 5
SEGMENTS = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


@dataclass(frozen=True)
class Attempt:
    who: User
    seat_ids: list[str]
    segment: tuple[int, int]


@dataclass
class Race:
    show: FaredShow
    answers: list[tuple[Attempt, dict[str, Any]]]
    used: dict[int, int]  # leg -> the counter
    rows: dict[int, int]  # leg -> SAVER seat rows held or sold


async def saver_state(db: Database, show: str) -> tuple[dict[int, int], dict[int, int]]:
    async with db.reader() as session:
        used = dict((await session.execute(
            select(FareQuota.leg, FareQuota.used).where(FareQuota.show_id == show,
                                                        FareQuota.fare_class == "SAVER"))).all())
        rows = dict((await session.execute(
            select(ShowSeat.leg, func.count())
            .join(HoldFare, HoldFare.hold_id == ShowSeat.hold_id)
            .where(ShowSeat.show_id == show, ShowSeat.state.in_([HELD, SOLD]),
                   HoldFare.fare_class == "SAVER")
            .group_by(ShowSeat.leg))).all())
    return used, rows


@pytest.fixture(scope="module")
async def race(stack: Stack, actors: Actors, dbs: dict[str, Database]) -> Race:
    show = await fared_show(stack, actors.organizer,
                            fareClasses=[{"name": "SAVER", "percent": 60, "quota": QUOTA}])
    seats = show.first + show.second
    customers = await asyncio.gather(*(customer(stack) for _ in range(CUSTOMERS)))
    rng = random.Random(20311101)  # the same race every run
    plan = [Attempt(who, rng.sample(seats, rng.randint(1, 2)), rng.choice(SEGMENTS))
            for who in customers for _ in range(HOLDS_PER_CUSTOMER)]
    booking = stack.client("booking")
    bodies = await asyncio.gather(*(
        booking.run(HOLD, {"show": show.id, "seats": a.seat_ids, "fc": "SAVER",
                           "segment": {"from": a.segment[0], "to": a.segment[1]}},
                    a.who.token)
        for a in plan))
    used, rows = await saver_state(dbs["booking"], show.id)
    return Race(show, list(zip(plan, bodies, strict=True)), used, rows)


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        [error] = body["errors"]
        ext = error.get("extensions") or {}
        return f"{ext.get('code')}:{ext.get('field')}"
    return str(body["data"]["holdSeats"]["__typename"])


async def test_every_request_is_held_unavailable_or_told_the_class_is_sold_out(
        race: Race) -> None:
    seen = {outcome(body) for _, body in race.answers}
    assert seen <= {"SeatHold", "SeatsUnavailable", "CONFLICT:fareClass"}, seen
    assert "CONFLICT:fareClass" in seen  # the quota, not the seats, stopped someone
    assert "SeatHold" in seen


async def test_no_leg_has_more_saver_seats_than_the_quota(race: Race) -> None:
    assert set(race.used) == {0, 1, 2}
    for leg in range(3):
        assert race.rows.get(leg, 0) <= QUOTA, race.rows
    assert QUOTA in race.rows.values()  # some leg was sold out


async def test_each_counter_equals_the_saver_rows_of_its_leg(race: Race) -> None:
    assert race.used == {leg: race.rows.get(leg, 0) for leg in range(3)}


async def test_the_winners_hold_what_they_asked_for_at_the_saver_price(race: Race) -> None:
    for attempt, body in race.answers:
        if outcome(body) == "SeatHold":
            held = body["data"]["holdSeats"]
            assert held["fareClass"] == "SAVER"
            assert sorted(x["seatId"] for x in held["lines"]) == sorted(attempt.seat_ids)
            prices = {9000: 5400, 1000: 600}  # 60 % of the category's price tier
            assert all(x["unitPrice"]["amount"] in prices.values() for x in held["lines"])


async def test_releasing_every_hold_twice_at_once_gives_the_quota_back_once(
        race: Race, stack: Stack, dbs: dict[str, Database]) -> None:
    winners = [(a.who, body["data"]["holdSeats"]["id"]) for a, body in race.answers
               if outcome(body) == "SeatHold"]
    booking = stack.client("booking")
    bodies = await asyncio.gather(*(booking.run(RELEASE, {"h": hold}, who.token)
                                    for who, hold in winners + winners))
    released = [b for b in bodies if not b.get("errors")]
    assert len(released) == len(winners)
    used, rows = await saver_state(dbs["booking"], race.show.id)
    assert used == {0: 0, 1: 0, 2: 0}
    assert rows == {}
