"""Live seat availability, subscribed to on the booking subgraph over graphql-transport-ws."""

from __future__ import annotations

import uuid
from typing import Any

from ticketflow_sdk.ws import GraphQLWebSocket

from tests.flows import HOLD, SEAT_AVAILABILITY, Actors, ShowOnSale, User, seat_ids
from tests.harness import Stack, Subscription


def watch(stack: Stack, show_id: str) -> Subscription:
    return Subscription(stack.url("booking"), SEAT_AVAILABILITY, {"show": show_id})


async def event(live: Subscription) -> dict[str, Any]:
    """The next seat-availability message, which must carry no errors."""
    payload = await live.next()
    assert "errors" not in payload, payload
    return payload["data"]["seatAvailability"]  # type: ignore[no-any-return]


async def hold(stack: Stack, show: ShowOnSale, positions: list[int], who: User) -> str:
    body = await stack.client("booking").data(
        HOLD, {"show": show.id, "seats": seat_ids(show, *positions)}, who.token)
    return str(body["holdSeats"]["__typename"])


async def test_the_first_message_is_a_snapshot_of_every_seat(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    assert await hold(stack, show, [2], actors.customer) == "SeatHold"
    async with watch(stack, show.id) as live:
        snapshot = await event(live)
    assert (snapshot["showId"], snapshot["kind"], snapshot["version"]) == (show.id, "SNAPSHOT", 1)
    assert snapshot["seats"] == [
        {"seatId": s["id"], "state": "HELD" if i == 2 else "AVAILABLE"}
        for i, s in enumerate(show.seats)]
    assert snapshot["availability"] == {"total": 10, "available": 9, "held": 1, "sold": 0}


async def test_a_hold_sends_a_delta_naming_exactly_its_seats(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    async with watch(stack, show.id) as live:
        snapshot = await event(live)
        assert await hold(stack, show, [0, 3], actors.customer) == "SeatHold"
        delta = await event(live)
    assert (delta["kind"], delta["version"]) == ("DELTA", snapshot["version"] + 1)
    assert delta["seats"] == [{"seatId": s, "state": "HELD"} for s in seat_ids(show, 0, 3)]
    assert delta["availability"] == {"total": 10, "available": 8, "held": 2, "sold": 0}


async def test_each_change_has_the_next_version(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    async with watch(stack, show.id) as live:
        snapshot = await event(live)
        await hold(stack, show, [0], actors.customer)
        await hold(stack, show, [1, 2], actors.other_customer)
        first, second = await event(live), await event(live)
    assert [first["version"], second["version"]] == [snapshot["version"] + 1,
                                                     snapshot["version"] + 2]
    assert second["seats"] == [{"seatId": s, "state": "HELD"} for s in seat_ids(show, 1, 2)]
    assert second["availability"]["held"] == 3


async def test_a_refused_hold_announces_nothing(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    async with watch(stack, show.id) as live:
        snapshot = await event(live)
        assert await hold(stack, show, [0], actors.customer) == "SeatHold"
        assert await hold(stack, show, [0, 1], actors.other_customer) == "SeatsUnavailable"
        assert await hold(stack, show, [4], actors.other_customer) == "SeatHold"
        first, second = await event(live), await event(live)
    assert [first["version"], second["version"]] == [snapshot["version"] + 1,
                                                     snapshot["version"] + 2]
    assert [first["seats"], second["seats"]] == [
        [{"seatId": seat_ids(show, 0)[0], "state": "HELD"}],
        [{"seatId": seat_ids(show, 4)[0], "state": "HELD"}]]


async def first_message(url: str, query: str, variables: dict[str, Any],
                        headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The first protocol message after subscribing, whatever its type."""
    async with GraphQLWebSocket.connect(url, headers=headers) as connection:
        await connection.subscribe("1", query, variables)
        return await connection.receive()


async def test_an_unknown_show_gets_a_not_found_error(stack: Stack) -> None:
    message = await first_message(stack.url("booking"), SEAT_AVAILABILITY,
                                  {"show": str(uuid.uuid4())})
    assert message["type"] == "next"
    [error] = message["payload"]["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("NOT_FOUND", "showId")


async def test_a_subscription_with_a_bad_token_is_refused(
        stack: Stack, show: ShowOnSale) -> None:
    message = await first_message(stack.url("booking"), SEAT_AVAILABILITY, {"show": show.id},
                                  {"authorization": "Bearer not.a.jwt"})
    assert message["type"] == "next"
    assert message["payload"].get("data") is None
    [error] = message["payload"]["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
