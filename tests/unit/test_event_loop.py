"""``ticketflow serve`` and ``ticketflow work`` run their servers and workers on uvloop, the
loop uvicorn itself would pick (``subgraphs.serve.run_loop``)."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Sequence

import pytest
import uvloop

from subgraphs import cli, serve
from subgraphs.kernel.settings import Settings


def loop_of(command: str, monkeypatch: pytest.MonkeyPatch) -> type[asyncio.AbstractEventLoop]:
    """The class of the loop ``ticketflow <command>`` runs its coroutine on (the coroutine
    replaced by one that only looks; a thread of its own, as pytest's loop runs here)."""
    seen: list[type[asyncio.AbstractEventLoop]] = []

    async def look(_settings: Settings, _names: Sequence[str]) -> None:
        seen.append(type(asyncio.get_running_loop()))

    monkeypatch.setattr(serve, command, look)
    monkeypatch.setenv("TICKETFLOW_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("TICKETFLOW_POSTGRES_DSN", "postgresql://nobody@127.0.0.1:5432")
    monkeypatch.setattr(cli, "get_settings", Settings)
    thread = threading.Thread(target=cli.main, args=([command],))
    thread.start()
    thread.join()
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize("command", ["serve", "work"])
def test_the_subgraph_commands_run_on_uvloop(command: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert issubclass(loop_of(command, monkeypatch), uvloop.Loop)


def test_without_uvloop_the_standard_loop_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import fails
    assert not issubclass(loop_of("serve", monkeypatch), uvloop.Loop)


def test_the_standard_loop_when_the_setting_asks_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETFLOW_EVENT_LOOP", "asyncio")
    assert not issubclass(loop_of("serve", monkeypatch), uvloop.Loop)


@pytest.mark.parametrize("deflate", [False, True])
def test_serve_processes_starts_uvicorn_like_serve(deflate: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve --processes N`` gives uvicorn the same options as ``serve`` (the
    permessage-deflate setting among them) and its worker factory."""
    seen: list[dict[str, object]] = []
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **kw: seen.append({"app": app, **kw}))
    monkeypatch.setenv(serve.SUBGRAPH_VAR, "")  # serve_processes sets it; put back after
    settings = Settings(ws_per_message_deflate=deflate, metrics=False)
    serve.serve_processes(settings, "booking", 2)
    assert len(seen) == 1
    assert seen[0]["app"] == "subgraphs.serve:one_subgraph_app"
    assert seen[0]["workers"] == 2
    assert seen[0]["port"] == settings.port_of("booking")
    for key, value in serve.server_options(settings).items():
        assert seen[0][key] == value
    assert seen[0]["ws_per_message_deflate"] is deflate
