"""The cap on purchases per payment instrument for queued shows (docs/payments.md, "Cards
per queued show"), in both modes: a card pays for at most
``TICKETFLOW_QUEUE_PASSES_PER_INSTRUMENT`` (2) bookings of a queued show, whoever books;
the next is declined with reason ``instrument_limit`` (nothing charged, the booking stays
pending, another card pays); a declined card takes no slot, a "processing" card holds one
until its webhook declines it, a refund does not give it back; shows without a waiting
room are not capped; buyers racing with one card get at most the cap paid, counted in the
database.

Each buyer is a separate account admitted through the queue (one pass admits one purchase),
as a bot with many accounts would be. Admission rounds run at chosen times, as in
test_waiting_room.py, on queues that open a day from now.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from subgraphs.booking import waiting_room
from subgraphs.kernel.db import Database
from subgraphs.payment.models import InstrumentUse, Payment
from subgraphs.payment.providers.sandbox import (
    DECLINED,
    PROCESSING_DECLINED,
    SUCCEEDS,
    SUCCEEDS_TOO,
)
from tests.flows import CHECKOUT, HOLD, Actors, ShowOnSale, User, show_on_sale
from tests.flows import seat_ids as seats
from tests.harness import Stack, eventually
from tests.integration.test_waiting_room import configure, customers, join, opening, status
from tests.payments import (
    CANCEL_BOOKING,
    PAYMENT,
    booking_status,
    confirm,
    pay,
    pending_booking,
    settle_now,
    settled,
    start,
    wait_booking,
)

CAP = 2  # the default TICKETFLOW_QUEUE_PASSES_PER_INSTRUMENT


def fingerprint(stack: Stack, card: str) -> str:
    secret = stack.services["payment"].settings.payment_instrument_secret
    return hmac.new(secret.encode(), card.encode(), hashlib.sha256).hexdigest()


async def queued_show(stack: Stack, actors: Actors) -> tuple[ShowOnSale, float]:
    """A show on sale behind a waiting room: the show and the time its queue opens."""
    show = await show_on_sale(stack.client("venue"), stack.client("booking"),
                              actors.organizer, price=1500)
    opens = opening()
    await configure(stack.client("booking"), show.id, actors.organizer, opens, 60)
    return show, opens.timestamp()


async def queued_bookings(stack: Stack, show: ShowOnSale, opens: float,
                          n: int) -> list[tuple[User, dict[str, Any]]]:
    """``n`` accounts join the queue, are admitted and book one seat each with their pass."""
    booking = stack.client("booking")
    people = await customers(stack, n)
    tickets = [await join(booking, show.id, who) for who in people]
    for now in (opens, opens + 600):  # the opening places them; ten minutes admit them all
        await waiting_room.admit_round(stack.services["booking"], now=now)
    out = []
    for i, (who, ticket) in enumerate(zip(people, tickets, strict=True)):
        seen = await status(booking, ticket, who)
        assert seen["state"] == "ADMITTED", seen
        with_pass = replace(booking, headers={"ticketflow-queue-pass": seen["pass"]})
        held = await with_pass.data(HOLD, {"show": show.id, "seats": seats(show, i)},
                                    who.token)
        assert held["holdSeats"]["__typename"] == "SeatHold", held
        made = await booking.data(CHECKOUT, {"hold": held["holdSeats"]["id"],
                                             "key": uuid.uuid4().hex}, who.token)
        assert made["checkout"]["__typename"] == "Booking", made
        out.append((who, dict(made["checkout"])))
    return out


async def uses(db: Database, show_id: str) -> list[tuple[str, str]]:
    """(fingerprint, booking id) of every slot taken on the show."""
    async with db.reader() as s:
        rows = (await s.scalars(select(InstrumentUse)
                                .where(InstrumentUse.show_id == show_id))).all()
    return sorted((u.fingerprint, u.booking_id) for u in rows)


async def test_a_card_pays_for_at_most_the_cap_of_a_queued_shows_bookings(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show, opens = await queued_show(stack, actors)
    bought = await queued_bookings(stack, show, opens, CAP + 1)
    pay_api, book_api = stack.client("payment"), stack.client("booking")
    card, other = fingerprint(stack, SUCCEEDS), fingerprint(stack, SUCCEEDS_TOO)

    # a declined card takes no slot
    (who, first) = bought[0]
    declined = await pay(pay_api, who, first["id"], DECLINED)
    assert (declined["__typename"], declined["reason"]) == ("PaymentDeclined", "card_declined")
    assert await uses(dbs["payment"], show.id) == []
    # the first CAP bookings paid with one card (by different accounts) succeed
    for who, made in bought[:CAP]:
        paid = await pay(pay_api, who, made["id"], "4242-4242 4242 4242")
        assert paid["__typename"] == "Payment" and paid["status"] == "SUCCEEDED", paid
    assert await uses(dbs["payment"], show.id) == sorted(
        (card, made["id"]) for _, made in bought[:CAP])

    # the next with the same card: declined, nothing charged, the booking still pending
    who, last = bought[CAP]
    refused = await pay(pay_api, who, last["id"], SUCCEEDS)
    assert refused["__typename"] == "PaymentDeclined", refused
    assert (refused["code"], refused["reason"]) == ("PAYMENT_FAILED", "instrument_limit")
    assert refused["payment"]["status"] == "FAILED"
    async with dbs["payment"].reader() as s:
        row = await s.get(Payment, refused["payment"]["id"])
    assert row is not None and row.queued and row.captured_amount == 0
    assert await booking_status(book_api, who, last["id"]) == "PENDING_PAYMENT"
    # a refund does not give a slot back: cancelling a paid booking refunds it, and the
    # card still cannot pay another of the show's bookings
    owner, paid_booking = bought[0]
    await book_api.data(CANCEL_BOOKING, {"id": paid_booking["id"]}, owner.token)
    await wait_booking(book_api, owner, paid_booking["id"], "CANCELLED")
    again = await confirm(pay_api, who, refused["payment"]["id"], SUCCEEDS)
    assert (again["__typename"], again["reason"]) == ("PaymentDeclined", "instrument_limit")
    # another card pays
    other_card = await confirm(pay_api, who, refused["payment"]["id"], SUCCEEDS_TOO)
    assert other_card["status"] == "SUCCEEDED" and other_card["attempts"] == 3, other_card
    await wait_booking(book_api, who, last["id"], "CONFIRMED")
    assert await uses(dbs["payment"], show.id) == sorted(
        [(card, made["id"]) for _, made in bought[:CAP]] + [(other, last["id"])])
    # the card number itself is stored nowhere
    async with dbs["payment"].reader() as s:
        stored = [str(v) for r in (await s.execute(select(InstrumentUse))).all() for v in r]
    assert not any(SUCCEEDS in v or SUCCEEDS_TOO in v for v in stored)
    await settled(dbs["booking"], dbs["payment"], [b["id"] for _, b in bought])


async def test_shows_without_a_waiting_room_are_not_capped(
        stack: Stack, actors: Actors, show: ShowOnSale, dbs: dict[str, Database]) -> None:
    pay_api, book_api = stack.client("payment"), stack.client("booking")
    who = actors.customer
    made = [await pending_booking(book_api, who, show.id, seats(show, i))
            for i in range(CAP + 2)]
    for booking in made:
        paid = await pay(pay_api, who, booking["id"], SUCCEEDS)
        assert paid["status"] == "SUCCEEDED", paid
    assert await uses(dbs["payment"], show.id) == []
    async with dbs["payment"].reader() as s:
        queued = set(await s.scalars(select(Payment.queued)
                                     .where(Payment.show_id == show.id)))
    assert queued == {False}
    await settled(dbs["booking"], dbs["payment"], [b["id"] for b in made])


async def test_buyers_racing_with_one_card_get_at_most_the_cap_paid(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show, opens = await queued_show(stack, actors)
    bought = await queued_bookings(stack, show, opens, 6)
    pay_api = stack.client("payment")
    started = [await start(pay_api, who, made["id"]) for who, made in bought]
    results = await asyncio.gather(*[
        confirm(pay_api, who, payment["id"], SUCCEEDS)
        for (who, _), payment in zip(bought, started, strict=True)])
    paid = [r for r in results if r["__typename"] == "Payment"]
    refused = [r for r in results if r["__typename"] == "PaymentDeclined"]
    assert len(paid) == CAP and {r["status"] for r in paid} == {"SUCCEEDED"}, results
    assert len(refused) == len(bought) - CAP
    assert {r["reason"] for r in refused} == {"instrument_limit"}
    # what the database says: CAP slots, CAP payments captured, the rest nothing
    card = fingerprint(stack, SUCCEEDS)
    assert [f for f, _ in await uses(dbs["payment"], show.id)] == [card] * CAP
    async with dbs["payment"].reader() as s:
        rows = (await s.scalars(select(Payment).where(Payment.show_id == show.id))).all()
    assert sorted(r.captured_amount for r in rows) == [0] * (len(bought) - CAP) + [1500] * CAP
    assert {r.id for r in rows if r.status == "SUCCEEDED"} == {r["id"] for r in paid}
    await settled(dbs["booking"], dbs["payment"], [b["id"] for _, b in bought])


async def test_a_processing_card_holds_its_slot_until_its_webhook_declines_it(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    show, opens = await queued_show(stack, actors)
    [(who, made)] = await queued_bookings(stack, show, opens, 1)
    pay_api = stack.client("payment")
    processing = await pay(pay_api, who, made["id"], PROCESSING_DECLINED)
    assert processing["status"] == "PROCESSING", processing
    assert await uses(dbs["payment"], show.id) == [
        (fingerprint(stack, PROCESSING_DECLINED), made["id"])]
    await settle_now(dbs["payment"], processing["id"])  # the provider declines it now

    async def failed() -> bool:
        body = await pay_api.data(PAYMENT, {"id": processing["id"]}, who.token)
        return bool(body["payment"]["status"] == "FAILED")

    await eventually(failed)
    assert await uses(dbs["payment"], show.id) == []  # nothing captured: the slot is free
    await settled(dbs["booking"], dbs["payment"], [made["id"]])
