"""``ticketflow dev``: migrate, seed, start the subgraphs and the router; Ctrl-C stops all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from subgraphs.kernel.migrate import upgrade_all
from subgraphs.kernel.settings import SERVICES, Settings
from subgraphs.seed import seed_demo

ROOT = Path(__file__).resolve().parent.parent
ROUTER_DIR = ROOT / "router"

EXAMPLE_QUERY = """query Tonight {
  shows { nodes { id title kind startsAt localStartsAt venue { name timeZone }
                  price { amount currency } availability { total available held sold } } }
  me { name bookings { id status total { amount currency } payment { status } } }
}"""


# The router runs on the Node.js LTS that router/package.json pins (a devDependency: the npm
# package ``node`` carries the binary), whatever Node the machine has; `make install` puts
# it here. The container image runs the same major from its base image instead.
NODE = ROUTER_DIR / "node_modules" / ".bin" / "node"


def node_command(*args: str) -> list[str]:
    """The argv that runs the project's own Node with ``args``."""
    if not NODE.exists():
        raise SystemExit(f"{NODE} is missing: run `make install` (it runs npm ci in router/)")
    # Node 26 turns Web Storage on and a dependency touches ``localStorage``, which warns on
    # every start; nothing of ours uses it.
    return [str(NODE), "--no-experimental-webstorage", *args]


def router_command(settings: Settings) -> list[str]:
    """The argv that starts the router: Hive Gateway with TicketFlow's config behind
    router/server.mjs (the subscription pass-through)."""
    return node_command(str(ROUTER_DIR / "server.mjs"))


def router_env(settings: Settings) -> dict[str, str]:
    """Where the router finds each subgraph and where it listens."""
    env = {f"TICKETFLOW_{name.upper()}_URL": settings.url_of(name) for name in SERVICES}
    env["TICKETFLOW_ROUTER_PORT"] = str(settings.router_port)
    env["TICKETFLOW_ROUTER_HOST"] = settings.host
    env["TICKETFLOW_JWKS_URL"] = settings.effective_jwks_url
    env["TICKETFLOW_JWT_ISSUER"] = settings.jwt_issuer
    env["TICKETFLOW_JWT_AUDIENCE"] = settings.jwt_audience
    # the router checks queue passes with booking's secret (docs/waiting-room.md)
    env["TICKETFLOW_QUEUE_PASS_SECRET"] = settings.queue_pass_secret
    return env


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")}
    env.update(extra)
    return env


async def _wait_ready(url: str, procs: list[subprocess.Popen[bytes]], limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a process exited during start-up; see its output above")
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{url} did not become ready within {limit:.0f}s")


def _mail_line(settings: Settings) -> str:
    if settings.smtp_host:
        return f"  Mail:      sent through {settings.smtp_host}:{settings.smtp_port}"
    return (f"  Mail:      not sent, written to {settings.mail_dir.resolve()}/ "
            "(open the .eml files; set TICKETFLOW_SMTP_HOST to send)")


def _banner(settings: Settings, demo_text: str | None) -> str:
    mode = ("embedded (SQLite files in "
            f"{settings.data_dir}/, in-process events)" if settings.embedded
            else "PostgreSQL + Redis")
    lines = [
        "",
        "TicketFlow is running — " + mode,
        f"  Web app:   http://localhost:{settings.router_port}/",
        f"  GraphiQL:  http://localhost:{settings.router_port}/graphql",
        *(f"  {name:<12}  {settings.url_of(name)}" for name in SERVICES),
        "",
        _mail_line(settings),
    ]
    if demo_text:
        lines += ["", demo_text]
    lines += [
        "",
        "Sign in (mutation login) and send 'Authorization: Bearer <accessToken>', then try:",
        "",
        EXAMPLE_QUERY,
        "",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def _start(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=_child_env(env), cwd=cwd)  # noqa: S603 - our own commands


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


async def run_dev(settings: Settings, *, seed: bool = True) -> int:
    """Run TicketFlow until Ctrl-C; the exit status."""
    if not (ROUTER_DIR / "node_modules").exists():
        sys.stderr.write("router/node_modules is missing: run `make dev` (it runs npm ci)\n")
        return 2
    await upgrade_all(settings, SERVICES)
    demo_text = (await seed_demo(settings)).describe() if seed else None
    serve = [sys.executable, "-m", "subgraphs.cli", "serve"]
    procs: list[subprocess.Popen[bytes]] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # One line per request on the console, the router's too (docs/observability.md),
        # unless turned off.
        lines = {"TICKETFLOW_ACCESS_LOG": os.environ.get("TICKETFLOW_ACCESS_LOG", "true")}
        if settings.embedded:
            procs.append(_start(serve, lines, ROOT))
        else:
            procs += [_start([*serve, name], lines, ROOT) for name in SERVICES]
        for name in SERVICES:
            await _wait_ready(f"http://{settings.host}:{settings.port_of(name)}/readyz", procs)
        procs.append(_start(router_command(settings), router_env(settings) | lines, ROUTER_DIR))
        await _wait_ready(f"http://{settings.host}:{settings.router_port}/readiness", procs)
        sys.stdout.write(_banner(settings, demo_text) + "\n")
        sys.stdout.flush()
        while not stop.is_set():
            if any(p.poll() is not None for p in procs):
                sys.stderr.write("a TicketFlow process exited; stopping the others\n")
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        return 0
    finally:
        _stop(procs)
        sys.stdout.write("TicketFlow stopped.\n")
