"""Crash safety: a process killed at the worst moment loses nothing and applies nothing twice.

Real processes on real databases. ``TICKETFLOW_CRASH_AT`` (subgraphs/kernel/faults.py) makes a
process ``os._exit(97)`` at a named point, the same as a ``kill -9`` landing exactly there.
The test checks that the process really died there, restarts it without the crash point,
and then checks the outcome: the booking agrees with its payment and the money settles
(``settled``), and every effect happened exactly once (one PaymentSucceeded, one
BookingConfirmed, the show's version moved once, seats sold once, one refund).

With Redis (mode ``postgres``) each subgraph is its own process and only the one that dies
is restarted; a restarted consumer claims what its dead predecessor left unacknowledged
(``TICKETFLOW_EVENT_CLAIM_IDLE_MS``). Embedded, the one process hosting all four dies and
comes back; its relay replays recent outbox rows and the consumers drop what they had.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from subgraphs.booking.models import BookableShow, Booking, ShowSeat
from subgraphs.kernel.db import Database
from subgraphs.kernel.faults import EXIT_CODE
from subgraphs.kernel.settings import SERVICES
from subgraphs.payment.models import Payment, Refund
from subgraphs.registry import spec
from tests import harness
from tests.flows import ShowOnSale, User, new_user, show_on_sale
from tests.harness import (
    PYTHON,
    GraphQL,
    Processes,
    Stack,
    destroy,
    eventually,
    migrate_all,
    settings_from,
    wait_http,
)
from tests.integration.support import databases
from tests.payments import (
    CANCEL_BOOKING,
    CONFIRM,
    SUCCEEDS,
    confirm,
    pending_booking,
    settled,
    start,
    wait_booking,
)

CRASH_AT = "TICKETFLOW_CRASH_AT"
EMBEDDED = "subgraphs"  # the one process of embedded mode
# Which consumer group reads which stream (subgraphs/*/schema.py ``consumes``).
GROUPS = (("venue", "booking"), ("payment", "booking"), ("booking", "payment"))
# Embedded, a process started with consumer.before_ack would die on the first duplicate its
# relays replay at start-up; without the replay, the first event it handles is the test's.
NO_REPLAY = {"TICKETFLOW_OUTBOX_REPLAY_HOURS": "0"}


# --- a deployment whose processes the test kills and restarts ------------------------------

class Deployment:
    """The subgraph processes of one deployment (no router: the test talks to subgraphs)."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.settings = settings_from(env)
        self.stack = Stack(env, self.settings)
        self.procs = Processes(log_dir)
        self.current: dict[str, str] = {}  # unit -> key of its running process
        self.crashing: set[str] = set()  # units running with a crash point
        self.started = 0
        self.dbs: dict[str, Database] = {}
        self.redis: aioredis.Redis | None = None
        self.customer: User
        self.organizer: User

    @property
    def embedded(self) -> bool:
        return self.settings.embedded

    @property
    def units(self) -> list[str]:
        return [EMBEDDED] if self.embedded else list(SERVICES)

    def unit_of(self, service: str) -> str:
        """The process that hosts ``service``."""
        return EMBEDDED if self.embedded else service

    def client(self, service: str) -> GraphQL:
        return self.stack.client(service)

    def pid(self, unit: str) -> int:
        return self.procs.procs[self.current[unit]].pid

    def log(self, unit: str) -> str:
        return self.procs.log(self.current[unit])

    async def start(self, unit: str, crash_at: str | None = None,
                    extra: dict[str, str] | None = None) -> None:
        """Start ``unit`` (a fresh log file each time) and wait until it is ready."""
        self.started += 1
        key = f"{unit}-{self.started}"
        env = {**self.env, **(extra or {})}
        if crash_at:
            env[CRASH_AT] = crash_at
            self.crashing.add(unit)
        else:
            self.crashing.discard(unit)
        argv = [PYTHON, "-m", "subgraphs.cli", "serve", *([] if unit == EMBEDDED else [unit])]
        self.procs.start(key, argv, env)
        self.current[unit] = key
        for service in SERVICES if unit == EMBEDDED else [unit]:
            await wait_http(f"http://127.0.0.1:{self.settings.port_of(service)}/readyz",
                            procs=self.procs)

    def stop(self, unit: str) -> int | None:
        """Stop ``unit`` gracefully (SIGTERM); its exit code."""
        return self.procs.stop(self.current.pop(unit))

    async def restart(self, unit: str, crash_at: str | None = None,
                      extra: dict[str, str] | None = None) -> None:
        self.stop(unit)
        await self.start(unit, crash_at, extra)

    async def died(self, unit: str, timeout: float = 30) -> int:
        """Wait until ``unit`` exits on its own; its exit code."""
        proc = self.procs.procs[self.current[unit]]
        try:
            await eventually(lambda: asyncio.sleep(0, proc.poll() is not None), timeout, 0.05)
        except AssertionError:
            raise AssertionError(f"{unit} did not die:\n{self.log(unit)[-3000:]}") from None
        log = self.log(unit)
        code = self.stop(unit)
        assert code is not None
        assert code == EXIT_CODE, f"{unit} exited with {code}, not {EXIT_CODE}:\n{log[-3000:]}"
        assert "crash point" in log, log[-3000:]
        return code

    async def normal(self) -> None:
        """Every unit running, none with a crash point (a failed test may leave one)."""
        for unit in self.units:
            if unit in self.current and unit not in self.crashing \
                    and self.procs.procs[self.current[unit]].poll() is None:
                continue
            if unit in self.current:
                self.stop(unit)
            await self.start(unit)

    async def quiet(self, timeout: float = 30) -> None:
        """Wait until every outbox row is published and (with Redis) every consumer group
        has read and acknowledged everything: nothing left over for the next crash point."""

        async def done() -> list[str]:
            left = []
            for name in SERVICES:
                outbox = spec(name).tables.outbox
                async with self.dbs[name].reader() as session:
                    n = await session.scalar(select(func.count()).select_from(outbox)
                                             .where(outbox.c.published_at.is_(None)))
                if n:
                    left.append(f"{name}: {n} unpublished")
            for stream, group in GROUPS if self.redis is not None else ():
                pending, lag = await group_state(self, stream, group)
                if pending or lag:
                    left.append(f"{group} on {stream}: {pending} pending, lag {lag}")
            return left

        last: list[str] = []

        async def check() -> bool:
            nonlocal last
            last = await done()
            return not last

        try:
            await eventually(check, timeout, 0.1)
        except AssertionError:
            raise AssertionError(f"not quiet: {last}") from None


@contextlib.asynccontextmanager
async def deployment(mode: str, base: Path) -> AsyncIterator[Deployment]:
    logs = base / "logs"
    logs.mkdir(parents=True)
    env = harness.test_env(mode, base / "data") | {
        # A restarted consumer takes over its dead predecessor's messages after a second.
        "TICKETFLOW_EVENT_CLAIM_IDLE_MS": "1000",
        "TICKETFLOW_PAYMENT_WORKER_INTERVAL_SECONDS": "0.5",
        # PostgreSQL is shared: 4 processes x (2 + 2 overflow) connections at most.
        "TICKETFLOW_DB_POOL_SIZE": "2",
    }
    dep = Deployment(env, logs)
    await migrate_all(dep.settings)
    try:
        async with databases(dep.settings) as dbs:
            dep.dbs = dbs
            if dep.settings.redis_url:
                dep.redis = aioredis.from_url(dep.settings.redis_url)
            try:
                for unit in dep.units:
                    await dep.start(unit)
                dep.customer = await new_user(dep.stack, dep.stack.url("auth"))
                dep.organizer = await new_user(dep.stack, dep.stack.url("auth"), "ORGANIZER")
                yield dep
            finally:
                dep.procs.stop_all()
                if dep.redis is not None:
                    await dep.redis.aclose()
    finally:
        await destroy(dep.settings)


@pytest.fixture(scope="module")
async def crashy(mode: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[Deployment]:
    """One deployment per mode for the whole module; each test makes its own show."""
    async with deployment(mode, tmp_path_factory.mktemp(f"crash-{mode}")) as dep:
        yield dep


# --- what the databases and the event bus say ---------------------------------------------

async def group_state(dep: Deployment, stream: str, group: str) -> tuple[int, int | None]:
    """(pending, lag) of a consumer group on a stream."""
    assert dep.redis is not None
    for info in await dep.redis.xinfo_groups(f"{dep.settings.redis_prefix}:events:{stream}"):
        name = info["name"]
        if (name.decode() if isinstance(name, bytes) else name) == group:
            return int(info["pending"]), info.get("lag")
    return 0, 0  # the group does not exist yet: nothing was delivered to it


async def pending_owners(dep: Deployment, stream: str, group: str) -> dict[str, int]:
    """Consumer name -> messages it was given and has not acknowledged."""
    assert dep.redis is not None
    summary = await dep.redis.xpending(f"{dep.settings.redis_prefix}:events:{stream}", group)
    return {(c["name"].decode() if isinstance(c["name"], bytes) else c["name"]): int(c["pending"])
            for c in summary["consumers"]}


async def times_on_bus(dep: Deployment, stream: str, event_id: str) -> int:
    """How many times the event was published to ``stream`` (Redis only)."""
    assert dep.redis is not None
    entries = await dep.redis.xrange(f"{dep.settings.redis_prefix}:events:{stream}")
    return sum(1 for _id, fields in entries
               if json.loads(fields[b"event"])["id"] == event_id)


async def outbox_events(dep: Deployment, service: str, event_type: str,
                        booking_id: str) -> list[dict[str, Any]]:
    """The ``event_type`` events about a booking in ``service``'s outbox, with
    ``published`` (whether the relay marked the row)."""
    outbox = spec(service).tables.outbox
    async with dep.dbs[service].reader() as session:
        rows = (await session.execute(select(outbox.c.body, outbox.c.published_at)
                                      .where(outbox.c.type == event_type)
                                      .order_by(outbox.c.seq))).all()
    found = []
    for body, published_at in rows:
        event = json.loads(body)
        if event["payload"].get("booking_id") == booking_id:
            found.append({**event, "published": published_at is not None})
    return found


async def times_applied(dep: Deployment, service: str, event_id: str) -> int:
    """Rows in ``service``'s processed_events for the event (its consumer is ``service``)."""
    processed = spec(service).tables.processed
    async with dep.dbs[service].reader() as session:
        return int(await session.scalar(
            select(func.count()).select_from(processed)
            .where(processed.c.event_id == event_id, processed.c.consumer == service)) or 0)


@dataclass
class Facts:
    """One booking as both databases store it."""

    booking: Booking
    payments: list[Payment]
    refunds: list[Refund]
    succeeded: list[dict[str, Any]]  # PaymentSucceeded in payment's outbox
    refunded: list[dict[str, Any]]  # PaymentRefunded in payment's outbox
    confirmed: list[dict[str, Any]]  # BookingConfirmed in booking's outbox
    cancelled: list[dict[str, Any]]  # BookingCancelled in booking's outbox
    version: int  # the show's
    sold: int  # the show's seats SOLD

    @property
    def payment(self) -> Payment:
        assert len(self.payments) == 1, self.payments
        return self.payments[0]


async def facts(dep: Deployment, booking_id: str) -> Facts:
    async with dep.dbs["booking"].reader() as bs, dep.dbs["payment"].reader() as ps:
        booking = await bs.get(Booking, booking_id)
        assert booking is not None
        version = await bs.scalar(select(BookableShow.version)
                                  .where(BookableShow.id == booking.show_id))
        sold = await bs.scalar(select(func.count()).select_from(ShowSeat).where(
            ShowSeat.show_id == booking.show_id, ShowSeat.state == "SOLD"))
        payments = list(await ps.scalars(select(Payment).where(Payment.booking_id == booking_id)))
        refunds = list(await ps.scalars(select(Refund).where(
            Refund.payment_id.in_([p.id for p in payments])).order_by(Refund.created_at)))
    return Facts(
        booking=booking, payments=payments, refunds=refunds,
        succeeded=await outbox_events(dep, "payment", "PaymentSucceeded", booking_id),
        refunded=await outbox_events(dep, "payment", "PaymentRefunded", booking_id),
        confirmed=await outbox_events(dep, "booking", "BookingConfirmed", booking_id),
        cancelled=await outbox_events(dep, "booking", "BookingCancelled", booking_id),
        version=int(version or 0), sold=int(sold or 0))


# --- requests that may lose their answer to the crash ----------------------------------------

async def answered(dep: Deployment, service: str, query: str, variables: dict[str, Any],
                   who: User) -> dict[str, Any] | None:
    """The response's data, or ``None`` if the process died before answering."""
    try:
        body = await dep.client(service).run(query, variables, who.token)
    except httpx.TransportError:
        return None
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def ready_to_pay(dep: Deployment, seats: int = 2) -> tuple[ShowOnSale, dict[str, Any],
                                                                   dict[str, Any]]:
    """A new show, a booking of ``seats`` seats awaiting payment, and its started payment."""
    await dep.normal()
    show = await show_on_sale(dep.client("venue"), dep.client("booking"), dep.organizer)
    booking = await pending_booking(dep.client("booking"), dep.customer, show.id,
                                    [s["id"] for s in show.seats[:seats]])

    async def payment_heard_of_it() -> bool:
        # startPayment itself waits only a few seconds for BookingCreated; after an embedded
        # restart the consumers first drop the replayed events, on a machine others share.
        async with dep.dbs["payment"].reader() as session:
            return await session.scalar(
                select(Payment.id).where(Payment.booking_id == booking["id"])) is not None

    await eventually(payment_heard_of_it, 30)
    payment = await start(dep.client("payment"), dep.customer, booking["id"])
    return show, booking, payment


# --- a payment succeeds while a process dies -----------------------------------------------

SUCCESS_POINTS = {
    # point: the subgraph whose process dies there
    "relay.before_publish": "payment",  # PaymentSucceeded committed, never published
    "relay.before_mark": "payment",  # published, not marked: published again on restart
    "consumer.before_ack": "booking",  # booking confirmed and committed, not acknowledged
}


@pytest.mark.parametrize("point", list(SUCCESS_POINTS))
async def test_a_payment_that_succeeds_as_a_process_dies_confirms_its_booking_once(
        crashy: Deployment, point: str) -> None:
    dep = crashy
    show, booking, payment = await ready_to_pay(dep)
    await dep.quiet()
    before = await facts(dep, booking["id"])
    assert before.booking.status == "PENDING_PAYMENT" and before.sold == 0
    unit = dep.unit_of(SUCCESS_POINTS[point])
    # Embedded, every consumer would reach the point on the events its relay replays at
    # start-up; without the replay the first event it handles is PaymentSucceeded.
    # Embedded, notification's consumers share the process: only booking's may die there.
    where = f"{point}@booking" if point.startswith("consumer") else point
    await dep.restart(unit, where, NO_REPLAY if dep.embedded and point.startswith("consumer")
                      else None)
    dead_pid = dep.pid(unit)

    # The relay and consumers run after the charge commits: the customer may get the
    # answer or see the connection drop; both are fine, the money is recorded either way.
    answer = await answered(dep, "payment", CONFIRM, {"id": payment["id"], "card": SUCCEEDS},
                            dep.customer)
    if answer is not None:
        assert answer["confirmPayment"]["status"] == "SUCCEEDED", answer
    await dep.died(unit)

    crashed = await facts(dep, booking["id"])
    assert crashed.payment.status == "SUCCEEDED"
    assert crashed.payment.captured_amount == booking["total"]["amount"]
    assert len(crashed.succeeded) == 1
    event_id = crashed.succeeded[0]["id"]
    if point == "relay.before_publish":
        assert not crashed.succeeded[0]["published"]
        assert crashed.booking.status == "PENDING_PAYMENT"
        if dep.redis is not None:
            assert await times_on_bus(dep, "payment", event_id) == 0
    elif point == "relay.before_mark":
        assert not crashed.succeeded[0]["published"]
        if dep.redis is not None:
            assert await times_on_bus(dep, "payment", event_id) == 1
    else:
        # Booking applied it and committed the confirmation, then died before the ack.
        assert crashed.booking.status == "CONFIRMED"
        assert len(crashed.confirmed) == 1
        assert crashed.version == before.version + 1
        assert await times_applied(dep, "booking", event_id) == 1
        if dep.redis is not None:
            owners = await pending_owners(dep, "payment", "booking")
            assert owners == {f"booking-{socket.gethostname()}-{dead_pid}": 1}, owners

    await dep.start(unit)
    await wait_booking(dep.client("booking"), dep.customer, booking["id"], "CONFIRMED", 30)
    await settled(dep.dbs["booking"], dep.dbs["payment"], [booking["id"]])
    await dep.quiet()

    after = await facts(dep, booking["id"])
    assert after.booking.status == "CONFIRMED"
    assert after.booking.payment_id == payment["id"]
    assert after.payment.status == "SUCCEEDED" and after.payment.booking_status == "CONFIRMED"
    assert after.payment.attempts == 1
    assert [e["id"] for e in after.succeeded] == [event_id]
    assert len(after.confirmed) == 1, after.confirmed
    assert after.confirmed[0]["published"]
    assert sorted(after.confirmed[0]["payload"]["seat_ids"]) == sorted(
        s["id"] for s in show.seats[:2])
    assert after.version == before.version + 1  # moved once, not once per delivery
    assert after.sold == 2
    assert after.refunds == [] and after.refunded == []
    assert await times_applied(dep, "booking", event_id) == 1
    assert await times_applied(dep, "payment", after.confirmed[0]["id"]) == 1
    if dep.redis is not None:
        expected = 2 if point == "relay.before_mark" else 1
        assert await times_on_bus(dep, "payment", event_id) == expected
        assert await pending_owners(dep, "payment", "booking") == {}


# --- a refund is under way while payment dies -----------------------------------------------

@pytest.mark.parametrize("point", ["consumer.before_ack", "payment.refund_sent"])
async def test_a_cancelled_booking_is_refunded_once_across_a_payment_crash(
        crashy: Deployment, point: str) -> None:
    dep = crashy
    _show, booking, payment = await ready_to_pay(dep)
    paid = await confirm(dep.client("payment"), dep.customer, payment["id"], SUCCEEDS)
    assert paid["status"] == "SUCCEEDED", paid
    await wait_booking(dep.client("booking"), dep.customer, booking["id"], "CONFIRMED", 30)
    await settled(dep.dbs["booking"], dep.dbs["payment"], [booking["id"]])
    await dep.quiet()
    before = await facts(dep, booking["id"])
    assert before.payment.booking_status == "CONFIRMED" and before.sold == 2
    unit = dep.unit_of("payment")
    where = f"{point}@payment" if point.startswith("consumer") else point
    await dep.restart(unit, where, NO_REPLAY if dep.embedded and point.startswith("consumer")
                      else None)
    dead_pid = dep.pid(unit)

    # Embedded, booking dies with payment: the cancellation's answer may be lost too.
    answer = await answered(dep, "booking", CANCEL_BOOKING, {"id": booking["id"]},
                            dep.customer)
    if answer is not None:
        assert answer["cancelBooking"]["status"] == "CANCELLED", answer
    await dep.died(unit)

    crashed = await facts(dep, booking["id"])
    assert crashed.booking.status == "CANCELLED"
    assert len(crashed.cancelled) == 1
    # The BookingCancelled was applied (a refund was opened) and committed in either case.
    assert len(crashed.refunds) == 1, crashed.refunds
    refund = crashed.refunds[0]
    assert refund.amount == booking["total"]["amount"]
    assert refund.reason == "BOOKING_CANCELLED"
    assert await times_applied(dep, "payment", crashed.cancelled[0]["id"]) == 1
    if point == "payment.refund_sent":
        # The sandbox paid it back; nothing of that was recorded.
        assert (refund.status, refund.attempts, refund.provider_refund_id) == ("PENDING", 0, None)
        assert crashed.payment.status == "SUCCEEDED" and crashed.payment.refunded_amount == 0
    elif dep.redis is not None:
        owners = await pending_owners(dep, "booking", "payment")
        assert owners == {f"payment-{socket.gethostname()}-{dead_pid}": 1}, owners

    await dep.start(unit)
    await settled(dep.dbs["booking"], dep.dbs["payment"], [booking["id"]])
    await dep.quiet()

    after = await facts(dep, booking["id"])
    assert after.booking.status == "CANCELLED"
    assert after.payment.status == "REFUNDED" and after.payment.booking_status == "CANCELLED"
    assert after.payment.refunded_amount == after.payment.captured_amount == \
        booking["total"]["amount"]
    assert len(after.refunds) == 1, after.refunds  # no second refund
    done = after.refunds[0]
    assert done.id == refund.id and done.status == "SUCCEEDED"
    # The sandbox's refund reference derives from TicketFlow's refund id, the idempotency
    # key sent to the provider: the retry asked for the same refund.
    assert done.provider_refund_id == "sbx_re_" + refund.id.replace("-", "")[:16]
    if point == "payment.refund_sent":
        assert done.attempts == 1  # the answer recorded once, after the restart
    assert len(after.refunded) == 1 and after.refunded[0]["payload"]["fully_refunded"]
    assert len(after.cancelled) == 1 and len(after.confirmed) == 1
    assert after.version == before.version + 1  # the cancellation; the refund moved nothing
    assert after.sold == 0
    assert await times_applied(dep, "payment", after.cancelled[0]["id"]) == 1
    # Booking applies PaymentRefunded after the books agree (the booking was cancelled
    # already): wait for it to be applied, then check it was applied once.
    refunded_id = after.refunded[0]["id"]
    await eventually(lambda: times_applied(dep, "booking", refunded_id))
    assert await times_applied(dep, "booking", refunded_id) == 1
    if dep.redis is not None:
        assert await times_on_bus(dep, "booking", after.cancelled[0]["id"]) == 1
        assert await pending_owners(dep, "booking", "payment") == {}


# --- payment dies between the provider's charge and recording it ----------------------------

async def test_a_confirmation_lost_to_a_crash_can_be_retried_and_confirms_once(
        crashy: Deployment) -> None:
    dep = crashy
    show, booking, payment = await ready_to_pay(dep)
    await dep.quiet()
    before = await facts(dep, booking["id"])
    unit = dep.unit_of("payment")
    await dep.restart(unit, "payment.charged")

    # The process dies inside the request: the customer never hears how it went.
    assert await answered(dep, "payment", CONFIRM, {"id": payment["id"], "card": SUCCEEDS},
                          dep.customer) is None
    await dep.died(unit)
    crashed = await facts(dep, booking["id"])
    assert (crashed.payment.status, crashed.payment.attempts) == ("REQUIRES_PAYMENT", 0)
    assert crashed.succeeded == [] and crashed.booking.status == "PENDING_PAYMENT"

    await dep.start(unit)
    retried = await confirm(dep.client("payment"), dep.customer, payment["id"], SUCCEEDS)
    assert retried["status"] == "SUCCEEDED", retried
    await wait_booking(dep.client("booking"), dep.customer, booking["id"], "CONFIRMED", 30)
    await settled(dep.dbs["booking"], dep.dbs["payment"], [booking["id"]])
    await dep.quiet()
    after = await facts(dep, booking["id"])
    assert after.payment.attempts == 1 and after.payment.captured_amount == \
        booking["total"]["amount"]
    assert len(after.succeeded) == 1 and len(after.confirmed) == 1
    assert after.version == before.version + 1 and after.sold == 2
    assert sorted(after.confirmed[0]["payload"]["seat_ids"]) == sorted(
        s["id"] for s in show.seats[:2])
