"""Two hundred customers race to check out with a fifty-use promo code on PostgreSQL.

Each customer is a registered user of its own with one seat held and the code applied (the
code is not used up yet, so all two hundred may apply it); then every checkout is sent at
once, as real HTTP requests to the booking subgraph. Exactly fifty get a discounted booking,
the other hundred and fifty are told the code is used up and book nothing, and the database
agrees: ``redeemed`` is fifty, and so are the redemption rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from subgraphs.booking.models import Booking, PromoRedemption
from subgraphs.kernel.db import Database
from tests.flows import PASSWORD, Actors, User
from tests.harness import Stack
from tests.integration.promo_support import (
    APPLY,
    CHECKOUT,
    HOLD,
    code_state,
    create_code,
    tiered_show,
)
from tests.integration.support import REGISTER

pytestmark = pytest.mark.mode("postgres")

CROWD = 200
USES = 50
PRICE = 2000


@dataclass
class Racer:
    user: User
    address: str
    http: httpx.AsyncClient

    async def run(self, url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(url, json={"query": query, "variables": variables},
                                        headers={"x-forwarded-for": self.address,
                                                 "authorization": f"Bearer {self.user.token}"})
        body = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]


async def sign_up(stack: Stack, http: httpx.AsyncClient, n: int) -> Racer:
    # Register is limited per client address: an address of its own for each racer.
    address = f"2001:db8:9c0d::{n + 1:x}"
    email = f"racer-{uuid.uuid4().hex[:10]}@example.com"
    response = await http.post(stack.url("auth"), headers={"x-forwarded-for": address}, json={
        "query": REGISTER,
        "variables": {"i": {"email": email, "password": PASSWORD, "name": f"Racer {n}"}}})
    body = response.json()
    assert "errors" not in body, body
    registered = body["data"]["register"]
    return Racer(User(registered["user"]["id"], email, registered["accessToken"]), address, http)


@pytest.fixture(scope="module")
async def racers(stack: Stack) -> AsyncIterator[list[Racer]]:
    tls = ssl.create_default_context()
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with contextlib.AsyncExitStack() as clients:
        https = [await clients.enter_async_context(
                     httpx.AsyncClient(timeout=120, verify=tls, limits=fresh))
                 for _ in range(CROWD)]
        found = await asyncio.gather(*(sign_up(stack, http, n) for n, http in enumerate(https)))
        assert len({r.user.id for r in found}) == CROWD
        yield list(found)


async def test_two_hundred_checkouts_redeem_a_fifty_use_code_exactly_fifty_times(
        stack: Stack, actors: Actors, dbs: dict[str, Database], racers: list[Racer]) -> None:
    db = dbs["booking"]
    show = await tiered_show(stack, actors.organizer, "EUR", {"STANDARD": PRICE},
                             seats_per_row=CROWD)
    code = await create_code(stack.client("booking"), actors.organizer, percent=25,
                             maxRedemptions=USES, maxPerCustomer=1, showIds=[show.id])
    url = stack.url("booking")
    seats = show.of("STANDARD")

    async def hold_and_apply(racer: Racer, seat_id: str) -> str:
        held = await racer.run(url, HOLD, {"show": show.id, "seats": [seat_id]})
        hold_id = str(held["holdSeats"]["id"])
        applied = await racer.run(url, APPLY, {"hold": hold_id, "code": code["code"]})
        assert applied["applyPromoCode"]["__typename"] == "SeatHold", applied
        assert applied["applyPromoCode"]["total"]["amount"] == PRICE * 3 // 4
        return hold_id

    holds = await asyncio.gather(*(hold_and_apply(r, s)
                                   for r, s in zip(racers, seats, strict=True)))

    async def check_out(racer: Racer, hold_id: str) -> dict[str, Any]:
        answer = await racer.run(url, CHECKOUT, {"hold": hold_id, "key": uuid.uuid4().hex})
        return dict(answer["checkout"])

    answers = await asyncio.gather(*(check_out(r, h)
                                     for r, h in zip(racers, holds, strict=True)))
    booked = [a for a in answers if a["__typename"] == "Booking"]
    refused = [a for a in answers if a["__typename"] == "PromoCodeRejected"]
    assert len(booked) == USES, [a["__typename"] for a in answers]
    assert len(refused) == CROWD - USES
    assert {a["reason"] for a in refused} == {"EXHAUSTED"}
    assert {(a["total"]["amount"], a["discount"]["amount"]) for a in booked} == {
        (PRICE * 3 // 4, PRICE // 4)}

    state = await code_state(db, code["id"])
    assert (state.redeemed, state.redemptions) == (USES, USES)
    async with db.reader() as session:
        stored = list(await session.scalars(select(Booking).where(Booking.show_id == show.id)))
        redeemed_by = set(await session.scalars(
            select(PromoRedemption.booking_id).where(PromoRedemption.code_id == code["id"])))
    assert len(stored) == USES
    assert {b.id for b in stored} == {a["id"] for a in booked} == redeemed_by
    assert {(b.total_amount, b.discount_amount) for b in stored} == {(PRICE * 3 // 4,
                                                                      PRICE // 4)}
    # Each winner used the code once; the losers' counters were given back in their
    # transaction (or never taken).
    assert sorted(used for used in state.uses.values() if used) == [1] * USES
    winners = {b.user_id for b in stored}
    assert {user for user, used in state.uses.items() if used} == winners
