"""holdBestAvailable: the best row first, together, never leaving a single seat alone."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from subgraphs.booking.models import HELD, Hold, ShowSeat
from subgraphs.kernel.db import Database
from tests.flows import Actors, ShowOnSale, show_on_sale
from tests.harness import Stack
from tests.integration.support import customer, refusal

BEST = """mutation($show: ID!, $n: Int!, $category: String, $segment: SegmentInput,
                   $key: String) {
  holdBestAvailable(showId: $show, quantity: $n, category: $category, segment: $segment,
                    idempotencyKey: $key) {
    __typename
    ... on SeatHold { id seatIds segment { from to } }
    ... on SoldOut { code available } } }"""


async def best(stack: Stack, token: str | None, show: str, n: int,
               **more: Any) -> dict[str, Any]:
    return await stack.client("booking").run(BEST, {"show": show, "n": n, **more}, token)


def labels(show: ShowOnSale, seat_ids: list[str]) -> list[str]:
    by_id = {s["id"]: s["label"] for s in show.seats}
    return [by_id[s] for s in seat_ids]


async def held_labels(db: Database, show: ShowOnSale) -> dict[str, str]:
    """label -> hold id of every held seat, from the database."""
    async with db.reader() as session:
        rows = await session.execute(select(ShowSeat.label, ShowSeat.hold_id).where(
            ShowSeat.show_id == show.id, ShowSeat.state == HELD))
    return {label: str(h) for label, h in rows}


async def two_rows(stack: Stack, actors: Actors) -> ShowOnSale:
    return await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer,
                              rows=[{"label": "A", "seats": 6}, {"label": "B", "seats": 6,
                                                                 "category": "PREMIUM"}])


async def test_front_row_middle_then_no_orphans_then_the_next_row(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await two_rows(stack, actors)
    token = actors.customer.token
    first = (await best(stack, token, show.id, 2))["data"]["holdBestAvailable"]
    assert labels(show, first["seatIds"]) == ["A3", "A4"]
    second = (await best(stack, token, show.id, 2))["data"]["holdBestAvailable"]
    assert labels(show, second["seatIds"]) == ["A1", "A2"]
    # A5 and A6 are left: three cannot sit there, so they go to row B (ends, no orphan).
    third = (await best(stack, token, show.id, 3))["data"]["holdBestAvailable"]
    assert labels(show, third["seatIds"]) == ["B1", "B2", "B3"]
    stored = await held_labels(dbs["booking"], show)
    assert stored == {**{x: first["id"] for x in ("A3", "A4")},
                      **{x: second["id"] for x in ("A1", "A2")},
                      **{x: third["id"] for x in ("B1", "B2", "B3")}}


async def test_category_and_sold_out(stack: Stack, actors: Actors,
                                     dbs: dict[str, Database]) -> None:
    show = await two_rows(stack, actors)
    token = actors.other_customer.token
    premium = (await best(stack, token, show.id, 2, category="PREMIUM"))["data"]
    assert labels(show, premium["holdBestAvailable"]["seatIds"]) == ["B3", "B4"]
    # Four premium seats are left in two runs of two: five do not fit.
    sold_out = (await best(stack, token, show.id, 5, category="PREMIUM"))["data"]
    assert sold_out["holdBestAvailable"] == {"__typename": "SoldOut", "code": "SOLD_OUT",
                                             "available": 4}
    assert sorted(await held_labels(dbs["booking"], show)) == ["B3", "B4"]


async def test_a_retry_with_the_same_key_returns_the_first_hold(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await two_rows(stack, actors)
    token = actors.customer.token
    a = (await best(stack, token, show.id, 2, key="best-1"))["data"]["holdBestAvailable"]
    b = (await best(stack, token, show.id, 2, key="best-1"))["data"]["holdBestAvailable"]
    assert a == b
    assert sorted(await held_labels(dbs["booking"], show)) == ["A3", "A4"]


async def test_on_a_journey_it_picks_seats_free_on_the_segment(
        stack: Stack, actors: Actors) -> None:
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer,
                              rows=[{"label": "A", "seats": 2}], stops=["X", "Y", "Z"])
    token = actors.customer.token
    leg = {"from": 0, "to": 1}
    a = (await best(stack, token, show.id, 2, segment=leg))["data"]["holdBestAvailable"]
    assert a["segment"] == leg and labels(show, a["seatIds"]) == ["A1", "A2"]
    full = (await best(stack, token, show.id, 1, segment=leg))["data"]["holdBestAvailable"]
    assert full["__typename"] == "SoldOut"
    later = (await best(stack, token, show.id, 2, segment={"from": 1, "to": 2}))["data"]
    assert labels(show, later["holdBestAvailable"]["seatIds"]) == ["A1", "A2"]


async def test_bad_input_and_anonymous_change_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await two_rows(stack, actors)
    token = actors.customer.token
    for n in (0, -1, 1000):
        assert refusal(await best(stack, token, show.id, n)) == ("BAD_USER_INPUT", "quantity")
    assert refusal(await best(stack, token, show.id, 1, category="BALCONY")) == (
        "BAD_USER_INPUT", "category")
    assert refusal(await best(stack, token, show.id, 1, segment={"from": 0, "to": 1})) == (
        "BAD_USER_INPUT", "segment")
    assert refusal(await best(stack, token, "no-such-show", 1)) == ("NOT_FOUND", "showId")
    assert refusal(await best(stack, None, show.id, 1))[0] == "UNAUTHENTICATED"
    assert await held_labels(dbs["booking"], show) == {}
    async with dbs["booking"].reader() as session:
        assert list(await session.scalars(select(Hold.id).where(Hold.show_id == show.id))) == []


async def test_many_at_once_never_share_a_seat_or_leave_one_alone(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer,
                              rows=[{"label": r, "seats": 8} for r in "ABCDEF"])
    crowd = await asyncio.gather(*(customer(stack) for _ in range(30)))
    bodies = await asyncio.gather(*(best(stack, c.token, show.id, 1 + i % 3)
                                    for i, c in enumerate(crowd)))
    assert [b for b in bodies if "errors" in b] == []
    results = [b["data"]["holdBestAvailable"] for b in bodies]
    winners = [r for r in results if r["__typename"] == "SeatHold"]
    claimed = [s for r in winners for s in r["seatIds"]]
    assert len(claimed) == len(set(claimed))
    stored = await held_labels(dbs["booking"], show)
    assert sorted(stored) == sorted(labels(show, claimed))
    # No hold left a single free seat between taken ones or a taken one and the row's end.
    for r in "ABCDEF":
        picture = "".join("x" if f"{r}{n}" in stored else "." for n in range(1, 9))
        assert 1 not in [len(run) for run in picture.split("x") if run], (r, picture)


async def test_more_buyers_than_seats_at_once_fill_the_hall_and_the_rest_hear_sold_out(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    # Concurrent requests leave out the seats others are placing; when those are all that
    # is left, the request waits for them to be taken or given back before it says sold out.
    # Pairs fill rows of 6 and 4 without leaving a seat alone: 5 pairs in all.
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer,
                              rows=[{"label": "A", "seats": 6}, {"label": "B", "seats": 4}])
    crowd = await asyncio.gather(*(customer(stack) for _ in range(25)))
    bodies = await asyncio.gather(*(best(stack, c.token, show.id, 2) for c in crowd))
    assert [b for b in bodies if "errors" in b] == []
    results = [b["data"]["holdBestAvailable"] for b in bodies]
    claimed = [s for r in results if r["__typename"] == "SeatHold" for s in r["seatIds"]]
    assert len(claimed) == 10 and len(set(claimed)) == 10
    assert [r for r in results if r["__typename"] != "SeatHold"] == \
        [{"__typename": "SoldOut", "code": "SOLD_OUT", "available": 0}] * 20
    stored = await held_labels(dbs["booking"], show)
    assert sorted(stored) == sorted(labels(show, claimed))
    # Nothing stays set aside once the requests are over: a pair given back is offered again.
    first = next(i for i, r in enumerate(results) if r["__typename"] == "SeatHold")
    released = await stack.client("booking").run(
        "mutation($h: ID!) { releaseHold(holdId: $h) { status } }",
        {"h": results[first]["id"]}, crowd[first].token)
    assert released["data"]["releaseHold"]["status"] == "RELEASED"
    again = await best(stack, (await customer(stack)).token, show.id, 2)
    assert sorted(again["data"]["holdBestAvailable"]["seatIds"]) == \
        sorted(results[first]["seatIds"])
