"""Watch a concert's seat map live while another buyer holds seats, then buy two standing
tickets on the floor.

Run `make dev` in one terminal, then `python examples/concert_booking.py` in another.
"""

import asyncio
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from ticketflow_sdk import AsyncClient, BadUserInput, SeatMapState, SeatStatus, SeatWatch

URL = os.environ.get("TICKETFLOW_URL", "http://127.0.0.1:4000/graphql")
DEMO_CUSTOMER = ("customer@ticketflow.dev", "customer-demo-pass")  # loaded by `make dev`
SANDBOX_CARD = "4242 4242 4242 4242"  # always succeeds (docs/payments.md)


async def print_updates(watch: SeatWatch, labels: dict[str, str],
                        until: Callable[[SeatMapState], bool]) -> None:
    """Print live updates (version, seats changed, floor counts) until one is ``until``."""
    async with asyncio.timeout(30):  # fail rather than wait forever
        async for state in watch:
            changed = ", ".join(f"{labels[s]} {state.seats[s]}" for s in state.changed)
            floor = state.general_admission[0]
            print(f"  live v{state.version} {state.kind}: "
                  f"{'every seat' if state.kind == 'SNAPSHOT' else changed or 'no seat'}; "
                  f"{state.counts.available} seats free; {floor.name}: "
                  f"{floor.available} free, {floor.held} held, {floor.sold} sold")
            if until(state):
                return


async def main() -> None:
    async with AsyncClient(URL) as tf, AsyncClient(URL) as other:
        await tf.login(*DEMO_CUSTOMER)
        page = await tf.shows(kind="CONCERT", starts_from=datetime.now(UTC), first=1)
        show = page.shows[0] if page.shows else None
        if show is None or show.availability is None:
            raise SystemExit("No upcoming concert: load the demo data with `make dev`.")
        floor = show.availability.general_admission[0]  # the STANDING floor: places, no seats
        labels = {seat.id: seat.label for seat in (await tf.seat_map(show.id)).seats}
        print(f"{show.title} at {show.venue_name}, "
              f"{show.local_starts_at:%a %d %b %H:%M} {show.venue_time_zone}")

        # Watch the seat map: first a SNAPSHOT of every seat, then one update per change.
        async with tf.watch_seats(show.id) as watch:
            await print_updates(watch, labels, until=lambda state: True)

            # Another buyer (a new customer) holds the four best seats, then lets them go.
            await other.register(f"fan-{uuid.uuid4().hex[:8]}@example.com",
                                 "example-password", "Another Fan")
            print("Another buyer holds 4 seats:")
            theirs = await other.hold_best_available(show.id, 4)
            await print_updates(watch, labels, until=lambda state: all(
                state.seats[s] == SeatStatus.HELD for s in theirs.seat_ids))
            print("Another buyer releases them:")
            await other.release_hold(theirs.id)
            await print_updates(watch, labels, until=lambda state: all(
                state.seats[s] == SeatStatus.AVAILABLE for s in theirs.seat_ids))

            # The demo customer buys two standing tickets on the floor.
            print(f"We buy 2 places on {floor.name}:")
            try:
                hold = await tf.hold_general_admission(show.id, floor.section_id, 2)
            except BadUserInput as e:
                if "limit" not in e.extensions:  # not the per-customer limit: a real error
                    raise
                # After several runs the demo customer owns their share of this show
                # (TICKETFLOW_MAX_SEATS_PER_CUSTOMER, 10 places): a new customer buys instead.
                print(f"{e.message} Registering a new customer for this run.")
                await tf.register(f"concertgoer-{uuid.uuid4().hex[:8]}@example.com",
                                  "example-password", "Example Concertgoer")
                hold = await tf.hold_general_admission(show.id, floor.section_id, 2)
            booking = await tf.checkout(hold.id)
            await tf.pay(booking.id, card=SANDBOX_CARD)
            booking = await tf.wait_for_booking(booking.id, "CONFIRMED")
            await print_updates(watch, labels, until=lambda state: (  # the watcher sees it
                state.general_admission[0].sold >= floor.sold + 2))

        places = ", ".join(f"{a.quantity} x {a.name}" for a in booking.general_admission)
        print(f"Booked: booking {booking.id} {booking.status}, {booking.show.title}, "
              f"{places}, total {booking.total}")  # 12.50 EUR


if __name__ == "__main__":
    asyncio.run(main())
