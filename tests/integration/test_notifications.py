"""Notifications against a real SMTP server on loopback (aiosmtpd), in both modes.

A paid booking brings exactly one confirmation, with one signed ticket per seat that
verifies with the published key, and one receipt; the same tickets are in the graph
(``Booking.tickets``) for the booking's owner and admins only, loaded in one query for many
bookings, and gone once the booking is cancelled; replayed events send nothing more and
issue no new ticket; an
SMTP outage delays the mail and then it goes out once; an address the server refuses for
good ends parked, where admins see it. Preferences belong to auth and reach notification
as events.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select, update

from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.booking.models import BookableShow, Booking, Hold
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.events import Event
from subgraphs.kernel.relay import IdempotentConsumer
from subgraphs.notification import tickets
from subgraphs.notification.deliveries import INTERRUPTED, UNKNOWN_RECIPIENT
from subgraphs.notification.models import Delivery, IssuedTicket, Recipient
from subgraphs.payment.models import TABLES as PAYMENT_TABLES
from tests.flows import PASSWORD, ShowOnSale, User, seat_ids, show_on_sale
from tests.harness import error_codes, eventually
from tests.integration.conftest import own_deployment
from tests.integration.mailbox import SmtpServer, images, mail_settings, qr_codes, text_body, tokens
from tests.integration.support import REGISTER, Deployment, refusal, unique_email
from tests.integration.test_batching import statements
from tests.integration.test_update_show import UPDATE as MOVE_SHOW
from tests.payments import CANCEL_BOOKING, pay, pending_booking, wait_booking

PREFERENCES = """mutation($i: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $i) { id notificationPreferences { email sms phone } } }"""
MY_PREFERENCES = "{ me { notificationPreferences { email sms phone } } }"
USER_PREFERENCES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on User { notificationPreferences { email sms phone } } } }"""
DELIVERIES = """query($status: DeliveryStatus) {
  notificationDeliveries(status: $status, first: 200) {
  id eventId channel kind userId recipient subject status attempts lastError sentAt } }"""
RETRY = "mutation($id: ID!) { retryNotification(id: $id) { id status attempts } }"
BOOKING_TICKETS = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { id tickets { id label token issuedAt } } } }"""
CONFIRMATION = "Your tickets for "
RECEIPT = "Receipt: "
VERIFY_SUBJECT = "Confirm your email address"


@pytest.fixture(scope="module")
async def notifying(mode: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
                    ) -> AsyncIterator[Deployment]:
    """Mail goes to the loopback SMTP server; failed sends are retried after 0.3 s, 0.6 s..."""
    async with own_deployment(mode, tmp_path_factory, "notify", **mail_settings(smtp),
                              notification_retry_seconds=0.3,
                              notification_max_attempts=8) as running:
        yield running


@pytest.fixture
async def show(notifying: Deployment) -> ShowOnSale:
    return await show_on_sale(notifying.stack.client("venue"), notifying.stack.client("booking"),
                              notifying.actors.organizer, price=1250)


async def register(d: Deployment, stem: str = "notify") -> User:
    email = unique_email(stem)
    body = await d.stack.client("auth").data(
        REGISTER, {"i": {"email": email, "password": PASSWORD, "name": "Nora Notified"}})
    return User(body["register"]["user"]["id"], email, body["register"]["accessToken"])


async def known(d: Deployment, who: User) -> Recipient:
    """Wait until notification's replica knows ``who``."""
    async def found() -> Recipient | None:
        async with d.dbs["notification"].reader() as s:
            return await s.get(Recipient, who.id)

    return await eventually(found)  # type: ignore[no-any-return]


async def paid_booking(d: Deployment, show: ShowOnSale, who: User, seats: list[int]) -> str:
    await known(d, who)
    booking = await pending_booking(d.stack.client("booking"), who, show.id,
                                    seat_ids(show, *seats))
    paid = await pay(d.stack.client("payment"), who, booking["id"])
    assert paid["status"] == "SUCCEEDED", paid
    await wait_booking(d.stack.client("booking"), who, booking["id"], "CONFIRMED")
    return str(booking["id"])


async def deliveries_of(d: Deployment, who: User) -> list[Delivery]:
    """The notices of ``who`` (registration's VERIFY_EMAIL mail aside: it has its tests in
    test_email_verification.py)."""
    async with d.dbs["notification"].reader() as s:
        return list(await s.scalars(select(Delivery).where(Delivery.user_id == who.id,
                                                           Delivery.kind != "VERIFY_EMAIL")))


def notices(smtp: SmtpServer, who: User) -> list[Any]:
    """Mails to ``who`` but the registration's verification mail."""
    return [m for m in smtp.mailbox.to(who.email)
            if not str(m["Subject"]).startswith(VERIFY_SUBJECT)]


async def all_sent(d: Deployment, who: User, count: int) -> list[Delivery]:
    """Wait until ``who`` has ``count`` deliveries and every one is SENT: what will ever
    be mailed is then in the mailbox (each delivery goes out at most once)."""
    async def done() -> list[Delivery]:
        rows = await deliveries_of(d, who)
        return rows if len(rows) == count and {x.status for x in rows} == {"SENT"} else []

    return await eventually(done)  # type: ignore[no-any-return]


async def mails(smtp: SmtpServer, who: User, subject: str, count: int) -> None:
    await eventually(lambda: asyncio.sleep(0, len(smtp.mailbox.to(who.email, subject)) >= count))


async def graph_tickets(d: Deployment, booking_ids: list[str], token: str | None
                        ) -> dict[str, Any]:
    """``Booking.tickets`` of bookings, asked of notification as the router would."""
    return await d.stack.client("notification").run(
        BOOKING_TICKETS, {"r": [{"__typename": "Booking", "id": b} for b in booking_ids]}, token)


async def issued(d: Deployment, who: User, booking_id: str) -> list[dict[str, Any]]:
    """The booking's tickets as its owner sees them, once notification has issued them."""
    async def found() -> list[dict[str, Any]]:
        body = await graph_tickets(d, [booking_id], who.token)
        assert "errors" not in body, body
        return body["data"]["_entities"][0]["tickets"]  # type: ignore[no-any-return]

    return await eventually(found)  # type: ignore[no-any-return]


async def stored_tickets(d: Deployment, booking_id: str) -> list[IssuedTicket]:
    async with d.dbs["notification"].reader() as s:
        return list(await s.scalars(select(IssuedTicket).where(
            IssuedTicket.booking_id == booking_id).order_by(IssuedTicket.position)))


async def test_a_paid_booking_brings_one_confirmation_with_verifiable_tickets_and_one_receipt(
        notifying: Deployment, smtp: SmtpServer, show: ShowOnSale) -> None:
    d, who = notifying, await register(notifying)
    booking_id = await paid_booking(d, show, who, [0, 1])
    await mails(smtp, who, CONFIRMATION, 1)
    await mails(smtp, who, RECEIPT, 1)
    await all_sent(d, who, 2)
    (confirmation,) = smtp.mailbox.to(who.email, CONFIRMATION)
    (receipt,) = smtp.mailbox.to(who.email, RECEIPT)
    assert confirmation["Subject"] == "Your tickets for Test Show"
    assert confirmation["From"] == "TicketFlow <tickets@example.com>"
    assert receipt["Subject"] == "Receipt: 25.00 EUR paid"
    inline, attached = images(confirmation)
    assert len(inline) == 2 and sorted(attached) == ["ticket-1.png", "ticket-2.png"]
    html = confirmation.get_body(("html",))
    assert html is not None
    assert all(f"cid:{cid.strip('<>')}" in str(html.get_content())  # type: ignore[attr-defined]
               for cid in inline)

    # The key a scanner fetches: from the service and through the graph, the same.
    base = d.stack.url("notification").removesuffix("/graphql")
    async with httpx.AsyncClient() as client:
        jwks = (await client.get(f"{base}/.well-known/ticket-keys.json")).json()
    graph = await d.stack.client("notification").data("{ ticketKeys }")
    assert graph["ticketKeys"] == jwks and len(jwks["keys"]) == 1
    claims = [tickets.verify_ticket(t, jwks) for t in tokens(confirmation)]
    assert len(claims) == 2
    # Each QR image holds exactly its ticket's token, inline and attached alike.
    inline_codes, attached_codes = qr_codes(confirmation)
    assert sorted(inline_codes) == sorted(attached_codes) == sorted(tokens(confirmation))
    assert {c["bid"] for c in claims} == {booking_id}
    assert {c["sid"] for c in claims} == {show.id}
    assert sorted(c["seat"] for c in claims) == sorted(s["label"] for s in show.seats[:2])
    assert sorted(c["tid"] for c in claims) == sorted(
        f"{booking_id}:{s['id']}" for s in show.seats[:2])
    assert all(c["iss"] == "ticketflow-tickets" for c in claims)
    header, body, signature = tokens(confirmation)[0].split(".")
    other = tokens(confirmation)[1].split(".")[1]
    with pytest.raises(jwt.InvalidSignatureError):  # another seat's claims, this signature
        tickets.verify_ticket(f"{header}.{other if other != body else body}.{signature}", jwks)
    sent = await deliveries_of(d, who)
    assert sorted((x.kind, x.channel, x.status, x.attempts) for x in sent) == [
        ("CONFIRMATION", "EMAIL", "SENT", 1), ("RECEIPT", "EMAIL", "SENT", 1)]


async def test_the_graph_serves_the_mails_tickets_to_the_owner_and_admins_only(
        notifying: Deployment, smtp: SmtpServer, show: ShowOnSale) -> None:
    d, who = notifying, await register(notifying)
    await known(d, who)
    pending = await pending_booking(d.stack.client("booking"), who, show.id,
                                    seat_ids(show, 7))
    # Not confirmed yet: nothing issued, so the owner sees none.
    assert (await graph_tickets(d, [pending["id"]], who.token))["data"] == {
        "_entities": [{"id": pending["id"], "tickets": []}]}
    booking_id = await paid_booking(d, show, who, [0, 1])
    got = await issued(d, who, booking_id)
    await mails(smtp, who, CONFIRMATION, 1)
    (confirmation,) = smtp.mailbox.to(who.email, CONFIRMATION)
    # The mail carries exactly the tokens the graph serves, in the same order.
    assert [t["token"] for t in got] == tokens(confirmation)
    # Each token verifies with the published key set (PyJWT) and names its booking and seat.
    jwks = jwt.PyJWKSet.from_dict((await d.stack.client("notification").data(
        "{ ticketKeys }"))["ticketKeys"])
    seats = show.seats[:2]
    assert sorted(t["label"] for t in got) == sorted(s["label"] for s in seats)
    for ticket in got:
        kid = jwt.get_unverified_header(ticket["token"])["kid"]
        claims = jwt.decode(ticket["token"], jwks[kid], algorithms=["EdDSA"],
                            issuer="ticketflow-tickets")
        assert claims["bid"] == booking_id and claims["sid"] == show.id
        assert claims["seat"] == ticket["label"] and claims["tid"] == ticket["id"]
    assert sorted(t["id"] for t in got) == sorted(f"{booking_id}:{s['id']}" for s in seats)
    assert all(t["issuedAt"] for t in got)
    # Admins see the same; anyone else signed in is refused, anonymous callers too.
    admin = await graph_tickets(d, [booking_id], d.actors.admin.token)
    assert admin["data"]["_entities"][0]["tickets"] == got
    for other in (d.actors.customer, d.actors.organizer):
        assert error_codes(await graph_tickets(d, [booking_id], other.token)) == ["FORBIDDEN"]
    assert error_codes(await graph_tickets(d, [booking_id], None)) == ["UNAUTHENTICATED"]


async def test_many_bookings_tickets_cost_what_one_bookings_cost(
        notifying: Deployment, show: ShowOnSale) -> None:
    d, who = notifying, await register(notifying)
    booked = [await paid_booking(d, show, who, [i]) for i in (2, 3, 4)]
    for booking_id in booked:
        await issued(d, who, booking_id)
    reps = [{"__typename": "Booking", "id": b} for b in booked]
    one = await statements(d.stack, "notification", BOOKING_TICKETS, reps[:1], who.token)
    many = await statements(d.stack, "notification", BOOKING_TICKETS, reps, who.token)
    assert many == one >= 1  # the tickets' one query, whatever the number of bookings


@pytest.mark.parametrize(("currency", "zone", "total", "local"), [
    ("KWD", "Europe/Berlin", "2.500 KWD", "Tue 1 Jul 2031, 20:00 Europe/Berlin"),
    ("JPY", "Asia/Tokyo", "2,500 JPY", "Wed 2 Jul 2031, 03:00 Asia/Tokyo"),
], ids=["three decimals, Berlin", "no decimals, Tokyo"])
async def test_mails_give_the_amount_in_the_currencys_digits_and_the_time_at_the_venue(
        notifying: Deployment, smtp: SmtpServer, currency: str, zone: str, total: str,
        local: str) -> None:
    d, who = notifying, await register(notifying)
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                              d.actors.organizer, price=1250, currency=currency, time_zone=zone,
                              starts_at="2031-07-01T18:00:00+00:00")
    await paid_booking(d, show, who, [0, 1])
    await mails(smtp, who, CONFIRMATION, 1)
    await mails(smtp, who, RECEIPT, 1)
    (confirmation,) = smtp.mailbox.to(who.email, CONFIRMATION)
    (receipt,) = smtp.mailbox.to(who.email, RECEIPT)
    text = text_body(confirmation)
    assert f"Total: {total}" in text
    assert text.count(local) == 3  # the show, and each of the two tickets
    assert "UTC" not in text
    assert receipt["Subject"] == f"Receipt: {total} paid"


async def test_a_corrected_venue_zone_reaches_the_mails_about_shows_already_on_sale(
        notifying: Deployment, smtp: SmtpServer) -> None:
    """A venue that got UTC when zones came in: its organizer corrects the zone after the
    show went on sale, and the confirmation gives the show's time at the venue."""
    d, who = notifying, await register(notifying)
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                              d.actors.organizer, time_zone="UTC",
                              starts_at="2031-07-01T18:00:00+00:00")
    await d.stack.client("venue").data(
        "mutation($v: ID!, $z: String!) { setVenueTimeZone(venueId: $v, timeZone: $z) { id } }",
        {"v": show.venue_id, "z": "Europe/Berlin"}, d.actors.organizer.token)

    async def booking_knows() -> bool:
        async with d.dbs["booking"].reader() as s:
            return await s.scalar(select(BookableShow.time_zone).where(
                BookableShow.id == show.id)) == "Europe/Berlin"

    await eventually(booking_knows)
    await paid_booking(d, show, who, [0])
    await mails(smtp, who, CONFIRMATION, 1)
    (confirmation,) = smtp.mailbox.to(who.email, CONFIRMATION)
    text = text_body(confirmation)
    assert text.count("Tue 1 Jul 2031, 20:00 Europe/Berlin") == 2  # the show, its ticket
    assert "UTC" not in text


async def test_replayed_events_send_nothing_more(notifying: Deployment, smtp: SmtpServer,
                                                 show: ShowOnSale) -> None:
    d, who = notifying, await register(notifying)
    booking_id = await paid_booking(d, show, who, [2])
    await mails(smtp, who, CONFIRMATION, 1)
    await mails(smtp, who, RECEIPT, 1)
    await all_sent(d, who, 2)
    first = [(t.id, t.token, t.issued_at) for t in await stored_tickets(d, booking_id)]
    assert len(first) == 1
    # At-least-once: each of the booking's events is delivered to notification's consumer
    # again, alone and in a batch, exactly as the bus would (awaited: applied or dropped).
    svc = d.services["notification"]
    for name, tables in (("booking", BOOKING_TABLES), ("payment", PAYMENT_TABLES)):
        async with d.dbs[name].reader() as s:
            bodies = list(await s.scalars(select(tables.outbox.c.body)))
        events = [e for e in map(Event.from_json, bodies)
                  if e.payload.get("booking_id") == booking_id]
        assert events
        consumer = IdempotentConsumer(svc.db, svc.spec.tables, svc.spec.name, svc.spec.name,
                                      functools.partial(svc.spec.consumes[name], svc))
        for event in events:
            await consumer(event)
        await consumer.batch(events)
        # The handler itself, past the consumer's record of processed events (a replayed
        # outbox after a restart): it finds the tickets issued and signs nothing.
        for event in events:
            async with svc.uow() as uow:
                await svc.spec.consumes[name](svc, uow, event)
                await uow.commit()
    await all_sent(d, who, 2)
    assert len(notices(smtp, who)) == 2
    assert len(await deliveries_of(d, who)) == 2
    assert [(t.id, t.token, t.issued_at) for t in await stored_tickets(d, booking_id)] == first
    assert [t["token"] for t in await issued(d, who, booking_id)] == [first[0][1]]
    (confirmation,) = smtp.mailbox.to(who.email, CONFIRMATION)
    assert tokens(confirmation) == [first[0][1]]


async def test_an_smtp_outage_delays_the_mail_which_then_goes_out_once(
        notifying: Deployment, smtp: SmtpServer, show: ShowOnSale) -> None:
    d, who = notifying, await register(notifying)
    await known(d, who)
    smtp.stop()
    try:
        await paid_booking(d, show, who, [3])

        async def failed() -> bool:
            rows = await deliveries_of(d, who)
            return any(x.kind == "CONFIRMATION" and x.status == "FAILED" and x.attempts >= 2
                       for x in rows)

        await eventually(failed)
        (row,) = [x for x in await deliveries_of(d, who) if x.kind == "CONFIRMATION"]
        assert "unreachable" in (row.last_error or "")
        assert row.next_attempt_at > row.created_at
        assert notices(smtp, who) == []
    finally:
        smtp.start()
    await mails(smtp, who, CONFIRMATION, 1)
    await mails(smtp, who, RECEIPT, 1)
    await all_sent(d, who, 2)
    assert len(smtp.mailbox.to(who.email, CONFIRMATION)) == 1
    assert len(smtp.mailbox.to(who.email, RECEIPT)) == 1
    assert {x.status for x in await deliveries_of(d, who)} == {"SENT"}


async def test_an_address_refused_for_good_ends_parked_where_admins_see_it(
        notifying: Deployment, smtp: SmtpServer, show: ShowOnSale) -> None:
    d, who = notifying, await register(notifying, "bounce")
    await paid_booking(d, show, who, [4])

    async def parked() -> list[Delivery]:
        rows = await deliveries_of(d, who)
        return rows if len(rows) == 2 and {x.status for x in rows} == {"PARKED"} else []

    rows = await eventually(parked)
    assert {x.attempts for x in rows} == {1}  # a 550 is not retried
    assert all("550" in (x.last_error or "") for x in rows)
    api = d.stack.client("notification")
    seen = await api.data(DELIVERIES, {"status": "PARKED"}, d.actors.admin.token)
    mine = [x for x in seen["notificationDeliveries"]
            if x["userId"] == who.id and x["kind"] != "VERIFY_EMAIL"]
    assert sorted(x["kind"] for x in mine) == ["CONFIRMATION", "RECEIPT"]
    assert {x["recipient"] for x in mine} == {who.email}
    assert error_codes(await api.run(DELIVERIES, {}, who.token)) == ["FORBIDDEN"]
    assert error_codes(await api.run(DELIVERIES, {})) == ["UNAUTHENTICATED"]
    assert error_codes(await api.run(RETRY, {"id": mine[0]["id"]}, who.token)) == ["FORBIDDEN"]
    # An admin queues it again; the address is still refused, so it is parked again.
    again = await api.data(RETRY, {"id": mine[0]["id"]}, d.actors.admin.token)
    assert again["retryNotification"]["status"] == "PENDING"
    assert refusal(await api.run(RETRY, {"id": "nope"}, d.actors.admin.token))[0] == "NOT_FOUND"

    async def parked_again() -> bool:
        rows = {x.id: x for x in await deliveries_of(d, who)}
        return rows[mine[0]["id"]].status == "PARKED"

    await eventually(parked_again)
    assert notices(smtp, who) == []


async def test_cancelling_a_paid_booking_brings_a_cancellation_and_a_refund_notice(
        notifying: Deployment, smtp: SmtpServer, show: ShowOnSale) -> None:
    d, who = notifying, await register(notifying)
    booking_id = await paid_booking(d, show, who, [5])
    assert len(await issued(d, who, booking_id)) == 1
    await d.stack.client("booking").data(CANCEL_BOOKING, {"id": booking_id}, who.token)
    await mails(smtp, who, "Booking cancelled: Test Show", 1)
    await mails(smtp, who, "Refund: 12.50 EUR", 1)
    await all_sent(d, who, 4)
    assert len(notices(smtp, who)) == 4
    # A cancelled booking's tickets are no longer served (still stored, voided); the
    # cancellation's delivery was recorded with the voiding, so it is done by now.
    body = await graph_tickets(d, [booking_id], who.token)
    assert body["data"]["_entities"][0]["tickets"] == []
    (voided,) = await stored_tickets(d, booking_id)
    assert voided.voided_at is not None
    assert error_codes(await graph_tickets(d, [booking_id], d.actors.customer.token)) == [
        "FORBIDDEN"]


async def test_preferences_are_the_owners_and_bad_input_changes_nothing(
        notifying: Deployment) -> None:
    d, who = notifying, await register(notifying)
    auth = d.stack.client("auth")
    before = await auth.data(MY_PREFERENCES, token=who.token)
    assert before["me"]["notificationPreferences"] == {"email": True, "sms": False,
                                                       "phone": None}
    for bad in ({"phone": "0151 123"}, {"phone": "+0123456789"}, {"sms": True},
                {"sms": True, "phone": ""}):
        assert refusal(await auth.run(PREFERENCES, {"i": bad}, who.token)) == (
            "BAD_USER_INPUT", "input.phone"), bad
    assert await auth.data(MY_PREFERENCES, token=who.token) == before
    assert refusal(await auth.run(PREFERENCES, {"i": {"email": False}}))[0] == "UNAUTHENTICATED"
    done = await auth.data(PREFERENCES, {"i": {"sms": True, "phone": "+4915112345678"}},
                           who.token)
    assert done["updateNotificationPreferences"]["notificationPreferences"] == {
        "email": True, "sms": True, "phone": "+4915112345678"}
    ref = {"r": [{"__typename": "User", "id": who.id}]}
    assert error_codes(await auth.run(USER_PREFERENCES, ref)) == ["UNAUTHENTICATED"]
    assert error_codes(await auth.run(USER_PREFERENCES, ref,
                                      d.actors.customer.token)) == ["FORBIDDEN"]
    assert error_codes(await auth.run(USER_PREFERENCES, ref,
                                      d.actors.organizer.token)) == ["FORBIDDEN"]
    admin = await auth.data(USER_PREFERENCES, ref, d.actors.admin.token)
    assert admin["_entities"][0]["notificationPreferences"]["sms"] is True
    # SMS cannot lose its phone; phone: null with sms off clears it.
    assert refusal(await auth.run(PREFERENCES, {"i": {"phone": None}}, who.token))[0] == (
        "BAD_USER_INPUT")
    cleared = await auth.data(PREFERENCES, {"i": {"sms": False, "phone": None}}, who.token)
    assert cleared["updateNotificationPreferences"]["notificationPreferences"] == {
        "email": True, "sms": False, "phone": None}


async def test_with_sms_on_a_text_goes_through_the_log_provider_and_email_off_sends_none(
        notifying: Deployment, smtp: SmtpServer, show: ShowOnSale,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ticketflow.notification.sms")
    d, who = notifying, await register(notifying)
    await d.stack.client("auth").data(
        PREFERENCES, {"i": {"email": False, "sms": True, "phone": "+4915112345678"}}, who.token)

    async def replicated() -> bool:
        r = await known(d, who)
        return r.sms_enabled and not r.email_enabled

    await eventually(replicated)
    await paid_booking(d, show, who, [6])

    async def texted() -> list[Delivery]:
        rows = await deliveries_of(d, who)
        return rows if len(rows) == 2 and {x.status for x in rows} == {"SENT"} else []

    rows = await eventually(texted)
    assert {(x.channel, x.recipient) for x in rows} == {("SMS", "+4915112345678")}
    logged = [r.getMessage() for r in caplog.records if r.name == "ticketflow.notification.sms"]
    assert any("+4915112345678" in m and "confirmed" in m for m in logged), logged
    assert notices(smtp, who) == []


async def test_unknown_recipients_and_interrupted_sends_are_parked_not_sent(
        notifying: Deployment, smtp: SmtpServer) -> None:
    d = notifying
    long_ago = utcnow() - timedelta(minutes=10)
    stranger, crashed = str(uuid.uuid4()), str(uuid.uuid4())
    async with d.dbs["notification"].writer() as s, s.begin():
        s.add(Delivery(event_id=str(uuid.uuid4()), channel="EMAIL", kind="RECEIPT",
                       user_id=stranger, recipient="", subject="Receipt", payload="{}",
                       status="PENDING", attempts=0, next_attempt_at=long_ago,
                       created_at=long_ago))
        s.add(Delivery(event_id=str(uuid.uuid4()), channel="EMAIL", kind="RECEIPT",
                       user_id=crashed, recipient="crashed@example.com", subject="Receipt",
                       payload="{}", status="SENDING", attempts=1, next_attempt_at=long_ago,
                       created_at=long_ago, claimed_at=long_ago))

    async def parked() -> dict[str, str | None]:
        async with d.dbs["notification"].reader() as s:
            rows = list(await s.scalars(select(Delivery).where(
                Delivery.user_id.in_([stranger, crashed]), Delivery.status == "PARKED")))
        return {r.user_id: r.last_error for r in rows} if len(rows) == 2 else {}

    assert await eventually(parked) == {stranger: UNKNOWN_RECIPIENT, crashed: INTERRUPTED}
    assert smtp.mailbox.to("crashed@example.com") == []


@pytest.fixture(scope="module")
async def lapsing(mode: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
                  ) -> AsyncIterator[Deployment]:
    """The sweeper runs often: a booking whose hold a test makes lapse expires soon after
    (the test moves the hold's expiry into the past: checkout never races a short hold
    time on a loaded machine)."""
    async with own_deployment(mode, tmp_path_factory, "notify-lapse", **mail_settings(smtp),
                              sweep_interval_seconds=0.3) as running:
        yield running


async def test_a_booking_left_unpaid_brings_one_expiry_notice(lapsing: Deployment,
                                                              smtp: SmtpServer) -> None:
    d = lapsing
    who = await register(d, "lapse")
    await known(d, who)
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                              d.actors.organizer)
    booking = await pending_booking(d.stack.client("booking"), who, show.id,
                                    [show.seats[0]["id"]])
    async with d.dbs["booking"].writer() as s:  # the hold lapses now
        hold_id = select(Booking.hold_id).where(Booking.id == booking["id"]).scalar_subquery()
        await s.execute(update(Hold).where(Hold.id == hold_id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
        await s.commit()
    await wait_booking(d.stack.client("booking"), who, booking["id"], "EXPIRED")
    subject = "Your booking for Test Show has expired"
    await mails(smtp, who, subject, 1)
    await all_sent(d, who, 1)
    assert len(smtp.mailbox.to(who.email, subject)) == 1
    assert smtp.mailbox.to(who.email, CONFIRMATION) == []
    kinds = sorted(x.kind for x in await deliveries_of(d, who))
    assert kinds == ["EXPIRY"]


# --- a show on sale moved: its holders are told -------------------------------------------

MOVED = "Test Show has moved to "
BERLIN_FIRST = "Tue 1 Jul 2031, 20:00 Europe/Berlin"  # 18:00 UTC, summer time
BERLIN_SECOND = "Wed 2 Jul 2031, 21:00 Europe/Berlin"  # 19:00 UTC
BERLIN_THIRD = "Thu 3 Jul 2031, 22:30 Europe/Berlin"  # 20:30 UTC


async def outbox_events(d: Deployment, name: str, event_type: str, show_id: str
                        ) -> list[Event]:
    """The events of ``event_type`` about one show in a subgraph's outbox, in order."""
    outbox = d.services[name].spec.tables.outbox
    async with d.dbs[name].reader() as s:
        bodies = list(await s.scalars(select(outbox.c.body).where(outbox.c.type == event_type)
                                      .order_by(outbox.c.seq)))
    return [e for e in map(Event.from_json, bodies) if e.payload.get("show_id") == show_id]


async def applied_by_notification(d: Deployment, events: list[Event]) -> None:
    """Wait until notification's consumer applied every one of ``events``."""
    svc = d.services["notification"]
    processed = svc.spec.tables.processed

    async def done() -> bool:
        async with d.dbs["notification"].reader() as s:
            seen = set(await s.scalars(select(processed.c.event_id).where(
                processed.c.event_id.in_([e.id for e in events]),
                processed.c.consumer == svc.spec.name)))
        return seen == {e.id for e in events}

    await eventually(done)


async def move(d: Deployment, show: ShowOnSale, starts_at: str) -> None:
    """``updateShow`` by its organizer, then wait until booking's copy has the new start."""
    body = await d.stack.client("venue").run(MOVE_SHOW, {"id": show.id, "i": {
        "startsAt": starts_at}}, d.actors.organizer.token)
    assert body.get("errors") is None, body

    async def moved() -> bool:
        async with d.dbs["booking"].reader() as s:
            return await s.scalar(select(BookableShow.starts_at).where(
                BookableShow.id == show.id)) == datetime.fromisoformat(starts_at)

    await eventually(moved)


def moved_mails(smtp: SmtpServer, who: User) -> list[Any]:
    return smtp.mailbox.to(who.email, MOVED)


async def test_a_moved_show_mails_each_confirmed_holder_once_per_move(
        notifying: Deployment, smtp: SmtpServer) -> None:
    d = notifying
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                              d.actors.organizer, time_zone="Europe/Berlin",
                              starts_at="2031-07-01T18:00:00+00:00")
    elsewhere = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                                   d.actors.organizer, time_zone="Europe/Berlin",
                                   starts_at="2031-07-01T18:00:00+00:00")
    ada, bob, texter, unpaid, other = [await register(d) for _ in range(5)]
    # texter: no mail, text messages on.
    await d.stack.client("auth").data(
        PREFERENCES, {"i": {"email": False, "sms": True, "phone": "+4915112345678"}},
        texter.token)

    async def replicated() -> bool:
        r = await known(d, texter)
        return r.sms_enabled and not r.email_enabled

    await eventually(replicated)
    booked = {ada.id: await paid_booking(d, show, ada, [0, 1]),
              bob.id: await paid_booking(d, show, bob, [2]),
              texter.id: await paid_booking(d, show, texter, [3])}
    await known(d, unpaid)
    pending = await pending_booking(d.stack.client("booking"), unpaid, show.id,
                                    seat_ids(show, 4))
    await paid_booking(d, elsewhere, other, [0])
    for who in (ada, bob, other):
        await all_sent(d, who, 2)  # confirmation and receipt

    await move(d, show, "2031-07-02T19:00:00+00:00")
    # One BookingRescheduled per confirmed booking, written with the move; none for the
    # pending booking, none for the other show.
    told = await eventually(lambda: outbox_events(d, "booking", "BookingRescheduled", show.id))
    await applied_by_notification(d, told)
    assert sorted(e.payload["booking_id"] for e in told) == sorted(booked.values())
    assert pending["id"] not in {e.payload["booking_id"] for e in told}
    assert await outbox_events(d, "booking", "BookingRescheduled", elsewhere.id) == []
    assert {(e.payload["previous_starts_at"], e.payload["show"]["starts_at"],
             e.payload["show"]["time_zone"]) for e in told} == {
        ("2031-07-01T18:00:00+00:00", "2031-07-02T19:00:00+00:00", "Europe/Berlin")}
    for who in (ada, bob):
        await all_sent(d, who, 3)
        (mail,) = moved_mails(smtp, who)
        assert mail["Subject"] == f"{MOVED}{BERLIN_SECOND}"
        text = text_body(mail)
        assert f"Was: {BERLIN_FIRST}" in text and f"Now: {BERLIN_SECOND}" in text
        assert booked[who.id] in text and "UTC" not in text
        assert f"cancel the booking under My bookings until the show starts ({BERLIN_SECOND})" in (
            " ".join(text.split()))
    # Mail off: no mail, but the text message it asked for.
    sms = [x for x in await all_sent(d, texter, 3) if x.kind == "RESCHEDULED"]
    assert [(x.channel, x.recipient) for x in sms] == [("SMS", "+4915112345678")]
    assert notices(smtp, texter) == []
    assert [x.kind for x in await deliveries_of(d, unpaid)] == []
    assert moved_mails(smtp, other) == [] and len(await deliveries_of(d, other)) == 2

    # Redelivered to notification (alone, in a batch, past the consumer's record) and the
    # move delivered to booking again under another id (the same new time): nothing more.
    svc = d.services["notification"]
    consumer = IdempotentConsumer(svc.db, svc.spec.tables, svc.spec.name, svc.spec.name,
                                  functools.partial(svc.spec.consumes["booking"], svc))
    for event in told:
        await consumer(event)
    await consumer.batch(told)
    for event in told:
        async with svc.uow() as uow:
            await svc.spec.consumes["booking"](svc, uow, event)
            await uow.commit()
    (rescheduled,) = await outbox_events(d, "venue", "ShowRescheduled", show.id)
    again = Event(type=rescheduled.type, source=rescheduled.source,
                  payload=rescheduled.payload)
    booking = d.services["booking"]
    await IdempotentConsumer(booking.db, booking.spec.tables, booking.spec.name,
                             booking.spec.name,
                             functools.partial(booking.spec.consumes["venue"], booking))(again)
    assert len(await outbox_events(d, "booking", "BookingRescheduled", show.id)) == 3
    for who in (ada, bob):
        await all_sent(d, who, 3)
        assert len(moved_mails(smtp, who)) == 1

    # Moved again: told again, from the first new time to the second.
    await move(d, show, "2031-07-03T20:30:00+00:00")

    async def told_twice() -> list[Event]:
        found = await outbox_events(d, "booking", "BookingRescheduled", show.id)
        return found if len(found) == 6 else []

    await applied_by_notification(d, await eventually(told_twice))
    for who in (ada, bob):
        await all_sent(d, who, 4)
        subjects = {str(m["Subject"]): m for m in moved_mails(smtp, who)}
        assert sorted(subjects) == [f"{MOVED}{BERLIN_THIRD}", f"{MOVED}{BERLIN_SECOND}"]
        latest = text_body(subjects[f"{MOVED}{BERLIN_THIRD}"])
        assert f"Was: {BERLIN_SECOND}" in latest and f"Now: {BERLIN_THIRD}" in latest
    assert notices(smtp, texter) == []
    assert len([x for x in await all_sent(d, texter, 4) if x.kind == "RESCHEDULED"]) == 2

    # What the mail says holds: the holder may still cancel (the show has not started).
    done = await d.stack.client("booking").data(CANCEL_BOOKING, {"id": booked[bob.id]},
                                                bob.token)
    assert done["cancelBooking"]["status"] == "CANCELLED"
