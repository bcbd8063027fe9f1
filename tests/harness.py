"""Test harness: settings per mode, databases, in-process and multi-process stacks, clients."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from ticketflow_sdk.ws import GraphQLWebSocket

from subgraphs.kernel.app import create_app
from subgraphs.kernel.migrate import drop_database, upgrade
from subgraphs.kernel.service import Runtime, Service
from subgraphs.kernel.settings import SERVICES, Settings
from subgraphs.registry import spec
from subgraphs.serve import HostedServer

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_DSN = os.environ.get("TICKETFLOW_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("TICKETFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MODES = [m for m in os.environ.get("TICKETFLOW_TEST_MODES", "embedded,postgres").split(",") if m]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_env(mode: str, data_dir: Path) -> dict[str, str]:
    """``TICKETFLOW_*`` variables for a fresh, isolated deployment in ``mode``."""
    tag = uuid.uuid4().hex[:10]
    env = {
        "TICKETFLOW_ENV": "test",
        "TICKETFLOW_DATA_DIR": str(data_dir),
        "TICKETFLOW_DB_PREFIX": f"tft_{tag}",
        "TICKETFLOW_REDIS_PREFIX": f"tft:{tag}",
        "TICKETFLOW_HOST": "127.0.0.1",
        # Cheap hashing keeps the suite fast; production parameters are the defaults.
        "TICKETFLOW_ARGON2_MEMORY_KIB": "1024",
        "TICKETFLOW_ARGON2_TIME_COST": "1",
        "TICKETFLOW_ARGON2_PARALLELISM": "1",
        "TICKETFLOW_RELAY_INTERVAL_SECONDS": "0.2",
        # Users signed in when a deployment starts keep their tokens for as long as a loaded
        # machine takes to run its tests (expiry has tests with short tokens of their own).
        "TICKETFLOW_ACCESS_TOKEN_TTL_SECONDS": "86400",
        # Several deployments live at once in one test run (each worker's session stack, a
        # module's own ones); PostgreSQL allows 100 clients for all of them: two connections
        # per subgraph (pools do not overflow). The session stack, where the crowds race,
        # keeps more (tests/conftest.py).
        "TICKETFLOW_DB_POOL_SIZE": "2",
        "TICKETFLOW_SWEEP_INTERVAL_SECONDS": "0.5",
        # A sandbox "processing" card settles when a test makes it due (tests/payments.py,
        # settle_now), never because a short delay ran out during the test.
        "TICKETFLOW_SANDBOX_SETTLE_SECONDS": "3600",
        "TICKETFLOW_DEBUG_ERRORS": "false",
        # A test process's event loop also runs the in-process deployments and can be held
        # up for seconds on a loaded machine: Redis' reply deadline must not fire because of
        # that (tests never depend on the machine's speed). Outages are tested with a Redis
        # that refuses at once (tests/integration/test_dependency_faults.py).
        "TICKETFLOW_REDIS_TIMEOUT_SECONDS": "30",
        # booking's GET /debug/feeds: what its live feeds did (test_reconnect_storm.py)
        "TICKETFLOW_FEEDS_DEBUG": "true",
        # Every client of a test deployment is 127.0.0.1: the router's rate limits per client
        # would count the whole suite as one (tests/e2e/test_router_rate_limits.py sets its own).
        "TICKETFLOW_ROUTER_RATE_LIMIT_QUERIES": "0",
        "TICKETFLOW_ROUTER_RATE_LIMIT_MUTATIONS": "0",
        # and the cap on subscriptions per client (benchmarks watch one show 1,000 times)
        "TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CLIENT": "0",
    }
    for name in SERVICES:
        env[f"TICKETFLOW_{name.upper()}_PORT"] = str(free_port())
    env["TICKETFLOW_ROUTER_PORT"] = str(free_port())
    env["TICKETFLOW_JWKS_URL"] = (
        f"http://127.0.0.1:{env['TICKETFLOW_AUTH_PORT']}/.well-known/jwks.json"
    )
    if mode == "postgres":
        env["TICKETFLOW_POSTGRES_DSN"] = POSTGRES_DSN
        env["TICKETFLOW_REDIS_URL"] = REDIS_URL
    elif mode != "embedded":
        raise ValueError(f"unknown mode {mode}")
    return env


def settings_from(env: dict[str, str], **overrides: Any) -> Settings:
    """Settings built from an env dict (without touching ``os.environ``)."""
    values = {k.removeprefix("TICKETFLOW_").lower(): v for k, v in env.items()}
    values.update(overrides)
    return Settings(**values)


# One migrated database per subgraph and backend, made the first time a deployment needs
# it; every test deployment after that is a copy. tests/integration/test_migrations.py
# still migrates brand-new databases for real.
_RUN = uuid.uuid4().hex[:10]
_templates: set[str] = set()
_template_lock = asyncio.Lock()
_template_dir = Path(tempfile.gettempdir()) / f"tft-templates-{_RUN}"


def _template_url(service: str, url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite+aiosqlite:///{_template_dir / f'{service}.db'}"
    return parsed.set(database=f"tft_template_{_RUN}_{service}").render_as_string(
        hide_password=False)


async def _template(service: str, url: str) -> str:
    """The migrated template database of ``service`` on ``url``'s backend (made once)."""
    template = _template_url(service, url)
    async with _template_lock:
        if template not in _templates:
            await upgrade(service, template)
            _templates.add(template)
    return template


async def copy_database(template: str, url: str) -> None:
    """A new database at ``url`` holding what ``template`` holds (no one may be connected
    to a PostgreSQL template while it is copied)."""
    source, target = make_url(template), make_url(url)
    if target.get_backend_name() == "sqlite":
        assert target.database and source.database
        await asyncio.to_thread(Path(target.database).parent.mkdir, parents=True,
                                exist_ok=True)
        await asyncio.to_thread(shutil.copyfile, source.database, target.database)
        return
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(
                f'CREATE DATABASE "{target.database}" TEMPLATE "{source.database}"'))
    finally:
        await admin.dispose()


async def migrate_all(settings: Settings) -> None:
    """Create every subgraph's database, migrated to head: a copy of a template database
    migrated once per test run (migrating takes seconds, copying a fraction of one)."""
    for name in SERVICES:
        url = settings.database_url(name)
        await copy_database(await _template(name, url), url)


_discarded: list[str] = []


async def discard_database(url: str) -> None:
    """Drop a test database: a SQLite file at once, a PostgreSQL database when the run ends.

    PostgreSQL 15 checkpoints the whole server for each DROP DATABASE, which takes up to
    seconds on a busy server; dropped together at the end, the drops share checkpoints.
    """
    if make_url(url).get_backend_name() == "sqlite":
        await drop_database(url)
    else:
        _discarded.append(url)


async def drop_discarded() -> None:
    """Drop the PostgreSQL databases discarded so far and the run's template databases."""
    async with _template_lock:
        urls = [*_discarded, *(t for t in _templates if not t.startswith("sqlite"))]
        _discarded.clear()
        _templates.clear()
    # Many at a time, so that their checkpoints are shared (60 drops: 4.0 s eight at a time,
    # 2.5 s thirty at a time), yet within PostgreSQL's hundred connections beside the other
    # worker's deployments (tests/conftest.py): each drop holds one.
    slots = asyncio.Semaphore(24)

    async def drop(url: str) -> None:
        async with slots:
            await drop_database(url)

    await asyncio.gather(*(drop(url) for url in urls))
    await asyncio.to_thread(shutil.rmtree, _template_dir, ignore_errors=True)


async def destroy(settings: Settings) -> None:
    """Drop every database and Redis key a test deployment made."""
    for name in SERVICES:
        await discard_database(settings.database_url(name))
    if settings.redis_url:
        r = aioredis.from_url(settings.redis_url)
        try:
            keys = [k async for k in r.scan_iter(match=f"{settings.redis_prefix}:*")]
            if keys:
                await r.delete(*keys)
        finally:
            await r.aclose()


# Building an httpx client builds a TLS context (tens of milliseconds, more than a request
# to a local server costs), so the run shares one client per event loop. It keeps no
# connection alive: each request still opens its own, as a client of its own would, and
# no server can close an idle connection under a later request.
_http: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


def http() -> httpx.AsyncClient:
    """The test run's HTTP client on the running event loop (closed by :func:`close_http`)."""
    loop = asyncio.get_running_loop()
    client = _http.get(loop)
    if client is None or client.is_closed:
        client = _http[loop] = httpx.AsyncClient(timeout=30, limits=httpx.Limits(
            max_connections=None, max_keepalive_connections=0))
    return client


async def close_http() -> None:
    """Close the running event loop's shared HTTP client."""
    client = _http.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


def client_address() -> str:
    """A made-up client address (TEST-NET-3, never routed) for one test client."""
    return f"203.0.113.{random.randint(1, 254)}"


@dataclass
class GraphQL:
    """A small GraphQL-over-HTTP client for tests.

    Each client says it comes from its own address (``X-Forwarded-For``, believed from
    loopback), so per-address rate limits apply per test client, as for real users.
    """

    url: str
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    address: str = field(default_factory=client_address)

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   token: str | None = None, **extra: Any) -> httpx.Response:
        headers = {"x-forwarded-for": self.address, **self.headers}
        bearer = token if token is not None else self.token
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        return await http().post(self.url, json={"query": query, "variables": variables or {}},
                                 headers=headers, **extra)

    async def run(self, query: str, variables: dict[str, Any] | None = None,
                  token: str | None = None) -> dict[str, Any]:
        """The response body, whatever it says (data and/or errors)."""
        response = await self.post(query, variables, token)
        return response.json()  # type: ignore[no-any-return]

    async def data(self, query: str, variables: dict[str, Any] | None = None,
                   token: str | None = None) -> dict[str, Any]:
        """``data`` of a response that must have no errors."""
        body = await self.run(query, variables, token)
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]


def error_codes(body: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of each error in a response body."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20.0,
                     interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


@dataclass
class Stack:
    """URLs of a running deployment (and its services, when they run in this process)."""

    env: dict[str, str]
    settings: Settings
    services: dict[str, Service] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[f'TICKETFLOW_{service.upper()}_PORT']}/graphql"

    def client(self, service: str, token: str | None = None) -> GraphQL:
        return GraphQL(self.url(service), token)

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{self.env['TICKETFLOW_ROUTER_PORT']}/graphql"


@contextlib.asynccontextmanager
async def in_process_stack(env: dict[str, str]) -> AsyncIterator[Stack]:
    """Every subgraph served by uvicorn inside the test's own event loop."""
    settings = settings_from(env)
    await migrate_all(settings)
    runtime = Runtime(settings)
    apps = {name: create_app(spec(name), runtime) for name in SERVICES}
    try:
        async with running(*((app, settings.port_of(name)) for name, app in apps.items()),
                           lifespan="on", ws_per_message_deflate=settings.ws_per_message_deflate):
            yield Stack(env, settings, {name: app.state.service for name, app in apps.items()})
    finally:
        await runtime.close()
        await destroy(settings)


@contextlib.asynccontextmanager
async def running(*apps: tuple[Any, int], **options: Any) -> AsyncIterator[None]:
    """Serve each ``(app, port)`` on 127.0.0.1 with uvicorn in this event loop (``options``
    go to ``uvicorn.Config``): started when the block begins, stopped when it ends. A server
    that failed fails the block's end."""
    servers = [HostedServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           ws="websockets-sansio", **options))
               for app, port in apps]
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    try:
        await eventually(lambda: asyncio.sleep(0, all(s.started for s in servers)), 20)
        yield
    finally:
        for s in servers:
            s.should_exit = True
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception):
                raise result


# What a ``ticketflow`` process imports before it can serve (1.5-2 s of CPU each time): the
# test run's fork server imports it once, and every subgraph process a test starts is forked
# from it, a real process of its own (its pid, its session, its exit code), ready at once.
PRELOAD = ["subgraphs.cli", "subgraphs.serve", "subgraphs.dev",
           *[f"subgraphs.{name}.schema" for name in SERVICES], "tests.harness"]
_forkserver: Any = None


_forked: list[Any] = []


def _fork_context() -> Any:
    global _forkserver
    if _forkserver is None:
        import atexit
        import multiprocessing

        _forkserver = multiprocessing.get_context("forkserver")
        _forkserver.set_forkserver_preload(PRELOAD)
        # Not daemonic (a subgraph served by several processes has children of its own), so
        # multiprocessing would wait for them at exit: end any a test left running first.
        atexit.register(_end_forked)
    return _forkserver


def _end_forked() -> None:
    for process in _forked:
        if process.exitcode is None:
            _killpg(process.pid, signal.SIGKILL)
            process.join(5)


def _run_cli(args: list[str], env: dict[str, str], log: str, cwd: str) -> None:
    """A forked ``python -m subgraphs.cli <args>``: its own session, environment, output."""
    os.setsid()
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    from subgraphs import cli
    from subgraphs.kernel.settings import get_settings

    get_settings.cache_clear()  # read from this process's environment
    cli.main(args)


class _Forked:
    """A forked process with the part of ``subprocess.Popen`` the tests use."""

    def __init__(self, process: Any) -> None:
        self._process = process
        self.pid: int = process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode  # type: ignore[no-any-return]

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
        return self.returncode


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:  # forked a moment ago: not its own process group yet
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


class Processes:
    """Child processes started by a test, stopped (and their output kept) at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes] | _Forked] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        log = self.log_dir / f"{name}.log"
        # Not `serve --processes N`: uvicorn spawns its workers as fresh interpreters that
        # start from the parent's main module, which a forked process does not have.
        if argv[:3] == [PYTHON, "-m", "subgraphs.cli"] and "--processes" not in argv:
            process = _fork_context().Process(
                target=_run_cli, args=(argv[3:], {**os.environ, **env}, str(log), str(cwd)),
                name=name)
            process.start()
            _forked[:] = [p for p in _forked if p.exitcode is None] + [process]
            self.procs[name] = _Forked(process)
            return
        with open(log, "wb") as out:
            self.procs[name] = subprocess.Popen(
                argv, env={**os.environ, **env}, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            _killpg(proc.pid, sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        return proc.returncode

    def stop_all(self, timeout: float = 15) -> None:
        """Stop every process: all are told at once and exit side by side (an interpreter
        takes a second or more to exit; one after another, a deployment took many)."""
        for proc in self.procs.values():
            if proc.poll() is None:
                _killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name in list(self.procs):
            proc = self.procs.pop(name)
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _killpg(proc.pid, signal.SIGKILL)
                proc.wait()


async def wait_http(url: str, timeout: float = 60.0, procs: Processes | None = None) -> None:
    """Wait until ``url`` answers 200; fail early if a watched process died."""

    async def ready() -> bool:
        if procs is not None:
            for name, p in procs.procs.items():
                if p.poll() is not None:
                    raise AssertionError(f"{name} exited with {p.returncode}:\n{procs.log(name)}")
        try:
            return (await http().get(url, timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(ready, timeout, 0.2)


PYTHON = sys.executable


def router_argv(env: dict[str, str]) -> list[str]:
    """The command that starts the router (README, "Router"; ``subgraphs/dev.py``)."""
    from subgraphs.dev import router_command

    return router_command(settings_from(env))


async def start_router(stack: Stack, procs: Processes) -> None:
    """Start the deployment's router (again, after :meth:`Processes.stop`) on its port;
    returns once it is ready."""
    from subgraphs.dev import router_env

    procs.start("router", router_argv(stack.env), {**stack.env, **router_env(stack.settings)},
                cwd=ROOT / "router")
    await wait_http(f"http://127.0.0.1:{stack.env['TICKETFLOW_ROUTER_PORT']}/readiness",
                    procs=procs)


async def stop_router(procs: Processes) -> None:
    """Stop the deployment's router (SIGTERM: it closes every client connection) and wait
    until it exited, the event loop running meanwhile: clients in this process answer
    the router's closing handshakes, which it waits for."""
    await asyncio.to_thread(procs.stop, "router")


async def restart_router(stack: Stack, procs: Processes) -> None:
    """Stop the deployment's router and start it again on the same port; returns once it
    is ready."""
    await stop_router(procs)
    await start_router(stack, procs)


@contextlib.asynccontextmanager
async def another_router(stack: Stack, log_dir: Path, overrides: dict[str, str]
                         ) -> AsyncIterator[str]:
    """A second router over ``stack``'s subgraphs, its settings changed by ``overrides``
    (``TICKETFLOW_BOOKING_URL`` through a proxy...), on a port of its own: its URL."""
    from subgraphs.dev import router_env

    env = {**stack.env, **router_env(stack.settings), "TICKETFLOW_ROUTER_PORT": str(free_port()),
           **overrides}
    procs = Processes(log_dir)
    # the command from the stack's settings: overrides may hold router-only values the
    # subgraphs' settings refuse (TICKETFLOW_ENV=production without PostgreSQL)
    procs.start("router", router_argv(stack.env), env, cwd=ROOT / "router")
    try:
        await wait_http(f"http://127.0.0.1:{env['TICKETFLOW_ROUTER_PORT']}/readiness",
                        procs=procs)
        yield f"http://127.0.0.1:{env['TICKETFLOW_ROUTER_PORT']}/graphql"
    finally:
        procs.stop_all()


@contextlib.asynccontextmanager
async def process_stack(env: dict[str, str], log_dir: Path, *, router: bool = True
                        ) -> AsyncIterator[tuple[Stack, Processes]]:
    """The real deployment: uvicorn processes (one per subgraph with Redis, one hosting all
    of them when embedded) and the real router, on free ports."""
    settings = settings_from(env)
    await migrate_all(settings)
    procs = Processes(log_dir)
    cli = [PYTHON, "-m", "subgraphs.cli", "serve"]
    try:
        if settings.embedded:
            procs.start("subgraphs", cli, env)
        else:
            for name in SERVICES:
                procs.start(name, [*cli, name], env)
            if settings.separate_workers:
                for name in SERVICES:
                    procs.start(f"{name}-worker",
                                [PYTHON, "-m", "subgraphs.cli", "work", name], env)
        ready = [f"http://127.0.0.1:{settings.port_of(name)}/readyz" for name in SERVICES]
        if router:
            from subgraphs.dev import router_env

            # The router reads the supergraph from a file and asks the subgraphs nothing
            # until a request comes, so it starts beside them instead of after them.
            procs.start("router", router_argv(env), {**env, **router_env(settings)},
                        cwd=ROOT / "router")
            ready.append(f"http://127.0.0.1:{env['TICKETFLOW_ROUTER_PORT']}/readiness")
        await asyncio.gather(*(wait_http(url, procs=procs) for url in ready))
        yield Stack(env, settings), procs
    finally:
        procs.stop_all()
        await destroy(settings)


class Subscription:
    """One subscription, read message by message (the SDK's graphql-transport-ws
    connection, :class:`ticketflow_sdk.ws.GraphQLWebSocket`, underneath)."""

    def __init__(self, url: str, query: str, variables: dict[str, Any],
                 payload: dict[str, Any] | None = None) -> None:
        self.url = url
        self.query = query
        self.variables = variables
        self.payload = payload or {}
        self._stack = contextlib.AsyncExitStack()
        self._connection: GraphQLWebSocket | None = None

    async def __aenter__(self) -> Subscription:
        self._connection = await self._stack.enter_async_context(
            GraphQLWebSocket.connect(self.url, self.payload, open_timeout=10))
        await self._connection.subscribe("1", self.query, self.variables)
        return self

    async def _receive(self, timeout: float) -> dict[str, Any]:
        assert self._connection is not None, "use it as `async with Subscription(...)`"
        return await asyncio.wait_for(self._connection.receive(), timeout)

    async def next(self, timeout: float = 20.0) -> dict[str, Any]:
        """The next ``next`` payload (``{"data": ...}``); fails on error or complete."""
        msg = await self._receive(timeout)
        if msg["type"] == "next":
            return msg["payload"]  # type: ignore[no-any-return]
        raise AssertionError(f"unexpected message {msg}")

    async def end(self, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait for the subscription to end (``error`` or ``complete``); the errors it was
        given on the way (those of ``next`` payloads, then the ``error`` message's)."""
        errors: list[dict[str, Any]] = []
        while True:
            msg = await self._receive(timeout)
            if msg["type"] == "next":
                errors += msg["payload"].get("errors") or []
            else:
                return errors + (msg["payload"] if msg["type"] == "error" else [])

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.complete("1")
        await self._stack.aclose()
