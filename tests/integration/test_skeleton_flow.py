"""One customer journey across the four subgraphs, called directly (no router)."""

from __future__ import annotations

from tests.flows import CHECKOUT, HOLD, Actors, show_on_sale
from tests.harness import Stack, eventually


async def test_hold_checkout_and_payment_follow_each_other(stack: Stack, actors: Actors) -> None:
    venue, booking = stack.client("venue"), stack.client("booking")
    payment = stack.client("payment")
    show = await show_on_sale(venue, booking, actors.organizer, price=1250)
    seats = [s["id"] for s in show.seats[:2]]

    held = await booking.data(HOLD, {"show": show.id, "seats": seats}, actors.customer.token)
    assert held["holdSeats"]["__typename"] == "SeatHold"
    assert sorted(held["holdSeats"]["seatIds"]) == sorted(seats)

    done = await booking.data(CHECKOUT, {"hold": held["holdSeats"]["id"], "key": "k-1"},
                              actors.customer.token)
    assert done["checkout"]["__typename"] == "Booking"
    assert done["checkout"]["status"] == "PENDING_PAYMENT"
    assert done["checkout"]["total"] == {"amount": 2500, "currency": "EUR"}
    booking_id = done["checkout"]["id"]

    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Booking { payment { status amount { amount currency } } } } }"""

    async def payment_created() -> dict | None:
        body = await payment.run(query, {"r": [{"__typename": "Booking", "id": booking_id}]},
                                 actors.customer.token)
        return body["data"]["_entities"][0]["payment"]

    paid = await eventually(payment_created)
    assert paid == {"status": "REQUIRES_PAYMENT", "amount": {"amount": 2500, "currency": "EUR"}}
