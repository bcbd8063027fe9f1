"""``POST /webhooks/{provider}``: signatures, replays and events out of order.

The sandbox's webhooks are signed like any provider's (HMAC-SHA256 of the raw body), so
these tests sign bodies with the test deployment's sandbox secret, or get it wrong.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from subgraphs.payment.models import TABLES, Payment, WebhookEvent
from subgraphs.payment.providers.sandbox import sign
from tests.flows import ShowOnSale, show_on_sale
from tests.harness import http
from tests.integration.conftest import own_deployment
from tests.integration.support import Deployment, count
from tests.payments import pending_booking, settled, start, wait_booking

SECRET = "whsec-test-sandbox"


@pytest.fixture(scope="module")
async def hooks(mode: str, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[Deployment]:
    async with own_deployment(mode, tmp_path_factory, "webhooks",
                              sandbox_webhook_secret=SECRET) as running:
        yield running


@pytest.fixture
async def show(hooks: Deployment) -> ShowOnSale:
    return await show_on_sale(hooks.stack.client("venue"), hooks.stack.client("booking"),
                              hooks.actors.organizer)


def url(d: Deployment, provider: str = "sandbox") -> str:
    return f"http://127.0.0.1:{d.settings.payment_port}/webhooks/{provider}"


def event(payment_id: str, kind: str = "payment.succeeded", amount: int = 1000,
          event_id: str | None = None) -> bytes:
    data: dict[str, Any] = {"payment_id": payment_id, "reference": "sbx_pay_test",
                            "amount": amount, "currency": "EUR"}
    if kind == "payment.failed":
        data |= {"failure_code": "card_declined", "failure_message": "Declined."}
    return json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex}", "type": kind,
                       "data": data}).encode()


async def post(d: Deployment, body: bytes, signature: str | bool | None = None,
               provider: str = "sandbox") -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not False:
        headers["x-sandbox-signature"] = sign(body, SECRET) if signature is None else str(signature)
    return await http().post(url(d, provider), content=body, headers=headers)


async def open_payment(d: Deployment, show: ShowOnSale, seat: int) -> tuple[str, str]:
    c = d.actors.customer
    booking = await pending_booking(d.stack.client("booking"), c, show.id,
                                    [show.seats[seat]["id"]])
    return booking["id"], (await start(d.stack.client("payment"), c, booking["id"]))["id"]


async def status_of(d: Deployment, payment_id: str) -> str:
    async with d.dbs["payment"].reader() as s:
        found = await s.get(Payment, payment_id)
    assert found is not None
    return found.status


async def succeeded_events(d: Deployment, payment_id: str) -> int:
    outbox = TABLES.outbox
    async with d.dbs["payment"].reader() as s:
        return int(await s.scalar(select(func.count()).select_from(outbox).where(
            outbox.c.type == "PaymentSucceeded", outbox.c.body.contains(payment_id))) or 0)


async def test_a_bad_signature_gets_400_and_changes_nothing(hooks: Deployment,
                                                            show: ShowOnSale) -> None:
    _, payment_id = await open_payment(hooks, show, 0)
    body = event(payment_id)
    tampered = body.replace(b'"amount": 1000', b'"amount": 1')
    assert tampered != body
    for raw, signature in [(body, "0" * 64),  # wrong signature
                           (body, sign(body, "another-secret")),  # signed with another key
                           (tampered, sign(body, SECRET)),  # body changed after signing
                           (body, "")]:
        response = await post(hooks, raw, signature)
        assert response.status_code == 400, response.text
        assert "signature" in response.json()["error"].lower()
    response = await post(hooks, body, False)  # no signature header at all
    assert response.status_code == 400
    assert await status_of(hooks, payment_id) == "REQUIRES_PAYMENT"
    assert await count(hooks.dbs["payment"], WebhookEvent,
                       WebhookEvent.event_id == json.loads(body)["id"]) == 0
    assert await succeeded_events(hooks, payment_id) == 0


async def test_a_signed_body_that_is_not_an_event_gets_400(hooks: Deployment) -> None:
    for raw in [b"not json", b"{}", json.dumps({"id": "evt_x", "type": "payment.succeeded"}
                                                ).encode()]:
        response = await post(hooks, raw)
        assert response.status_code == 400, (raw, response.text)


async def test_an_unknown_or_unconfigured_provider_is_404(hooks: Deployment) -> None:
    for provider in ("stripe", "razorpay"):  # razorpay has no keys in this deployment
        response = await post(hooks, event(str(uuid.uuid4())), provider=provider)
        assert response.status_code == 404, provider


async def test_an_event_replayed_three_times_changes_things_once(hooks: Deployment,
                                                                 show: ShowOnSale) -> None:
    booking_id, payment_id = await open_payment(hooks, show, 1)
    body = event(payment_id)
    answers = [(await post(hooks, body)).json()["status"] for _ in range(3)]
    assert answers == ["APPLIED", "DUPLICATE", "DUPLICATE"]
    assert await succeeded_events(hooks, payment_id) == 1
    await wait_booking(hooks.stack.client("booking"), hooks.actors.customer, booking_id,
                       "CONFIRMED")
    await settled(hooks.dbs["booking"], hooks.dbs["payment"], [booking_id])


async def test_the_same_event_delivered_concurrently_is_applied_once(
        hooks: Deployment, show: ShowOnSale) -> None:
    booking_id, payment_id = await open_payment(hooks, show, 2)
    body = event(payment_id)
    responses = await asyncio.gather(*[post(hooks, body) for _ in range(8)])
    assert {r.status_code for r in responses} == {200}
    assert sorted(r.json()["status"] for r in responses).count("APPLIED") == 1
    assert await succeeded_events(hooks, payment_id) == 1
    await settled(hooks.dbs["booking"], hooks.dbs["payment"], [booking_id])


async def test_events_out_of_order_never_move_a_payment_backwards(
        hooks: Deployment, show: ShowOnSale) -> None:
    booking_id, payment_id = await open_payment(hooks, show, 3)
    assert (await post(hooks, event(payment_id))).json()["status"] == "APPLIED"
    # A failure (of an earlier attempt) arrives after the success: it is logged, not applied.
    late = await post(hooks, event(payment_id, "payment.failed"))
    assert late.json()["status"] == "IGNORED"
    assert await status_of(hooks, payment_id) == "SUCCEEDED"
    # A failure that comes first is applied, and the success after it still wins.
    booking2, payment2 = await open_payment(hooks, show, 4)
    assert (await post(hooks, event(payment2, "payment.failed"))).json()["status"] == "APPLIED"
    assert await status_of(hooks, payment2) == "FAILED"
    assert (await post(hooks, event(payment2))).json()["status"] == "APPLIED"
    assert await status_of(hooks, payment2) == "SUCCEEDED"
    for b in (booking_id, booking2):
        await wait_booking(hooks.stack.client("booking"), hooks.actors.customer, b, "CONFIRMED")
    await settled(hooks.dbs["booking"], hooks.dbs["payment"], [booking_id, booking2])


async def test_an_event_for_no_payment_we_know_is_acknowledged_and_logged(
        hooks: Deployment) -> None:
    body = event(str(uuid.uuid4()))
    response = await post(hooks, body)
    assert (response.status_code, response.json()["status"]) == (200, "UNMATCHED")
    async with hooks.dbs["payment"].reader() as s:
        row = await s.get(WebhookEvent, ("sandbox", json.loads(body)["id"]))
    assert row is not None and row.outcome == "UNMATCHED"
