"""Running subgraphs: one per process, or all of them in one process (embedded mode)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any

import uvicorn
from fastapi import FastAPI

from subgraphs.kernel import metrics, tracing
from subgraphs.kernel.app import create_app
from subgraphs.kernel.logs import configure_logging
from subgraphs.kernel.service import Runtime, Service
from subgraphs.kernel.settings import Settings, get_settings
from subgraphs.registry import spec

# The subgraph a worker process of ``serve_processes`` builds (uvicorn imports the factory).
SUBGRAPH_VAR = "TICKETFLOW_SERVE_SUBGRAPH"


class HostedServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signals to whoever hosts it.

    ``uvicorn.Server.serve`` runs inside ``capture_signals``: for the whole run it replaces
    the SIGINT and SIGTERM handlers with its own (``signal.signal``), puts the old ones back
    at the end and raises again the signal it caught. That fits one server owning its
    process. Ours share one: :func:`serve` runs several servers in one event loop and stops
    them all from one loop handler, which a server's ``signal.signal`` would replace, and the
    tests run servers inside pytest, whose Ctrl+C must stay pytest's. uvicorn (0.54) has no
    public switch for this: no ``Config`` option, and ``startup``/``main_loop``/``shutdown``
    need the ``lifespan`` that only the private ``_serve`` sets up. So this one override,
    shared by every server we start in-process, turns the capture off.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run_loop(main: Coroutine[Any, Any, None], kind: str = "auto") -> None:
    """Run ``main`` to the end on the event loop ``uvicorn.run`` would pick for ``kind``
    (``TICKETFLOW_EVENT_LOOP``: "auto" is uvloop, which uvicorn[standard] installs, else
    asyncio's own). A process that runs its servers itself must choose the loop itself
    (docs/benchmarks.md measures both)."""
    factory = uvicorn.Config(app="", loop=kind, log_config=None).get_loop_factory()  # no app
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main)


def server_options(settings: Settings) -> dict[str, Any]:
    """What every uvicorn server of ours starts with, in one process or in several."""
    return {"host": settings.host, "log_config": None, "lifespan": "on",
            "ws": "websockets-sansio",
            "ws_per_message_deflate": settings.ws_per_message_deflate,
            "timeout_graceful_shutdown": 5}


async def serve(settings: Settings, names: Sequence[str]) -> None:
    """Serve ``names`` in this process, each on its own port, sharing one runtime.

    With several subgraphs in one process, the in-process event bus connects them:
    this is how embedded mode runs with no Redis.
    """
    tracing.setup(service_name(names))
    runtime = Runtime(settings)
    servers = [
        HostedServer(uvicorn.Config(create_app(spec(name), runtime),
                                    port=settings.port_of(name), **server_options(settings)))
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
        tracing.shutdown()


async def work(settings: Settings, names: Sequence[str]) -> None:
    """Run the event consumers, background jobs and outbox relay of ``names`` (no HTTP)
    until SIGINT or SIGTERM: the other half of a deployment with ``separate_workers``."""
    tracing.setup(service_name(names))
    runtime = Runtime(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        async with contextlib.AsyncExitStack() as stack:
            for name in names:
                await stack.enter_async_context(Service(spec(name), runtime)
                                                .running(serving=False))
            await stopping.wait()
    finally:
        await runtime.close()
        tracing.shutdown()


def service_name(names: Sequence[str]) -> str:
    """The OpenTelemetry ``service.name`` of a process serving ``names``."""
    return f"ticketflow-{names[0]}" if len(names) == 1 else "ticketflow"


def one_subgraph_app() -> FastAPI:
    """The app of the subgraph named by ``TICKETFLOW_SERVE_SUBGRAPH``, with a runtime of its
    own: what each worker process of :func:`serve_processes` runs."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    name = os.environ[SUBGRAPH_VAR]
    tracing.setup(service_name([name]))
    return create_app(spec(name), Runtime(settings), own_runtime=True)


def serve_processes(settings: Settings, name: str, processes: int) -> None:
    """Serve one subgraph from ``processes`` worker processes sharing its port (uvicorn's
    supervisor binds the socket once and restarts a worker that dies). Each worker is a
    full replica: its own pools, relay, consumers and live subscriptions."""
    os.environ[SUBGRAPH_VAR] = name
    made = None
    if settings.metrics and not os.environ.get(metrics.MULTIPROC_VAR):
        # Every worker writes its numbers where any worker's /metrics reads them all
        # (prometheus_client's multiprocess mode, chosen at its import in each worker).
        made = os.environ[metrics.MULTIPROC_VAR] = tempfile.mkdtemp(
            prefix=f"ticketflow-{name}-metrics-")
    try:
        uvicorn.run("subgraphs.serve:one_subgraph_app", factory=True,
                    port=settings.port_of(name), workers=processes,
                    loop=settings.event_loop,
                    # A worker starts by importing the whole service: give a busy machine
                    # time.
                    timeout_worker_healthcheck=30, **server_options(settings))
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)
