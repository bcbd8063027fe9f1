"""Paying through the router: how long a sandbox payment takes, and how long until booking
has confirmed it (the saga: payment's outbox → stream → booking's consumer).

Each client repeats the customer's journey on one show: holdBestAvailable(1), checkout,
startPayment, confirmPayment with the sandbox card, then polls its booking every 10 ms
until it is CONFIRMED. Reported per concurrency level:

- ``confirm``: the confirmPayment request, end to end through the router;
- ``saga``: from the payment's ``succeeded_at`` to the booking's confirmation
  (``updated_at``), read from the two databases afterwards, so the clients' polling
  (every 200 ms) does not load the booking service it measures;
- the saga's parts (medians): payment's relay taking the event from its outbox, the stream
  to booking's consumer starting to apply it, and applying it;
- ``journey``: hold to the first read that sees CONFIRMED; and paid bookings per second.

    .venv/bin/python -m bench.payments --mode postgres --clients 1 8 32 --seconds 15

Results: docs/benchmarks.md, "Payments".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.common import show_on_sale, summary
from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.booking.models import Booking
from subgraphs.kernel.events import Event
from subgraphs.kernel.settings import Settings
from subgraphs.payment.models import TABLES as PAYMENT_TABLES
from subgraphs.payment.models import Payment
from tests.flows import User, new_user
from tests.harness import process_stack, test_env
from tests.integration.support import databases

HOLD = """mutation($show: ID!, $key: String) { holdBestAvailable(showId: $show, quantity: 1,
  idempotencyKey: $key) { __typename ... on SeatHold { id } } }"""
CHECKOUT = """mutation($hold: ID!, $key: String!) { checkout(holdId: $hold, idempotencyKey: $key) {
  __typename ... on Booking { id } } }"""
START = "mutation($b: ID!) { startPayment(bookingId: $b) { id } }"
CONFIRM = """mutation($p: ID!) { confirmPayment(paymentId: $p, card: "4242424242424242") {
  __typename ... on Payment { status } } }"""
BOOKING = "query($id: ID!) { booking(id: $id) { status } }"


@dataclass
class Timings:
    confirm: list[float] = field(default_factory=list)
    saga: dict[str, list[float]] = field(default_factory=dict)
    journey: list[float] = field(default_factory=list)
    bookings: list[str] = field(default_factory=list)
    errors: int = 0


async def call(http: httpx.AsyncClient, url: str, user: User, query: str,
               variables: dict[str, object]) -> dict[str, object]:
    response = await http.post(url, json={"query": query, "variables": variables},
                               headers={"authorization": f"Bearer {user.token}"})
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]  # type: ignore[no-any-return]


async def journey(http: httpx.AsyncClient, url: str, user: User, show_id: str,
                  t: Timings) -> None:
    began = time.perf_counter()
    hold = (await call(http, url, user, HOLD, {"show": show_id, "key": uuid.uuid4().hex})
            )["holdBestAvailable"]
    booking = (await call(http, url, user, CHECKOUT, {"hold": hold["id"],  # type: ignore[index]
                                                      "key": uuid.uuid4().hex}))["checkout"]
    booking_id = booking["id"]  # type: ignore[index]
    payment = (await call(http, url, user, START, {"b": booking_id}))["startPayment"]
    sent = time.perf_counter()
    paid = (await call(http, url, user, CONFIRM, {"p": payment["id"]}))  # type: ignore[index]
    answered = time.perf_counter()
    assert paid["confirmPayment"]["status"] == "SUCCEEDED", paid  # type: ignore[index]
    while True:
        seen = await call(http, url, user, BOOKING, {"id": booking_id})
        if seen["booking"]["status"] == "CONFIRMED":  # type: ignore[index]
            break
        await asyncio.sleep(0.2)
    done = time.perf_counter()
    t.confirm.append((answered - sent) * 1000)
    t.journey.append((done - began) * 1000)
    t.bookings.append(str(booking_id))


async def saga_latencies(settings: Settings, booking_ids: list[str]) -> dict[str, list[float]]:
    """Milliseconds from each payment's success to its booking's confirmation (``saga``), and
    its parts: to payment's relay taking its PaymentSucceeded from the outbox (``relay``),
    from there to booking's consumer starting to apply it (``stream``), and applying it
    (``apply``: booking's ``processed_at`` to the booking's ``updated_at``)."""
    async with databases(settings) as dbs:
        async with dbs["booking"].reader() as s:
            confirmed = dict((await s.execute(select(Booking.id, Booking.updated_at).where(
                Booking.id.in_(booking_ids), Booking.status == "CONFIRMED"))).all())
        async with dbs["payment"].reader() as s:
            paid = dict((await s.execute(select(Payment.booking_id, Payment.succeeded_at)
                                         .where(Payment.booking_id.in_(booking_ids)))).all())
            outbox = PAYMENT_TABLES.outbox
            published, booking_of = {}, {}
            for event_id, body, at in await s.execute(
                    select(outbox.c.event_id, outbox.c.body, outbox.c.published_at)
                    .where(outbox.c.type == "PaymentSucceeded")):
                if at is not None:
                    booking = Event.from_json(body).payload["booking_id"]
                    published[booking], booking_of[event_id] = at, booking
        async with dbs["booking"].reader() as s:
            processed = BOOKING_TABLES.processed
            began = {booking_of[e]: at for e, at in await s.execute(
                select(processed.c.event_id, processed.c.processed_at)
                .where(processed.c.event_id.in_(list(booking_of))))}
    ids = [b for b in booking_ids if b in confirmed and paid.get(b) is not None]

    def ms(later: dict[str, datetime], earlier: dict[str, datetime]) -> list[float]:
        return [(later[b] - earlier[b]).total_seconds() * 1000 for b in ids
                if b in later and b in earlier]

    return {"saga": ms(confirmed, paid), "relay": ms(published, paid),
            "stream": ms(began, published), "apply": ms(confirmed, began)}


async def run(url: str, users: list[User], show_id: str, seconds: float) -> tuple[Timings, float]:
    t = Timings()
    deadline = time.perf_counter() + seconds

    async def client(user: User) -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            while time.perf_counter() < deadline:
                try:
                    await journey(http, url, user, show_id, t)
                except Exception as exc:  # counted and shown; the run goes on
                    t.errors += 1
                    sys.stderr.write(f"journey failed: {exc}\n")

    began = time.perf_counter()
    await asyncio.gather(*[client(u) for u in users])
    return t, time.perf_counter() - began


async def main(mode: str, clients: list[int], seconds: float, separate: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = test_env(mode, tmp / "data") | {
            "TICKETFLOW_MAX_SEATS_PER_CUSTOMER": "100000",
            "TICKETFLOW_DB_POOL_SIZE": "10",
        } | ({"TICKETFLOW_SEPARATE_WORKERS": "true"} if separate else {})
        (tmp / "logs").mkdir()
        async with process_stack(env, tmp / "logs") as (stack, _procs):
            organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
            users = [await new_user(stack, stack.url("auth")) for _ in range(max(clients))]
            show = await show_on_sale(stack, organizer, 5000, "Payments bench")
            sys.stdout.write(f"mode={mode} window={seconds} s; separate workers: {separate}; "
                             f"load average before: "
                             f"{os.getloadavg()[0]:.2f}\n\n| clients | paid/s | confirm p50 / "
                             "p99 / max | saga p50 / p99 / max | saga's parts p50: relay / "
                             "stream / apply | journey p50 / p99 / max | errors |\n"
                             "|---|---|---|---|---|---|---|\n")
            for c in clients:
                t, took = await run(stack.router_url, users[:c], show.id, seconds)
                t.saga = await saga_latencies(stack.settings, t.bookings)
                parts = " / ".join(f"{statistics.median(t.saga[k] or [0]):.0f}"
                                   for k in ("relay", "stream", "apply"))
                sys.stdout.write(f"| {c} | {len(t.journey) / took:.1f} | {summary(t.confirm)} "
                                 f"| {summary(t.saga['saga'])} | {parts} ms "
                                 f"| {summary(t.journey)} | {t.errors} |\n")
                sys.stdout.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="postgres", choices=["postgres", "embedded"])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--separate-workers", action="store_true",
                        help="consumers and background jobs in `ticketflow work` processes")
    args = parser.parse_args()
    asyncio.run(main(args.mode, args.clients, args.seconds, args.separate_workers))
