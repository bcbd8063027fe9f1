"""Paying with Razorpay, against the stand-in (tests/standins/razorpay.py) run as a real
process: Checkout's signed answer, capture of authorized payments, webhooks (forged, replayed,
out of order, or the only news of a payment), and refunds (partial, pending, made in the
dashboard, after a cancellation), each sent once however often it is retried; and the cap
per payment instrument of queued shows (saved cards by their PAR, UPI ids; the instrument
checked before capture, in confirmPayment and in webhooks alike).

The stand-in delivers webhooks only when a test asks (``deliver=manual``): a test either has
the stand-in deliver a stored event, or posts the stored body and signature itself to read
our endpoint's answer. Every money scenario ends with ``settled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.payment import service as payment_service
from subgraphs.payment.models import TABLES as PAYMENT_TABLES
from subgraphs.payment.models import InstrumentUse, Payment, Refund, WebhookEvent
from subgraphs.payment.providers.razorpay import Razorpay
from tests.flows import ShowOnSale, User, show_on_sale
from tests.harness import PYTHON, Processes, eventually, free_port, http, wait_http
from tests.integration.conftest import own_deployment
from tests.integration.support import Deployment, count, refusal
from tests.integration.test_instrument_cap import CAP, queued_bookings, queued_show, uses
from tests.payments import (
    CANCEL_BOOKING,
    CONFIRM,
    PAYMENT,
    REFUND,
    START,
    SUCCEEDS,
    booking_status,
    pending_booking,
    settled,
    start,
    wait_booking,
)

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_ticketflow1", "rzp-key-secret", "rzp-hook-secret"
PRICE = 1500


# --- the stand-in, as Razorpay's API, the customer's browser and its dashboard -------------

def sign(secret: str, message: str | bytes) -> str:
    raw = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


@dataclass
class StandIn:
    """The stand-in's HTTP interface: ``/v1`` (Basic auth) and its ``/_standin`` controls."""

    url: str

    async def _request(self, method: str, path: str, body: Any = None, *,
                       auth: bool = False, headers: dict[str, str] | None = None
                       ) -> httpx.Response:
        return await http().request(method, f"{self.url}{path}", json=body, headers=headers,
                                    auth=(KEY_ID, KEY_SECRET) if auth else None, timeout=10)

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        response = await self._request(method, f"/_standin{path}", body)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    async def api(self, method: str, path: str, body: Any = None,
                  headers: dict[str, str] | None = None) -> httpx.Response:
        """Razorpay's own API with our key, as the dashboard (or another client) uses it."""
        return await self._request(method, f"/v1{path}", body, auth=True, headers=headers)

    async def state(self) -> dict[str, dict[str, dict[str, Any]]]:
        return dict(await self.control("GET", "/state"))

    async def checkout(self, order_id: str, outcome: str, **paid_with: str) -> dict[str, Any]:
        """What Razorpay Checkout's handler gives the browser (or its failure body);
        ``paid_with`` is the customer's method (``method="upi", vpa=...``; a card by
        default, typed in unless ``token_id`` names one saved)."""
        return dict(await self.control("POST", "/checkout",
                                       {"order_id": order_id, "outcome": outcome} | paid_with))

    async def save_card(self, number: str) -> str:
        """The customer saves a card with Razorpay: its token's id."""
        return str((await self.control("POST", "/tokens", {"number": number}))["id"])

    async def configure(self, **config: Any) -> None:
        await self.control("POST", "/config", config)

    async def events(self, kind: str | None = None, *, order_id: str | None = None,
                     payment_id: str | None = None, refund_id: str | None = None
                     ) -> list[dict[str, Any]]:
        """Stored webhook events, oldest first, with their parsed entities alongside."""
        found = []
        for event in await self.control("GET", "/webhooks"):
            payload = json.loads(event["body"])["payload"]
            pay = (payload.get("payment") or {}).get("entity") or {}
            ref = (payload.get("refund") or {}).get("entity") or {}
            if kind is not None and event["event"] != kind:
                continue
            if order_id is not None and pay.get("order_id") != order_id:
                continue
            if payment_id is not None and pay.get("id") != payment_id:
                continue
            if refund_id is not None and ref.get("id") != refund_id:
                continue
            found.append(event | {"payment": pay, "refund": ref})
        return found

    async def one_event(self, kind: str, **match: str) -> dict[str, Any]:
        found = await self.events(kind, **match)
        assert len(found) == 1, (kind, match, found)
        return found[0]

    async def deliver(self, event: dict[str, Any]) -> int:
        """The stand-in delivers one stored event to our endpoint: the status we answered."""
        answer = await self.control("POST", f"/webhooks/{event['id']}/deliver")
        return int(answer["status"])

    async def refunds_of(self, pay_id: str) -> list[dict[str, Any]]:
        return [r for r in (await self.state())["refunds"].values()
                if r["payment_id"] == pay_id]


def webhook_url(d: Deployment) -> str:
    return f"http://127.0.0.1:{d.settings.payment_port}/webhooks/razorpay"


async def post_webhook(d: Deployment, body: str | bytes, signature: str | None,
                       event_id: str) -> tuple[int, dict[str, Any]]:
    """POST a webhook to our endpoint as Razorpay does: our status and JSON answer."""
    headers = {"content-type": "application/json", "x-razorpay-event-id": event_id}
    if signature is not None:
        headers["x-razorpay-signature"] = signature
    content = body.encode() if isinstance(body, str) else body
    response = await http().post(webhook_url(d), content=content, headers=headers)
    return response.status_code, response.json()


async def replay(d: Deployment, event: dict[str, Any]) -> str:
    """Deliver a stored event ourselves, unchanged: our answer's outcome (status 200)."""
    status, answer = await post_webhook(d, event["body"], event["signature"], event["id"])
    assert status == 200, (status, answer)
    return str(answer["status"])


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def standin(mode: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[StandIn]:
    """The Razorpay stand-in as its own process; webhooks go out only when asked."""
    logs = tmp_path_factory.mktemp(f"razorpay-standin-{mode}")
    procs = Processes(logs)
    port = free_port()
    procs.start("razorpay", [PYTHON, "-m", "tests.standins.razorpay", "--port", str(port),
                             "--key-id", KEY_ID, "--key-secret", KEY_SECRET,
                             "--webhook-secret", WEBHOOK_SECRET, "--deliver", "manual",
                             "--refund-status", "processed"], {})
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_http(f"{url}/_standin/state", procs=procs)
        yield StandIn(url)
    finally:
        procs.stop_all()


@pytest.fixture(scope="module")
async def rzp(mode: str, tmp_path_factory: pytest.TempPathFactory, standin: StandIn
              ) -> AsyncIterator[Deployment]:
    """A deployment with a Razorpay account at the stand-in (the sandbox stays the default
    provider: tests ask for RAZORPAY), whose worker looks every 0.2 s."""
    async with own_deployment(mode, tmp_path_factory, "razorpay",
                              razorpay_key_id=KEY_ID, razorpay_key_secret=KEY_SECRET,
                              razorpay_webhook_secret=WEBHOOK_SECRET,
                              razorpay_api_url=standin.url,
                              payment_worker_interval_seconds=0.2) as running:
        await standin.configure(webhook_url=webhook_url(running), deliver="manual",
                                refund_status="processed")
        yield running


@pytest.fixture
async def show(rzp: Deployment) -> ShowOnSale:
    return await show_on_sale(rzp.stack.client("venue"), rzp.stack.client("booking"),
                              rzp.actors.organizer, price=PRICE)


# --- our side --------------------------------------------------------------------------------

async def payment_row(d: Deployment, payment_id: str) -> Payment:
    async with d.dbs["payment"].reader() as s:
        found = await s.get(Payment, payment_id)
    assert found is not None
    return found


async def refund_row(d: Deployment, refund_id: str) -> Refund:
    async with d.dbs["payment"].reader() as s:
        found = await s.get(Refund, refund_id)
    assert found is not None
    return found


def snapshot(p: Payment) -> tuple[Any, ...]:
    return (p.status, p.attempts, p.captured_amount, p.refunded_amount, p.provider,
            p.provider_order_id, p.provider_payment_id, p.failure_code, p.updated_at)


async def payment_events(d: Deployment, kind: str, payment_id: str) -> list[str]:
    """Ids of payment's outbox events of ``kind`` about ``payment_id``."""
    outbox = PAYMENT_TABLES.outbox
    async with d.dbs["payment"].reader() as s:
        rows = (await s.execute(select(outbox.c.event_id, outbox.c.body)
                                .where(outbox.c.type == kind))).all()
    return [event_id for event_id, body in rows if payment_id in body]


async def booking_processed(d: Deployment, event_id: str) -> bool:
    processed = BOOKING_TABLES.processed
    return await count(d.dbs["booking"], processed, processed.c.event_id == event_id) > 0


async def webhook_outcomes(d: Deployment, *event_ids: str) -> list[str | None]:
    async with d.dbs["payment"].reader() as s:
        rows = {e.event_id: e.outcome for e in await s.scalars(
            select(WebhookEvent).where(WebhookEvent.event_id.in_(event_ids)))}
    return [rows.get(e) for e in event_ids]


async def read_payment(d: Deployment, payment_id: str) -> dict[str, Any]:
    body = await d.stack.client("payment").data(PAYMENT, {"id": payment_id},
                                                d.actors.customer.token)
    return dict(body["payment"])


def proof(handler: dict[str, Any]) -> dict[str, str]:
    """RazorpayProofInput from Checkout's handler result."""
    return {"orderId": handler["razorpay_order_id"], "paymentId": handler["razorpay_payment_id"],
            "signature": handler["razorpay_signature"]}


async def confirm_rzp(d: Deployment, payment_id: str, rzp_proof: dict[str, str],
                      who: User | None = None) -> dict[str, Any]:
    """``confirmPayment`` with Razorpay's proof, by ``who`` (the customer): the whole
    response body."""
    return await d.stack.client("payment").run(CONFIRM, {"id": payment_id, "rzp": rzp_proof},
                                               (who or d.actors.customer).token)


async def razorpay_booking(d: Deployment, show: ShowOnSale, seat: int
                           ) -> tuple[str, dict[str, Any]]:
    """A pending booking of one seat and its payment started with Razorpay."""
    c = d.actors.customer
    booking = await pending_booking(d.stack.client("booking"), c, show.id,
                                    [show.seats[seat]["id"]])
    started = await start(d.stack.client("payment"), c, booking["id"], "RAZORPAY")
    assert started["provider"] == "RAZORPAY" and started["checkout"]["orderId"], started
    return booking["id"], started


async def paid_booking(d: Deployment, standin: StandIn, show: ShowOnSale, seat: int
                       ) -> tuple[str, str, str]:
    """A booking paid through Checkout and confirmed: (booking, payment, pay_...) ids."""
    booking_id, started = await razorpay_booking(d, show, seat)
    handler = await standin.checkout(started["checkout"]["orderId"], "captured")
    paid = await confirm_rzp(d, started["id"], proof(handler))
    assert paid["data"]["confirmPayment"]["status"] == "SUCCEEDED", paid
    await wait_booking(d.stack.client("booking"), d.actors.customer, booking_id, "CONFIRMED")
    return booking_id, started["id"], handler["razorpay_payment_id"]


async def refund(d: Deployment, payment_id: str, amount: int | None = None) -> dict[str, Any]:
    """The organizer's ``refundPayment``: the refund."""
    body = await d.stack.client("payment").data(
        REFUND, {"id": payment_id, "amount": amount, "key": uuid.uuid4().hex},
        d.actors.organizer.token)
    return dict(body["refundPayment"])


class LoseAnswers(httpx.AsyncBaseTransport):
    """Sends each request on, but while ``losing`` drops the answer to those that ``match``
    (a timeout on the way back: Razorpay acted, we never heard)."""

    def __init__(self, inner: httpx.AsyncBaseTransport,
                 match: Callable[[httpx.Request], bool]) -> None:
        self.inner, self.match = inner, match
        self.losing = True
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.losing and self.match(request):
            await response.aread()
            await response.aclose()
            self.lost += 1
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextlib.contextmanager
def answers_lost(d: Deployment, match: Callable[[httpx.Request], bool]
                 ) -> Iterator[LoseAnswers]:
    """Lose the answers Razorpay gives the payment service to requests that ``match``."""
    provider = payment_service.providers(d.services["payment"])["razorpay"]
    assert isinstance(provider, Razorpay)
    client = provider._http
    inner = client._transport
    lossy = LoseAnswers(inner, match)
    client._transport = lossy
    try:
        yield lossy
    finally:
        client._transport = inner


# --- paying -----------------------------------------------------------------------------------

async def test_checkout_then_confirm_captures_the_order_and_confirms_the_booking(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    c, pay_api = rzp.actors.customer, rzp.stack.client("payment")
    booking_id, started = await razorpay_booking(rzp, show, 0)
    assert started["status"] == "REQUIRES_PAYMENT"
    order_id = started["checkout"]["orderId"]
    assert started["checkout"] == {"provider": "RAZORPAY", "keyId": KEY_ID, "orderId": order_id}
    assert order_id.startswith("order_")
    # Starting again is the same order: Razorpay holds one order for this payment.
    again = await start(pay_api, c, booking_id, "RAZORPAY")
    assert (again["id"], again["checkout"]["orderId"]) == (started["id"], order_id)
    orders = [o for o in (await standin.state())["orders"].values()
              if o["notes"] and o["notes"].get("payment_id") == started["id"]]
    assert [o["id"] for o in orders] == [order_id]
    assert (orders[0]["amount"], orders[0]["currency"], orders[0]["status"]) == (
        PRICE, "EUR", "created")

    handler = await standin.checkout(order_id, "captured")
    paid = await confirm_rzp(rzp, started["id"], proof(handler))
    result = paid["data"]["confirmPayment"]
    assert result["__typename"] == "Payment", paid
    assert result["status"] == "SUCCEEDED"
    assert result["providerPaymentId"] == handler["razorpay_payment_id"]
    assert result["providerPaymentId"].startswith("pay_")
    assert (result["captured"]["amount"], result["attempts"]) == (PRICE, 1)
    assert (await standin.state())["orders"][order_id]["status"] == "paid"
    await wait_booking(rzp.stack.client("booking"), c, booking_id, "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


async def test_three_decimal_amounts_go_to_razorpay_in_fils_as_they_are(
        rzp: Deployment, standin: StandIn) -> None:
    kwd = await show_on_sale(rzp.stack.client("venue"), rzp.stack.client("booking"),
                             rzp.actors.organizer, price=12340, currency="KWD")
    _, payment_id, pay_id = await paid_booking(rzp, standin, kwd, 0)
    state = await standin.state()
    order = state["orders"][(await payment_row(rzp, payment_id)).provider_order_id or ""]
    assert (order["amount"], order["currency"], order["status"]) == (12340, "KWD", "paid")
    assert (state["payments"][pay_id]["amount"], state["payments"][pay_id]["currency"]) == (
        12340, "KWD")
    paid = await read_payment(rzp, payment_id)
    assert (paid["amount"], paid["captured"]) == ({"amount": 12340, "currency": "KWD"},
                                                  {"amount": 12340})


async def test_a_three_decimal_amount_razorpay_cannot_take_is_refused_before_any_order(
        rzp: Deployment, standin: StandIn) -> None:
    c = rzp.actors.customer
    kwd = await show_on_sale(rzp.stack.client("venue"), rzp.stack.client("booking"),
                             rzp.actors.organizer, price=12345, currency="KWD")
    booking = await pending_booking(rzp.stack.client("booking"), c, kwd.id,
                                    [kwd.seats[0]["id"]])

    async def payment_of_booking() -> Payment | None:
        async with rzp.dbs["payment"].reader() as s:
            return await s.scalar(select(Payment).where(Payment.booking_id == booking["id"]))

    payment = await eventually(payment_of_booking)
    orders_before = len((await standin.state())["orders"])
    body = await rzp.stack.client("payment").run(
        START, {"booking": booking["id"], "provider": "RAZORPAY"}, c.token)
    assert refusal(body) == ("PAYMENT_FAILED", "provider")
    assert "12.345 KWD" in body["errors"][0]["message"]
    assert snapshot(await payment_row(rzp, payment.id)) == snapshot(payment)
    assert len((await standin.state())["orders"]) == orders_before
    # The sandbox takes it: the booking can still be paid.
    started = await start(rzp.stack.client("payment"), c, booking["id"], "SANDBOX")
    assert started["amount"] == {"amount": 12345, "currency": "KWD"}


async def test_a_forged_or_mismatched_checkout_proof_is_refused_and_changes_nothing(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    booking_id, started = await razorpay_booking(rzp, show, 1)
    order_id = started["checkout"]["orderId"]
    handler = await standin.checkout(order_id, "captured")
    # Another order, paid by someone else with the same account.
    other = await standin.api("POST", "/orders", {"amount": PRICE, "currency": "EUR"})
    assert other.status_code == 200, other.text
    elsewhere = await standin.checkout(other.json()["id"], "captured")
    before = await payment_row(rzp, started["id"])
    good = proof(handler)
    forged = "0" * 64 if good["signature"] != "0" * 64 else "1" * 64
    cases = [
        (good | {"signature": forged}, "razorpay.signature"),
        (good | {"signature": good["signature"][:-1] + "x"}, "razorpay.signature"),
        # Checkout's genuine answer for another order.
        (proof(elsewhere), "razorpay.orderId"),
        # Another order's payment, signed as if for ours: Razorpay says whose it is.
        (good | {"paymentId": elsewhere["razorpay_payment_id"],
                 "signature": sign(KEY_SECRET,
                                   f"{order_id}|{elsewhere['razorpay_payment_id']}")},
         "razorpay.paymentId"),
    ]
    for rzp_proof, field in cases:
        body = await confirm_rzp(rzp, started["id"], rzp_proof)
        assert refusal(body) == ("BAD_USER_INPUT", field), (rzp_proof, body)
    after = await payment_row(rzp, started["id"])
    assert snapshot(after) == snapshot(before)
    assert (after.status, after.attempts, after.provider_payment_id) == (
        "REQUIRES_PAYMENT", 0, None)
    assert await count(rzp.dbs["payment"], Payment, Payment.booking_id == booking_id) == 1
    assert await payment_events(rzp, "PaymentSucceeded", started["id"]) == []
    # The genuine proof still pays.
    paid = await confirm_rzp(rzp, started["id"], good)
    assert paid["data"]["confirmPayment"]["status"] == "SUCCEEDED", paid
    await wait_booking(rzp.stack.client("booking"), rzp.actors.customer, booking_id, "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


def first_order_post() -> Callable[[httpx.Request], bool]:
    """Matches the first ``POST /v1/orders`` only."""
    seen: list[httpx.Request] = []

    def match(request: httpx.Request) -> bool:
        if seen or request.method != "POST" or request.url.path != "/v1/orders":
            return False
        seen.append(request)
        return True

    return match


async def test_an_order_whose_answer_was_lost_is_found_by_its_receipt_not_made_again(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    c = rzp.actors.customer
    booking = await pending_booking(rzp.stack.client("booking"), c, show.id,
                                    [show.seats[0]["id"]])
    before = len((await standin.state())["orders"])
    # Razorpay makes the order, but its answer times out on the way back; the client tries
    # again.
    with answers_lost(rzp, first_order_post()) as lossy:
        started = await start(rzp.stack.client("payment"), c, booking["id"], "RAZORPAY")
    assert lossy.lost == 1
    order_id = started["checkout"]["orderId"]
    orders = (await standin.state())["orders"]
    assert len(orders) == before + 1
    assert [o["id"] for o in orders.values() if o["receipt"] == started["id"]] == [order_id]
    # It is the order the customer pays.
    handler = await standin.checkout(order_id, "captured")
    paid = await confirm_rzp(rzp, started["id"], proof(handler))
    assert paid["data"]["confirmPayment"]["status"] == "SUCCEEDED", paid
    await wait_booking(rzp.stack.client("booking"), c, booking["id"], "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking["id"]])


async def test_an_authorized_only_payment_is_captured_when_confirmed(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    booking_id, started = await razorpay_booking(rzp, show, 2)
    handler = await standin.checkout(started["checkout"]["orderId"], "authorized")
    pay_id = handler["razorpay_payment_id"]
    held = (await standin.state())["payments"][pay_id]
    assert (held["status"], held["captured"]) == ("authorized", False)
    paid = await confirm_rzp(rzp, started["id"], proof(handler))
    result = paid["data"]["confirmPayment"]
    assert (result["status"], result["providerPaymentId"]) == ("SUCCEEDED", pay_id), paid
    assert result["captured"]["amount"] == PRICE
    state = await standin.state()
    captured = state["payments"][pay_id]
    assert (captured["status"], captured["captured"], captured["amount"]) == (
        "captured", True, PRICE)
    assert state["orders"][started["checkout"]["orderId"]]["status"] == "paid"
    await wait_booking(rzp.stack.client("booking"), rzp.actors.customer, booking_id, "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


async def test_a_failed_checkout_is_reported_by_webhook_and_another_attempt_pays(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    c, book_api = rzp.actors.customer, rzp.stack.client("booking")
    booking_id, started = await razorpay_booking(rzp, show, 3)
    order_id = started["checkout"]["orderId"]
    failure = await standin.checkout(order_id, "failed")
    failed_pay = failure["error"]["metadata"]["payment_id"]
    assert failure["error"]["reason"] == "payment_failed"
    # The browser saw the failure; nothing reached us, so the payment is still payable.
    assert (await read_payment(rzp, started["id"]))["status"] == "REQUIRES_PAYMENT"
    event = await standin.one_event("payment.failed", order_id=order_id)
    assert await standin.deliver(event) == 200
    failed = await read_payment(rzp, started["id"])
    assert failed["status"] == "FAILED"
    assert failed["providerPaymentId"] == failed_pay
    assert failed["failure"]["code"] == "payment_failed"
    assert failed["captured"]["amount"] == 0
    assert await webhook_outcomes(rzp, event["id"]) == ["APPLIED"]
    # Booking has heard of the failure, and the booking still waits for its money.
    [failed_event] = await payment_events(rzp, "PaymentFailed", started["id"])
    await eventually(lambda: booking_processed(rzp, failed_event))
    assert await booking_status(book_api, c, booking_id) == "PENDING_PAYMENT"

    handler = await standin.checkout(order_id, "captured")
    paid = await confirm_rzp(rzp, started["id"], proof(handler))
    result = paid["data"]["confirmPayment"]
    assert result["status"] == "SUCCEEDED", paid
    assert result["providerPaymentId"] == handler["razorpay_payment_id"] != failed_pay
    assert result["failure"] is None
    await wait_booking(book_api, c, booking_id, "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


async def test_the_webhook_alone_confirms_a_payment_whose_browser_went_away(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    c = rzp.actors.customer
    booking_id, started = await razorpay_booking(rzp, show, 4)
    order_id = started["checkout"]["orderId"]
    handler = await standin.checkout(order_id, "captured")  # and the tab is closed
    captured = await standin.one_event("payment.captured", order_id=order_id)
    order_paid = await standin.one_event("order.paid", order_id=order_id)
    assert await standin.deliver(captured) == 200
    assert await standin.deliver(order_paid) == 200
    assert await webhook_outcomes(rzp, captured["id"], order_paid["id"]) == [
        "APPLIED", "IGNORED"]
    row = await payment_row(rzp, started["id"])
    assert (row.status, row.captured_amount, row.provider_payment_id) == (
        "SUCCEEDED", PRICE, handler["razorpay_payment_id"])
    await wait_booking(rzp.stack.client("booking"), c, booking_id, "CONFIRMED")
    # The customer comes back later with Checkout's answer: nothing more happens.
    again = await confirm_rzp(rzp, started["id"], proof(handler))
    assert again["data"]["confirmPayment"]["status"] == "SUCCEEDED", again
    assert len(await payment_events(rzp, "PaymentSucceeded", started["id"])) == 1
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


# --- webhooks: forged, replayed, out of order ----------------------------------------------

async def test_a_webhook_with_a_wrong_signature_or_an_altered_body_is_refused(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    booking_id, started = await razorpay_booking(rzp, show, 5)
    order_id = started["checkout"]["orderId"]
    await standin.checkout(order_id, "captured")
    event = await standin.one_event("payment.captured", order_id=order_id)
    body, genuine = event["body"], event["signature"]
    before = snapshot(await payment_row(rzp, started["id"]))
    amount = f'"amount":{PRICE}'
    assert amount in body
    at = body.index(amount) + len('"amount":')
    altered = body[:at] + "9" + body[at + 1:]  # one byte: 1500 becomes 9500
    assert len(altered) == len(body) and altered != body
    for raw, signature in [(body, sign("not-the-webhook-secret", body)),
                           (body, sign(KEY_SECRET, body)),  # the API secret is not it either
                           (body, genuine[::-1]),
                           (body, None),
                           (altered, genuine)]:
        status, answer = await post_webhook(rzp, raw, signature, event["id"])
        assert status == 400 and "error" in answer, (signature, status, answer)
    assert snapshot(await payment_row(rzp, started["id"])) == before
    assert await count(rzp.dbs["payment"], WebhookEvent,
                       WebhookEvent.event_id == event["id"]) == 0
    assert await payment_events(rzp, "PaymentSucceeded", started["id"]) == []
    # The genuine event, as Razorpay signed it, is accepted.
    assert await replay(rzp, event) == "APPLIED"
    assert (await payment_row(rzp, started["id"])).status == "SUCCEEDED"
    await wait_booking(rzp.stack.client("booking"), rzp.actors.customer, booking_id, "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


async def test_a_replayed_webhook_changes_things_once(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    booking_id, started = await razorpay_booking(rzp, show, 6)
    order_id = started["checkout"]["orderId"]
    await standin.checkout(order_id, "captured")
    event = await standin.one_event("payment.captured", order_id=order_id)
    answers = [await replay(rzp, event) for _ in range(3)]
    assert answers == ["APPLIED", "DUPLICATE", "DUPLICATE"]
    assert len(await payment_events(rzp, "PaymentSucceeded", started["id"])) == 1
    assert await count(rzp.dbs["payment"], WebhookEvent,
                       WebhookEvent.event_id == event["id"]) == 1
    row = await payment_row(rzp, started["id"])
    assert (row.status, row.captured_amount) == ("SUCCEEDED", PRICE)
    await wait_booking(rzp.stack.client("booking"), rzp.actors.customer, booking_id, "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


async def test_webhooks_out_of_order_never_undo_a_capture(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    booking_id, started = await razorpay_booking(rzp, show, 7)
    order_id = started["checkout"]["orderId"]
    first = await standin.checkout(order_id, "failed")  # an earlier attempt failed
    handler = await standin.checkout(order_id, "captured")
    pay_id = handler["razorpay_payment_id"]
    failed = await standin.one_event("payment.failed", order_id=order_id)
    assert failed["payment"]["id"] == first["error"]["metadata"]["payment_id"]
    authorized = await standin.one_event("payment.authorized", payment_id=pay_id)
    captured = await standin.one_event("payment.captured", payment_id=pay_id)
    order_paid = await standin.one_event("order.paid", order_id=order_id)
    # Razorpay's order: failed, authorized, captured, order.paid. Ours: captured first.
    assert [await replay(rzp, e) for e in (captured, authorized, failed, order_paid)] == [
        "APPLIED", "IGNORED", "IGNORED", "IGNORED"]
    row = await payment_row(rzp, started["id"])
    assert (row.status, row.provider_payment_id, row.captured_amount, row.failure_code) == (
        "SUCCEEDED", pay_id, PRICE, None)
    assert await payment_events(rzp, "PaymentFailed", started["id"]) == []
    assert len(await payment_events(rzp, "PaymentSucceeded", started["id"])) == 1
    await wait_booking(rzp.stack.client("booking"), rzp.actors.customer, booking_id, "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])
    assert (await payment_row(rzp, started["id"])).status == "SUCCEEDED"


# --- refunds -------------------------------------------------------------------------------

def refund_posts(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/refund")


def refund_reads(request: httpx.Request) -> bool:
    return request.method == "GET" and request.url.path.startswith("/v1/refunds/")


async def test_refunds_reach_razorpay_once_each_even_when_retried(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    booking_id, payment_id, pay_id = await paid_booking(rzp, standin, show, 8)
    part = await refund(rzp, payment_id, 500)
    assert (part["status"], part["amount"]["amount"]) == ("SUCCEEDED", 500), part
    assert part["payment"]["status"] == "PARTIALLY_REFUNDED"
    assert part["providerRefundId"].startswith("rfnd_")
    # Razorpay refunds the rest, but its answers are lost: the refund stays pending and is
    # sent again (by the call's own retries, then by the worker) with the same key.
    with answers_lost(rzp, refund_posts) as lossy:
        rest = await refund(rzp, payment_id)
        assert (rest["status"], rest["amount"]["amount"]) == ("PENDING", PRICE - 500), rest
        assert rest["providerRefundId"] is None
        sent = lossy.lost
        assert sent >= 2
        lossy.losing = False

        async def refunded() -> bool:
            return (await refund_row(rzp, rest["id"])).status == "SUCCEEDED"

        await eventually(refunded)
    settled_rest = await refund_row(rzp, rest["id"])
    assert settled_rest.attempts >= 2 and settled_rest.provider_refund_id
    at_razorpay = await standin.refunds_of(pay_id)
    assert sorted((r["receipt"], r["amount"], r["status"]) for r in at_razorpay) == sorted(
        [(part["id"], 500, "processed"), (rest["id"], PRICE - 500, "processed")])
    assert {r["id"] for r in at_razorpay} == {part["providerRefundId"],
                                              settled_rest.provider_refund_id}
    assert all(r["notes"]["refund_id"] == r["receipt"] for r in at_razorpay)
    assert (await standin.state())["payments"][pay_id]["amount_refunded"] == PRICE
    # Each request carried our refund's id as X-Refund-Idempotency: Razorpay holds the key,
    # and another request under it is refused rather than paid.
    for ours in (part["id"], rest["id"]):
        clash = await standin.api("POST", f"/payments/{pay_id}/refund", {"amount": 100},
                                  headers={"X-Refund-Idempotency": ours})
        assert clash.status_code == 409, clash.text
    assert len(await standin.refunds_of(pay_id)) == 2
    paid_back = await read_payment(rzp, payment_id)
    assert (paid_back["status"], paid_back["refunded"]["amount"]) == ("REFUNDED", PRICE)
    await wait_booking(rzp.stack.client("booking"), rzp.actors.customer, booking_id, "CANCELLED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


async def test_a_pending_refund_settles_by_webhook_or_by_asking_razorpay(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    booking_id, payment_id, pay_id = await paid_booking(rzp, standin, show, 9)
    await standin.configure(refund_status="pending")
    try:
        # The first refund: pending at Razorpay until it is processed and says so by webhook
        # (asking Razorpay gets no answer meanwhile, so only the webhook can settle it).
        with answers_lost(rzp, refund_reads):
            first = await refund(rzp, payment_id, 600)
            assert first["status"] == "PENDING" and first["providerRefundId"], first
            assert [r["status"] for r in await standin.refunds_of(pay_id)] == ["pending"]
            await standin.control("POST", f"/refunds/{first['providerRefundId']}/process",
                                  {"status": "processed"})
            event = await standin.one_event("refund.processed",
                                            refund_id=first["providerRefundId"])
            assert await replay(rzp, event) == "APPLIED"
        row = await refund_row(rzp, first["id"])
        assert row.status == "SUCCEEDED"
        assert (await payment_row(rzp, payment_id)).refunded_amount == 600
        # The second: no webhook this time; the worker asks Razorpay until it is processed.
        second = await refund(rzp, payment_id)
        assert (second["status"], second["amount"]["amount"]) == ("PENDING", PRICE - 600)
        await standin.control("POST", f"/refunds/{second['providerRefundId']}/process",
                              {"status": "processed"})

        async def refunded() -> bool:
            return (await refund_row(rzp, second["id"])).status == "SUCCEEDED"

        await eventually(refunded)
    finally:
        await standin.configure(refund_status="processed")
    assert await webhook_outcomes(rzp, *[e["id"] for e in await standin.events(
        "refund.processed", refund_id=second["providerRefundId"])]) == [None]
    paid_back = await read_payment(rzp, payment_id)
    assert (paid_back["status"], paid_back["refunded"]["amount"]) == ("REFUNDED", PRICE)
    assert [(r["reason"], r["status"], r["amount"]["amount"]) for r in paid_back["refunds"]] \
        == [("REQUESTED", "SUCCEEDED", 600), ("REQUESTED", "SUCCEEDED", PRICE - 600)]
    await wait_booking(rzp.stack.client("booking"), rzp.actors.customer, booking_id, "CANCELLED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


async def test_a_refund_made_in_the_dashboard_is_recorded_from_its_webhook(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    booking_id, payment_id, pay_id = await paid_booking(rzp, standin, show, 0)
    ours = await refund(rzp, payment_id, 500)
    assert ours["status"] == "SUCCEEDED", ours
    # Someone refunds the rest in Razorpay's dashboard.
    made = await standin.api("POST", f"/payments/{pay_id}/refund", {"amount": PRICE - 500})
    assert made.status_code == 200, made.text
    dashboard = made.json()["id"]
    events = [await standin.one_event("refund.created", refund_id=dashboard),
              await standin.one_event("refund.processed", refund_id=dashboard)]
    # Razorpay also reports our own refund: it is ours, already settled, not a new one.
    our_event = await standin.one_event("refund.processed",
                                        refund_id=ours["providerRefundId"])
    assert await replay(rzp, our_event) == "IGNORED"
    assert sorted([await replay(rzp, e) for e in events]) == ["APPLIED", "IGNORED"]
    paid_back = await read_payment(rzp, payment_id)
    assert (paid_back["status"], paid_back["refunded"]["amount"]) == ("REFUNDED", PRICE)
    assert [(r["reason"], r["status"], r["amount"]["amount"]) for r in paid_back["refunds"]] \
        == [("REQUESTED", "SUCCEEDED", 500), ("PROVIDER", "SUCCEEDED", PRICE - 500)]
    async with rzp.dbs["payment"].reader() as s:
        recorded = await s.scalar(select(Refund).where(Refund.provider_refund_id == dashboard))
    assert recorded is not None and recorded.reason == "PROVIDER"
    # Refunded in full: booking lets the seat go.
    await wait_booking(rzp.stack.client("booking"), rzp.actors.customer, booking_id, "CANCELLED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


async def test_cancelling_a_booking_paid_with_razorpay_refunds_it_there(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    c = rzp.actors.customer
    booking_id, payment_id, pay_id = await paid_booking(rzp, standin, show, 1)
    assert await standin.refunds_of(pay_id) == []
    await rzp.stack.client("booking").data(CANCEL_BOOKING, {"id": booking_id}, c.token)
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])
    paid_back = await read_payment(rzp, payment_id)
    assert (paid_back["status"], paid_back["refunded"]["amount"]) == ("REFUNDED", PRICE)
    [ours] = paid_back["refunds"]
    assert (ours["reason"], ours["status"], ours["amount"]["amount"]) == (
        "BOOKING_CANCELLED", "SUCCEEDED", PRICE)
    [theirs] = await standin.refunds_of(pay_id)
    assert (theirs["receipt"], theirs["amount"], theirs["status"]) == (
        ours["id"], PRICE, "processed")
    assert (await standin.state())["payments"][pay_id]["status"] == "refunded"


async def test_an_order_paid_after_switching_provider_is_given_back_not_kept(
        rzp: Deployment, standin: StandIn, show: ShowOnSale) -> None:
    c, pay_api = rzp.actors.customer, rzp.stack.client("payment")
    booking_id, started = await razorpay_booking(rzp, show, 2)
    order_id = started["checkout"]["orderId"]
    # The customer switches to the sandbox and pays there ...
    switched = await start(pay_api, c, booking_id, "SANDBOX")
    assert switched["provider"] == "SANDBOX"
    paid = await pay_api.data(CONFIRM, {"id": started["id"], "card": SUCCEEDS}, c.token)
    assert paid["confirmPayment"]["status"] == "SUCCEEDED"
    # ... and pays the Razorpay order as well, in a tab left open: that money goes back.
    handler = await standin.checkout(order_id, "captured")
    captured = await standin.one_event("payment.captured", order_id=order_id)
    assert await replay(rzp, captured) == "APPLIED"
    assert await replay(rzp, captured) == "DUPLICATE"

    async def given_back() -> list[dict[str, Any]]:
        return await standin.refunds_of(handler["razorpay_payment_id"])

    [back] = await eventually(given_back)
    assert (back["amount"], back["status"]) == (PRICE, "processed")
    row = await payment_row(rzp, started["id"])
    assert (row.status, row.captured_amount, row.refunded_amount) == ("SUCCEEDED", PRICE, 0)
    async with rzp.dbs["payment"].reader() as s:
        [duplicate] = list(await s.scalars(select(Refund).where(
            Refund.payment_id == started["id"])))
    assert (duplicate.reason, duplicate.provider_payment_id, duplicate.id) == (
        "DUPLICATE_PAYMENT", handler["razorpay_payment_id"], back["receipt"])
    await wait_booking(rzp.stack.client("booking"), c, booking_id, "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [booking_id])


# --- the cap per instrument of queued shows (docs/payments.md, "Cards per queued show") -------

VISA, MASTERCARD, RUPAY = "4111111111111111", "5104015555555558", "6074820000000003"


def keyed(d: Deployment, value: str) -> str:
    """What ``instrument_uses`` stores for ``value``: its HMAC under the instrument secret."""
    secret = d.services["payment"].settings.payment_instrument_secret
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


async def par_of(standin: StandIn, token: str) -> str:
    answer = await standin.api("POST", "/cards/fingerprints", {"token": token})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["payment_account_reference"])


async def checkout_queued(d: Deployment, standin: StandIn, who: User, booking_id: str,
                          outcome: str = "authorized", **paid_with: str
                          ) -> tuple[str, dict[str, str]]:
    """``who`` starts the booking's payment with Razorpay and pays its order in Checkout
    (``paid_with``): our payment's id and the proof Checkout handed the browser."""
    started = await start(d.stack.client("payment"), who, booking_id, "RAZORPAY")
    handler = await standin.checkout(started["checkout"]["orderId"], outcome, **paid_with)
    return started["id"], proof(handler)


async def pay_queued(d: Deployment, standin: StandIn, who: User, booking_id: str,
                     outcome: str = "authorized", **paid_with: str
                     ) -> tuple[dict[str, Any], str]:
    """Checkout, then ``confirmPayment``: the union member answered and the pay_... id."""
    payment_id, rzp_proof = await checkout_queued(d, standin, who, booking_id, outcome,
                                                  **paid_with)
    body = await confirm_rzp(d, payment_id, rzp_proof, who)
    return dict(body["data"]["confirmPayment"]), rzp_proof["paymentId"]


async def at_razorpay(standin: StandIn, pay_id: str) -> tuple[str, bool]:
    found = (await standin.state())["payments"][pay_id]
    return found["status"], found["captured"]


async def test_saved_cards_pay_for_at_most_the_cap_of_a_queued_show_whatever_the_token(
        rzp: Deployment, standin: StandIn) -> None:
    show, opens = await queued_show(rzp.stack, rzp.actors)
    bought = await queued_bookings(rzp.stack, show, opens, CAP + 1)
    # Every buyer (another account each) saved the same card: a token of their own each.
    tokens = [await standin.save_card(VISA) for _ in bought]
    assert len(set(tokens)) == len(tokens)
    card = keyed(rzp, "razorpay:par:" + await par_of(standin, tokens[0]))
    for (who, made), token in zip(bought[:CAP], tokens, strict=False):
        paid, pay_id = await pay_queued(rzp, standin, who, made["id"], token_id=token)
        assert (paid["__typename"], paid["status"]) == ("Payment", "SUCCEEDED"), paid
        assert await at_razorpay(standin, pay_id) == ("captured", True)
    assert await uses(rzp.dbs["payment"], show.id) == sorted(
        (card, made["id"]) for _, made in bought[:CAP])

    # The next token of that card: declined, and its authorization is left uncaptured.
    who, last = bought[CAP]
    refused, pay_id = await pay_queued(rzp, standin, who, last["id"], token_id=tokens[CAP])
    assert refused["__typename"] == "PaymentDeclined", refused
    assert (refused["code"], refused["reason"]) == ("PAYMENT_FAILED", "instrument_limit")
    assert refused["payment"]["status"] == "FAILED"
    assert await at_razorpay(standin, pay_id) == ("authorized", False)
    row = await payment_row(rzp, refused["payment"]["id"])
    assert (row.status, row.captured_amount, row.provider_payment_id) == ("FAILED", 0, pay_id)
    assert await booking_status(rzp.stack.client("booking"), who, last["id"]) \
        == "PENDING_PAYMENT"
    # Razorpay's webhooks of that payment go through the same check: still not captured.
    authorized = await standin.one_event("payment.authorized", payment_id=pay_id)
    assert await replay(rzp, authorized) == "DECLINED"
    assert await at_razorpay(standin, pay_id) == ("authorized", False)
    assert (await payment_row(rzp, row.id)).attempts == row.attempts  # declined once
    # Another card pays the booking.
    other = await standin.save_card(MASTERCARD)
    again = await standin.checkout((await payment_row(rzp, row.id)).provider_order_id or "",
                                   "authorized", token_id=other)
    paid = (await confirm_rzp(rzp, row.id, proof(again), who))["data"]["confirmPayment"]
    assert paid["status"] == "SUCCEEDED", paid
    assert await at_razorpay(standin, pay_id) == ("authorized", False)
    await wait_booking(rzp.stack.client("booking"), who, last["id"], "CONFIRMED")
    assert len(await uses(rzp.dbs["payment"], show.id)) == CAP + 1
    # Neither the PAR nor a token is stored: only its keyed hash.
    async with rzp.dbs["payment"].reader() as s:
        stored = [str(v) for r in (await s.execute(select(InstrumentUse))).all() for v in r]
    par = await par_of(standin, tokens[0])
    assert not any(par in v or any(t in v for t in tokens) for v in stored)
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [b["id"] for _, b in bought])


async def test_a_rupay_card_without_a_par_is_capped_by_its_network_reference_id(
        rzp: Deployment, standin: StandIn) -> None:
    show, opens = await queued_show(rzp.stack, rzp.actors)
    bought = await queued_bookings(rzp.stack, show, opens, CAP + 1)
    tokens = [await standin.save_card(RUPAY) for _ in bought]
    answer = (await standin.api("POST", "/cards/fingerprints", {"token": tokens[0]})).json()
    assert answer["payment_account_reference"] is None and answer["network_reference_id"]
    answers = [await pay_queued(rzp, standin, who, made["id"], token_id=token)
               for (who, made), token in zip(bought, tokens, strict=True)]
    assert [a["__typename"] for a, _ in answers] == ["Payment"] * CAP + ["PaymentDeclined"]
    assert answers[CAP][0]["reason"] == "instrument_limit"
    assert await at_razorpay(standin, answers[CAP][1]) == ("authorized", False)
    assert await uses(rzp.dbs["payment"], show.id) == sorted(
        (keyed(rzp, "razorpay:nrid:" + answer["network_reference_id"]), made["id"])
        for _, made in bought[:CAP])
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [b["id"] for _, b in bought[:CAP]])


async def test_a_upi_id_pays_for_at_most_the_cap_of_a_queued_show(
        rzp: Deployment, standin: StandIn) -> None:
    show, opens = await queued_show(rzp.stack, rzp.actors)
    bought = await queued_bookings(rzp.stack, show, opens, CAP + 1)
    spellings = ["Bot.One@okbank", "bot.one@okbank", "BOT.ONE@OKBANK"]  # one UPI id
    answers = [await pay_queued(rzp, standin, who, made["id"], method="upi", vpa=vpa)
               for (who, made), vpa in zip(bought, spellings, strict=True)]
    assert [a["__typename"] for a, _ in answers] == ["Payment"] * CAP + ["PaymentDeclined"]
    assert answers[CAP][0]["reason"] == "instrument_limit"
    assert await at_razorpay(standin, answers[CAP][1]) == ("authorized", False)
    assert await uses(rzp.dbs["payment"], show.id) == sorted(
        (keyed(rzp, "razorpay:vpa:bot.one@okbank"), made["id"]) for _, made in bought[:CAP])
    # Another UPI id pays.
    who, last = bought[CAP]
    payment_id = answers[CAP][0]["payment"]["id"]
    order_id = (await payment_row(rzp, payment_id)).provider_order_id or ""
    handler = await standin.checkout(order_id, "authorized", method="upi", vpa="bot.two@okbank")
    paid = (await confirm_rzp(rzp, payment_id, proof(handler), who))["data"]["confirmPayment"]
    assert paid["status"] == "SUCCEEDED", paid
    await wait_booking(rzp.stack.client("booking"), who, last["id"], "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [b["id"] for _, b in bought])


async def test_an_unidentified_instrument_is_refused_by_default_and_allowed_by_the_setting(
        rzp: Deployment, standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    show, opens = await queued_show(rzp.stack, rzp.actors)
    [(who, made)] = await queued_bookings(rzp.stack, show, opens, 1)
    book_api = rzp.stack.client("booking")
    token = await standin.save_card(VISA)
    await standin.configure(card_fingerprints=False)
    try:
        unsaved = {"number": VISA}
        for paid_with in (unsaved, {"method": "netbanking", "bank": "HDFC"},
                          {"token_id": token}):  # saved, but the account lacks fingerprints
            refused, pay_id = await pay_queued(rzp, standin, who, made["id"], **paid_with)
            assert (refused["__typename"], refused["reason"]) == (
                "PaymentDeclined", "instrument_unidentified"), (paid_with, refused)
            assert "UPI" in refused["message"] and "saved" in refused["message"]
            assert await at_razorpay(standin, pay_id) == ("authorized", False)
            assert await booking_status(book_api, who, made["id"]) == "PENDING_PAYMENT"
        assert await uses(rzp.dbs["payment"], show.id) == []
        # Allowed: paid, uncapped (no slot).
        monkeypatch.setattr(rzp.services["payment"].settings,
                            "queue_unidentified_instruments", "allow")
        paid, pay_id = await pay_queued(rzp, standin, who, made["id"], **unsaved)
    finally:
        await standin.configure(card_fingerprints=True)
    assert (paid["__typename"], paid["status"]) == ("Payment", "SUCCEEDED"), paid
    assert await at_razorpay(standin, pay_id) == ("captured", True)
    assert await uses(rzp.dbs["payment"], show.id) == []
    await wait_booking(book_api, who, made["id"], "CONFIRMED")
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [made["id"]])


async def test_webhooks_alone_neither_capture_nor_book_a_payment_over_the_cap(
        rzp: Deployment, standin: StandIn) -> None:
    show, opens = await queued_show(rzp.stack, rzp.actors)
    bought = await queued_bookings(rzp.stack, show, opens, CAP + 1)
    for who, made in bought[:CAP]:
        paid, _ = await pay_queued(rzp, standin, who, made["id"], method="upi",
                                   vpa="bot@okbank")
        assert paid["status"] == "SUCCEEDED", paid
    # The last buyer pays in Checkout and closes the tab: only the webhook tells us.
    who, last = bought[CAP]
    payment_id, rzp_proof = await checkout_queued(rzp, standin, who, last["id"],
                                                  method="upi", vpa="bot@okbank")
    pay_id = rzp_proof["paymentId"]
    authorized = await standin.one_event("payment.authorized", payment_id=pay_id)
    assert await standin.deliver(authorized) == 200
    assert await webhook_outcomes(rzp, authorized["id"]) == ["DECLINED"]
    assert await at_razorpay(standin, pay_id) == ("authorized", False)
    row = await payment_row(rzp, payment_id)
    assert (row.status, row.failure_code, row.captured_amount) == (
        "FAILED", "instrument_limit", 0)
    # The browser's proof, should it come back, is declined the same way.
    again = (await confirm_rzp(rzp, payment_id, rzp_proof, who))["data"]["confirmPayment"]
    assert (again["__typename"], again["reason"]) == ("PaymentDeclined", "instrument_limit")
    assert await at_razorpay(standin, pay_id) == ("authorized", False)
    assert await payment_events(rzp, "PaymentSucceeded", payment_id) == []
    assert await booking_status(rzp.stack.client("booking"), who, last["id"]) \
        == "PENDING_PAYMENT"
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [b["id"] for _, b in bought[:CAP]])


async def test_buyers_racing_with_one_saved_card_get_exactly_the_cap_paid(
        rzp: Deployment, standin: StandIn) -> None:
    show, opens = await queued_show(rzp.stack, rzp.actors)
    bought = await queued_bookings(rzp.stack, show, opens, 6)
    ready = [await checkout_queued(rzp, standin, who, made["id"],
                                   token_id=await standin.save_card(VISA))
             for who, made in bought]
    results = await asyncio.gather(*[
        confirm_rzp(rzp, payment_id, rzp_proof, who)
        for (who, _), (payment_id, rzp_proof) in zip(bought, ready, strict=True)])
    answers = [r["data"]["confirmPayment"] for r in results]
    assert sorted(a["__typename"] for a in answers) == (
        ["Payment"] * CAP + ["PaymentDeclined"] * (len(bought) - CAP)), answers
    assert {a["reason"] for a in answers if a["__typename"] == "PaymentDeclined"} == {
        "instrument_limit"}
    # What the database says: CAP slots of one card, CAP payments captured, the rest nothing.
    slots = await uses(rzp.dbs["payment"], show.id)
    assert len(slots) == CAP and len({f for f, _ in slots}) == 1
    async with rzp.dbs["payment"].reader() as s:
        rows = (await s.scalars(select(Payment).where(Payment.show_id == show.id))).all()
    assert sorted(r.captured_amount for r in rows) == [0] * (len(bought) - CAP) + [PRICE] * CAP
    assert {r.booking_id for r in rows if r.status == "SUCCEEDED"} == {b for _, b in slots}
    # And Razorpay: CAP captured, the others still only authorized.
    states = sorted([await at_razorpay(standin, p["paymentId"]) for _, p in ready])
    assert states == [("authorized", False)] * (len(bought) - CAP) + [("captured", True)] * CAP
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [b["id"] for _, b in bought])


async def test_an_auto_captured_payment_over_the_cap_is_refunded_in_full(
        rzp: Deployment, standin: StandIn) -> None:
    show, opens = await queued_show(rzp.stack, rzp.actors)
    bought = await queued_bookings(rzp.stack, show, opens, CAP + 1)
    for who, made in bought[:CAP]:
        paid, _ = await pay_queued(rzp, standin, who, made["id"], "captured",
                                   method="upi", vpa="auto@okbank")
        assert paid["status"] == "SUCCEEDED", paid
    # An account that captures on its own: the money is taken before we hear of it.
    who, last = bought[CAP]
    refused, pay_id = await pay_queued(rzp, standin, who, last["id"], "captured",
                                       method="upi", vpa="auto@okbank")
    assert (refused["__typename"], refused["reason"]) == ("PaymentDeclined", "instrument_limit")

    async def given_back() -> list[dict[str, Any]]:
        return await standin.refunds_of(pay_id)

    [back] = await eventually(given_back)
    assert (back["amount"], back["status"]) == (PRICE, "processed")
    async with rzp.dbs["payment"].reader() as s:
        [ours] = list(await s.scalars(select(Refund).where(
            Refund.payment_id == refused["payment"]["id"])))
    assert (ours.reason, ours.provider_payment_id, ours.id, ours.amount) == (
        "INSTRUMENT_REFUSED", pay_id, back["receipt"], PRICE)
    # Its webhooks find it declined and refunded already: no capture, no booking, no refund.
    for kind in ("payment.captured", "order.paid"):
        assert await replay(rzp, await standin.one_event(kind, payment_id=pay_id)) == "DECLINED"
    assert len(await standin.refunds_of(pay_id)) == 1

    async def refunded() -> bool:
        return (await refund_row(rzp, ours.id)).status == "SUCCEEDED"

    await eventually(refunded)
    row = await payment_row(rzp, refused["payment"]["id"])
    assert (row.status, row.captured_amount, row.refunded_amount) == ("FAILED", 0, 0)
    assert await booking_status(rzp.stack.client("booking"), who, last["id"]) \
        == "PENDING_PAYMENT"
    await settled(rzp.dbs["booking"], rzp.dbs["payment"], [b["id"] for _, b in bought[:CAP]])
