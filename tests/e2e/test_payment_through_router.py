"""Paying through the router: a customer who registered there holds, checks out and pays
with each sandbox test card; the organizer refunds. Everything goes through the real
router, on a deployment of this module's own whose "processing" cards settle when a test
says so (their settle time is an hour; ``settle_now`` makes one due).

For every payment that succeeds the booking reads CONFIRMED (with its payment, from the
payment subgraph, in the same query) and a watcher of ``seatAvailability`` that
subscribed before paying is told the seats are SOLD; a refund puts them back AVAILABLE.
Every scenario, and the module, ends with invariant 4 of docs/architecture.md read from both
databases.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import own_processes
from tests.flows import PASSWORD, SEAT_AVAILABILITY, ShowOnSale, User, new_user, show_on_sale
from tests.flows import seat_ids as seats
from tests.harness import GraphQL, Processes, Stack, Subscription
from tests.integration.support import databases
from tests.payments import (
    CONFIRM,
    DECLINED,
    INSUFFICIENT_FUNDS,
    PAYMENT,
    PROCESSING_SUCCEEDS,
    REFUND,
    START,
    SUCCEEDS,
    announced,
    pending_booking,
    settle_now,
    settled,
    wait_booking,
)

PRICE = 1500
REGISTER = """mutation($i: RegisterInput!) { register(input: $i) {
  accessToken user { id email } } }"""
BOOKING = """query($id: ID!) { booking(id: $id) { id status total { amount currency }
  payment { id status captured { amount } refunded { amount } } } }"""
# How long a watcher waits for the change a payment caused (generous, for a loaded machine).
WAIT = 30.0


@pytest.fixture(scope="module")
async def paying(mode: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[tuple[Stack, Processes]]:
    """The real processes and router; sandbox "processing" cards settle when a test makes
    them due (``settle_now``), never by a race with a short delay."""
    async with own_processes(mode, tmp_path_factory, "pay",
                             payment_worker_interval_seconds=0.2) as running:
        yield running


@pytest.fixture(scope="module")
async def stack(paying: tuple[Stack, Processes]) -> Stack:
    return paying[0]


@pytest.fixture(scope="module")
def router(stack: Stack) -> GraphQL:
    return GraphQL(stack.router_url)


@pytest.fixture(scope="module")
async def organizer(stack: Stack) -> User:
    # Organizers are made by an admin (the CLI's code path); they sign in through the router.
    return await new_user(stack, stack.router_url, "ORGANIZER")


@pytest.fixture(scope="module")
async def show(router: GraphQL, organizer: User) -> ShowOnSale:
    return await show_on_sale(router, router, organizer, price=PRICE, via_router=True,
                              rows=[{"label": "A", "seats": 8}, {"label": "B", "seats": 8}])


@pytest.fixture
async def customer(router: GraphQL) -> User:
    """A new customer, registered through the router."""
    email = f"payer-{uuid.uuid4().hex[:10]}@example.com"
    data = await router.data(REGISTER, {"i": {"email": email, "password": PASSWORD,
                                              "name": "Paying Customer"}})
    user = data["register"]["user"]
    assert user["email"] == email
    return User(user["id"], email, data["register"]["accessToken"])


@pytest.fixture(scope="module")
def booked() -> list[str]:
    """Every booking this module made, for the final check of the money."""
    return []


@pytest.fixture
async def watcher(stack: Stack, show: ShowOnSale) -> AsyncIterator[Subscription]:
    """A watcher of the show's seats through the router, subscribed before anything is
    paid, past its snapshot."""
    async with Subscription(stack.router_url, SEAT_AVAILABILITY, {"show": show.id}) as w:
        first = (await w.next(WAIT))["data"]["seatAvailability"]
        assert (first["showId"], first["kind"]) == (show.id, "SNAPSHOT")
        yield w


async def told(watcher: Subscription, seat_ids: list[str], state: str) -> dict[str, Any]:
    """The first DELTA that says all of ``seat_ids`` are now ``state`` (earlier ones, such
    as the hold's, pass by)."""
    deadline = time.monotonic() + WAIT
    seen: list[dict[str, Any]] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"never told {seat_ids} are {state}; told {seen}")
        message = await watcher.next(left)
        assert "errors" not in message, message
        event = message["data"]["seatAvailability"]
        seen.append(event)
        states = {s["seatId"]: s["state"] for s in event["seats"]}
        if event["kind"] == "DELTA" and all(states.get(s) == state for s in seat_ids):
            return dict(event)


async def start(router: GraphQL, who: User, booking_id: str) -> dict[str, Any]:
    data = await router.data(START, {"booking": booking_id, "key": uuid.uuid4().hex},
                             who.token)
    payment = data["startPayment"]
    assert (payment["status"], payment["provider"]) == ("REQUIRES_PAYMENT", "SANDBOX")
    assert payment["amount"]["currency"] == "EUR"
    return dict(payment)


async def confirm(router: GraphQL, who: User, payment_id: str, card: str) -> dict[str, Any]:
    data = await router.data(CONFIRM, {"id": payment_id, "card": card}, who.token)
    return dict(data["confirmPayment"])


async def read_booking(router: GraphQL, who: User, booking_id: str) -> dict[str, Any]:
    data = await router.data(BOOKING, {"id": booking_id}, who.token)
    return dict(data["booking"])


async def money_agrees(stack: Stack, booking_ids: list[str] | None) -> None:
    async with databases(stack.settings) as dbs:
        await settled(dbs["booking"], dbs["payment"], booking_ids)


async def checked_out(router: GraphQL, who: User, show: ShowOnSale, seat_ids: list[str],
                      booked: list[str]) -> dict[str, Any]:
    booking = await pending_booking(router, who, show.id, seat_ids)
    assert booking["status"] == "PENDING_PAYMENT"
    assert booking["total"] == {"amount": PRICE * len(seat_ids), "currency": "EUR"}
    booked.append(booking["id"])
    return booking


async def test_the_good_card_confirms_the_booking_and_sells_its_seats(
        stack: Stack, router: GraphQL, show: ShowOnSale, customer: User,
        watcher: Subscription, booked: list[str]) -> None:
    wanted = seats(show, 0, 1)
    booking = await checked_out(router, customer, show, wanted, booked)
    payment = await start(router, customer, booking["id"])
    assert payment["amount"]["amount"] == 2 * PRICE

    paid = await confirm(router, customer, payment["id"], SUCCEEDS)
    assert (paid["__typename"], paid["id"], paid["status"]) == (
        "Payment", payment["id"], "SUCCEEDED")
    assert paid["captured"] == {"amount": 2 * PRICE}

    sold = await told(watcher, wanted, "SOLD")
    assert sold["availability"]["sold"] >= 2
    await wait_booking(router, customer, booking["id"], "CONFIRMED")
    read = await read_booking(router, customer, booking["id"])
    assert read["status"] == "CONFIRMED"
    assert read["payment"] == {"id": payment["id"], "status": "SUCCEEDED",
                               "captured": {"amount": 2 * PRICE}, "refunded": {"amount": 0}}
    await money_agrees(stack, [booking["id"]])


async def test_a_declined_card_leaves_the_booking_pending_and_another_card_pays(
        stack: Stack, router: GraphQL, show: ShowOnSale, customer: User,
        watcher: Subscription, booked: list[str]) -> None:
    wanted = seats(show, 2)
    booking = await checked_out(router, customer, show, wanted, booked)
    payment = await start(router, customer, booking["id"])

    declined = await confirm(router, customer, payment["id"], DECLINED)
    assert declined["__typename"] == "PaymentDeclined"
    assert (declined["code"], declined["reason"]) == ("PAYMENT_FAILED", "card_declined")
    assert declined["payment"] == {"id": payment["id"], "status": "FAILED"}
    read = await read_booking(router, customer, booking["id"])
    assert (read["status"], read["payment"]["status"]) == ("PENDING_PAYMENT", "FAILED")

    paid = await confirm(router, customer, payment["id"], SUCCEEDS)
    assert (paid["__typename"], paid["status"], paid["attempts"]) == ("Payment", "SUCCEEDED", 2)
    assert paid["failure"] is None

    await told(watcher, wanted, "SOLD")
    await wait_booking(router, customer, booking["id"], "CONFIRMED")
    read = await read_booking(router, customer, booking["id"])
    assert read["payment"]["status"] == "SUCCEEDED"
    await money_agrees(stack, [booking["id"]])


async def test_insufficient_funds_is_declined_and_sells_nothing(
        stack: Stack, router: GraphQL, show: ShowOnSale, customer: User,
        booked: list[str]) -> None:
    wanted = seats(show, 3)
    booking = await checked_out(router, customer, show, wanted, booked)
    payment = await start(router, customer, booking["id"])

    declined = await confirm(router, customer, payment["id"], INSUFFICIENT_FUNDS)
    assert declined["__typename"] == "PaymentDeclined"
    assert declined["reason"] == "insufficient_funds"
    assert declined["payment"] == {"id": payment["id"], "status": "FAILED"}

    await money_agrees(stack, [booking["id"]])  # every event is through: nothing moved
    read = await read_booking(router, customer, booking["id"])
    assert read["status"] == "PENDING_PAYMENT"
    assert read["payment"] == {"id": payment["id"], "status": "FAILED",
                               "captured": {"amount": 0}, "refunded": {"amount": 0}}
    # A watcher who comes now is shown the seat still held for the booking, not sold.
    async with Subscription(stack.router_url, SEAT_AVAILABILITY, {"show": show.id}) as late:
        snapshot = (await late.next(WAIT))["data"]["seatAvailability"]
    assert snapshot["kind"] == "SNAPSHOT"
    assert {s["seatId"]: s["state"] for s in snapshot["seats"]}[wanted[0]] == "HELD"


async def test_a_processing_card_confirms_the_booking_once_it_settles(
        stack: Stack, router: GraphQL, show: ShowOnSale, customer: User,
        watcher: Subscription, booked: list[str]) -> None:
    wanted = seats(show, 4)
    booking = await checked_out(router, customer, show, wanted, booked)
    payment = await start(router, customer, booking["id"])

    processing = await confirm(router, customer, payment["id"], PROCESSING_SUCCEEDS)
    assert (processing["__typename"], processing["status"]) == ("Payment", "PROCESSING")
    assert processing["captured"] == {"amount": 0}

    async with databases(stack.settings) as dbs:
        # While the provider decides, payment announced no success: nothing can sell the
        # seats yet (the announcement is written with the payment's status, or not at all).
        assert await announced(dbs["payment"], "PaymentSucceeded", payment["id"]) == 0
        await settle_now(dbs["payment"], payment["id"])  # the provider decides now
    # The sandbox's webhook settles it; the seats are sold only then.
    await told(watcher, wanted, "SOLD")
    await wait_booking(router, customer, booking["id"], "CONFIRMED")
    read = await read_booking(router, customer, booking["id"])
    assert read["payment"] == {"id": payment["id"], "status": "SUCCEEDED",
                               "captured": {"amount": PRICE}, "refunded": {"amount": 0}}
    await money_agrees(stack, [booking["id"]])


async def test_the_organizer_refunds_a_confirmed_booking_and_its_seats_come_back(
        stack: Stack, router: GraphQL, show: ShowOnSale, customer: User, organizer: User,
        watcher: Subscription, booked: list[str]) -> None:
    wanted = seats(show, 5, 6)
    booking = await checked_out(router, customer, show, wanted, booked)
    payment = await start(router, customer, booking["id"])
    paid = await confirm(router, customer, payment["id"], SUCCEEDS)
    assert paid["status"] == "SUCCEEDED"
    await told(watcher, wanted, "SOLD")
    await wait_booking(router, customer, booking["id"], "CONFIRMED")

    # The organizer sees the payment of their show, and gives all of it back.
    seen = await router.data(PAYMENT, {"id": payment["id"]}, organizer.token)
    assert seen["payment"]["status"] == "SUCCEEDED"
    data = await router.data(REFUND, {"id": payment["id"], "key": uuid.uuid4().hex},
                             organizer.token)
    refund = data["refundPayment"]
    assert (refund["status"], refund["reason"]) == ("SUCCEEDED", "REQUESTED")
    assert refund["amount"] == {"amount": 2 * PRICE, "currency": "EUR"}
    assert refund["payment"] == {"id": payment["id"], "status": "REFUNDED"}

    freed = await told(watcher, wanted, "AVAILABLE")
    assert {s["seatId"] for s in freed["seats"]} == set(wanted)
    await wait_booking(router, customer, booking["id"], "CANCELLED")
    read = await read_booking(router, customer, booking["id"])
    assert read["payment"] == {"id": payment["id"], "status": "REFUNDED",
                               "captured": {"amount": 2 * PRICE},
                               "refunded": {"amount": 2 * PRICE}}
    again = await router.data(PAYMENT, {"id": payment["id"]}, customer.token)
    assert [(r["status"], r["amount"]["amount"]) for r in again["payment"]["refunds"]] == [
        ("SUCCEEDED", 2 * PRICE)]
    await money_agrees(stack, [booking["id"]])


async def test_money_and_seats_agree_for_every_booking_of_the_deployment(
        stack: Stack, booked: list[str]) -> None:
    assert booked, "run with the scenarios above"
    await money_agrees(stack, None)
