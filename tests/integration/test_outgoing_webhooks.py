"""Outgoing webhooks against a real HTTP receiver on loopback, in both modes.

A paid booking reaches its organizer's endpoint as signed events that the SDK verifies,
never another organizer's; a receiver that is down, then back, gets the event after
retries that are listed with their attempts; one that keeps failing past the retry window
(the test moves the deliveries' clock past it) ends PARKED, and a replay sends the same
event again; a redelivered event adds no delivery;
bad input changes nothing, and each mutation is the endpoint's owner's and admins'.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from ticketflow_sdk.webhooks import verify

from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.events import Event
from subgraphs.kernel.relay import IdempotentConsumer
from subgraphs.kernel.settings import Settings
from subgraphs.notification import webhooks
from subgraphs.notification.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from subgraphs.payment.models import TABLES as PAYMENT_TABLES
from tests.flows import ShowOnSale, User, seat_ids, show_on_sale
from tests.harness import error_codes, eventually
from tests.integration.conftest import own_deployment
from tests.integration.receiver import Receiver, free_port
from tests.integration.support import Deployment, refusal
from tests.integration.test_update_show import UPDATE as MOVE_SHOW
from tests.payments import pay, pending_booking, wait_booking

CREATE = """mutation($url: String!, $events: [String!]!, $d: String) {
  createWebhookEndpoint(url: $url, events: $events, description: $d) {
    endpoint { id url events description enabled createdAt } secret } }"""
UPDATE = """mutation($id: ID!, $url: String, $events: [String!], $enabled: Boolean) {
  updateWebhookEndpoint(id: $id, url: $url, events: $events, enabled: $enabled) {
    id url events enabled } }"""
DELETE = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }"
ROTATE = """mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } secret } }"""
REPLAY = "mutation($id: ID!) { replayWebhookDelivery(id: $id) { id eventId status } }"
ENDPOINTS = """query($status: WebhookDeliveryStatus) { webhookEndpoints { id url events
  deliveries(first: 100, status: $status) { id eventId eventType status nextAttemptAt
    attempts { at statusCode error durationMs } } } }"""
ALL = list(webhooks.EVENTS)
PAID = ["BookingCreated", "BookingConfirmed", "PaymentSucceeded"]


@pytest.fixture(scope="module")
async def hooked(mode: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[Deployment]:
    """Failed deliveries are retried within a second; the window is the default 3 days."""
    async with own_deployment(mode, tmp_path_factory, "hooks", webhook_retry_seconds=0.1,
                              webhook_max_backoff_seconds=0.5,
                              webhook_timeout_seconds=5) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver of the test's own (endpoints of earlier tests post elsewhere)."""
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


async def endpoint(d: Deployment, who: User, url: str, events: list[str] = ALL
                   ) -> tuple[str, str]:
    """A new endpoint of ``who``: (id, secret)."""
    body = await d.stack.client("notification").data(CREATE, {"url": url, "events": events},
                                                     who.token)
    created = body["createWebhookEndpoint"]
    return created["endpoint"]["id"], created["secret"]


async def listed(d: Deployment, who: User, endpoint_id: str) -> dict[str, Any]:
    body = await d.stack.client("notification").data(ENDPOINTS, {}, who.token)
    (found,) = [e for e in body["webhookEndpoints"] if e["id"] == endpoint_id]
    return found  # type: ignore[no-any-return]


async def paid_booking(d: Deployment, show: ShowOnSale, who: User, seat: int) -> str:
    booking = await pending_booking(d.stack.client("booking"), who, show.id, seat_ids(show, seat))
    paid = await pay(d.stack.client("payment"), who, booking["id"])
    assert paid["status"] == "SUCCEEDED", paid
    await wait_booking(d.stack.client("booking"), who, booking["id"], "CONFIRMED")
    return str(booking["id"])


async def booking_deliveries(d: Deployment, who: User, endpoint_id: str, booking_id: str,
                             count: int, status: str = "SUCCEEDED") -> list[dict[str, Any]]:
    """Wait until the endpoint has ``count`` deliveries of the booking's events, each of
    ``status``."""
    async with d.dbs["notification"].reader() as s:
        ids = set(await s.scalars(select(WebhookEvent.id)
                                  .where(WebhookEvent.booking_id == booking_id)))

    async def done() -> list[dict[str, Any]]:
        nonlocal ids
        if len(ids) < count:
            async with d.dbs["notification"].reader() as s:
                ids = set(await s.scalars(select(WebhookEvent.id)
                                          .where(WebhookEvent.booking_id == booking_id)))
        rows = [x for x in (await listed(d, who, endpoint_id))["deliveries"]
                if x["eventId"] in ids]
        return rows if len(rows) == count and {x["status"] for x in rows} == {status} else []

    return await eventually(done, 30)  # type: ignore[no-any-return]


async def test_a_paid_booking_reaches_its_organizers_endpoint_signed_and_no_other(
        hooked: Deployment, receiver: Receiver) -> None:
    d, a = hooked, hooked.actors
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"), a.organizer)
    mine, secret = await endpoint(d, a.organizer, receiver.url, PAID)
    other = Receiver().start()
    try:
        theirs, _ = await endpoint(d, a.other_organizer, other.url, ALL)
        booking_id = await paid_booking(d, show, a.customer, 0)
        rows = await booking_deliveries(d, a.organizer, mine, booking_id, 3)
        assert sorted(r["eventType"] for r in rows) == sorted(PAID)
        for row in rows:
            (attempt,) = row["attempts"]
            assert attempt["statusCode"] == 200 and attempt["error"] is None
            assert attempt["durationMs"] >= 0 and row["nextAttemptAt"] is None
        got = receiver.of_booking(booking_id)
        assert sorted(r.event["type"] for r in got) == sorted(PAID)
        for request in got:
            event = verify(request.body, request.headers["ticketflow-signature"], secret)
            assert request.headers["ticketflow-event-id"] == event["id"]
            assert request.headers["content-type"] == "application/json"
            assert set(event) == {"id", "type", "created", "data"}
            assert event["data"]["booking_id"] == booking_id
        assert {r.event["id"] for r in got} == {r["eventId"] for r in rows}
        # The other organizer's endpoint wants every event, and got none of this booking's:
        # its deliveries would have been recorded with the first endpoint's.
        assert other.of_booking(booking_id) == []
        assert (await listed(d, a.other_organizer, theirs))["deliveries"] == []
        # A wrong secret does not verify.
        with pytest.raises(ValueError):
            verify(got[0].body, got[0].headers["ticketflow-signature"], "whsec_wrong")
    finally:
        other.stop()


async def test_a_receiver_down_then_back_gets_the_event_after_retries_listed_as_attempts(
        hooked: Deployment) -> None:
    d, a = hooked, hooked.actors
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"), a.organizer)
    down = Receiver(free_port())  # not started: the port refuses connections
    hook, secret = await endpoint(d, a.organizer, down.url, ["BookingConfirmed"])
    booking_id = await paid_booking(d, show, a.customer, 1)

    async def failing_twice() -> dict[str, Any] | None:
        rows = (await listed(d, a.organizer, hook))["deliveries"]
        return rows[0] if rows and len(rows[0]["attempts"]) >= 2 else None

    failed = await eventually(failing_twice, 30)
    assert failed["status"] in ("FAILED", "PENDING")
    assert all(x["statusCode"] is None and x["error"] for x in failed["attempts"])
    down.start()
    try:
        (row,) = await booking_deliveries(d, a.organizer, hook, booking_id, 1)
        *earlier, last = row["attempts"]
        assert len(earlier) >= 2 and all(x["statusCode"] is None for x in earlier)
        assert last["statusCode"] == 200 and last["error"] is None
        (request,) = down.of_booking(booking_id)
        assert verify(request.body, request.headers["ticketflow-signature"], secret)["id"] \
            == row["eventId"]
    finally:
        down.stop()


async def test_a_receiver_failing_past_the_window_is_parked_and_a_replay_sends_it_again(
        hooked: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    d, a = hooked, hooked.actors
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"), a.organizer)
    failing = Receiver().start()
    failing.status = 500
    try:
        hook, secret = await endpoint(d, a.organizer, failing.url, ["PaymentSucceeded"])
        booking_id = await paid_booking(d, show, a.customer, 2)
        await booking_deliveries(d, a.organizer, hook, booking_id, 1, "FAILED")  # retried
        # The retry window (three days) passes: the deliveries' clock moves on, instead of
        # the test waiting out a short window.
        window = timedelta(seconds=d.settings.webhook_retry_window_seconds)
        monkeypatch.setattr(webhooks, "utcnow", lambda: utcnow() + window + timedelta(hours=1))
        (parked,) = await booking_deliveries(d, a.organizer, hook, booking_id, 1, "PARKED")
        assert parked["nextAttemptAt"] is None
        assert parked["attempts"] and all(x["statusCode"] == 500 and x["error"] == "HTTP 500"
                                          for x in parked["attempts"])
        tried = len(failing.of_booking(booking_id))
        assert tried == len(parked["attempts"])
        failing.status = 200
        replayed = (await d.stack.client("notification").data(
            REPLAY, {"id": parked["id"]}, a.organizer.token))["replayWebhookDelivery"]
        assert replayed == {"id": parked["id"], "eventId": parked["eventId"],
                            "status": "PENDING"}
        (done,) = await booking_deliveries(d, a.organizer, hook, booking_id, 1)
        assert len(done["attempts"]) == tried + 1
        assert done["attempts"][-1]["statusCode"] == 200
        requests = failing.of_booking(booking_id)
        assert len(requests) == tried + 1
        assert {r.headers["ticketflow-event-id"] for r in requests} == {parked["eventId"]}
        assert verify(requests[-1].body, requests[-1].headers["ticketflow-signature"],
                      secret)["id"] == parked["eventId"]
    finally:
        failing.stop()


async def test_a_redelivered_event_adds_no_delivery(hooked: Deployment,
                                                    receiver: Receiver) -> None:
    d, a = hooked, hooked.actors
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"), a.organizer)
    hook, _ = await endpoint(d, a.organizer, receiver.url, ALL)
    booking_id = await paid_booking(d, show, a.customer, 3)
    await booking_deliveries(d, a.organizer, hook, booking_id, 3)
    svc = d.services["notification"]

    async def stored() -> tuple[int, int]:
        async with d.dbs["notification"].reader() as s:
            deliveries = await s.scalar(select(func.count()).select_from(WebhookDelivery)
                                        .where(WebhookDelivery.endpoint_id == hook))
            events = await s.scalar(select(func.count()).select_from(WebhookEvent))
        return int(deliveries or 0), int(events or 0)

    before = await stored()
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
        # The handler itself, past the consumer's record (a replayed outbox).
        for event in events:
            async with svc.uow() as uow:
                await svc.spec.consumes[name](svc, uow, event)
                await uow.commit()
    assert await stored() == before
    rows = await booking_deliveries(d, a.organizer, hook, booking_id, 3)
    assert all(len(r["attempts"]) == 1 for r in rows)


async def test_a_moved_show_reaches_the_endpoint_as_one_booking_rescheduled_per_booking(
        hooked: Deployment, receiver: Receiver) -> None:
    d, a = hooked, hooked.actors
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"), a.organizer,
                              time_zone="Europe/Berlin")
    hook, secret = await endpoint(d, a.organizer, receiver.url, ["BookingRescheduled"])
    booking_id = await paid_booking(d, show, a.customer, 4)
    body = await d.stack.client("venue").run(MOVE_SHOW, {"id": show.id, "i": {
        "startsAt": "2030-01-02T20:00:00+00:00"}}, a.organizer.token)
    assert body.get("errors") is None, body

    async def delivered() -> list[dict[str, Any]]:
        rows = (await listed(d, a.organizer, hook))["deliveries"]
        return rows if rows and {r["status"] for r in rows} == {"SUCCEEDED"} else []

    # The endpoint wants this event alone: the booking's others were never delivered.
    (row,) = await eventually(delivered, 30)
    assert row["eventType"] == "BookingRescheduled"
    (request,) = receiver.of_booking(booking_id)
    event = verify(request.body, request.headers["ticketflow-signature"], secret)
    assert event["type"] == "BookingRescheduled" and event["id"] == row["eventId"]
    data = event["data"]
    assert (data["booking_id"], data["show_id"], data["user_id"]) == (
        booking_id, show.id, a.customer.id)
    assert data["previous_starts_at"] == "2030-01-01T19:00:00+00:00"
    assert data["show"] == {"title": "Test Show", "starts_at": "2030-01-02T20:00:00+00:00",
                            "time_zone": "Europe/Berlin"}
    assert data["cancellable_until"] == "2030-01-02T20:00:00+00:00"


async def test_a_payment_event_before_its_bookings_creation_waits_for_the_organizer(
        hooked: Deployment, receiver: Receiver) -> None:
    """Payment's stream may overtake booking's: the event is kept and fanned out when the
    booking's BookingCreated names the organizer."""
    d, a = hooked, hooked.actors
    hook, _ = await endpoint(d, a.organizer, receiver.url, ALL)
    svc = d.services["notification"]
    booking_id = "00000000-0000-4000-8000-" + hook[-12:]
    paid = Event(type="PaymentSucceeded", source="payment", payload={
        "payment_id": "p-" + hook[:8], "booking_id": booking_id, "user_id": a.customer.id,
        "amount": 500, "currency": "EUR", "provider": "sandbox"})
    created = Event(type="BookingCreated", source="booking", payload={
        "booking_id": booking_id, "user_id": a.customer.id, "show_id": "s",
        "organizer_id": a.organizer.id, "amount": 500, "currency": "EUR", "seat_ids": []})
    for event in (paid, created):
        async with svc.uow() as uow:
            await webhooks.apply_event(svc, uow, event)
            await uow.commit()
    rows = await booking_deliveries(d, a.organizer, hook, booking_id, 2)
    assert {r["eventId"] for r in rows} == {paid.id, created.id}


async def test_bad_input_changes_nothing(hooked: Deployment, receiver: Receiver) -> None:
    d, a = hooked, hooked.actors
    client = d.stack.client("notification")
    hook, _ = await endpoint(d, a.organizer, receiver.url, ["BookingCreated"])

    async def stored() -> list[tuple[str, str, str, bool, str]]:
        async with d.dbs["notification"].reader() as s:
            rows = await s.execute(select(WebhookEndpoint.id, WebhookEndpoint.url,
                                          WebhookEndpoint.events, WebhookEndpoint.enabled,
                                          WebhookEndpoint.secret).order_by(WebhookEndpoint.id))
            return [tuple(r) for r in rows]  # type: ignore[misc]

    before = await stored()
    for url, events, field in (("ftp://example.org/x", ["BookingCreated"], "url"),
                               ("not a url", ["BookingCreated"], "url"),
                               ("https://user:pw@example.org/", ["BookingCreated"], "url"),
                               ("https://example.org/#x", ["BookingCreated"], "url"),
                               ("https://example.org:99999/", ["BookingCreated"], "url"),
                               ("http://exa mple.org/", ["BookingCreated"], "url"),
                               ("http://[::1/", ["BookingCreated"], "url"),
                               ("http://:80/", ["BookingCreated"], "url"),
                               ("https://example.org/" + "x" * 2048, ["BookingCreated"], "url"),
                               (receiver.url, [], "events"),
                               (receiver.url, ["BookingCreated", "SeatsHeld"], "events")):
        body = await client.run(CREATE, {"url": url, "events": events}, a.organizer.token)
        assert refusal(body) == ("BAD_USER_INPUT", field), (url, events, body)
        body = await client.run(UPDATE, {"id": hook, "url": url, "events": events},
                                a.organizer.token)
        assert refusal(body) == ("BAD_USER_INPUT", field), (url, events, body)
    body = await client.run(CREATE, {"url": receiver.url, "events": ["BookingCreated"],
                                     "d": "x" * 501}, a.organizer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "description")
    body = await client.run(ENDPOINTS.replace("first: 100", "first: 0"), {}, a.organizer.token)
    assert set(error_codes(body)) == {"BAD_USER_INPUT"}
    for mutation in (DELETE, ROTATE, UPDATE, REPLAY):
        body = await client.run(mutation, {"id": "no-such-id"}, a.organizer.token)
        assert refusal(body)[0] == "NOT_FOUND", (mutation, body)
    assert await stored() == before


async def test_each_mutation_is_the_endpoints_owners_and_admins(
        hooked: Deployment, receiver: Receiver) -> None:
    d, a = hooked, hooked.actors
    client = d.stack.client("notification")
    body = await client.run(CREATE, {"url": receiver.url, "events": ALL})
    assert refusal(body)[0] == "UNAUTHENTICATED"
    body = await client.run(CREATE, {"url": receiver.url, "events": ALL}, a.customer.token)
    assert refusal(body)[0] == "FORBIDDEN"
    assert refusal(await client.run(ENDPOINTS, {}))[0] == "UNAUTHENTICATED"
    assert refusal(await client.run(ENDPOINTS, {}, a.customer.token))[0] == "FORBIDDEN"
    hook, secret = await endpoint(d, a.organizer, receiver.url, ALL)
    # A delivery to replay: an event of a booking of this organizer's, applied directly.
    svc = d.services["notification"]
    created = Event(type="BookingCreated", source="booking", payload={
        "booking_id": "00000000-0000-4000-9000-" + hook[-12:], "user_id": a.customer.id,
        "show_id": "s", "organizer_id": a.organizer.id, "amount": 1, "currency": "EUR",
        "seat_ids": []})
    async with svc.uow() as uow:
        await webhooks.apply_event(svc, uow, created)
        await uow.commit()
    (delivery,) = [x for x in (await listed(d, a.organizer, hook))["deliveries"]
                   if x["eventId"] == created.id]
    calls = ((UPDATE, {"id": hook, "enabled": True}), (ROTATE, {"id": hook}),
             (REPLAY, {"id": delivery["id"]}))
    for query, variables in calls:
        assert refusal(await client.run(query, variables))[0] == "UNAUTHENTICATED"
        for who in (a.customer, a.other_organizer):
            assert refusal(await client.run(query, variables, who.token))[0] == "FORBIDDEN"
        for who in (a.organizer, a.admin):
            assert "errors" not in await client.run(query, variables, who.token)
    for caller in (None, a.customer, a.other_organizer):
        body = await client.run(DELETE, {"id": hook}, caller.token if caller else None)
        assert refusal(body)[0] == ("UNAUTHENTICATED" if caller is None else "FORBIDDEN")
    # The other organizer does not see it; the admin does.
    other = await client.data(ENDPOINTS, {}, a.other_organizer.token)
    assert hook not in {e["id"] for e in other["webhookEndpoints"]}
    admin = await client.data(ENDPOINTS, {}, a.admin.token)
    assert hook in {e["id"] for e in admin["webhookEndpoints"]}
    # A rotation replaced the secret.
    async with d.dbs["notification"].reader() as s:
        stored = await s.get(WebhookEndpoint, hook)
    assert stored is not None and stored.secret != secret
    assert (await client.data(DELETE, {"id": hook}, a.admin.token))["deleteWebhookEndpoint"] \
        == {"id": hook}
    async with d.dbs["notification"].reader() as s:
        assert await s.get(WebhookEndpoint, hook) is None
        assert await s.scalar(select(func.count()).select_from(WebhookDelivery)
                              .where(WebhookDelivery.endpoint_id == hook)) == 0


@pytest.mark.parametrize(("url", "refused"), [
    ("https://8.8.8.8/hooks", False),
    ("http://8.8.8.8/hooks", True),
    ("https://127.0.0.1/hooks", True),
    ("https://localhost/hooks", True),
    ("https://10.1.2.3/hooks", True),
    ("https://192.168.0.1/hooks", True),
    ("https://169.254.169.254/latest/meta-data", True),
    ("https://100.64.0.1/hooks", True),
    ("https://[::1]/hooks", True),
    ("https://[fe80::1]/hooks", True),
    ("https://[::ffff:10.0.0.1]/hooks", True),
])
async def test_production_takes_https_to_public_addresses_only(url: str, refused: bool) -> None:
    production = Settings.model_construct(env="production")
    if refused:
        with pytest.raises(Exception, match=r"https|public") as caught:
            await webhooks._check_url(production, url)
        assert caught.value.extensions()["field"] == "url"  # type: ignore[attr-defined]
    else:
        assert await webhooks._check_url(production, url) == url
    development = Settings.model_construct(env="development")
    assert await webhooks._check_url(development, url) == url


def test_bodies_are_json_with_the_events_fields() -> None:
    from datetime import UTC, datetime

    row = WebhookEvent(id="e", type="BookingCreated", booking_id="b", organizer_id="o",
                       occurred_at=datetime(2030, 1, 1, tzinfo=UTC),
                       data=json.dumps({"booking_id": "b"}))
    assert json.loads(webhooks.body_of(row)) == {"id": "e", "type": "BookingCreated",
                                                 "created": 1893456000,
                                                 "data": {"booking_id": "b"}}


async def test_a_disabled_endpoint_gets_nothing_and_a_rotated_secret_signs_what_follows(
        hooked: Deployment, receiver: Receiver) -> None:
    d, a = hooked, hooked.actors
    client = d.stack.client("notification")
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"), a.organizer)
    hook, old_secret = await endpoint(d, a.organizer, receiver.url, ["BookingCreated"])
    await client.data(UPDATE, {"id": hook, "enabled": False}, a.organizer.token)
    first = await pending_booking(d.stack.client("booking"), a.customer, show.id,
                                  seat_ids(show, 4))

    async def applied() -> bool:
        async with d.dbs["notification"].reader() as s:
            return await s.scalar(select(WebhookEvent.id).where(
                WebhookEvent.booking_id == first["id"])) is not None

    await eventually(applied)  # notification has the event, in the same transaction as any
    assert (await listed(d, a.organizer, hook))["deliveries"] == []  # delivery of it
    rotated = (await client.data(ROTATE, {"id": hook}, a.organizer.token))["rotateWebhookSecret"]
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != old_secret
    await client.data(UPDATE, {"id": hook, "enabled": True}, a.organizer.token)
    second = await pending_booking(d.stack.client("booking"), a.customer, show.id,
                                   seat_ids(show, 5))
    (row,) = await booking_deliveries(d, a.organizer, hook, second["id"], 1)
    (request,) = receiver.of_booking(second["id"])
    header = request.headers["ticketflow-signature"]
    assert verify(request.body, header, rotated["secret"])["id"] == row["eventId"]
    with pytest.raises(ValueError):
        verify(request.body, header, old_secret)
    assert receiver.of_booking(first["id"]) == []
