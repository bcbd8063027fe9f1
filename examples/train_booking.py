"""Book a train seat for the middle of a journey, then show that the same seat is still for
sale before and after it, and sold wherever the journeys would overlap.

Run `make dev` in one terminal, then `python examples/train_booking.py` in another.
"""

import asyncio
import itertools
import os
import uuid
from datetime import UTC, datetime

from ticketflow_sdk import AsyncClient, BadUserInput, Segment

URL = os.environ.get("TICKETFLOW_URL", "http://127.0.0.1:4000/graphql")
DEMO_CUSTOMER = ("customer@ticketflow.dev", "customer-demo-pass")  # loaded by `make dev`
SANDBOX_CARD = "4242 4242 4242 4242"  # always succeeds (docs/payments.md)


async def main() -> None:
    async with AsyncClient(URL) as tf:
        await tf.login(*DEMO_CUSTOMER)
        page = await tf.shows(kind="TRAIN", starts_from=datetime.now(UTC), first=1)
        if not page.shows or len(page.shows[0].stops) < 4:
            raise SystemExit("No upcoming train: load the demo data with `make dev`.")
        train = page.shows[0]
        stops = [stop.name for stop in train.stops]
        print(f"{train.title}: {' - '.join(stops)}")

        # A segment is a pair of stop indexes: Hannover (1) to Frankfurt (3) on the demo train.
        ride = Segment(1, len(stops) - 2)
        print(f"Booking a seat from {stops[ride.from_stop]} to {stops[ride.to_stop]}")
        try:
            hold = await tf.hold_best_available(train.id, 1, segment=ride)
        except BadUserInput as e:
            if "limit" not in e.extensions:  # not the per-customer limit: a real error
                raise
            # After several runs the demo customer owns their share of this train
            # (TICKETFLOW_MAX_SEATS_PER_CUSTOMER, 10 places): a new customer buys instead.
            print(f"{e.message} Registering a new customer for this run.")
            await tf.register(f"traveller-{uuid.uuid4().hex[:8]}@example.com",
                              "example-password", "Example Traveller")
            hold = await tf.hold_best_available(train.id, 1, segment=ride)
        booking = await tf.checkout(hold.id)
        await tf.pay(booking.id, card=SANDBOX_CARD)
        booking = await tf.wait_for_booking(booking.id, "CONFIRMED")
        seat = booking.lines[0]
        print(f"Booking {booking.id} {booking.status}: seat {seat.label}, "
              f"{booking.total}")  # minor units as 12.50 EUR (1.250 KWD, 1250 JPY)

        # The seat is sold leg by leg: ask for its state over every possible segment.
        print(f"Seat {seat.label} over each segment:")
        for start, end in itertools.combinations(range(len(stops)), 2):
            seat_map = await tf.seat_map(train.id, segment=(start, end))
            state = seat_map.seat(seat.seat_id).state
            overlaps = start < ride.to_stop and ride.from_stop < end
            print(f"  {stops[start]:>9} -> {stops[end]:<9} {state}")
            if state != ("SOLD" if overlaps else "AVAILABLE"):
                raise RuntimeError(f"expected the seat {'sold' if overlaps else 'free'} here")
        print(f"Booked: booking {booking.id} {booking.status}, seat {seat.label} from "
              f"{stops[ride.from_stop]} to {stops[ride.to_stop]}; sold only on the overlapping "
              "segments")


if __name__ == "__main__":
    asyncio.run(main())
