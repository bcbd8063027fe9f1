"""No seat is sold twice: a hundred clients fight over ten seats, the database keeps order.

Every request is a real HTTP request to the booking subgraph, all in flight at once. The
invariants are then checked in the database, not in the answers alone.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.booking.models import AVAILABLE, HELD, BookableShow, Hold, ShowSeat
from subgraphs.kernel.db import Database
from tests.flows import Actors, User, show_on_sale
from tests.harness import Stack
from tests.integration.support import HOLD_IDS, customer

CUSTOMERS = 20
HOLDS_PER_CUSTOMER = 5
SEATS = 10


@dataclass(frozen=True)
class Attempt:
    who: User
    seat_ids: list[str]


@dataclass
class Outcome:
    attempt: Attempt
    body: dict[str, Any]

    @property
    def result(self) -> dict[str, Any]:
        return self.body["data"]["holdSeats"]  # type: ignore[no-any-return]


def attempts(customers: list[User], seat_ids: list[str]) -> list[Attempt]:
    """Each customer asks several times for 1 to 3 seats; the requests overlap heavily."""
    rng = random.Random(20300101)  # the same fight every run
    return [Attempt(who, rng.sample(seat_ids, rng.randint(1, 3)))
            for who in customers for _ in range(HOLDS_PER_CUSTOMER)]


@dataclass
class Stored:
    seats: dict[str, tuple[str, str | None]]
    holds: dict[str, tuple[str, str]]  # hold id -> (status, user id)
    version: int


async def stored(db: Database, show_id: str) -> Stored:
    async with db.reader() as session:
        seats = (await session.execute(select(ShowSeat.seat_id, ShowSeat.state, ShowSeat.hold_id)
                                       .where(ShowSeat.show_id == show_id))).all()
        holds = (await session.execute(select(Hold.id, Hold.status, Hold.user_id)
                                       .where(Hold.show_id == show_id))).all()
        version = await session.scalar(select(BookableShow.version)
                                       .where(BookableShow.id == show_id))
    return Stored({s: (state, h) for s, state, h in seats},
                  {h: (status, user) for h, status, user in holds}, int(version or 0))


@dataclass
class Fight:
    version_before: int
    outcomes: list[Outcome]
    after: Stored

    @property
    def winners(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result["__typename"] == "SeatHold"]

    @property
    def losers(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result["__typename"] == "SeatsUnavailable"]


@pytest.fixture(scope="module")
async def fight(stack: Stack, actors: Actors, dbs: dict[str, Database]) -> Fight:
    """Every request of the fight, all in flight at once, and what was stored after."""
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer,
                              rows=[{"label": "A", "seats": SEATS}])
    customers = await asyncio.gather(*(customer(stack) for _ in range(CUSTOMERS)))
    plan = attempts(list(customers), [s["id"] for s in show.seats])
    before = (await stored(dbs["booking"], show.id)).version
    booking = stack.client("booking")
    bodies = await asyncio.gather(*(
        booking.run(HOLD_IDS, {"show": show.id, "seats": a.seat_ids}, a.who.token)
        for a in plan))
    outcomes = [Outcome(a, b) for a, b in zip(plan, bodies, strict=True)]
    return Fight(before, outcomes, await stored(dbs["booking"], show.id))


async def test_every_request_gets_a_hold_or_seats_unavailable_never_an_error(
        fight: Fight) -> None:
    assert len(fight.outcomes) == CUSTOMERS * HOLDS_PER_CUSTOMER
    assert [o.body for o in fight.outcomes if "errors" in o.body] == []
    assert len(fight.winners) + len(fight.losers) == len(fight.outcomes)
    assert fight.winners and fight.losers


async def test_each_winner_holds_exactly_what_it_asked_for(fight: Fight) -> None:
    db = fight.after
    for o in fight.winners:
        assert sorted(o.result["seatIds"]) == sorted(o.attempt.seat_ids)
        assert sorted(s for s, (_, h) in db.seats.items() if h == o.result["id"]) == sorted(
            o.attempt.seat_ids)
        assert db.holds[o.result["id"]] == ("ACTIVE", o.attempt.who.id)


async def test_no_seat_has_two_holders(fight: Fight) -> None:
    db = fight.after
    claimed = [s for o in fight.winners for s in o.result["seatIds"]]
    held_rows = [s for s, (state, _) in db.seats.items() if state == HELD]
    assert len(claimed) == len(set(claimed))  # the winners' seat sets are disjoint
    assert sorted(claimed) == sorted(held_rows)
    assert all(h is not None and db.holds[h][0] == "ACTIVE"
               for state, h in db.seats.values() if state == HELD)
    assert all(h is None for state, h in db.seats.values() if state == AVAILABLE)


async def test_losers_leave_no_trace(fight: Fight) -> None:
    assert sorted(fight.after.holds) == sorted(o.result["id"] for o in fight.winners)


async def test_each_loser_is_told_which_of_its_seats_are_held(fight: Fight) -> None:
    holder = {s: h for s, (state, h) in fight.after.seats.items() if state == HELD}
    for o in fight.losers:
        named = o.result["seatIds"]
        assert named, o.body
        assert [s for s in o.attempt.seat_ids if s in named] == named  # asked for, in order
        assert all(s in holder for s in named)


async def test_the_show_version_counts_the_successful_holds(fight: Fight) -> None:
    assert fight.after.version == fight.version_before + len(fight.winners)
