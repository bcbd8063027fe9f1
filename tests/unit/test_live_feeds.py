"""Live seat feeds, the pure parts: merging changes, the send window, a connection's
bounded outbox, and a watcher cut off while its reader waits."""

from __future__ import annotations

import asyncio

from subgraphs.kernel.live import InProcessLive

GUARD = 5.0  # a guard against a hung test, not a measurement


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
