"""Booking never recounts a show on the hot path: every change moves counters instead. So the
counters must agree with a count of the rows themselves after every kind of change —
holds of seats and of standing places, releases, checkouts, payments, cancellations, holds
that lapse before the sweeper comes and the sweep itself — and after a crowd changes one
show at once.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from subgraphs.booking.counts import settle
from subgraphs.booking.models import (
    HELD,
    SOLD,
    AdmissionSection,
    BookableShow,
    CustomerPlaces,
    Hold,
    HoldAdmission,
    ShowSeat,
)
from subgraphs.booking.service import release_expired
from subgraphs.kernel.db import Database, utcnow
from tests.flows import CHECKOUT, HOLD, Actors, User, new_user, show_on_sale
from tests.harness import GraphQL, Stack, Subscription, eventually
from tests.integration.seating import Venues, at, small_map
from tests.integration.support import Deployment, lapse_hold
from tests.integration.test_general_admission import (
    AVAILABILITY,
    RELEASE,
    Standing,
    hold_places,
    standing_show,
)
from tests.payments import CANCEL_BOOKING, pay, wait_booking

LIVE = ("ACTIVE", "CHECKED_OUT")
OPEN = ("ACTIVE", "CHECKED_OUT", "BOOKED")


async def recount(db: Database, show_id: str) -> dict[str, Any]:
    """The show's availability counted from its rows, as the API reports it."""
    now = utcnow()
    async with db.reader() as session:
        seats = (await session.execute(
            select(ShowSeat.category, ShowSeat.state, ShowSeat.hold_expires_at)
            .where(ShowSeat.show_id == show_id, ShowSeat.leg == 0))).all()
        sections = list(await session.scalars(
            select(AdmissionSection).where(AdmissionSection.show_id == show_id)
            .order_by(AdmissionSection.position)))
        lines = (await session.execute(
            select(HoldAdmission.section_id, HoldAdmission.quantity, Hold.status,
                   Hold.expires_at)
            .join(Hold, Hold.id == HoldAdmission.hold_id)
            .where(HoldAdmission.show_id == show_id))).all()

    def state(stored: str, expires: datetime | None) -> str:
        return "AVAILABLE" if stored == HELD and expires is not None and expires <= now \
            else stored

    seat_states = [(category, state(s, e)) for category, s, e in seats]
    counts = {"total": len(seat_states),
              "held": sum(s == HELD for _, s in seat_states),
              "sold": sum(s == SOLD for _, s in seat_states)}
    counts["available"] = counts["total"] - counts["held"] - counts["sold"]
    standing = []
    for g in sections:
        held = sum(q for section, q, status, expires in lines
                   if section == g.section_id and status in LIVE and expires > now)
        sold = sum(q for section, q, status, _ in lines
                   if section == g.section_id and status == "BOOKED")
        standing.append({"sectionId": g.section_id, "key": g.key, "name": g.name,
                         "capacity": g.capacity, "held": held, "sold": sold,
                         "available": g.capacity - held - sold})
    by_category: dict[str, dict[str, Any]] = {}
    for category, s in seat_states:
        c = by_category.setdefault(category, {"category": category, "total": 0,
                                              "available": 0, "held": 0, "sold": 0})
        c["total"] += 1
        c[{"HELD": "held", "SOLD": "sold"}.get(s, "available")] += 1
    for g, found in zip(sections, standing, strict=True):
        c = by_category.setdefault(g.category, {"category": g.category, "total": 0,
                                                "available": 0, "held": 0, "sold": 0})
        for key in ("held", "sold", "available"):
            c[key] += found[key]
        c["total"] += g.capacity
    return {**counts, "byCategory": sorted(by_category.values(), key=lambda c: c["category"]),
            "generalAdmission": standing}


async def reported(booking: GraphQL, show_id: str) -> dict[str, Any]:
    body = await booking.data(AVAILABILITY, {"r": [{"__typename": "Show", "id": show_id}]})
    return body["_entities"][0]["availability"]  # type: ignore[no-any-return]


async def places_by_customer(db: Database, show_id: str) -> tuple[dict[str, int],
                                                                   dict[str, int]]:
    """Each customer's places as booking keeps them, and as the holds say (seats counted
    once on the hold's first leg, plus standing places)."""
    async with db.reader() as session:
        kept = dict((await session.execute(
            select(CustomerPlaces.user_id, CustomerPlaces.places)
            .where(CustomerPlaces.show_id == show_id, CustomerPlaces.places != 0))).all())
        holds = (await session.execute(
            select(Hold.id, Hold.user_id, Hold.places).where(Hold.show_id == show_id,
                                                             Hold.status.in_(OPEN)))).all()
    truth: dict[str, int] = {}
    for _, user, places in holds:
        truth[user] = truth.get(user, 0) + places
    return kept, truth


async def agree(dep: Deployment, show_id: str) -> None:
    """Booking's counts and customers' places equal the rows' own count."""
    assert await reported(dep.stack.client("booking"), show_id) == \
        await recount(dep.dbs["booking"], show_id)
    kept, truth = await places_by_customer(dep.dbs["booking"], show_id)
    assert kept == truth


async def seats_held(booking: GraphQL, show: Standing, positions: list[int],
                     who: User) -> str:
    body = await booking.data(HOLD, {"show": show.show_id,
                                     "seats": [show.seat_ids[p] for p in positions]},
                              who.token)
    assert body["holdSeats"]["__typename"] == "SeatHold", body
    return str(body["holdSeats"]["id"])


async def places_held(booking: GraphQL, show: Standing, quantity: int, who: User) -> str:
    body = await hold_places(booking, show, quantity, who)
    assert body["data"]["holdGeneralAdmission"]["__typename"] == "SeatHold", body
    return str(body["data"]["holdGeneralAdmission"]["id"])


async def bought(dep: Deployment, hold_id: str, who: User) -> str:
    """Check the hold out and pay for it: the confirmed booking's id."""
    booking, payment = dep.stack.client("booking"), dep.stack.client("payment")
    out = await booking.data(CHECKOUT, {"hold": hold_id, "key": uuid.uuid4().hex}, who.token)
    booking_id = str(out["checkout"]["id"])
    await pay(payment, who, booking_id)
    await wait_booking(booking, who, booking_id, "CONFIRMED")
    return booking_id


async def lapse(dep: Deployment, hold_id: str) -> datetime:
    """Make the hold lapse now, in the database (its new expiry)."""
    return await lapse_hold(dep.dbs["booking"], hold_id)


async def test_counts_agree_with_the_rows_after_every_kind_of_change(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    a, b = dep.actors.customer, dep.actors.other_customer
    booking = dep.stack.client("booking")
    show = await standing_show(dep.stack, dep.actors.organizer, 4)
    await agree(dep, show.show_id)

    first = await seats_held(booking, show, [0], a)
    await places_held(booking, show, 2, b)
    await agree(dep, show.show_id)
    await booking.data(RELEASE, {"h": first}, a.token)
    await agree(dep, show.show_id)
    sold_seat = await bought(dep, await seats_held(booking, show, [1], b), b)
    sold_places = await bought(dep, await places_held(booking, show, 1, a), a)
    await agree(dep, show.show_id)
    await booking.data(CANCEL_BOOKING, {"id": sold_places}, a.token)
    await booking.data(CANCEL_BOOKING, {"id": sold_seat}, b.token)
    await agree(dep, show.show_id)

    # Holds that lapse: they count as available at once, before any sweep.
    lapsing_seat = await seats_held(booking, show, [0], a)
    lapsing_places = await places_held(booking, show, 2, a)
    await lapse(dep, lapsing_seat)
    await lapse(dep, lapsing_places)
    await agree(dep, show.show_id)
    # Taken again before the sweep: the seat from its lapsed hold, the places reclaimed.
    await seats_held(booking, show, [0], b)
    await places_held(booking, show, 2, b)  # the lapsed hold's 2 are all that is left
    await agree(dep, show.show_id)
    assert await release_expired(dep.services["booking"]) == 2
    await agree(dep, show.show_id)
    availability = await reported(booking, show.show_id)
    assert availability["generalAdmission"][0]["available"] == 0


async def test_lapsed_standing_places_are_reclaimed_once(
        manual_sweep: Deployment) -> None:
    dep = manual_sweep
    booking = dep.stack.client("booking")
    show = await standing_show(dep.stack, dep.actors.organizer, 3)
    lapsed = await places_held(booking, show, 3, dep.actors.customer)
    expires = await lapse(dep, lapsed)
    # Four customers race for the lapsed places: three places, two for each winner.
    racers = [await new_user(dep.stack, dep.stack.url("auth")) for _ in range(4)]
    bodies = await asyncio.gather(*(hold_places(booking, show, 2, who) for who in racers))
    kinds = [b["data"]["holdGeneralAdmission"]["__typename"] for b in bodies]
    assert kinds.count("SeatHold") == 1, bodies
    await release_expired(dep.services["booking"], now=expires + timedelta(seconds=1))
    async with dep.dbs["booking"].reader() as session:
        section = await session.get(AdmissionSection, (show.show_id, show.section_id))
    assert section is not None and (section.held, section.sold) == (2, 0)
    assert (await reported(booking, show.show_id))["generalAdmission"][0]["available"] == 1


# A crowd on one show at once


async def hold_and_maybe_release(booking: GraphQL, show: Standing, who: User,
                                 rng: random.Random) -> int:
    """Hold a seat or some places, then give half of what was won back; the changes made."""
    if rng.random() < 0.6:
        seat = rng.choice(show.seat_ids)
        body = (await booking.run(HOLD, {"show": show.show_id, "seats": [seat]},
                                  who.token))["data"]["holdSeats"]
    else:
        body = (await hold_places(booking, show, rng.randint(1, 3),
                                  who))["data"]["holdGeneralAdmission"]
    if body["__typename"] != "SeatHold":
        return 0
    if rng.random() < 0.5:
        await booking.data(RELEASE, {"h": body["id"]}, who.token)
        return 2
    return 1


async def test_counts_agree_after_a_crowd_changes_one_show_at_once(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await standing_show(stack, actors.organizer, 12)
    async with dbs["booking"].reader() as session:
        before = await session.scalar(select(BookableShow.version)
                                      .where(BookableShow.id == show.show_id))
    crowd = [await new_user(stack, stack.url("auth")) for _ in range(30)]
    booking = stack.client("booking")
    rng = random.Random(20261204)
    changes = await asyncio.gather(*(hold_and_maybe_release(booking, show, who,
                                                            random.Random(rng.random()))
                                     for who in crowd))
    assert await reported(booking, show.show_id) == await recount(dbs["booking"], show.show_id)
    async with dbs["booking"].reader() as session:
        after = await session.scalar(select(BookableShow.version)
                                     .where(BookableShow.id == show.show_id))
        places = dict((await session.execute(
            select(CustomerPlaces.user_id, func.sum(CustomerPlaces.places))
            .where(CustomerPlaces.show_id == show.show_id)
            .group_by(CustomerPlaces.user_id))).all())
        open_places = dict((await session.execute(
            select(Hold.user_id, func.sum(Hold.places))
            .where(Hold.show_id == show.show_id, Hold.status.in_(OPEN))
            .group_by(Hold.user_id))).all())
    # Every hold and every release moved the version once.
    assert after - before == sum(changes)
    assert {u: p for u, p in places.items() if p} == open_places


# A lapsed hold's seats and places count as available in what the next write publishes


LIVE_COUNTS = """subscription($show: ID!) { seatAvailability(showId: $show) {
  kind version availability { total available held sold } generalAdmission {
    sectionId capacity available held sold } } }"""
SEAT_IDS = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { seatStates { seatId } } } }"""
STOPS = [{"name": "Amsterdam"}, {"name": "Brussels"}, {"name": "Cologne"}]  # legs 0 and 1


async def standing_journey(stack: Stack, organizer: User, capacity: int) -> Standing:
    """A journey (two legs) in a hall with two seats and a standing floor of ``capacity``."""
    venues = Venues(stack.client("venue"))
    hall = await venues.hall(organizer, small_map(standing=capacity))
    show = await venues.show(organizer, hall["id"], at(19), stops=STOPS)
    await venues.publish(organizer, show["id"])
    floor = next(s for s in hall["sections"] if s["generalAdmission"])
    booking = stack.client("booking")

    async def on_sale() -> list[str] | None:
        body = await booking.run(SEAT_IDS, {"r": [{"__typename": "Show", "id": show["id"]}]})
        found = ((body.get("data") or {}).get("_entities") or [None])[0] or {}
        return [s["seatId"] for s in found.get("seatStates") or []] or None

    seats = await eventually(on_sale)
    return Standing(show["id"], floor["id"], seats)


async def after_a_write(dep: Deployment, show: Standing, lapsing: list[str],
                        write: Callable[[], Awaitable[object]]
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lapse the holds ``lapsing`` in the database (no sweep), make ``write`` on the same
    show while watching it: the counts of the write's live message, and of the graph."""
    for hold_id in lapsing:
        await lapse(dep, hold_id)
    booking = dep.stack.client("booking")
    async with Subscription(dep.stack.url("booking"), LIVE_COUNTS,
                            {"show": show.show_id}) as live:
        snapshot = (await live.next())["data"]["seatAvailability"]
        await write()
        delta = (await live.next())["data"]["seatAvailability"]
    # The write's own message: one version on from the snapshot, nothing else between.
    assert (delta["kind"], delta["version"]) == ("DELTA", snapshot["version"] + 1), delta
    for hold_id in lapsing:  # the sweeper never ran: the lapsed holds still own their rows
        async with dep.dbs["booking"].reader() as session:
            assert await session.scalar(select(Hold.status).where(Hold.id == hold_id)) \
                == "ACTIVE"
    graph = await reported(booking, show.show_id)
    return ({"availability": delta["availability"], "standing": delta["generalAdmission"]},
            {"availability": {k: graph[k] for k in ("total", "available", "held", "sold")},
             "standing": [{k: g[k] for k in ("sectionId", "capacity", "available", "held",
                                             "sold")} for g in graph["generalAdmission"]]})


async def test_a_write_after_a_seat_hold_lapsed_counts_its_seats_available(
        manual_sweep: Deployment) -> None:
    """A plain show's seats: settled at commit by PostgreSQL's trigger, by ``read`` in
    SQLite; the graph reads with ``read``."""
    dep = manual_sweep
    a, b = dep.actors.customer, dep.actors.other_customer
    booking = dep.stack.client("booking")
    plain = await show_on_sale(dep.stack.client("venue"), booking, dep.actors.organizer,
                               rows=[{"label": "A", "seats": 4}])
    show = Standing(plain.id, "", [str(s["id"]) for s in plain.seats])
    lapsed = await seats_held(booking, show, [0, 1], a)
    message, graph = await after_a_write(dep, show, [lapsed],
                                         lambda: seats_held(booking, show, [2], b))
    expected = {"availability": {"total": 4, "available": 3, "held": 1, "sold": 0},
                "standing": []}
    assert message == expected
    assert graph == expected


async def test_a_write_after_a_standing_hold_lapsed_counts_its_places_available(
        manual_sweep: Deployment) -> None:
    """A plain show's standing places (the same paths as its seats)."""
    dep = manual_sweep
    a, b = dep.actors.customer, dep.actors.other_customer
    booking = dep.stack.client("booking")
    show = await standing_show(dep.stack, dep.actors.organizer, 5)
    lapsed = await places_held(booking, show, 3, a)
    message, graph = await after_a_write(dep, show, [lapsed],
                                         lambda: places_held(booking, show, 1, b))
    # The totals count seats (the show's two, free); each section counts its places.
    expected = {"availability": {"total": 2, "available": 2, "held": 0, "sold": 0},
                "standing": [{"sectionId": show.section_id, "capacity": 5, "available": 4,
                              "held": 1, "sold": 0}]}
    assert message == expected
    assert graph == expected


async def test_a_write_on_a_journey_after_holds_lapsed_counts_them_available(
        manual_sweep: Deployment) -> None:
    """A journey settles with ``counts.settle`` in both modes (PostgreSQL: one statement).
    Its message and the graph count its seats one by one over the legs; its standing
    places, and the per-leg seat counts ``settle`` returns, come from the counts."""
    dep = manual_sweep
    a, b = dep.actors.customer, dep.actors.other_customer
    booking = dep.stack.client("booking")
    show = await standing_journey(dep.stack, dep.actors.organizer, 5)
    seat = await seats_held(booking, show, [0], a)  # the whole journey: both legs
    places = await places_held(booking, show, 3, a)
    message, graph = await after_a_write(dep, show, [seat, places],
                                         lambda: seats_held(booking, show, [1], b))
    # Seat 1 held; seat 0 and the five places (three of them lapsed) available.
    expected = {"availability": {"total": 2, "available": 1, "held": 1, "sold": 0},
                "standing": [{"sectionId": show.section_id, "capacity": 5, "available": 5,
                              "held": 0, "sold": 0}]}
    assert message == expected
    assert graph == expected
    # What settle reads for each leg: both seats held in the rows, one of them lapsed.
    async with dep.dbs["booking"].writer() as session:
        counted = await settle(session, show.show_id, {}, utcnow())
        await session.rollback()
    assert [(c.leg, c.total, c.held, c.held_now, c.sold) for c in counted.seats] == [
        (0, 2, 2, 1, 0), (1, 2, 2, 1, 0)]
    assert [(g.capacity, g.held, g.held_now, g.sold) for g in counted.sections] == [
        (5, 3, 0, 0)]
