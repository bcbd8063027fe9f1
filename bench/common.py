"""What the hold and fan-out benchmarks share: a show on sale, percentiles, process readings."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.seatmap import percentile, stadium
from tests.flows import PUBLISH_SHOW, User
from tests.harness import GraphQL, Stack, eventually

__all__ = ["CpuMeter", "ShowOnSale", "cpu_seconds", "fd_count", "fd_limit", "group_pids",
           "percentile", "rss_kib", "seated_hall", "show_on_sale", "summary"]

CREATE_VENUE = "mutation($i: CreateVenueInput!) { createVenue(input: $i) { id } }"
CREATE_HALL = "mutation($v: ID!, $m: JSON!) { createHall(venueId: $v, seatMap: $m) { id } }"
CREATE_SHOW = "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }"
SEAT_IDS = "query($id: ID!) { show(id: $id) { seatMap availability { total } } }"


def seated_hall(seats: int) -> dict[str, Any]:
    """bench.seatmap's stadium without its standing floor: blocks of 20 rows of 50 seats."""
    hall = stadium(seats)
    hall["sections"] = [s for s in hall["sections"] if "rows" in s]
    return hall


@dataclass
class ShowOnSale:
    id: str
    seat_ids: list[str]  # in seat-map order


async def show_on_sale(stack: Stack, organizer: User, seats: int, title: str,
                       starts_at: str = "2031-06-01T19:00:00+00:00") -> ShowOnSale:
    """A new venue, hall and published show of ``seats`` seats, once booking can sell it."""
    router = GraphQL(stack.router_url)
    venue = await router.data(CREATE_VENUE, {"i": {"name": f"Bench {title}", "timeZone": "UTC"}},
                              organizer.token)
    hall = await router.data(CREATE_HALL, {"v": venue["createVenue"]["id"],
                                           "m": seated_hall(seats)}, organizer.token)
    show = await router.data(CREATE_SHOW, {"i": {
        "hallId": hall["createHall"]["id"], "title": title, "kind": "CONCERT",
        "startsAt": starts_at, "price": {"amount": 5000, "currency": "EUR"}}}, organizer.token)
    show_id = show["createShow"]["id"]
    await router.data(PUBLISH_SHOW, {"id": show_id}, organizer.token)

    async def ready() -> dict[str, Any] | None:
        found = (await router.data(SEAT_IDS, {"id": show_id}))["show"]
        return found if found["availability"] else None

    found = await eventually(ready, 60)
    ids = list(found["seatMap"]["seats"]["id"])
    assert len(ids) == seats == found["availability"]["total"], (len(ids), found["availability"])
    return ShowOnSale(show_id, ids)


def summary(values: list[float]) -> str:
    """``p50 / p99 / max`` of latencies in milliseconds."""
    if not values:
        return "-"
    return (f"{percentile(values, 50):.1f} / {percentile(values, 99):.1f} / "
            f"{max(values):.1f} ms")


# ---------------------------------------------------------------------------------------------
# processes, read from /proc (Linux)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2:].split()  # fields from the 3rd (state) on


def group_pids(pgid: int) -> list[int]:
    """Every live process in process group ``pgid`` (the harness starts each in its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[2]) == pgid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far (0 if it is gone)."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def fd_count(pid: int) -> int:
    """Open file descriptors of ``pid``."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def fd_limit(pid: int) -> str:
    """``soft/hard`` limit on open files of ``pid``."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return f"{soft}/{hard}"
    except OSError:
        pass
    return "?"


class CpuMeter:
    """CPU seconds that named groups of processes use between ``start`` and ``stop``.

    A group is a callable returning its pids at that moment (they may change, e.g.
    PostgreSQL backends); a pid seen only at ``stop`` counts with all its CPU time.
    """

    def __init__(self, groups: dict[str, Any]) -> None:
        self.groups = groups
        self.before: dict[str, dict[int, float]] = {}
        self.used: dict[str, float] = {}
        self.wall = 0.0
        self._t0 = 0.0

    def _read(self) -> dict[str, dict[int, float]]:
        return {name: {pid: cpu_seconds(pid) for pid in pids()}
                for name, pids in self.groups.items()}

    def start(self) -> None:
        self.before = self._read()
        self._t0 = time.perf_counter()

    def stop(self) -> dict[str, float]:
        after = self._read()
        self.wall = time.perf_counter() - self._t0
        self.used = {name: sum(t - self.before[name].get(pid, 0.0) for pid, t in pids.items())
                     for name, pids in after.items()}
        return self.used

    def rates(self) -> dict[str, float]:
        """CPU seconds per second of each group over the last start..stop."""
        return {name: secs / max(self.wall, 1e-9) for name, secs in self.used.items()}

    def line(self, per: int, unit: str, idle: dict[str, float] | None = None) -> str:
        """CPU per ``unit`` (``per`` of them happened) and each group's share of the cores.

        ``idle`` (CPU seconds per second when nothing is asked, from :meth:`rates` of an
        idle interval) is taken off first: background jobs (outbox relay, hold sweeper,
        event consumers) poll all the time.
        """
        cores = os.cpu_count() or 1
        parts = []
        for name, secs in self.used.items():
            busy = secs - (idle or {}).get(name, 0.0) * self.wall
            parts.append(f"{name} {busy * 1000 / max(per, 1):.2f} ms"
                         f" ({secs / max(self.wall, 1e-9) * 100 / cores:.0f} %)")
        above = " above idle" if idle else ""
        return f"CPU per {unit}{above} (share of all {cores} cores): " + ", ".join(parts)
