"""Benchmark: a 50,000-seat Show.seatMap through the router (issue 4).

    .venv/bin/python -m bench.seatmap [--mode postgres|embedded] [--seats 50000] [--runs 50]

Starts the real deployment (uvicorn subgraph processes and Hive Gateway) on free ports with
databases of its own, imports one hall of ``--seats`` seats with one createHall call,
publishes a show, then fetches ``show(id) { seatMap }`` ``--runs`` times through the router
and directly from the venue subgraph, one request at a time. Prints latency percentiles and
the response size; everything it made is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.env import bench_env
from tests.flows import PUBLISH_SHOW, new_user
from tests.harness import GraphQL, process_stack

QUERY = "query($id: ID!) { show(id: $id) { id seatMap } }"


def stadium(seats: int) -> dict[str, Any]:
    """A seat map of ``seats`` seats: sections of 20 rows of 50 (the last one shorter)."""
    sections, left, s = [], seats, 0
    while left > 0:
        rows = []
        for r in range(20):
            if left <= 0:
                break
            count = min(50, left)
            rows.append({"label": f"{r + 1}", "y": s * 300 + r * 10, "count": count,
                         "x": 0, "dx": 10, "category": "PREMIUM" if r < 3 else "STANDARD",
                         "seatLabel": f"S{s + 1}-{{row}}-{{number}}"})
            left -= count
        sections.append({"key": f"block-{s + 1}", "name": f"Block {s + 1}", "rows": rows})
        s += 1
    sections.append({"key": "floor", "name": "Standing floor",
                     "generalAdmission": {"capacity": 10000, "category": "STANDING"}})
    return {"format": "ticketflow.seatmap/v1", "name": "Stadium", "kind": "STAGE",
            "sections": sections}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def timed(client: httpx.AsyncClient, url: str, show_id: str, runs: int
                ) -> tuple[list[float], int]:
    latencies, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        response = await client.post(url, json={"query": QUERY, "variables": {"id": show_id}})
        body = response.content
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and b'"errors"' not in body[:200], body[:300]
        size = len(body)
    return latencies, size


async def main(mode: str, seats: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(mode, Path(tmp) / "data")
        logs = Path(tmp) / "logs"
        logs.mkdir()
        async with process_stack(env, logs) as (stack, _):
            router = GraphQL(stack.router_url)
            organizer = await new_user(stack, stack.url("auth"), "ORGANIZER")
            venue = await router.data(
                "mutation($i: CreateVenueInput!) { createVenue(input: $i) { id } }",
                {"i": {"name": "Bench Stadium"}}, organizer.token)
            started = time.perf_counter()
            hall = await router.data(
                "mutation($v: ID!, $m: JSON!) { createHall(venueId: $v, seatMap: $m) { id } }",
                {"v": venue["createVenue"]["id"], "m": stadium(seats)}, organizer.token)
            imported = time.perf_counter() - started
            show = await router.data(
                "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }",
                {"i": {"hallId": hall["createHall"]["id"], "title": "Bench", "kind": "CONCERT",
                       "startsAt": "2031-06-01T19:00:00+00:00",
                       "price": {"amount": 5000, "currency": "EUR"}}}, organizer.token)
            show_id = show["createShow"]["id"]
            await router.data(PUBLISH_SHOW, {"id": show_id}, organizer.token)
            async with httpx.AsyncClient(timeout=60) as client:
                cold, _ = await timed(client, stack.router_url, show_id, 1)  # fills the cache
                await timed(client, stack.router_url, show_id, 3)  # warm up
                via_router, size = await timed(client, stack.router_url, show_id, runs)
                direct, _ = await timed(client, stack.url("venue"), show_id, runs)
    lines = [f"mode={mode} seats={seats} runs={runs} createHall={imported * 1000:.0f} ms",
             f"response size: {size / 1e6:.2f} MB; first request (map not cached): "
             f"{cold[0]:.0f} ms"]
    for name, values in (("router", via_router), ("venue subgraph directly", direct)):
        lines.append(f"{name}: p50 {percentile(values, 50):.0f} ms, "
                     f"p99 {percentile(values, 99):.0f} ms, mean {statistics.mean(values):.0f} ms")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", default="postgres", choices=["postgres", "embedded"])
    parser.add_argument("--seats", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.mode, args.seats, args.runs))
