"""Book two seats side by side for tonight's screening, pay, and print the tickets.

Run `make dev` in one terminal, then `python examples/movie_booking.py` in another.
"""

import asyncio
import os
import uuid
from datetime import UTC, datetime

from ticketflow_sdk import AsyncClient, BadUserInput

URL = os.environ.get("TICKETFLOW_URL", "http://127.0.0.1:4000/graphql")
DEMO_CUSTOMER = ("customer@ticketflow.dev", "customer-demo-pass")  # loaded by `make dev`
SANDBOX_CARD = "4242 4242 4242 4242"  # always succeeds (docs/payments.md)


async def main() -> None:
    async with AsyncClient(URL) as tf:
        me = await tf.login(*DEMO_CUSTOMER)
        print(f"Signed in as {me.name} <{me.email}>")

        # Shows come soonest first: the first MOVIE from now on is tonight's screening
        # if one starts today, or else the next one coming up.
        page = await tf.shows(kind="MOVIE", starts_from=datetime.now(UTC), first=1)
        if not page.shows:
            raise SystemExit("No upcoming screening: load the demo data with `make dev`.")
        show = page.shows[0]
        starts = show.local_starts_at  # as people at the venue read it
        today = datetime.now(starts.tzinfo).date()
        when = "Tonight" if starts.date() == today else "Next"
        print(f"{when}: {show.title} at {show.venue_name}, "
              f"{starts:%a %d %b %H:%M} {show.venue_time_zone}")

        # The server picks the two best seats left, next to each other in one row.
        try:
            hold = await tf.hold_best_available(show.id, 2)
        except BadUserInput as e:
            if "limit" not in e.extensions:  # not the per-customer limit: a real error
                raise
            # After several runs the demo customer owns their share of this show
            # (TICKETFLOW_MAX_SEATS_PER_CUSTOMER, 10 places): a new customer buys instead.
            print(f"{e.message} Registering a new customer for this run.")
            await tf.register(f"moviegoer-{uuid.uuid4().hex[:8]}@example.com",
                              "example-password", "Example Moviegoer")
            hold = await tf.hold_best_available(show.id, 2)
        labels = ", ".join(seat.label for seat in hold.seats)
        print(f"Held {labels} until {hold.expires_at.astimezone():%H:%M}: {hold.total}")

        # Checkout turns the hold into a booking that waits for its payment.
        booking = await tf.checkout(hold.id)
        print(f"Booking {booking.id} is {booking.status}")
        payment = await tf.pay(booking.id, card=SANDBOX_CARD)
        print(f"Payment {payment.status}: {payment.amount}")

        # Payment tells booking through an event, so CONFIRMED arrives a moment later.
        booking = await tf.wait_for_booking(booking.id, "CONFIRMED")
        seats = ", ".join(line.label for line in booking.lines)
        print(f"Booked: booking {booking.id} {booking.status}, {booking.show.title}, "
              f"seats {seats}, total {booking.total}")


if __name__ == "__main__":
    asyncio.run(main())
