"""One subgraph running in a process (:class:`Service`), what the subgraphs of a process
share (:class:`Runtime`), and what the kernel must know to run a subgraph
(:class:`SubgraphSpec`). The FastAPI app around a service is built in :mod:`.app`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar, cast

import strawberry
from fastapi import FastAPI
from sqlalchemy import MetaData

from subgraphs.kernel.auth import TokenVerifier
from subgraphs.kernel.bus import EventBus, InProcessBus, RedisStreamsBus
from subgraphs.kernel.db import Database, Deadlines
from subgraphs.kernel.events import Event
from subgraphs.kernel.feeds import FeedRegistry, SharedSubscription
from subgraphs.kernel.guards import Guards, MemoryGuards, RedisGuards
from subgraphs.kernel.idempotency import Idempotency
from subgraphs.kernel.live import InProcessLive, RedisLive
from subgraphs.kernel.relay import IdempotentConsumer, OutboxRelay
from subgraphs.kernel.retention import Pruner, Windows
from subgraphs.kernel.settings import Settings
from subgraphs.kernel.tables import KernelTables
from subgraphs.kernel.uow import UnitOfWork

log = logging.getLogger("ticketflow.app")
T = TypeVar("T")


class Runtime:
    """What the subgraphs of one process share: settings, event bus, live bus, verifier."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bus: EventBus
        self.live: InProcessLive | RedisLive
        self.guards: Guards
        if settings.redis_url:
            timeout = settings.redis_timeout_seconds
            self.bus = RedisStreamsBus(settings.redis_url, settings.redis_prefix,
                                       claim_idle_ms=settings.event_claim_idle_ms,
                                       timeout=timeout)
            self.live = RedisLive(settings.redis_url, settings.redis_prefix, timeout)
            self.guards = RedisGuards(settings.redis_url, settings.redis_prefix, timeout)
        else:
            self.bus = InProcessBus()
            self.live = InProcessLive()
            self.guards = MemoryGuards()
        self.verifier = TokenVerifier(
            settings.effective_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            revocations=self.guards,
            max_age=settings.jwks_max_age_seconds,
        )

    async def ping(self) -> None:
        """Raise unless what the process shares through (Redis, when configured) answers."""
        await self.live.ping()

    async def close(self) -> None:
        """Close the buses' connections."""
        await self.bus.close()
        await self.live.close()
        await self.guards.close()


Background = Callable[["Service"], Coroutine[Any, Any, None]]
# Applies one event of another subgraph in this subgraph's unit of work (run once per event).
Consumer = Callable[["Service", UnitOfWork, Event], Awaitable[None]]


@dataclass
class SubgraphSpec:
    """Everything the kernel needs to know to run one subgraph."""

    name: str
    schema: strawberry.federation.Schema
    metadata: MetaData
    tables: KernelTables
    # stream (source subgraph) -> apply(service, uow, event), run once per event
    consumes: dict[str, Consumer] = field(default_factory=dict)
    background: list[Background] = field(default_factory=list)
    routes: Callable[[FastAPI, Service], None] | None = None
    # Subscription fields served by shared feeds (kernel/feeds.py), not one generator each.
    shared: list[SharedSubscription[Service]] = field(default_factory=list)


async def repeat(step: Callable[[], Awaitable[Any]], *, every: float, what: str,
                 wake: asyncio.Event | None = None) -> None:
    """Run ``step`` until cancelled: again after ``every`` seconds, or at once when ``wake``
    is set. A failing step is logged and tried again; it never ends the job."""
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; retrying", what)
        if wake is None:
            await asyncio.sleep(every)
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=every)
        wake.clear()


def subgraph_database(settings: Settings, name: str) -> Database:
    """Subgraph ``name``'s database as its process opens it: the pool size, overflow and
    deadlines the settings give."""
    return Database(settings.database_url(name), settings.db_pool_size,
                    Deadlines(settings.db_pool_timeout_seconds,
                              settings.db_connect_timeout_seconds,
                              settings.db_statement_timeout_ms),
                    max_overflow=settings.db_max_overflow)


class Service:
    """One subgraph running in this process: its database, relay and shared runtime."""

    def __init__(self, spec: SubgraphSpec, runtime: Runtime) -> None:
        self.spec = spec
        self.runtime = runtime
        self.settings = runtime.settings
        settings = runtime.settings
        self.db = subgraph_database(settings, spec.name)
        # Subgraph-specific singletons (a password hasher, say), built once per process.
        self.state: dict[str, Any] = {}
        replay = (
            timedelta(hours=runtime.settings.outbox_replay_hours)
            if runtime.settings.embedded
            else None
        )
        self.relay = OutboxRelay(
            self.db,
            spec.tables,
            runtime.bus,
            spec.name,
            interval=runtime.settings.relay_interval_seconds,
            linger=runtime.settings.relay_linger_seconds,
            replay=replay,
        )
        self.pruner = Pruner(
            self.db,
            spec.tables,
            runtime.bus,
            subgraph=spec.name,
            consumes=list(spec.consumes),
            windows=Windows.of(settings),
            batch=settings.retention_batch,
            interval=settings.retention_interval_seconds,
        )

    @property
    def idempotency(self) -> Idempotency:
        """This subgraph's record of idempotency keys."""
        return Idempotency(self.spec.tables.idempotency)

    async def get(self, model: type[Any], key: Any) -> Any:
        """One row by primary key (``None`` if there is none), read outside any transaction."""
        async with self.db.reader() as session:
            return await session.get(model, key)

    def uow(self) -> UnitOfWork:
        """A new unit of work on this subgraph's database."""
        return UnitOfWork(self.db, self.spec.tables, self.spec.name, self.relay.wake)

    def once(self, name: str, build: Callable[[], T]) -> T:
        """This subgraph's one ``name`` in this process (a password hasher, the payment
        providers), built by ``build`` on first use."""
        if name not in self.state:
            self.state[name] = build()
        return cast(T, self.state[name])

    def feeds(self) -> FeedRegistry[Service] | None:
        """This subgraph's shared feeds in this process (``None``: it has no shared field)."""
        specs = self.spec.shared
        if not specs:
            return None
        return self.once("feeds", lambda: FeedRegistry(self, self.spec.schema._schema, specs))

    def wake(self) -> asyncio.Event:
        """The event that wakes this subgraph's background worker before its next round."""
        return self.once("wake", asyncio.Event)

    def wake_after_commit(self, uow: UnitOfWork) -> None:
        """Wake the worker once ``uow`` commits (it has new work)."""
        async def wake() -> None:
            self.wake().set()

        uow.after_commit(wake)

    def _consumer_tasks(self) -> list[Coroutine[Any, Any, None]]:
        consumer = f"{self.spec.name}-{socket.gethostname()}-{os.getpid()}"
        tasks = []
        for stream, apply in self.spec.consumes.items():
            handler = IdempotentConsumer(self.db, self.spec.tables, self.spec.name, self.spec.name,
                                         functools.partial(apply, self), self.relay.wake)
            tasks.append(self.runtime.bus.consume(stream, self.spec.name, consumer, handler,
                                                  handler.batch))
        return tasks

    @contextlib.asynccontextmanager
    async def running(self, *, serving: bool = True) -> AsyncIterator[None]:
        """Run the relay, and the consumers, background jobs and retention pruner, for the
        duration of the block. A serving process with ``separate_workers`` runs the relay
        alone (its own commits wake it): the subgraph's ``ticketflow work`` process runs the
        rest."""
        jobs = [self.relay.run()]
        if not (serving and self.settings.separate_workers):
            jobs += [*self._consumer_tasks(), *(b(self) for b in self.spec.background),
                     self.pruner.run()]
        tasks = [asyncio.create_task(job) for job in jobs]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Bounded: a job that ignores its cancellation must not hang shutdown forever.
            done, stuck = await asyncio.wait(tasks, timeout=10)
            for task in stuck:
                log.error("background job %s did not stop within 10 s", task.get_coro())
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("background job %s failed", task.get_coro(),
                              exc_info=task.exception())
            await self.db.dispose()
