"""Live seats through the router: two watchers see every change, in version order.

Another customer holds, releases, extends, lets holds lapse and checks out, all through
the router, on a deployment of this module's own whose sweeper runs twice a second. Holds
last their usual time; the test makes one lapse by moving its expiry into the past in
booking's database (``lapse_hold``) and the sweeper announces it: no step races a short
hold time on a loaded machine. The story is told once; each test checks one part of what
the two watchers were told.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.booking.models import Hold
from subgraphs.kernel.db import Database
from tests.conftest import own_processes
from tests.flows import (
    CHECKOUT,
    HOLD,
    SEAT_AVAILABILITY,
    Actors,
    ShowOnSale,
    User,
    make_actors,
    seat_ids,
    show_on_sale,
)
from tests.harness import GraphQL, Processes, Stack, Subscription
from tests.integration.support import lapse_hold

RELEASE = "mutation($h: ID!) { releaseHold(holdId: $h) { id status } }"
EXTEND = """mutation($h: ID!) { extendHold(holdId: $h) {
  __typename ... on SeatHold { id status expiresAt } ... on HoldExpired { code } } }"""
BOOKING = "query($id: ID!) { booking(id: $id) { id status } }"
# How long a watcher waits for the change an action caused: the sweeper's after a hold was
# made to lapse, everything else at once (generous, for a loaded machine; never a sleep).
WAIT = 30.0


@pytest.fixture(scope="module")
async def busy_sweeper(mode: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[tuple[Stack, Processes]]:
    """The real processes and router, with a busy sweeper (holds last their usual time)."""
    async with own_processes(mode, tmp_path_factory, "live",
                             sweep_interval_seconds=0.5) as running:
        yield running


@dataclass
class Change:
    """One thing the other customer did (or waited for), and what each watcher was told next."""

    step: str
    result: dict[str, Any]  # the action's answer (for a lapse: the lapsed hold's)
    seen: list[dict[str, Any]]  # the next seatAvailability message of each watcher


@dataclass
class Story:
    show: ShowOnSale
    buyer: User
    snapshots: list[dict[str, Any]]
    changes: list[Change]
    unlapsed: dict[str, str]  # hold id -> status in booking's database, before "lapse"
    stored: dict[str, str]  # hold id -> status in booking's database, before the last hold

    def change(self, step: str) -> Change:
        return next(c for c in self.changes if c.step == step)

    def seats(self, *positions: int) -> list[str]:
        return seat_ids(self.show, *positions)


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
async def story(busy_sweeper: tuple[Stack, Processes]) -> Story:
    stack, _ = busy_sweeper
    router = GraphQL(stack.router_url)
    actors: Actors = await make_actors(stack, lambda _service: stack.router_url)
    buyer = actors.other_customer
    show = await show_on_sale(router, router, actors.organizer, via_router=True)
    seat = [str(s["id"]) for s in show.seats]
    changes: list[Change] = []

    async with Subscription(stack.router_url, SEAT_AVAILABILITY, {"show": show.id}) as a, \
            Subscription(stack.router_url, SEAT_AVAILABILITY, {"show": show.id}) as b:
        watchers = (a, b)
        snapshots = [(await w.next(WAIT))["data"]["seatAvailability"] for w in watchers]

        async def told(step: str, result: dict[str, Any]) -> dict[str, Any]:
            """Wait until both watchers are told the next change; record it."""
            first = await a.next(WAIT)
            second = await b.next(WAIT)
            changes.append(Change(step, result, [first, second]))
            return result

        async def act(step: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
            return await told(step, await router.data(query, variables, buyer.token))

        held = await act("hold", HOLD, {"show": show.id, "seats": seat[0:2]})
        await act("release", RELEASE, {"h": held["holdSeats"]["id"]})
        kept = await act("hold to extend", HOLD, {"show": show.id, "seats": seat[5:6]})
        await act("extend", EXTEND, {"h": kept["holdSeats"]["id"]})
        await act("release extended", RELEASE, {"h": kept["holdSeats"]["id"]})
        lapsing = await act("hold to lapse", HOLD, {"show": show.id, "seats": seat[2:3]})
        bought = await act("hold to check out", HOLD, {"show": show.id, "seats": seat[3:5]})
        # Whatever comes next is recorded for the checkout: the tests say what that must be
        # (nothing of its own; the sweeper's release once the unpaid hold lapses).
        checkout = await router.data(CHECKOUT, {"hold": bought["holdSeats"]["id"],
                                                "key": uuid.uuid4().hex}, buyer.token)
        await lapse(stack, bought["holdSeats"]["id"])
        await told("checkout, then its hold lapses", {**bought, **checkout})
        # One more hold lapses and is released: a sweep that began after the one above had
        # finished (a sweep releases holds in order of expiry, the unlapsed one last).
        lapsing_next = await act("hold to lapse next", HOLD,
                                 {"show": show.id, "seats": seat[6:7]})
        await lapse(stack, lapsing_next["holdSeats"]["id"])
        await told("lapse next", lapsing_next)
        # Those sweeps ran after the first hold to lapse was made, and left it alone: it
        # had not lapsed. Now it does.
        unlapsed = await hold_statuses(stack, show.id)
        await lapse(stack, lapsing["holdSeats"]["id"])
        await told("lapse", lapsing)  # nothing to do but wait for the sweeper
        stored = await hold_statuses(stack, show.id)
        await act("last hold", HOLD, {"show": show.id, "seats": seat[9:10]})
    return Story(show, buyer, snapshots, changes, unlapsed, stored)


async def lapse(stack: Stack, hold_id: str) -> None:
    """Make the hold lapse now, in booking's database (``lapse_hold``)."""
    db = Database(stack.settings.database_url("booking"), pool_size=1)
    try:
        await lapse_hold(db, hold_id)
    finally:
        await db.dispose()


async def hold_statuses(stack: Stack, show_id: str) -> dict[str, str]:
    """Every hold of a show and its status, as booking stored them."""
    db = Database(stack.settings.database_url("booking"), pool_size=1)
    try:
        async with db.reader() as session:
            rows = (await session.execute(select(Hold.id, Hold.status)
                                          .where(Hold.show_id == show_id))).all()
    finally:
        await db.dispose()
    return {hold: status for hold, status in rows}


def versions(story: Story, watcher: int) -> list[int]:
    return [c.seen[watcher]["data"]["seatAvailability"]["version"] for c in story.changes]


def event(change: Change) -> dict[str, Any]:
    """The change as the first watcher saw it (the second saw the same, as a test checks)."""
    return change.seen[0]["data"]["seatAvailability"]  # type: ignore[no-any-return]


def states(change: Change) -> list[tuple[str, str]]:
    return [(s["seatId"], s["state"]) for s in event(change)["seats"]]


async def test_both_watchers_start_from_the_same_snapshot(story: Story) -> None:
    a, b = story.snapshots
    assert a == b
    assert (a["showId"], a["kind"]) == (story.show.id, "SNAPSHOT")
    assert a["seats"] == [{"seatId": s["id"], "state": "AVAILABLE"} for s in story.show.seats]
    assert a["availability"] == {"total": 10, "available": 10, "held": 0, "sold": 0}


async def test_both_watchers_see_the_same_versions_one_after_another(story: Story) -> None:
    start = story.snapshots[0]["version"]
    expected = list(range(start + 1, start + 1 + len(story.changes)))
    assert versions(story, 0) == versions(story, 1) == expected


async def test_both_watchers_are_told_the_same_thing(story: Story) -> None:
    for change in story.changes:
        assert "errors" not in change.seen[0], change
        assert change.seen[0] == change.seen[1], change.step
        assert event(change)["kind"] == "DELTA"
        assert event(change)["showId"] == story.show.id


async def test_a_hold_is_announced_as_its_seats_held(story: Story) -> None:
    expected = {"hold": (0, 1), "hold to extend": (5,), "hold to lapse": (2,),
                "hold to check out": (3, 4), "hold to lapse next": (6,), "last hold": (9,)}
    for step, positions in expected.items():
        change = story.change(step)
        assert change.result["holdSeats"]["__typename"] == "SeatHold"
        assert states(change) == [(s, "HELD") for s in story.seats(*positions)], step


async def test_a_release_is_announced_as_its_seats_available(story: Story) -> None:
    for step, positions in {"release": (0, 1), "release extended": (5,)}.items():
        change = story.change(step)
        assert change.result["releaseHold"]["status"] == "RELEASED"
        assert states(change) == [(s, "AVAILABLE") for s in story.seats(*positions)], step


async def test_an_extension_is_announced_with_no_seat_changed(story: Story) -> None:
    held = story.change("hold to extend").result["holdSeats"]
    change = story.change("extend")
    extended = change.result["extendHold"]
    assert (extended["__typename"], extended["id"], extended["status"]) == (
        "SeatHold", held["id"], "ACTIVE")
    assert at(extended["expiresAt"]) > at(held["expiresAt"])
    assert states(change) == []


async def test_a_lapsed_hold_is_announced_by_the_sweeper_once_it_lapsed(story: Story) -> None:
    lapsed = story.change("lapse")
    assert states(lapsed) == [(s, "AVAILABLE") for s in story.seats(2)]
    assert states(story.change("lapse next")) == [(s, "AVAILABLE") for s in story.seats(6)]
    # Not before its time: the sweeps that released two other holds ran after this one was
    # made, and left it alone (and told nobody about it, or the steps between would have
    # seen it) until it lapsed.
    assert story.unlapsed[lapsed.result["holdSeats"]["id"]] == "ACTIVE"
    assert story.unlapsed[story.change("lapse next").result["holdSeats"]["id"]] == "EXPIRED"


async def test_checkout_announces_nothing_and_its_lapsed_hold_frees_the_seats(
        story: Story, busy_sweeper: tuple[Stack, Processes]) -> None:
    change = story.change("checkout, then its hold lapses")
    booking = change.result["checkout"]
    assert booking["__typename"] == "Booking" and booking["status"] == "PENDING_PAYMENT"
    # The very next version after the checkout is the sweeper's, once the hold lapsed.
    assert states(change) == [(s, "AVAILABLE") for s in story.seats(3, 4)]
    assert story.unlapsed[change.result["holdSeats"]["id"]] == "EXPIRED"
    stack, _ = busy_sweeper
    read = await GraphQL(stack.router_url).data(BOOKING, {"id": booking["id"]},
                                                story.buyer.token)
    assert read["booking"] == {"id": booking["id"], "status": "EXPIRED"}


async def test_booking_stored_each_hold_as_the_watchers_were_told(story: Story) -> None:
    def hold(step: str) -> str:
        return str(story.change(step).result["holdSeats"]["id"])

    # The lapsed holds were settled by the sweeper (EXPIRED), not merely counted as lapsed.
    assert story.stored == {hold("hold"): "RELEASED", hold("hold to extend"): "RELEASED",
                            hold("hold to lapse"): "EXPIRED", hold("hold to check out"): "EXPIRED",
                            hold("hold to lapse next"): "EXPIRED"}


async def test_each_change_carries_the_counts_after_it(story: Story) -> None:
    held_after = {"hold": 2, "release": 0, "hold to extend": 1, "extend": 1,
                  "release extended": 0, "hold to lapse": 1, "hold to check out": 3,
                  "checkout, then its hold lapses": 1, "hold to lapse next": 2, "lapse next": 1,
                  "lapse": 0, "last hold": 1}
    assert [c.step for c in story.changes] == list(held_after)
    for change in story.changes:
        held = held_after[change.step]
        assert event(change)["availability"] == {
            "total": 10, "available": 10 - held, "held": held, "sold": 0}, change.step
