"""Benchmark: the web app's seat map of a 50,000-seat stadium in a real browser (the web app issue).

    make web && .venv/bin/python -m bench.webmap [--mode postgres|embedded] [--seats 50000]
        [--runs 3] [--pan-ms 4000] [--screenshot docs/images/stadium.png]

Starts the real deployment (uvicorn subgraph processes and the router, which serves the built
web app at /), publishes one show in a stadium of ``--seats`` seats (bench.seatmap's blocks of
20 rows of 50), then opens ``#/shows/<id>`` in headless Chromium (Debian's, driven by
playwright-core: bench/webmap.mjs) ``--runs`` times, each in a fresh page, and reports:

* time to first render: navigation start → the map's first full draw (the ``seatmap:first-render``
  mark), which includes fetching the show and its 3.5 MB seat map through the router,
  parsing it and drawing every seat;
* frame time while panning: the interval between the browser's frames (requestAnimationFrame)
  while the mouse drags the zoomed-in map for ``--pan-ms``, and the map's own draw time per
  frame (the ``seatmap:frame`` measures);
* memory: the page's JS heap after a forced garbage collection, and its DOM node count.

Chromium runs with ``--disable-gpu`` (these machines have no GPU): the canvas is drawn in software,
so a machine with a GPU draws faster.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from bench.common import percentile, show_on_sale
from subgraphs.dev import node_command
from tests.flows import new_user
from tests.harness import process_stack, test_env

ROOT = Path(__file__).resolve().parent.parent
CLIENT = Path(__file__).with_name("webmap.mjs")


def _line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: -"
    return (f"{name}: p50 {percentile(values, 50):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
            f"max {max(values):.1f} ms ({len(values)} samples)")


async def main(mode: str, seats: int, runs: int, pan_ms: int, screenshot: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = test_env(mode, Path(tmp) / "data")
        logs = Path(tmp) / "logs"
        logs.mkdir()
        async with process_stack(env, logs) as (stack, _):
            organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
            show = await show_on_sale(stack, organizer, seats, "Stadium")
            argv = [*node_command(str(CLIENT)), "--url", stack.router_url.removesuffix("graphql"),
                    "--show", show.id, "--runs", str(runs), "--pan-ms", str(pan_ms)]
            if screenshot:
                argv += ["--screenshot", screenshot]
            proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE)
            out, _ = await proc.communicate()
            if proc.returncode:
                raise SystemExit(f"bench/webmap.mjs failed ({proc.returncode})")
    result = json.loads(out)["runs"]
    first = [r["firstRenderMs"] for r in result]
    intervals = [v for r in result for v in r["frameIntervalsMs"]]
    draws = [v for r in result for v in r["drawMs"]]
    heap = [r["jsHeapUsedBytes"] / 2**20 for r in result]
    lines = [
        f"mode={mode} seats={seats} runs={runs} pan={pan_ms} ms",
        "time to first render (navigation → map drawn): "
        + ", ".join(f"{v:.0f}" for v in first) + " ms",
        _line("frame interval while panning", intervals),
        _line("map draw per frame", draws),
        "JS heap after GC: " + ", ".join(f"{v:.1f}" for v in heap) + " MiB; DOM nodes: "
        + ", ".join(str(int(r["domNodes"])) for r in result),
    ]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", default="postgres", choices=["postgres", "embedded"])
    parser.add_argument("--seats", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pan-ms", type=int, default=4000)
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    if not (ROOT / "web" / "dist" / "index.html").exists():
        raise SystemExit("web/dist is missing: run `make web` first")
    shot = str(Path(args.screenshot).resolve()) if args.screenshot else None
    asyncio.run(main(args.mode, args.seats, args.runs, args.pan_ms, shot))
