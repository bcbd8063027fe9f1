"""Subscriptions through the router work unchanged from off-the-shelf clients: graphql-ws's
own client (the reference graphql-transport-ws implementation) and Apollo Client with its
``GraphQLWsLink``, each driven by ``router/scripts/watch.mjs`` in Node. Each gets the show's
SNAPSHOT, then - after a seat is held through the router - the DELTA that follows it, then
completes its subscription and closes cleanly. Both modes, the session's deployment."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from subgraphs.dev import node_command
from tests.flows import HOLD, Actors, ShowOnSale, seat_id
from tests.harness import ROOT, GraphQL, Processes, Stack

WAIT = 60.0
CLIENTS = {"graphql-ws": 0, "apollo": 1}  # each holds a seat of its own



async def next_event(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), WAIT)
    if not line:
        assert process.stderr is not None
        raise AssertionError((await process.stderr.read()).decode())
    return json.loads(line)  # type: ignore[no-any-return]


@pytest.mark.parametrize("client", list(CLIENTS))
async def test_a_seat_map_is_watched_through_the_router_by_a_stock_client(
        client: str, e2e: tuple[Stack, Processes], e2e_actors: Actors, e2e_show: ShowOnSale
) -> None:
    stack, _ = e2e
    seat = seat_id(e2e_show, CLIENTS[client])
    watcher = await asyncio.create_subprocess_exec(
        *node_command(str(ROOT / "router" / "scripts" / "watch.mjs"), client, stack.router_url,
                      e2e_show.id, "2", e2e_actors.customer.token),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        snapshot = await next_event(watcher)
        assert (snapshot["kind"], snapshot["showId"], snapshot["fromVersion"]) == \
            ("SNAPSHOT", e2e_show.id, None)
        states = {s["seatId"]: s["state"] for s in snapshot["seats"]}
        assert len(states) == len(e2e_show.seats) and states[seat] == "AVAILABLE"

        held = await GraphQL(stack.router_url).data(HOLD, {"show": e2e_show.id, "seats": [seat]},
                                                    e2e_actors.customer.token)
        assert held["holdSeats"]["__typename"] == "SeatHold", held

        delta = await next_event(watcher)
        assert (delta["kind"], delta["fromVersion"]) == ("DELTA", snapshot["version"])
        assert delta["version"] > snapshot["version"]
        assert {s["seatId"]: s["state"] for s in delta["seats"]}[seat] == "HELD"
        assert await asyncio.wait_for(watcher.wait(), WAIT) == 0
    finally:
        if watcher.returncode is None:
            watcher.kill()
            await watcher.wait()
