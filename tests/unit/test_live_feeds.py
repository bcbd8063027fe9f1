"""Live seat feeds, the pure parts: merging changes, the send window, a connection's
bounded send queue, and a watcher cut off while its reader waits."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, cast

import pytest

from subgraphs.booking.coalesce import Changes, SeatMap, Window, merged
from subgraphs.kernel.feeds import Feed, FeedRegistry, Group, Subscriber
from subgraphs.kernel.live import InProcessLive
from subgraphs.kernel.sendqueue import SendQueue

GUARD = 5.0  # a guard against a hung test, not a measurement


def message(version: int, seats: list[tuple[str, str]], held: int) -> dict[str, Any]:
    return {"show_id": "s", "version": version,
            "seats": [{"seat_id": seat, "state": state, "legs": []} for seat, state in seats],
            "counts": {"total": 4, "available": 4 - held, "held": held, "sold": 0},
            "by_category": [{"category": "A", "total": 4, "available": 4 - held, "held": held,
                             "sold": 0}],
            "general_admission": []}


# --- merging -------------------------------------------------------------------------------

def test_one_message_is_a_change_of_one_version() -> None:
    changes = merged(None, 7, message(8, [("b", "HELD")], 1))
    assert (changes.from_version, changes.version) == (7, 8)
    assert changes.as_message("s") == message(8, [("b", "HELD")], 1)


def test_merged_messages_keep_each_seat_once_in_its_latest_state_and_the_latest_counts() -> None:
    changes = None
    for m in (message(4, [("b", "HELD"), ("c", "HELD")], 2),
              message(5, [("a", "HELD")], 3),
              message(6, [("b", "AVAILABLE")], 2)):
        changes = merged(changes, 3, m)
    assert changes is not None
    assert (changes.from_version, changes.version) == (3, 6)
    assert changes.as_message("s") == {
        **message(6, [("b", "AVAILABLE"), ("c", "HELD"), ("a", "HELD")], 2)}


def test_a_message_that_does_not_follow_is_refused() -> None:
    changes = merged(None, 3, message(4, [("a", "HELD")], 1))
    with pytest.raises(ValueError):
        merged(changes, 3, message(6, [("b", "HELD")], 2))
    with pytest.raises(ValueError):
        merged(None, 3, message(5, [("b", "HELD")], 1))


def seat_map() -> SeatMap:
    start = message(3, [("a", "AVAILABLE"), ("b", "AVAILABLE"), ("c", "SOLD")], 0)
    return SeatMap("s", 3, {s["seat_id"]: s for s in start["seats"]},
                   {k: start[k] for k in ("counts", "by_category", "general_admission")})


def test_a_seat_map_moves_forward_by_changes_that_follow_it() -> None:
    state = seat_map()
    state.apply(merged(merged(None, 3, message(4, [("b", "HELD")], 1)), 3,
                       message(5, [("a", "HELD")], 2)))
    assert state.as_message() == message(5, [("a", "HELD"), ("b", "HELD"), ("c", "SOLD")], 2)


def test_a_seat_map_refuses_changes_from_another_version() -> None:
    state = seat_map()
    with pytest.raises(ValueError):
        state.apply(Changes(4, 5, {}, {}))
    assert state.version == 3


# --- the window ----------------------------------------------------------------------------

def test_after_a_quiet_spell_a_change_goes_at_once() -> None:
    window = Window(0.05)
    assert window.due(100.0) == 100.0
    window.sent(100.0)
    assert window.due(100.2) == 100.2


def test_a_change_soon_after_a_delta_waits_for_the_window_to_end() -> None:
    window = Window(0.05)
    window.sent(100.0)
    assert window.due(100.01) == pytest.approx(100.05)
    assert window.due(100.049) == pytest.approx(100.05)
    window.sent(100.05)
    assert window.due(100.06) == pytest.approx(100.10)


def test_a_window_of_zero_sends_everything_at_once() -> None:
    window = Window(0)
    window.sent(100.0)
    assert window.due(100.0) == 100.0


# --- a connection's send queue -----------------------------------------------------------------

class Recorded(Feed):
    """A feed that only records who joined and answers with a snapshot."""

    def __init__(self, registry: FeedRegistry) -> None:
        super().__init__(registry, "show")
        self.joined: list[Subscriber] = []

    def join(self, subscriber: Subscriber) -> None:
        self.joined.append(subscriber)
        subscriber.start(b'"snapshot"')


class Registry:
    service = None

    def __init__(self) -> None:
        self.stats: Counter[str] = Counter()


def one_group() -> tuple[FeedRegistry, Recorded, Group]:
    registry = cast(FeedRegistry, Registry())
    feed = Recorded(registry)
    return registry, feed, Group(("q", None, b"{}"), feed, cast(Any, None))


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0)


async def test_a_subscriber_whose_frames_do_not_fit_starts_over_once_its_connection_caught_up(
) -> None:
    registry, feed, group = one_group()
    sent: list[str] = []
    stuck = asyncio.Event()

    async def send(frame: str) -> None:
        sent.append(frame)
        await stuck.wait()  # a client that does not read

    queue = SendQueue(send, limit=200)
    slow = Subscriber("1", queue, group, registry, lambda: None)
    slow.start(b'"first"')
    await asyncio.wait_for(until(lambda: len(sent) == 1), GUARD)
    deltas = [f'"delta {i}"'.encode() for i in range(10)]
    for delta in deltas:
        slow.send(delta)
    # The first frame is being written; the queue holds what fits in 200 bytes.
    fitted = deltas[:200 // len(slow.prefix + deltas[0] + b"}")]
    assert 0 < len(fitted) < len(deltas) and not slow.ready
    stuck.set()
    await asyncio.wait_for(until(lambda: len(sent) == 2 + len(fitted)), GUARD)
    prefix = slow.prefix.decode()
    assert [s.removeprefix(prefix) for s in sent] == [
        '"first"}', *[f"{d.decode()}}}" for d in fitted], '"snapshot"}']
    assert feed.joined == [slow] and slow.ready and registry.stats["lagging_restarts"] == 1
    await queue.close()


async def test_frames_of_a_completed_subscription_are_not_written() -> None:
    registry, _, group = one_group()
    sent: list[str] = []
    gate = asyncio.Event()

    async def send(frame: str) -> None:
        sent.append(frame)
        await gate.wait()

    queue = SendQueue(send)
    first = Subscriber("1", queue, group, registry, lambda: None)
    second = Subscriber("2", queue, group, registry, lambda: None)
    first.start(b'"a"')
    await asyncio.wait_for(until(lambda: len(sent) == 1), GUARD)
    first.send(b'"b"')
    second.start(b'"c"')
    first.active = False  # the client completed it; its id may come back at once
    gate.set()
    await asyncio.wait_for(until(lambda: len(sent) == 2), GUARD)
    assert sent == ['{"id":"1","type":"next","payload":"a"}',
                    '{"id":"2","type":"next","payload":"c"}']
    await queue.close()


async def test_a_frame_goes_straight_out_only_when_nothing_waits_before_it() -> None:
    registry, _, group = one_group()
    order: list[bytes] = []
    open_ = True
    gate = asyncio.Event()

    def write_now(frame: bytes) -> bool:
        if open_:
            order.append(frame)
        return open_

    async def send(frame: str) -> None:
        await gate.wait()
        order.append(frame.encode())

    queue = SendQueue(send, write_now)
    sub = Subscriber("x", queue, group, registry, lambda: None)
    sub.start(b"1")
    sub.send(b"2")
    assert order == [sub.prefix + b"1}", sub.prefix + b"2}"]  # no task, no waiting
    open_ = False  # the connection asks for a pause
    sub.send(b"3")
    open_ = True
    sub.send(b"4")  # behind 3, so it waits too
    assert len(order) == 2
    gate.set()
    await asyncio.wait_for(until(lambda: len(order) == 4), GUARD)
    assert order[2:] == [sub.prefix + b"3}", sub.prefix + b"4}"]
    await queue.close()


# --- watchers ------------------------------------------------------------------------------

async def test_a_watcher_cut_off_while_its_reader_waits_ends_the_readers_stream() -> None:
    live = InProcessLive()
    async with live.watch("show:1") as watcher:
        reader = asyncio.create_task(anext(watcher.messages(), None))
        await asyncio.sleep(0)
        await live.publish("show:1", {"version": 1})
        assert await asyncio.wait_for(reader, GUARD) == {"version": 1}
        stream = watcher.messages()
        waiting = asyncio.create_task(anext(stream, None))
        await asyncio.sleep(0)
        assert not waiting.done()
        watcher.interrupt()
        assert await asyncio.wait_for(waiting, GUARD) is None
        await live.publish("show:1", {"version": 2})
        assert watcher.lagged and [m async for m in watcher.messages()] == []


async def test_the_bound_is_each_subscribers_own_so_many_can_share_one_connection() -> None:
    # The router carries every watcher of a show over one upstream connection: one delta
    # to each of them must not make any of them lag, however many they are.
    registry, feed, group = one_group()
    sent: list[str] = []
    gate = asyncio.Event()

    async def send(frame: str) -> None:
        sent.append(frame)
        await gate.wait()

    queue = SendQueue(send, limit=200, total=10_000)
    many = [Subscriber(str(i), queue, group, registry, lambda: None) for i in range(50)]
    for sub in many:
        sub.start(b'"snapshot"')
    for sub in many:
        sub.send(b'"delta"')  # 50 x 2 frames: far more than 200 bytes in all
    assert all(sub.ready for sub in many) and feed.joined == []
    # One subscriber's own backlog past 200 bytes lags it, and it alone.
    for _ in range(10):
        many[7].send(b'"more"')
    assert not many[7].ready and all(sub.ready for sub in many if sub is not many[7])
    gate.set()
    await asyncio.wait_for(until(lambda: feed.joined == [many[7]]), GUARD)
    assert queue.queued == 0 and all(sub.queued == 0 for sub in many)
    await queue.close()


async def test_a_connection_queues_no_more_than_its_total() -> None:
    registry, _, group = one_group()
    gate = asyncio.Event()

    async def send(frame: str) -> None:
        await gate.wait()

    queue = SendQueue(send, limit=10_000, total=300)
    many = [Subscriber(str(i), queue, group, registry, lambda: None) for i in range(20)]
    for sub in many:
        sub.start(b'"snapshot"')
    assert 0 < sum(sub.ready for sub in many) < len(many)
    assert queue.queued <= 300 + len(many[0].prefix) + 20
    gate.set()
    await queue.close()
