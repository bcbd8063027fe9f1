"""A crowd: two hundred customers at once for a hundred seats, and for a hundred places.

Each customer is a registered user of its own, and sends one request: all two hundred are
real HTTP requests to the booking subgraph, in flight at once. What booking answered is then
held against what its database stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from subgraphs.booking.models import (
    AVAILABLE,
    HELD,
    AdmissionSection,
    Hold,
    ShowSeat,
)
from subgraphs.kernel.db import Database
from tests.flows import AVAILABILITY, PASSWORD, Actors, User, show_on_sale
from tests.harness import GraphQL, Stack, eventually
from tests.integration.seating import Venues, at, small_map
from tests.integration.support import HOLD_IDS, REGISTER, show_version, stored_lines

CROWD = 200
ROWS, SEATS_PER_ROW = 10, 10  # a hundred numbered seats
CAPACITY = 100  # a hundred standing places
SEATS_ASKED = (1, 4)  # each customer asks for 1 to 4 seats...
PLACES_ASKED = (1, 2)  # ... or for 1 or 2 standing places

HOLD_GA = """mutation($show: ID!, $section: ID!, $n: Int!) {
  holdGeneralAdmission(showId: $show, sectionId: $section, quantity: $n) {
    __typename
    ... on SeatHold { id seatIds generalAdmission { sectionId quantity } }
    ... on SoldOut { code available } } }"""
SHOW_AVAILABILITY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Show {
  availability { total available held sold
    generalAdmission { sectionId capacity available held sold } } } } }"""


@dataclass
class Customer:
    """One member of the crowd: a user with a connection and a client address of its own."""

    user: User
    address: str
    http: httpx.AsyncClient

    async def run(self, url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(url, json={"query": query, "variables": variables},
                                        headers={"x-forwarded-for": self.address,
                                                 "authorization": f"Bearer {self.user.token}"})
        return response.json()  # type: ignore[no-any-return]


async def sign_up(stack: Stack, http: httpx.AsyncClient, n: int) -> Customer:
    # Register is limited per client address (10 a minute by default): every customer of
    # the crowd comes from an address of its own, which no other test uses.
    address = f"2001:db8:c0d::{n + 1:x}"
    email = f"crowd-{uuid.uuid4().hex[:10]}@example.com"
    response = await http.post(stack.url("auth"), headers={"x-forwarded-for": address}, json={
        "query": REGISTER,
        "variables": {"i": {"email": email, "password": PASSWORD, "name": f"Crowd {n}"}}})
    body = response.json()
    assert "errors" not in body, body
    registered = body["data"]["register"]
    user = User(registered["user"]["id"], email, registered["accessToken"])
    return Customer(user, address, http)


@pytest.fixture(scope="module")
async def crowd(stack: Stack) -> AsyncIterator[list[Customer]]:
    """Two hundred distinct customers, registered concurrently."""
    # A client each, a new connection for each request (none kept alive for the server to
    # close under it). One TLS context for all: building one per client costs more CPU
    # than the requests themselves, and none is used over plain HTTP.
    tls = ssl.create_default_context()
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with contextlib.AsyncExitStack() as clients:
        https = [await clients.enter_async_context(
                     httpx.AsyncClient(timeout=60, verify=tls, limits=fresh))
                 for _ in range(CROWD)]
        customers = await asyncio.gather(*(sign_up(stack, http, n)
                                           for n, http in enumerate(https)))
        assert len({c.user.id for c in customers}) == CROWD
        yield list(customers)


# A hundred seats


@dataclass(frozen=True)
class SeatRow:
    seat_id: str
    leg: int  # 0 for every seat of a show without stops
    state: str
    hold_id: str | None


@dataclass
class SeatFight:
    asked: list[tuple[Customer, list[str]]]
    bodies: list[dict[str, Any]]
    seat_ids: list[str]
    rows: list[SeatRow]
    holds: dict[str, tuple[str, str]]  # hold id -> (status, user id)
    version_before: int
    version_after: int
    availability: dict[str, Any]

    @property
    def results(self) -> list[tuple[Customer, list[str], dict[str, Any]]]:
        return [(who, seats, body["data"]["holdSeats"])
                for (who, seats), body in zip(self.asked, self.bodies, strict=True)]

    @property
    def winners(self) -> list[tuple[Customer, list[str], dict[str, Any]]]:
        return [r for r in self.results if r[2]["__typename"] == "SeatHold"]

    @property
    def losers(self) -> list[tuple[Customer, list[str], dict[str, Any]]]:
        return [r for r in self.results if r[2]["__typename"] == "SeatsUnavailable"]


async def seat_rows(db: Database, show_id: str) -> list[SeatRow]:
    """Every stored row of a show's seats: one per seat and leg."""
    async with db.reader() as session:
        rows = (await session.execute(
            select(ShowSeat.seat_id, ShowSeat.leg, ShowSeat.state, ShowSeat.hold_id)
            .where(ShowSeat.show_id == show_id))).all()
    return [SeatRow(seat, leg, state, hold) for seat, leg, state, hold in rows]


async def show_holds(db: Database, show_id: str) -> dict[str, tuple[str, str]]:
    async with db.reader() as session:
        rows = (await session.execute(select(Hold.id, Hold.status, Hold.user_id)
                                      .where(Hold.show_id == show_id))).all()
    return {h: (status, user) for h, status, user in rows}


async def entity_availability(booking: GraphQL, show_id: str) -> dict[str, Any]:
    body = await booking.data(SHOW_AVAILABILITY, {"r": [{"__typename": "Show", "id": show_id}]})
    return body["_entities"][0]["availability"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def seat_fight(stack: Stack, actors: Actors, dbs: dict[str, Database],
                     crowd: list[Customer]) -> SeatFight:
    """Every customer's one holdSeats, all in flight at once, and what was stored after."""
    rows = [{"label": chr(ord("A") + r), "seats": SEATS_PER_ROW} for r in range(ROWS)]
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer,
                              rows=rows)
    seat_ids = [str(s["id"]) for s in show.seats]
    rng = random.Random(20300201)  # the same fight every run
    asked = [(who, rng.sample(seat_ids, rng.randint(*SEATS_ASKED))) for who in crowd]
    db = dbs["booking"]
    before = await show_version(db, show.id)
    bodies = await asyncio.gather(*(
        who.run(stack.url("booking"), HOLD_IDS, {"show": show.id, "seats": seats})
        for who, seats in asked))
    return SeatFight(asked, list(bodies), seat_ids, await seat_rows(db, show.id),
                     await show_holds(db, show.id), before, await show_version(db, show.id),
                     await entity_availability(stack.client("booking"), show.id))


async def test_every_seat_request_gets_a_hold_or_seats_unavailable_never_an_error(
        seat_fight: SeatFight) -> None:
    assert len(seat_fight.bodies) == CROWD
    assert [b for b in seat_fight.bodies if "errors" in b or not b.get("data")] == []
    kinds = [r["__typename"] for _, _, r in seat_fight.results]
    assert set(kinds) <= {"SeatHold", "SeatsUnavailable"}
    # More seats are asked for than there are: there are winners and losers.
    assert sum(len(seats) for _, seats in seat_fight.asked) > len(seat_fight.seat_ids)
    assert seat_fight.winners and seat_fight.losers


async def test_each_seat_is_stored_once_and_has_at_most_one_holder(
        seat_fight: SeatFight) -> None:
    by_leg: dict[tuple[str, int], list[SeatRow]] = defaultdict(list)
    for row in seat_fight.rows:
        by_leg[(row.seat_id, row.leg)].append(row)
    # A show without stops: one row for each seat, on leg 0.
    assert sorted(by_leg) == sorted((s, 0) for s in seat_fight.seat_ids)
    holders: dict[str, set[str]] = defaultdict(set)
    for row in seat_fight.rows:
        assert row.state in (AVAILABLE, HELD), row
        assert (row.hold_id is not None) == (row.state == HELD), row
        if row.hold_id is not None:
            holders[row.seat_id].add(row.hold_id)
    assert {s: h for s, h in holders.items() if len(h) > 1} == {}


async def test_winners_seats_are_disjoint_and_are_exactly_the_held_seats(
        seat_fight: SeatFight) -> None:
    claimed = [s for _, _, r in seat_fight.winners for s in r["seatIds"]]
    assert len(claimed) == len(set(claimed))
    assert sorted(claimed) == sorted(r.seat_id for r in seat_fight.rows if r.state == HELD)
    assert {seat_fight.holds[r.hold_id][0] for r in seat_fight.rows
            if r.hold_id is not None} == {"ACTIVE"}


async def test_each_winner_holds_exactly_what_it_asked_for(seat_fight: SeatFight) -> None:
    for who, seats, result in seat_fight.winners:
        assert sorted(result["seatIds"]) == sorted(seats)
        assert sorted(r.seat_id for r in seat_fight.rows if r.hold_id == result["id"]) == sorted(
            seats)
        assert seat_fight.holds[result["id"]] == ("ACTIVE", who.user.id)


async def test_losers_leave_no_hold_rows(seat_fight: SeatFight) -> None:
    assert sorted(seat_fight.holds) == sorted(r["id"] for _, _, r in seat_fight.winners)
    losers = {who.user.id for who, _, _ in seat_fight.losers}
    assert [h for h, (_, user) in seat_fight.holds.items() if user in losers] == []


async def test_each_loser_is_told_only_seats_it_asked_for_that_someone_holds(
        seat_fight: SeatFight) -> None:
    holder = {r.seat_id: r.hold_id for r in seat_fight.rows
              if r.state == HELD and r.hold_id is not None}
    owner = {h: user for h, (_, user) in seat_fight.holds.items()}
    for who, seats, result in seat_fight.losers:
        named = result["seatIds"]
        assert named, result
        assert [s for s in seats if s in named] == named  # asked for, in the order asked
        for seat in named:
            assert seat in holder, (seat, result)
            assert owner[holder[seat]] != who.user.id


async def test_the_show_version_moves_once_per_winner(seat_fight: SeatFight) -> None:
    assert seat_fight.version_after == seat_fight.version_before + len(seat_fight.winners)


async def test_booking_counts_what_its_database_holds(seat_fight: SeatFight) -> None:
    held = sum(1 for r in seat_fight.rows if r.state == HELD)
    assert seat_fight.availability == {
        "total": len(seat_fight.seat_ids), "available": len(seat_fight.seat_ids) - held,
        "held": held, "sold": 0, "generalAdmission": []}


# A hundred standing places


@dataclass
class Rush:
    section_id: str
    asked: list[tuple[Customer, int]]
    bodies: list[dict[str, Any]]
    lines: dict[str, tuple[int, str, str]]  # hold id -> (quantity, status, user id)
    holds: dict[str, tuple[str, str]]  # hold id -> (status, user id)
    capacity: int
    sold: int
    version_before: int
    version_after: int

    @property
    def results(self) -> list[tuple[Customer, int, dict[str, Any]]]:
        return [(who, n, body["data"]["holdGeneralAdmission"])
                for (who, n), body in zip(self.asked, self.bodies, strict=True)]

    @property
    def winners(self) -> list[tuple[Customer, int, dict[str, Any]]]:
        return [r for r in self.results if r[2]["__typename"] == "SeatHold"]

    @property
    def losers(self) -> list[tuple[Customer, int, dict[str, Any]]]:
        return [r for r in self.results if r[2]["__typename"] == "SoldOut"]

    @property
    def live(self) -> int:
        """Places of active holds, as stored."""
        return sum(q for q, status, _ in self.lines.values() if status == "ACTIVE")


async def standing_show(stack: Stack, organizer: User, capacity: int) -> tuple[str, str]:
    """(show id, section id) of a show on sale in a hall with a standing floor."""
    venues = Venues(stack.client("venue"))
    hall = await venues.hall(organizer, small_map(standing=capacity))
    show = await venues.show(organizer, hall["id"], at(20, day=2))
    await venues.publish(organizer, show["id"])
    booking = stack.client("booking")

    async def on_sale() -> bool:
        body = await booking.run(AVAILABILITY, {"r": [{"__typename": "Show", "id": show["id"]}]})
        entities = (body.get("data") or {}).get("_entities") or [None]
        return bool(entities[0] and entities[0]["availability"])

    await eventually(on_sale)
    floor = next(s for s in hall["sections"] if s["generalAdmission"])
    return str(show["id"]), str(floor["id"])


@pytest.fixture(scope="module")
async def rush(stack: Stack, actors: Actors, dbs: dict[str, Database],
               crowd: list[Customer]) -> Rush:
    """Every customer's one holdGeneralAdmission, all in flight at once, and what was stored."""
    show_id, section_id = await standing_show(stack, actors.organizer, CAPACITY)
    rng = random.Random(20300202)  # the same rush every run
    asked = [(who, rng.randint(*PLACES_ASKED)) for who in crowd]
    db = dbs["booking"]
    before = await show_version(db, show_id)
    bodies = await asyncio.gather(*(
        who.run(stack.url("booking"), HOLD_GA,
                {"show": show_id, "section": section_id, "n": n})
        for who, n in asked))
    async with db.reader() as session:
        section = await session.get(AdmissionSection, (show_id, section_id))
    assert section is not None
    return Rush(section_id, asked, list(bodies), await stored_lines(db, show_id),
                await show_holds(db, show_id), section.capacity, section.sold, before,
                await show_version(db, show_id))


async def test_every_place_request_gets_a_hold_or_sold_out_never_an_error(rush: Rush) -> None:
    assert len(rush.bodies) == CROWD
    assert [b for b in rush.bodies if "errors" in b or not b.get("data")] == []
    assert {r["__typename"] for _, _, r in rush.results} <= {"SeatHold", "SoldOut"}
    assert sum(n for _, n in rush.asked) > CAPACITY
    assert rush.winners and rush.losers


async def test_places_held_and_sold_never_exceed_the_capacity(rush: Rush) -> None:
    assert rush.capacity == CAPACITY
    assert rush.live + rush.sold <= rush.capacity
    # Nothing was released during the rush, so places left only shrank: a loser asked for
    # more than were left, at most two, and nobody was turned away while enough were left.
    assert rush.live + rush.sold >= rush.capacity - (PLACES_ASKED[1] - 1)


async def test_each_winner_holds_what_it_asked_for_and_the_totals_agree(rush: Rush) -> None:
    won = {r["id"]: (n, who.user.id) for who, n, r in rush.winners}
    assert {h: (q, user) for h, (q, _, user) in rush.lines.items()} == won
    assert sum(n for n, _ in won.values()) == rush.live
    for _, n, result in rush.winners:
        assert (result["seatIds"], result["generalAdmission"]) == (
            [], [{"sectionId": rush.section_id, "quantity": n}])


async def test_losers_are_sold_out_and_hold_nothing(rush: Rush) -> None:
    left = rush.capacity - rush.live - rush.sold
    for _, n, result in rush.losers:
        assert result["code"] == "SOLD_OUT"
        assert left <= result["available"] < n  # never more than asked; never below the end
    losers = {who.user.id for who, _, _ in rush.losers}
    assert [h for h, (_, user) in rush.holds.items() if user in losers] == []
    assert sorted(rush.holds) == sorted(r["id"] for _, _, r in rush.winners)


async def test_the_standing_show_version_moves_once_per_winner(rush: Rush) -> None:
    assert rush.version_after == rush.version_before + len(rush.winners)
