"""The scripts in examples/ run as a user runs them (`python examples/<name>.py`, after
`make dev` loaded the demo data), through the real router, and do what they print: each
booking is there, CONFIRMED, for the demo show it names, and the seats are what it says.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ticketflow_sdk import AsyncClient, Booking, BookingStatus, SeatStatus, Segment

from subgraphs.seed import CUSTOMER, DEMO_SHOWS, seed_demo
from tests.harness import Processes, Stack, eventually

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT = 60.0  # per example, generous for a loaded machine
BOOKED = re.compile(r"^Booked: booking (\S+) CONFIRMED\b", re.MULTILINE)


@pytest.fixture(scope="module")
async def demo(e2e: tuple[Stack, Processes]) -> dict[str, str]:
    """The demo data `make dev` loads, in this deployment: show id by title, each on sale."""
    stack, _ = e2e
    # Whichever module loads it first, the demo data is loaded once per deployment.
    loaded = await seed_demo(stack.settings)
    ids = {title: show_id for show_id, title in loaded.shows}
    shows = {sample.title: ids[sample.title] for sample in DEMO_SHOWS}
    async with AsyncClient(stack.router_url) as anyone:
        for show_id in shows.values():  # booking builds each inventory from an event
            await eventually(functools.partial(_sellable, anyone, show_id), 30)
    return shows


async def _sellable(client: AsyncClient, show_id: str) -> bool:
    return (await client.availability(show_id)) is not None


@pytest.fixture
async def demo_customer(e2e: tuple[Stack, Processes]) -> AsyncIterator[AsyncClient]:
    stack, _ = e2e
    async with AsyncClient(stack.router_url) as client:
        await client.login(CUSTOMER[0], CUSTOMER[1])
        yield client


async def run_example(stack: Stack, name: str) -> str:
    """Run ``examples/<name>`` as a subprocess against the stack's router; its output, after
    checking that it exited 0."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / name), cwd=EXAMPLES.parent,
        env={**os.environ, "TICKETFLOW_URL": stack.router_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise AssertionError(f"{name} did not finish within {TIMEOUT}s") from None
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"{name} exited with {proc.returncode}:\n{text}"
    return text


async def booked(customer: AsyncClient, output: str) -> Booking:
    """The booking the example's last line names, read back as the demo customer's."""
    found = BOOKED.findall(output)
    assert len(found) == 1, output
    mine = {b.id: b for b in await customer.my_bookings()}
    assert found[0] in mine, output
    return mine[found[0]]


async def test_movie_booking_buys_two_adjacent_seats_for_tonights_screening(
        e2e: tuple[Stack, Processes], demo: dict[str, str], demo_customer: AsyncClient) -> None:
    stack, _ = e2e
    output = await run_example(stack, "movie_booking.py")

    assert "Signed in as Casey Customer <customer@ticketflow.dev>" in output
    assert re.search(r"^(Tonight|Next): The Grand Premiere at TicketFlow Cinema", output,
                     re.MULTILINE), output
    assert "Payment SUCCEEDED: 25.00 EUR" in output
    booking = await booked(demo_customer, output)
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.show.id == demo["The Grand Premiere"]
    assert len(booking.lines) == 2 and booking.total.amount == 2 * 1250
    seats = {s.id: s for s in (await demo_customer.seat_map(booking.show.id)).seats}
    taken = [seats[line.seat_id] for line in booking.lines]
    assert all(s.state is SeatStatus.SOLD for s in taken)
    assert taken[0].row == taken[1].row  # side by side
    printed = re.findall(r"^Booked: .*, seats (.+), total 25\.00 EUR$", output, re.MULTILINE)
    assert printed and set(printed[0].split(", ")) == {line.label for line in booking.lines}


async def test_concert_booking_prints_live_updates_and_buys_two_standing_places(
        e2e: tuple[Stack, Processes], demo: dict[str, str], demo_customer: AsyncClient) -> None:
    stack, _ = e2e
    show_id = demo["Northern Lights Live"]
    before = await demo_customer.availability(show_id)
    assert before is not None
    output = await run_example(stack, "concert_booking.py")

    lines = output.splitlines()
    live = [line for line in lines if line.startswith("  live v")]
    assert "SNAPSHOT" in live[0], output
    # Each update is the previous state with one change (the next version), unless the
    # watcher had to start over from a fresh SNAPSHOT.
    for previous, line in itertools.pairwise(live):
        version = int(re.findall(r"live v(\d+)", previous)[0])
        assert "SNAPSHOT" in line or f"live v{version + 1} DELTA" in line, output
    assert any("DELTA" in line and " HELD" in line for line in live), output
    assert any("DELTA" in line and " AVAILABLE" in line for line in live), output
    assert "Another buyer holds 4 seats:" in lines and "Another buyer releases them:" in lines
    assert live[-1].endswith(f", {before.general_admission[0].sold + 2} sold"), output

    booking = await booked(demo_customer, output)
    assert (booking.status, booking.show.id) == (BookingStatus.CONFIRMED, show_id)
    floor = before.general_admission[0]
    assert [(a.section_id, a.quantity) for a in booking.general_admission] == [
        (floor.section_id, 2)]
    assert booking.lines == () and booking.total.amount == 2 * 4500
    after = await demo_customer.availability(show_id)
    assert after is not None
    standing = after.general_admission[0]
    assert (standing.sold, standing.held) == (floor.sold + 2, floor.held)
    # The other buyer let their seats go again.
    assert (after.available, after.held, after.sold) == (before.available, before.held,
                                                         before.sold)


async def test_train_booking_sells_a_seat_only_on_the_legs_it_rides(
        e2e: tuple[Stack, Processes], demo: dict[str, str], demo_customer: AsyncClient) -> None:
    stack, _ = e2e
    output = await run_example(stack, "train_booking.py")

    assert "Booking a seat from Hannover to Frankfurt" in output
    for start, end, state in [("Hamburg", "Hannover", "AVAILABLE"),
                              ("Hannover", "Frankfurt", "SOLD"), ("Hamburg", "Kassel", "SOLD"),
                              ("Kassel", "Munich", "SOLD"), ("Frankfurt", "Munich", "AVAILABLE")]:
        assert re.search(rf"^\s+{start} -> {end}\s+{state}$", output, re.MULTILINE), output

    booking = await booked(demo_customer, output)
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.show.id == demo["ICE 1042 Hamburg - Munich"]
    assert booking.segment == Segment(1, 3) and len(booking.lines) == 1
    seat = (await demo_customer.seat_map(booking.show.id)).seat(booking.lines[0].seat_id)
    assert seat.legs == (SeatStatus.AVAILABLE, SeatStatus.SOLD, SeatStatus.SOLD,
                         SeatStatus.AVAILABLE)
    for segment, state in [((0, 1), SeatStatus.AVAILABLE), ((3, 4), SeatStatus.AVAILABLE),
                           ((0, 2), SeatStatus.SOLD), ((2, 4), SeatStatus.SOLD)]:
        on = await demo_customer.seat_map(booking.show.id, segment=segment)
        assert on.seat(seat.id).state is state, segment
