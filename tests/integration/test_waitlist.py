"""Waiting lists: seats that come back go to the line first, in join order.

The deployment's sweeper only runs when a test calls it (``release_expired`` with a later
``now``), so "the offer lapsed" is a state the test controls. Mail goes to a loopback SMTP
server, as in test_notifications.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select, update

from subgraphs.booking.models import (
    AVAILABLE,
    HELD,
    BookableShow,
    Hold,
    ShowCount,
    ShowSeat,
    WaitingListEntry,
)
from subgraphs.booking.service import release_expired
from subgraphs.kernel.db import utcnow
from tests.flows import CHECKOUT, HOLD, ShowOnSale, User, show_on_sale
from tests.harness import eventually
from tests.integration.conftest import own_deployment
from tests.integration.mailbox import SmtpServer, mail_settings, text_body
from tests.integration.promo_support import create_code, tiered_show
from tests.integration.promo_support import hold as promo_hold
from tests.integration.support import Deployment, count, customer, refusal, seat_rows
from tests.integration.test_general_admission import (
    availability,
    held_places,
    hold_places,
    standing_show,
)
from tests.integration.test_notifications import known
from tests.integration.test_ticket_types import PRICES, READ_HOLD, line_view, new_show, types_input
from tests.integration.test_ticket_types import checkout as typed_checkout
from tests.integration.test_ticket_types import hold_seats as hold_typed_seats

JOIN = """mutation($show: ID!, $n: Int!, $cat: String, $section: ID, $key: String) {
  joinWaitingList(showId: $show, quantity: $n, category: $cat, sectionId: $section,
                  idempotencyKey: $key) {
    __typename
    ... on WaitingListEntry { id position status quantity category sectionId joinedAt
                              offerExpiresAt offer { id status seatIds expiresAt } }
    ... on PlacesAvailable { code available } } }"""
MINE = """{ myWaitingLists { id show { id } position status quantity sectionId offerExpiresAt
  offer { id status seatIds expiresAt generalAdmission { sectionId quantity } } } }"""
LEAVE = "mutation($id: ID!) { leaveWaitingList(entryId: $id) { id status } }"
RELEASE = "mutation($id: ID!) { releaseHold(holdId: $id) { id status } }"
CANCEL = "mutation($id: ID!) { cancelBooking(bookingId: $id) { id status } }"
LINE = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { waitingList { waiting offered } } } }"""
HOLD_WITH_CODE = """mutation($show: ID!, $seats: [ID!]!, $code: String) {
  holdSeats(showId: $show, seatIds: $seats, promoCode: $code) {
    __typename ... on SeatHold { id } } }"""
OFFER_SUBJECT = "Seats for Test Show are waiting for you until "


@pytest.fixture(scope="module")
async def lines(mode: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
                ) -> AsyncIterator[Deployment]:
    """Offers last 15 minutes (the default); the sweeper runs only when a test calls it."""
    async with own_deployment(mode, tmp_path_factory, "waitlist", **mail_settings(smtp),
                              sweep_interval_seconds=3600) as running:
        yield running


async def sold_out(d: Deployment, seller: User, time_zone: str = "UTC"
                   ) -> tuple[ShowOnSale, list[str]]:
    """A show of ten seats, each held by ``seller`` in a hold of its own: (show, hold ids in
    seat-map order)."""
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                              d.actors.organizer, time_zone=time_zone)
    holds = []
    for seat in show.seats:
        body = await d.stack.client("booking").data(
            HOLD, {"show": show.id, "seats": [seat["id"]]}, seller.token)
        assert body["holdSeats"]["__typename"] == "SeatHold", body
        holds.append(body["holdSeats"]["id"])
    return show, holds


async def join(d: Deployment, who: User, show: ShowOnSale, n: int, **more: Any) -> dict[str, Any]:
    body = await d.stack.client("booking").data(JOIN, {"show": show.id, "n": n, **more},
                                                who.token)
    return body["joinWaitingList"]  # type: ignore[no-any-return]


async def release(d: Deployment, who: User, hold_id: str) -> None:
    body = await d.stack.client("booking").data(RELEASE, {"id": hold_id}, who.token)
    assert body["releaseHold"]["status"] == "RELEASED"


async def mine(d: Deployment, who: User, show: ShowOnSale | str) -> dict[str, Any]:
    """``who``'s one entry for ``show`` (or the show of this id)."""
    show_id = show if isinstance(show, str) else show.id
    body = await d.stack.client("booking").data(MINE, None, who.token)
    [entry] = [e for e in body["myWaitingLists"] if e["show"]["id"] == show_id]
    return entry  # type: ignore[no-any-return]


def offers_to(smtp: SmtpServer, who: User) -> list[EmailMessage]:
    """Offer mails to ``who``. (A subject too long for the header line is folded before it,
    and the parser keeps the fold's space: compared stripped.)"""
    return [m for rcpts, m in smtp.mailbox.messages
            if who.email in rcpts and str(m["Subject"]).strip().startswith(OFFER_SUBJECT)]


async def entries(d: Deployment, show: ShowOnSale) -> list[WaitingListEntry]:
    async with d.dbs["booking"].reader() as s:
        return list(await s.scalars(select(WaitingListEntry)
                                    .where(WaitingListEntry.show_id == show.id)
                                    .order_by(WaitingListEntry.position)))


async def test_seats_that_come_back_are_offered_to_the_waiting_customer_and_mailed(
        lines: Deployment, smtp: SmtpServer) -> None:
    d = lines
    seller, waiter, buyer = [await customer(d.stack) for _ in range(3)]
    await known(d, waiter)  # notification knows where to mail them
    show, holds = await sold_out(d, seller, time_zone="Europe/Berlin")
    entry = await join(d, waiter, show, 2)
    assert (entry["__typename"], entry["status"], entry["position"], entry["offer"]) == \
        ("WaitingListEntry", "WAITING", 1, None)
    line = await d.stack.client("booking").data(
        LINE, {"r": [{"__typename": "Show", "id": show.id}]}, d.actors.organizer.token)
    assert line["_entities"][0]["waitingList"] == {"waiting": 1, "offered": 0}

    await release(d, seller, holds[3])
    await release(d, seller, holds[7])
    offered = await mine(d, waiter, show)
    seats = [show.seats[3]["id"], show.seats[7]["id"]]
    assert offered["status"] == "OFFERED"
    assert offered["offer"]["status"] == "ACTIVE" and sorted(offered["offer"]["seatIds"]) == \
        sorted(seats)
    assert offered["offerExpiresAt"] == offered["offer"]["expiresAt"]
    # Nobody else gets them: they are the waiter's.
    taken = await d.stack.client("booking").data(HOLD, {"show": show.id, "seats": seats[:1]},
                                                 buyer.token)
    assert taken["holdSeats"]["__typename"] == "SeatsUnavailable"
    rows = await seat_rows(d.dbs["booking"], show.id)
    assert {rows[s] for s in seats} == {(HELD, offered["offer"]["id"])}

    await eventually(lambda: asyncio.sleep(0, offers_to(smtp, waiter)))
    [mail] = offers_to(smtp, waiter)
    body = text_body(mail)
    labels = f"{show.seats[3]['label']}, {show.seats[7]['label']}"
    assert labels in body and offered["offer"]["id"] in body
    assert str(mail["Subject"]).endswith("Europe/Berlin")

    booked = await d.stack.client("booking").data(
        CHECKOUT, {"hold": offered["offer"]["id"], "key": "claim-1"}, waiter.token)
    assert booked["checkout"]["__typename"] == "Booking"
    assert (await mine(d, waiter, show))["status"] == "CLAIMED"
    line = await d.stack.client("booking").data(
        LINE, {"r": [{"__typename": "Show", "id": show.id}]}, d.actors.admin.token)
    assert line["_entities"][0]["waitingList"] == {"waiting": 0, "offered": 0}
    # With nobody left in line, a seat that comes back is anyone's again.
    await release(d, seller, holds[0])
    taken = await d.stack.client("booking").data(
        HOLD, {"show": show.id, "seats": [show.seats[0]["id"]]}, buyer.token)
    assert taken["holdSeats"]["__typename"] == "SeatHold"


async def test_seats_gather_for_the_head_of_the_line_until_it_has_as_many_as_it_asked(
        lines: Deployment) -> None:
    d = lines
    seller, first, second = [await customer(d.stack) for _ in range(3)]
    show, holds = await sold_out(d, seller)
    assert (await join(d, first, show, 3))["position"] == 1
    assert (await join(d, second, show, 1))["position"] == 2

    await release(d, seller, holds[0])
    # One seat is not enough for the head; it is kept for it, not offered to the second.
    assert (await mine(d, first, show))["status"] == "WAITING"
    assert (await mine(d, second, show))["status"] == "WAITING"
    [head, _] = await entries(d, show)
    rows = await seat_rows(d.dbs["booking"], show.id)
    assert rows[show.seats[0]["id"]] == (HELD, head.hold_id) and head.reserved == 1
    other = await customer(d.stack)
    taken = await d.stack.client("booking").data(
        HOLD, {"show": show.id, "seats": [show.seats[0]["id"]]}, other.token)
    assert taken["holdSeats"]["__typename"] == "SeatsUnavailable"

    await release(d, seller, holds[1])
    await release(d, seller, holds[2])
    head_now = await mine(d, first, show)
    assert head_now["status"] == "OFFERED"
    assert sorted(head_now["offer"]["seatIds"]) == sorted(s["id"] for s in show.seats[:3])
    assert (await mine(d, second, show))["status"] == "WAITING"
    await release(d, seller, holds[3])
    assert (await mine(d, second, show))["offer"]["seatIds"] == [show.seats[3]["id"]]


async def test_an_offer_left_to_lapse_passes_to_the_next_in_line(lines: Deployment) -> None:
    d = lines
    seller, first, second = [await customer(d.stack) for _ in range(3)]
    show, holds = await sold_out(d, seller)
    await join(d, first, show, 2)
    await join(d, second, show, 2)
    await release(d, seller, holds[5])
    await release(d, seller, holds[6])
    offer = (await mine(d, first, show))["offer"]
    # The sweep after the offer's expiry (of the first's holds only: the seller's lapse by
    # then too, and their seats would go to the line as well).
    await release_expired(d.services["booking"], now=utcnow() + timedelta(minutes=16),
                          user_id=first.id)
    lapsed = await mine(d, first, show)
    assert (lapsed["status"], lapsed["offer"]) == ("EXPIRED", None)
    passed = await mine(d, second, show)
    assert passed["status"] == "OFFERED"
    assert sorted(passed["offer"]["seatIds"]) == sorted(offer["seatIds"])
    async with d.dbs["booking"].reader() as s:
        assert await s.scalar(select(Hold.status).where(Hold.id == offer["id"])) == "EXPIRED"


async def test_a_cancelled_booking_goes_to_the_line_and_leaving_passes_seats_on(
        lines: Deployment) -> None:
    d = lines
    seller, first, second, third = [await customer(d.stack) for _ in range(4)]
    show, holds = await sold_out(d, seller)
    booked = await d.stack.client("booking").data(CHECKOUT, {"hold": holds[9], "key": "k9"},
                                                  seller.token)
    e1 = await join(d, first, show, 2)
    e2 = await join(d, second, show, 1)
    await join(d, third, show, 1)
    await d.stack.client("booking").data(CANCEL, {"id": booked["checkout"]["id"]},
                                         seller.token)
    # The head gathers the cancelled seat; leaving hands it to the next.
    assert (await mine(d, first, show))["status"] == "WAITING"
    left = await d.stack.client("booking").data(LEAVE, {"id": e1["id"]}, first.token)
    assert left["leaveWaitingList"]["status"] == "LEFT"
    offered = await mine(d, second, show)
    assert offered["offer"]["seatIds"] == [show.seats[9]["id"]]
    # Declining an offer passes it on too.
    await d.stack.client("booking").data(LEAVE, {"id": e2["id"]}, second.token)
    assert (await mine(d, second, show))["status"] == "LEFT"
    assert (await mine(d, third, show))["offer"]["seatIds"] == [show.seats[9]["id"]]
    again = await d.stack.client("booking").run(LEAVE, {"id": e2["id"]}, second.token)
    assert refusal(again) == ("CONFLICT", "entryId")


async def test_a_lapsed_hold_waits_for_the_sweeper_while_someone_waits(
        lines: Deployment) -> None:
    d = lines
    seller, waiter, buyer = [await customer(d.stack) for _ in range(3)]
    show, holds = await sold_out(d, seller)
    await join(d, waiter, show, 1)
    async with d.dbs["booking"].writer.begin() as s:  # the seller's first hold lapses
        past = utcnow() - timedelta(seconds=1)
        await s.execute(update(Hold).where(Hold.id == holds[0]).values(expires_at=past))
        await s.execute(update(ShowSeat).where(ShowSeat.hold_id == holds[0])
                        .values(hold_expires_at=past))
    taken = await d.stack.client("booking").data(
        HOLD, {"show": show.id, "seats": [show.seats[0]["id"]]}, buyer.token)
    assert taken["holdSeats"]["__typename"] == "SeatsUnavailable"
    await release_expired(d.services["booking"], show_id=show.id)
    assert (await mine(d, waiter, show))["offer"]["seatIds"] == [show.seats[0]["id"]]


async def test_a_show_with_enough_seats_says_buy_them_and_stores_nothing(
        lines: Deployment) -> None:
    d = lines
    who = await customer(d.stack)
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                              d.actors.organizer)
    before = await count(d.dbs["booking"], WaitingListEntry)
    answer = await join(d, who, show, 4)
    assert answer == {"__typename": "PlacesAvailable", "code": "PLACES_AVAILABLE",
                      "available": 10}
    assert await count(d.dbs["booking"], WaitingListEntry) == before


async def test_bad_input_gets_a_typed_error_and_changes_nothing(lines: Deployment) -> None:
    d = lines
    seller, who = await customer(d.stack), await customer(d.stack)
    show, _ = await sold_out(d, seller)
    booking = d.stack.client("booking")
    first = await join(d, who, show, 2, key="join-1")
    assert first["status"] == "WAITING"
    assert (await join(d, who, show, 2, key="join-1"))["id"] == first["id"]  # a retry
    stored = await count(d.dbs["booking"], WaitingListEntry)
    other = await customer(d.stack)
    cases = [
        ({"show": show.id, "n": 0}, other, ("BAD_USER_INPUT", "quantity")),
        ({"show": show.id, "n": 11}, other, ("BAD_USER_INPUT", "quantity")),
        ({"show": show.id, "n": 1, "cat": "BALCONY"}, other, ("BAD_USER_INPUT", "category")),
        ({"show": show.id, "n": 1, "section": "nope"}, other, ("BAD_USER_INPUT", "sectionId")),
        ({"show": show.id, "n": 1, "section": "nope", "cat": "STANDARD"}, other,
         ("BAD_USER_INPUT", "category")),
        ({"show": "00000000-0000-0000-0000-000000000000", "n": 1}, other,
         ("NOT_FOUND", "showId")),
        ({"show": show.id, "n": 1}, who, ("CONFLICT", "showId")),
        ({"show": show.id, "n": 3, "key": "join-1"}, who, ("CONFLICT", "idempotencyKey")),
    ]
    for variables, caller, expected in cases:
        assert refusal(await booking.run(JOIN, variables, caller.token)) == expected, variables
    assert refusal(await booking.run(JOIN, {"show": show.id, "n": 1}))[0] == "UNAUTHENTICATED"
    leave = await booking.run(LEAVE, {"id": first["id"]}, other.token)
    assert refusal(leave)[0] == "FORBIDDEN"
    assert refusal(await booking.run(LEAVE, {"id": "nope"}, who.token)) == \
        ("NOT_FOUND", "entryId")
    assert await count(d.dbs["booking"], WaitingListEntry) == stored
    assert (await mine(d, who, show))["status"] == "WAITING"
    async with d.dbs["booking"].reader() as s:
        assert await s.scalar(select(BookableShow.waiting)
                              .where(BookableShow.id == show.id)) == 1


async def test_a_cancelled_show_ends_its_line_and_gives_gathered_seats_back(
        lines: Deployment) -> None:
    d = lines
    seller, first, second = [await customer(d.stack) for _ in range(3)]
    show, holds = await sold_out(d, seller)
    await join(d, first, show, 3)
    await join(d, second, show, 1)
    await release(d, seller, holds[0])
    cancelled = await d.stack.client("venue").run(
        "mutation($id: ID!) { cancelShow(id: $id) { id status } }", {"id": show.id},
        d.actors.organizer.token)
    assert "errors" not in cancelled, cancelled

    async def ended() -> bool:
        return {e.status for e in await entries(d, show)} == {"EXPIRED"}

    await eventually(ended)
    rows = await seat_rows(d.dbs["booking"], show.id)
    assert set(rows.values()) == {(AVAILABLE, None)}


WAITERS = 12
ONE_BY_ONE = 4  # seats returned one at a time...
AT_ONCE = 4  # ... then together, while a crowd tries to hold them
CROWD = 16


async def test_offers_go_in_join_order_and_no_returned_seat_ever_reaches_the_crowd(
        lines: Deployment) -> None:
    d = lines
    booking = d.stack.client("booking")
    seller = await customer(d.stack)
    show, holds = await sold_out(d, seller)
    waiters = [await customer(d.stack) for _ in range(WAITERS)]
    crowd = [await customer(d.stack) for _ in range(CROWD)]
    joined = await asyncio.gather(*(join(d, w, show, 1) for w in waiters))
    # Positions are the join order: one each, no gaps, no ties.
    assert sorted(j["position"] for j in joined) == list(range(1, WAITERS + 1))
    stored = await entries(d, show)
    assert [e.joined_at for e in stored] == sorted(e.joined_at for e in stored)
    who_is = {e.position: e.user_id for e in stored}

    async def offered() -> dict[int, list[str]]:
        """position -> seats offered, of every entry holding an offer."""
        async with d.dbs["booking"].reader() as s:
            rows = (await s.execute(
                select(WaitingListEntry.position, ShowSeat.seat_id)
                .join(ShowSeat, ShowSeat.hold_id == WaitingListEntry.hold_id)
                .where(WaitingListEntry.show_id == show.id,
                       WaitingListEntry.status == "OFFERED"))).all()
        found: dict[int, list[str]] = {}
        for position, seat in rows:
            found.setdefault(position, []).append(seat)
        return found

    for k in range(ONE_BY_ONE):
        await release(d, seller, holds[k])
        now = await offered()
        assert sorted(now) == list(range(1, k + 2))  # the next in line, nobody skipped
        assert now[k + 1] == [show.seats[k]["id"]]

    returning = holds[ONE_BY_ONE:ONE_BY_ONE + AT_ONCE]
    seats = [s["id"] for s in show.seats[ONE_BY_ONE:ONE_BY_ONE + AT_ONCE]]

    async def grab(i: int) -> str:
        body = await booking.data(HOLD, {"show": show.id, "seats": [seats[i % AT_ONCE]]},
                                  crowd[i].token)
        return str(body["holdSeats"]["__typename"])

    answers = await asyncio.gather(*(release(d, seller, h) for h in returning),
                                   *(grab(i) for i in range(CROWD)))
    assert answers[AT_ONCE:] == ["SeatsUnavailable"] * CROWD

    # Every returned seat went to a waiter, in join order; nobody got two offers.
    final = await offered()
    assert sorted(final) == list(range(1, ONE_BY_ONE + AT_ONCE + 1))
    assert sorted(s for got in final.values() for s in got) == \
        sorted(s["id"] for s in show.seats[:ONE_BY_ONE + AT_ONCE])
    assert all(len(got) == 1 for got in final.values())
    stored = await entries(d, show)
    assert [e.status for e in stored] == \
        ["OFFERED"] * (ONE_BY_ONE + AT_ONCE) + ["WAITING"] * (WAITERS - ONE_BY_ONE - AT_ONCE)
    async with d.dbs["booking"].reader() as s:
        # The database agrees: no crowd member holds anything, each offered waiter holds
        # exactly one hold with one seat, and the counts match the seat rows.
        crowd_holds = await s.scalar(select(func.count()).select_from(Hold).where(
            Hold.show_id == show.id, Hold.user_id.in_([c.id for c in crowd])))
        assert crowd_holds == 0
        per_waiter = dict((await s.execute(
            select(Hold.user_id, func.count()).where(Hold.show_id == show.id,
                                                     Hold.user_id != seller.id)
            .group_by(Hold.user_id))).all())
        assert per_waiter == {who_is[p]: 1 for p in final}
        held = await s.scalar(select(func.count()).select_from(ShowSeat).where(
            ShowSeat.show_id == show.id, ShowSeat.state == HELD))
        counted = await s.scalar(select(func.sum(ShowCount.held))
                                 .where(ShowCount.show_id == show.id))
        assert held == counted == 10
        waiting = await s.scalar(select(BookableShow.waiting)
                                 .where(BookableShow.id == show.id))
        assert waiting == WAITERS - ONE_BY_ONE - AT_ONCE


async def test_standing_places_that_come_back_gather_for_the_sections_line(
        lines: Deployment, smtp: SmtpServer) -> None:
    d = lines
    seller, first, second, buyer = [await customer(d.stack) for _ in range(4)]
    await known(d, first)
    show = await standing_show(d.stack, d.actors.organizer, 4)
    booking = d.stack.client("booking")
    a = await held_places(booking, show, 2, seller)
    b = await held_places(booking, show, 2, seller)
    joined = await booking.data(JOIN, {"show": show.show_id, "n": 3,
                                       "section": show.section_id}, first.token)
    assert (joined["joinWaitingList"]["sectionId"], joined["joinWaitingList"]["status"]) == \
        (show.section_id, "WAITING")
    await booking.data(JOIN, {"show": show.show_id, "n": 1, "section": show.section_id},
                       second.token)
    # Seats of the same show are not what they wait for.
    seats = await booking.data(HOLD, {"show": show.show_id, "seats": show.seat_ids[:1]},
                               buyer.token)
    await release(d, buyer, seats["holdSeats"]["id"])
    assert (await mine(d, first, show.show_id))["status"] == "WAITING"

    await release(d, seller, a)
    # Two places gather for the head (it wants three): nobody else gets them.
    refused = await hold_places(booking, show, 1, buyer)
    assert refused["data"]["holdGeneralAdmission"]["__typename"] == "SoldOut", refused
    assert (await mine(d, first, show.show_id))["status"] == "WAITING"
    assert (await mine(d, second, show.show_id))["status"] == "WAITING"

    await release(d, seller, b)
    head = await mine(d, first, show.show_id)
    assert head["status"] == "OFFERED"
    assert head["offer"]["generalAdmission"] == [{"sectionId": show.section_id, "quantity": 3}]
    assert (await mine(d, second, show.show_id))["offer"]["generalAdmission"] == \
        [{"sectionId": show.section_id, "quantity": 1}]
    counted = await availability(booking, show)
    assert [(g["held"], g["available"]) for g in counted["generalAdmission"]] == [(4, 0)]

    await eventually(lambda: asyncio.sleep(0, offers_to(smtp, first)))
    [mail] = offers_to(smtp, first)
    assert "(3 places)" in text_body(mail)
    booked = await booking.data(CHECKOUT, {"hold": head["offer"]["id"], "key": "ga-claim"},
                                first.token)
    assert booked["checkout"]["__typename"] == "Booking"
    assert (await mine(d, first, show.show_id))["status"] == "CLAIMED"


async def test_a_lapsed_holds_standing_places_wait_for_the_sweeper_while_someone_waits(
        lines: Deployment) -> None:
    d = lines
    seller, waiter, buyer = [await customer(d.stack) for _ in range(3)]
    show = await standing_show(d.stack, d.actors.organizer, 4)
    booking = d.stack.client("booking")
    lapsing = await held_places(booking, show, 4, seller)
    await booking.data(JOIN, {"show": show.show_id, "n": 2, "section": show.section_id},
                       waiter.token)
    async with d.dbs["booking"].writer.begin() as s:  # the seller's hold lapses
        await s.execute(update(Hold).where(Hold.id == lapsing)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    refused = await hold_places(booking, show, 1, buyer)
    assert refused["data"]["holdGeneralAdmission"]["__typename"] == "SoldOut", refused
    await release_expired(d.services["booking"], show_id=show.show_id)
    offered = await mine(d, waiter, show.show_id)
    assert offered["offer"]["generalAdmission"] == [{"sectionId": show.section_id,
                                                     "quantity": 2}]
    # The two places nobody waits for are on sale again.
    assert (await held_places(booking, show, 2, buyer))
    refused = await hold_places(booking, show, 1, buyer)
    assert refused["data"]["holdGeneralAdmission"]["__typename"] == "SoldOut", refused


async def test_seats_returned_at_once_gather_for_each_in_turn_and_never_reach_the_crowd(
        lines: Deployment) -> None:
    d = lines
    booking = d.stack.client("booking")
    seller = await customer(d.stack)
    show, holds = await sold_out(d, seller)
    waiters = [await customer(d.stack) for _ in range(4)]
    crowd = [await customer(d.stack) for _ in range(8)]
    for w in waiters:  # one after the other: positions 1..4 in this order
        await join(d, w, show, 2)
    returned = [s["id"] for s in show.seats[:6]]

    async def grab(i: int) -> str:
        body = await booking.data(HOLD, {"show": show.id, "seats": [returned[i % 6]]},
                                  crowd[i].token)
        return str(body["holdSeats"]["__typename"])

    answers = await asyncio.gather(*(release(d, seller, h) for h in holds[:6]),
                                   *(grab(i) for i in range(len(crowd))))
    assert answers[6:] == ["SeatsUnavailable"] * len(crowd)
    stored = await entries(d, show)
    assert [(e.user_id, e.status, e.reserved) for e in stored] == \
        [(w.id, "OFFERED", 2) for w in waiters[:3]] + [(waiters[3].id, "WAITING", 0)]
    rows = await seat_rows(d.dbs["booking"], show.id)
    offered = {e.hold_id for e in stored[:3]}
    # Each returned seat is in exactly one offer; each offer has two of them.
    assert sorted(rows[s][1] or "" for s in returned) == \
        sorted(h or "" for h in offered for _ in range(2))


async def test_hidden_category_seats_stay_with_code_holders_and_nobody_waits_for_them(
        lines: Deployment) -> None:
    d = lines
    booking = d.stack.client("booking")
    seller, insider, waiter = [await customer(d.stack) for _ in range(3)]
    show = await tiered_show(d.stack, d.actors.organizer, "EUR",
                             {"VIP": 5000, "STANDARD": 2000}, seats_per_row=2, hidden=("VIP",))
    vip, standard = show.of("VIP"), show.of("STANDARD")
    opens = await create_code(booking, d.actors.organizer, percent=0,
                              unlocksCategories=["VIP"], showIds=[show.id])
    held = await booking.data(HOLD_WITH_CODE, {"show": show.id, "seats": [vip[0]],
                                               "code": opens["code"]}, insider.token)
    standard_holds = [await promo_hold(booking, seller, show.id, [s]) for s in standard]
    # A hidden seat is free (vip[1]), but only code holders may buy it: the waiter waits.
    joined = await booking.data(JOIN, {"show": show.id, "n": 1}, waiter.token)
    assert joined["joinWaitingList"]["__typename"] == "WaitingListEntry"
    refused = await booking.run(JOIN, {"show": show.id, "n": 1, "cat": "VIP"}, seller.token)
    assert refusal(refused) == ("BAD_USER_INPUT", "category")

    await release(d, insider, held["holdSeats"]["id"])
    assert (await mine(d, waiter, show.id))["status"] == "WAITING"
    rows = await seat_rows(d.dbs["booking"], show.id)
    assert rows[vip[0]] == (AVAILABLE, None)
    await release(d, seller, standard_holds[1])
    assert (await mine(d, waiter, show.id))["offer"]["seatIds"] == [standard[1]]


async def test_an_offer_on_a_show_with_ticket_types_is_of_the_default_type(
        lines: Deployment) -> None:
    d = lines
    seller, waiter = [await customer(d.stack) for _ in range(2)]
    show = await new_show(d, types_input())
    standard = show.seats["STANDARD"]
    held = []
    for seat in standard:  # children's tickets, at the child's price
        body = await hold_typed_seats(d, seller, show, [seat],
                                      [{"seatId": seat, "ticketType": "CHILD"}])
        held.append(body["data"]["holdSeats"]["id"])
    joined = await d.stack.client("booking").data(
        JOIN, {"show": show.id, "n": 1, "cat": "STANDARD"}, waiter.token)
    assert joined["joinWaitingList"]["__typename"] == "WaitingListEntry"
    await release(d, seller, held[1])
    offer = (await mine(d, waiter, show.id))["offer"]
    read = await d.stack.client("booking").data(READ_HOLD, {"id": offer["id"]}, waiter.token)
    assert line_view(read["hold"]["lines"]) == [
        (standard[1], 1, PRICES["ADULT"]["STANDARD"], PRICES["ADULT"]["STANDARD"], "ADULT",
         "Adult")]
    booked = await typed_checkout(d, waiter, offer["id"])
    assert booked["total"]["amount"] == PRICES["ADULT"]["STANDARD"]
