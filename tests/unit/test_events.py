"""Integration events, the in-process event bus and in-process live fan-out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest

from subgraphs.kernel import bus as bus_module
from subgraphs.kernel import live as live_module
from subgraphs.kernel.bus import InProcessBus
from subgraphs.kernel.events import Event
from subgraphs.kernel.live import InProcessLive, Watcher

# A guard against a hung test, not a measurement: each wait returns as soon as it holds.
GUARD = 5.0


async def until(condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0)

    await asyncio.wait_for(poll(), GUARD)


@contextlib.asynccontextmanager
async def consuming(bus: InProcessBus, stream: str, group: str,
                    handler: Callable[[Event], object]) -> AsyncIterator[None]:
    async def handle(event: Event) -> None:
        result = handler(event)
        if asyncio.iscoroutine(result):
            await result

    task = asyncio.create_task(bus.consume(stream, group, f"{group}-1", handle))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def drain(watcher: Watcher) -> list[dict[str, object]]:
    return [m async for m in watcher.messages()]


def event(n: int) -> Event:
    return Event(type="SeatsHeld", source="booking", payload={"n": n})


# --- Event ----------------------------------------------------------------------------


def test_an_event_survives_its_wire_form() -> None:
    original = Event(type="ShowPublished", source="venue",
                     payload={"show_id": "s-1", "seats": [{"id": "a1"}], "price": {"amount": 5}})
    copy = Event.from_json(original.to_json())
    assert copy == original
    assert (copy.id, copy.type, copy.source, copy.payload, copy.occurred_at) == (
        original.id, original.type, original.source, original.payload, original.occurred_at)


def test_an_event_is_parsed_from_bytes_as_redis_returns_it() -> None:
    original = event(1)
    assert Event.from_json(original.to_json().encode()) == original


def test_each_event_gets_its_own_id() -> None:
    assert event(1).id != event(1).id


def test_occurred_at_is_timezone_aware_utc() -> None:
    occurred = event(1).occurred
    assert isinstance(occurred, datetime)
    offset = occurred.utcoffset()
    assert offset is not None and offset.total_seconds() == 0


# --- InProcessBus ---------------------------------------------------------------------


async def test_every_group_gets_every_event_in_publish_order() -> None:
    bus = InProcessBus()
    payments: list[int] = []
    venues: list[int] = []
    async with (consuming(bus, "booking", "payment", lambda e: payments.append(e.payload["n"])),
                consuming(bus, "booking", "venue", lambda e: venues.append(e.payload["n"]))):
        for n in range(5):
            await bus.publish("booking", event(n))
        await until(lambda: len(payments) == 5 and len(venues) == 5)
    assert payments == [0, 1, 2, 3, 4]
    assert venues == [0, 1, 2, 3, 4]


async def test_consumers_of_one_group_share_the_events_each_applied_once() -> None:
    bus = InProcessBus()
    seen: list[int] = []
    async with (consuming(bus, "booking", "payment", lambda e: seen.append(e.payload["n"])),
                consuming(bus, "booking", "payment", lambda e: seen.append(e.payload["n"]))):
        for n in range(6):
            await bus.publish("booking", event(n))
        await until(lambda: len(seen) >= 6)
        await asyncio.sleep(0.05)
    assert sorted(seen) == [0, 1, 2, 3, 4, 5]


async def test_a_consumer_gets_only_its_own_stream() -> None:
    bus = InProcessBus()
    seen: list[str] = []
    async with consuming(bus, "venue", "booking", lambda e: seen.append(e.source)):
        await bus.publish("payment", Event(type="PaymentSucceeded", source="payment", payload={}))
        await bus.publish("venue", Event(type="ShowPublished", source="venue", payload={}))
        await until(lambda: len(seen) == 1)
    assert seen == ["venue"]


async def test_a_late_consumer_gets_the_stream_from_the_start() -> None:
    bus = InProcessBus()
    for n in range(3):
        await bus.publish("booking", event(n))
    seen: list[int] = []
    async with consuming(bus, "booking", "payment", lambda e: seen.append(e.payload["n"])):
        await until(lambda: len(seen) == 3)
        await bus.publish("booking", event(3))
        await until(lambda: len(seen) == 4)
    assert seen == [0, 1, 2, 3]


async def test_a_failing_handler_is_retried_and_the_next_event_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bus_module, "RETRY_DELAYS", (0.0, 0.001))
    bus = InProcessBus()
    seen: list[int] = []
    failures = {"left": 2}

    def handler(e: Event) -> None:
        seen.append(e.payload["n"])
        if e.payload["n"] == 1 and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("downstream unavailable")

    async with consuming(bus, "booking", "payment", handler):
        for n in (1, 2):
            await bus.publish("booking", event(n))
        await until(lambda: 2 in seen)
    assert seen == [1, 1, 1, 2]


# --- live fan-out ---------------------------------------------------------------------


async def test_a_message_reaches_every_watcher_of_its_channel_only() -> None:
    live = InProcessLive()
    async with (live.watch("show:1") as first, live.watch("show:1") as second,
                live.watch("show:2") as other):
        await live.publish("show:1", {"version": 1})
        assert first.queue.get_nowait() == {"version": 1}
        assert second.queue.get_nowait() == {"version": 1}
        assert other.queue.empty()


async def test_a_watcher_gets_messages_in_publish_order() -> None:
    live = InProcessLive()
    async with live.watch("show:1") as watcher:
        for version in range(1, 4):
            await live.publish("show:1", {"version": version})
        stream = watcher.messages()
        got = [await asyncio.wait_for(anext(stream), GUARD) for _ in range(3)]
    assert [m["version"] for m in got] == [1, 2, 3]


async def test_a_watcher_that_left_gets_nothing_more() -> None:
    live = InProcessLive()
    async with live.watch("show:1") as watcher:
        pass
    await live.publish("show:1", {"version": 1})
    assert watcher.queue.empty()


async def test_an_overflowing_watcher_is_lagged_and_its_stream_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_module, "QUEUE_SIZE", 3)
    live = InProcessLive()
    async with live.watch("show:1") as slow, live.watch("show:1") as fast:
        for version in range(3):
            await live.publish("show:1", {"version": version})
            fast.queue.get_nowait()  # keeps up
        assert not slow.lagged
        await live.publish("show:1", {"version": 3})
        assert slow.lagged
        assert not fast.lagged
        # A lagged watcher's stream must end by itself; the guard only stops a hang.
        remaining = await asyncio.wait_for(drain(slow), GUARD)
    assert remaining == []


async def test_a_watcher_within_its_queue_size_is_not_lagged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_module, "QUEUE_SIZE", 3)
    watcher = Watcher()
    for version in range(3):
        watcher.offer({"version": version})
    assert not watcher.lagged
    assert watcher.queue.qsize() == 3


async def test_waiting_events_go_to_the_batch_handler_together_and_one_by_one_if_it_fails(
) -> None:
    bus, batches, singles = InProcessBus(), [], []
    for n in range(5):
        await bus.publish("s", event(n))

    async def batch(events: list[Event]) -> None:
        batches.append([e.payload["n"] for e in events])
        if len(batches) == 1:
            raise RuntimeError("the first batch fails")

    async def single(e: Event) -> None:
        singles.append(e.payload["n"])

    task = asyncio.create_task(bus.consume("s", "g", "g-1", single, batch))
    try:
        await until(lambda: len(singles) == 5)
        # Published back to back (neither yields to the consumer): both wait together.
        await bus.publish("s", event(5))
        await bus.publish("s", event(6))
        await until(lambda: len(batches) == 2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # The five waiting events went to the batch together; it failed, so each was handled
    # on its own, in order. The next two went to the batch, which took them.
    assert batches == [[0, 1, 2, 3, 4], [5, 6]]
    assert singles == [0, 1, 2, 3, 4]
