"""``Coalesced``: callers that arrive while a round trip is in flight go together next."""

from __future__ import annotations

import asyncio

import pytest

from subgraphs.kernel.batch import Coalesced


class Remote:
    """A fetch whose round trips the test releases one by one."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release: asyncio.Queue[BaseException | None] = asyncio.Queue()

    async def fetch(self, keys: list[str]) -> dict[str, str]:
        self.calls.append(keys)
        error = await self.release.get()
        if error is not None:
            raise error
        return {k: k.upper() for k in keys}


async def until(condition: object) -> None:
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0)


async def test_callers_arriving_during_a_round_trip_share_the_next_one() -> None:
    remote = Remote()
    get = Coalesced(remote.fetch)
    first = asyncio.create_task(get(["a"]))
    await until(lambda: len(remote.calls) == 1)
    later = [asyncio.create_task(get([k])) for k in ("b", "c")] + \
        [asyncio.create_task(get(["d", "e"]))]
    await asyncio.sleep(0)
    assert remote.calls == [["a"]]  # nobody else went out while "a" was in flight
    await remote.release.put(None)
    assert (await first)["a"] == "A"
    await until(lambda: len(remote.calls) == 2)
    assert remote.calls[1] == ["b", "c", "d", "e"]
    await remote.release.put(None)
    found = await asyncio.gather(*later)
    assert [f["b"] for f in found] == ["B"] * 3 and found[2]["e"] == "E"


async def test_an_error_reaches_every_caller_of_its_batch_and_the_next_batch_runs() -> None:
    remote = Remote()
    get = Coalesced(remote.fetch)
    first = asyncio.create_task(get(["a"]))
    await until(lambda: len(remote.calls) == 1)
    second = [asyncio.create_task(get([k])) for k in ("b", "c")]
    await remote.release.put(ConnectionError("down"))
    with pytest.raises(ConnectionError):
        await first
    await remote.release.put(None)
    assert [(await t)[k] for t, k in zip(second, "bc", strict=True)] == ["B", "C"]
    assert remote.calls == [["a"], ["b", "c"]]


async def test_a_caller_that_gave_up_is_left_out_and_the_rest_are_answered() -> None:
    remote = Remote()
    get = Coalesced(remote.fetch)
    first = asyncio.create_task(get(["a"]))
    await until(lambda: len(remote.calls) == 1)
    gone = asyncio.create_task(get(["x"]))
    kept = asyncio.create_task(get(["b"]))
    await asyncio.sleep(0)
    gone.cancel()
    await remote.release.put(None)
    await remote.release.put(None)
    assert (await first)["a"] == "A" and (await kept)["b"] == "B"
    assert remote.calls == [["a"], ["b"]]
    assert gone.cancelled()


async def test_waiting_callers_are_cancelled_when_the_sender_is() -> None:
    remote = Remote()
    get = Coalesced(remote.fetch)
    first = asyncio.create_task(get(["a"]))
    await until(lambda: len(remote.calls) == 1)
    second = asyncio.create_task(get(["b"]))
    await asyncio.sleep(0)
    assert get._sender is not None
    get._sender.cancel()
    for task in (first, second):
        with pytest.raises(asyncio.CancelledError):
            await task
