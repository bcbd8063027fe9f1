"""Running subgraphs: one per process, or all of them in one process (embedded mode)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator, Sequence

import uvicorn

from subgraphs.kernel.app import Runtime, create_app
from subgraphs.kernel.settings import Settings
from subgraphs.registry import spec


class _Server(uvicorn.Server):
    # Signals are handled once for every server of the process, in ``serve``.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings, names: Sequence[str]) -> None:
    """Serve ``names`` in this process, each on its own port, sharing one runtime.

    With several subgraphs in one process, the in-process event bus connects them:
    this is how embedded mode runs with no Redis.
    """
    runtime = Runtime(settings)
    servers = [
        _Server(uvicorn.Config(
            create_app(spec(name), runtime),
            host=settings.host,
            port=settings.port_of(name),
            log_config=None,
            lifespan="on",
            ws="websockets-sansio",
            ws_per_message_deflate=settings.ws_per_message_deflate,
            timeout_graceful_shutdown=5,
        ))
        for name in names
    ]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await asyncio.gather(*(s.serve() for s in servers))
    finally:
        await runtime.close()
