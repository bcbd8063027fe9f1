"""What the browser tests share (tests/e2e/test_web_app.py, tests/e2e/test_web_queue.py): the
one launcher of the scenarios in ``web/e2e/`` (Chromium through playwright-core, with the
project's Node), their customers, and the checks that the app is built and a browser is there.

A scenario may stop at a *checkpoint* (``web/e2e/lib.mjs``, ``checkpoint``): it prints a line
``@checkpoint {"name": ..., "data": ...}`` and waits; the launcher awaits the test's
``on_checkpoint(name, data)`` (which acts on the deployment: pauses a queue...) and answers
``go``, or ``fail <why>`` when that raised (the scenario then fails at that step, with its
screenshots, and the launcher raises the test's error).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from subgraphs.dev import node_command
from subgraphs.seed import create_user
from tests.flows import PASSWORD, Actors, login
from tests.harness import GraphQL, Stack

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
CHROMIUM = os.environ.get("TICKETFLOW_CHROMIUM", "/usr/bin/chromium")
CHECKPOINT = "@checkpoint "

OnCheckpoint = Callable[[str, dict[str, Any]], Awaitable[None]]


def require_browser() -> None:
    """Fail without the built app (``make web``); skip without Chromium."""
    if not (WEB / "dist" / "index.html").exists():
        pytest.fail("web/dist is missing: run `make web` (it builds the web app) first")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set TICKETFLOW_CHROMIUM)")


def artifacts_of(mode: str, scenario: str | None = None) -> Path:
    """``test-artifacts/web/<mode>/`` (the customer flows), or a folder of it per scenario."""
    base = ROOT / "test-artifacts" / "web" / mode
    return base / scenario if scenario else base


async def customer(stack: Stack, router: GraphQL, name: str) -> dict[str, str]:
    """A customer the browser signs in as (and the token the checks here use): a verified
    account, as operators make them."""
    email = f"web-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(stack.settings, email, PASSWORD, name, "CUSTOMER")
    user = await login(router, email)
    return {"email": email, "password": PASSWORD, "name": name, "id": user.id,
            "token": user.token}


def organizer_sign_in(actors: Actors) -> dict[str, str]:
    """What the browser signs the session's organizer in with (the actors' shared password
    and the name the nav bar shows)."""
    return {"email": actors.organizer.email, "password": PASSWORD, "name": "Test Organizer"}


async def run_browser(script: str, router_url: str, artifacts: Path, data: dict[str, Any],
                      work: Path, on_checkpoint: OnCheckpoint | None = None
                      ) -> tuple[int, str, dict[str, Any]]:
    """Run ``web/e2e/<script>`` against the router at ``router_url``: its exit status, what it
    printed, and what it wrote. ``artifacts`` gets its screenshots and ``output.json`` (the
    files of an earlier run there are removed first; folders of other scenarios stay)."""
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.iterdir():
        if old.is_file():
            old.unlink()
    (work / "input.json").write_text(json.dumps(data))
    output = artifacts / "output.json"  # kept with the screenshots
    env = {**os.environ,
           "TICKETFLOW_WEB_URL": router_url.removesuffix("graphql"),
           "TICKETFLOW_E2E_INPUT": str(work / "input.json"),
           "TICKETFLOW_E2E_ARTIFACTS": str(artifacts),
           "TICKETFLOW_E2E_OUTPUT": str(output),
           "TICKETFLOW_CHROMIUM": CHROMIUM}
    process = await asyncio.create_subprocess_exec(
        *node_command(str(WEB / "e2e" / script)), cwd=WEB, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    assert process.stdout is not None and process.stdin is not None
    printed: list[str] = []
    failure: BaseException | None = None
    async for raw in process.stdout:
        line = raw.decode(errors="replace")
        if not line.startswith(CHECKPOINT):
            printed.append(line)
            continue
        point = json.loads(line.removeprefix(CHECKPOINT))
        answer = "go"
        if failure is None and on_checkpoint is not None:
            try:
                await on_checkpoint(point["name"], point.get("data") or {})
            except Exception as error:  # the scenario stops there; raised below
                failure = error
                answer = " ".join(f"fail {type(error).__name__}: {error}".split())
        process.stdin.write(f"{answer}\n".encode())
        await process.stdin.drain()
    await process.wait()
    seen = json.loads(output.read_text()) if output.exists() else {}
    if failure is not None:
        failure.add_note(f"the browser printed:\n{''.join(printed)}")
        raise failure
    return process.returncode or 0, "".join(printed), seen
