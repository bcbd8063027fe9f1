"""The Razorpay stand-in speaks Razorpay's formats and keeps Razorpay's rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from tests.standins.razorpay import RazorpayStandIn, create_app

pytestmark = pytest.mark.unit

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_standin01", "key-secret", "webhook-secret"
AUTH = (KEY_ID, KEY_SECRET)
RECEIVER = "http://receiver/webhooks/razorpay"


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


class Receiver:
    """Our side of the webhooks: records each request; answers with the next queued status."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = statuses or []
        self.app = FastAPI()

        @self.app.post("/webhooks/razorpay")
        async def hook(request: Request) -> Response:
            self.requests.append((dict(request.headers), await request.body()))
            return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(self.app))


async def standin(**options: Any) -> tuple[httpx.AsyncClient, RazorpayStandIn]:
    app = create_app(KEY_ID, KEY_SECRET, WEBHOOK_SECRET, **options)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://rzp",
                               auth=AUTH)
    return client, app.state.standin


@pytest.fixture
async def rzp() -> AsyncIterator[httpx.AsyncClient]:
    client, _ = await standin(deliver="manual")
    async with client:
        yield client


async def order(rzp: httpx.AsyncClient, amount: int = 50000, **extra: Any) -> dict[str, Any]:
    response = await rzp.post("/v1/orders", json={"amount": amount, "currency": "INR", **extra})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def paid(rzp: httpx.AsyncClient, outcome: str = "captured", amount: int = 50000
               ) -> dict[str, Any]:
    """Checkout for a new order; the payment entity that came of it."""
    o = await order(rzp, amount)
    result = (await rzp.post("/_standin/checkout",
                             json={"order_id": o["id"], "outcome": outcome})).json()
    payment_id = result.get("razorpay_payment_id") or result["error"]["metadata"]["payment_id"]
    return dict((await rzp.get(f"/v1/payments/{payment_id}")).json())


async def test_every_api_route_needs_the_key_pair(rzp: httpx.AsyncClient) -> None:
    expected = {"error": {"code": "BAD_REQUEST_ERROR", "description": "Authentication failed",
                          "source": "NA", "step": "NA", "reason": "NA", "metadata": {}}}
    body = {"amount": 100, "currency": "INR"}
    good = base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
    no_auth = httpx.Auth()  # sends the request as it is, without the client's key pair
    attempts: list[tuple[httpx.Auth | tuple[str, str], dict[str, str]]] = [
        (no_auth, {}), ((KEY_ID, "wrong"), {}), (("rzp_test_other", KEY_SECRET), {}),
        (no_auth, {"Authorization": f"basic {good}"}),  # Razorpay insists on "Basic "
        (no_auth, {"Authorization": "Basic not-base64!"}),
    ]
    for auth, headers in attempts:
        response = await rzp.post("/v1/orders", json=body, auth=auth, headers=headers)
        assert (response.status_code, response.json()) == (401, expected)
    assert (await rzp.post("/v1/orders", json=body)).status_code == 200
    state = (await rzp.get("/_standin/state")).json()
    assert len(state["orders"]) == 1  # the rejected calls created nothing


async def test_an_order_is_razorpays_order_entity(rzp: httpx.AsyncClient) -> None:
    o = await order(rzp, 29900, receipt="booking-42", notes={"booking_id": "42"})
    assert re.fullmatch(r"order_[A-Za-z0-9]{14}", o.pop("id"))
    assert isinstance(o.pop("created_at"), int)
    assert o == {"entity": "order", "amount": 29900, "amount_paid": 0, "amount_due": 29900,
                 "currency": "INR", "receipt": "booking-42", "offer_id": None,
                 "status": "created", "attempts": 0, "notes": {"booking_id": "42"}}
    bare = await order(rzp)
    assert bare["notes"] == [] and bare["receipt"] is None  # Razorpay renders no notes as []
    assert (await rzp.get(f"/v1/orders/{bare['id']}")).json() == bare


def invalid(response: httpx.Response, field: str, description: str) -> None:
    """The answer to a request Razorpay rejects while validating it (the merchant's mistake)."""
    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": "BAD_REQUEST_ERROR", "description": description, "field": field,
        "source": "business", "step": "payment_initiation",
        "reason": "input_validation_failed", "metadata": {}}}


@pytest.mark.parametrize(("currency", "amount", "description"), [
    ("INR", 99, "The amount must be at least INR 1.00"),
    ("KWD", 990, "The amount must be at least KWD 1.000"),
    ("JPY", 0, "The amount must be at least JPY 1"),
    ("KWD", 295991, "The amount of a three decimal currency must end in 0."),
    ("OMR", 1005, "The amount of a three decimal currency must end in 0."),
], ids=["INR under a rupee", "KWD under a dinar", "JPY nothing", "KWD 295.991", "OMR 1.005"])
async def test_amounts_are_in_the_currencys_own_subunits(
        rzp: httpx.AsyncClient, currency: str, amount: int, description: str) -> None:
    body = {"amount": amount, "currency": currency}
    invalid(await rzp.post("/v1/orders", json=body), "amount", description)


@pytest.mark.parametrize(("currency", "amount"), [
    ("INR", 100), ("KWD", 295990), ("BHD", 1000), ("JPY", 1), ("JPY", 295)])
async def test_three_and_zero_decimal_amounts_razorpay_takes_make_orders(
        rzp: httpx.AsyncClient, currency: str, amount: int) -> None:
    made = (await rzp.post("/v1/orders", json={"amount": amount, "currency": currency})).json()
    assert (made["amount"], made["currency"], made["status"]) == (amount, currency, "created")


async def test_orders_are_listed_newest_first_as_a_collection(rzp: httpx.AsyncClient) -> None:
    made = [await order(rzp, 100 * (n + 1), receipt=f"receipt-{n % 2}") for n in range(4)]
    assert (await rzp.get("/v1/orders")).json() == {
        "entity": "collection", "count": 4, "items": made[::-1]}
    by_receipt = (await rzp.get("/v1/orders", params={"receipt": "receipt-1"})).json()
    assert by_receipt == {"entity": "collection", "count": 2, "items": [made[3], made[1]]}
    page = (await rzp.get("/v1/orders", params={"count": 2, "skip": 1})).json()
    assert (page["count"], page["items"]) == (2, [made[2], made[1]])
    assert (await rzp.get("/v1/orders", params={"receipt": "no-such"})).json() == {
        "entity": "collection", "count": 0, "items": []}
    assert (await rzp.get("/v1/orders", auth=httpx.Auth())).status_code == 401


async def test_listing_orders_takes_razorpays_filters(rzp: httpx.AsyncClient) -> None:
    made = [await order(rzp) for _ in range(12)]
    assert len((await rzp.get("/v1/orders")).json()["items"]) == 10  # the default count
    assert (await rzp.get("/v1/orders", params={"count": 100})).json()["count"] == 12
    paid = (await rzp.post("/_standin/checkout",
                           json={"order_id": made[5]["id"], "outcome": "authorized"})).json()
    authorized = (await rzp.get("/v1/orders", params={"authorized": 1})).json()
    assert [o["id"] for o in authorized["items"]] == [paid["razorpay_order_id"]]
    assert (await rzp.get("/v1/orders", params={"authorized": 0,
                                                "count": 100})).json()["count"] == 11
    expanded = (await rzp.get("/v1/orders", params={"authorized": 1,
                                                    "expand[]": "payments"})).json()
    payments = expanded["items"][0]["payments"]
    assert (payments["entity"], [p["id"] for p in payments["items"]]) == (
        "collection", [paid["razorpay_payment_id"]])
    created = made[0]["created_at"]
    window = (await rzp.get("/v1/orders", params={"from": created - 5, "to": created + 3600,
                                                  "count": 100})).json()
    assert window["count"] == 12
    assert (await rzp.get("/v1/orders", params={"to": created - 1})).json()["count"] == 0


@pytest.mark.parametrize(("params", "field", "description"), [
    ({"count": 101}, "count", "The count may not be greater than 100."),
    ({"count": 0}, "count", "The count must be at least 1."),
    ({"count": "ten"}, "count", "The count must be an integer."),
    ({"skip": -1}, "skip", "The skip must be at least 0."),
    ({"authorized": "yes"}, "authorized", "The selected authorized is invalid."),
])
async def test_a_bad_order_filter_is_refused_with_the_field(
        rzp: httpx.AsyncClient, params: dict[str, Any], field: str, description: str) -> None:
    invalid(await rzp.get("/v1/orders", params=params), field, description)
    unknown = await rzp.get("/v1/orders", params={"colour": "red"})
    assert (unknown.status_code, unknown.json()["error"]["reason"]) == (400, "extra_field_sent")


@pytest.mark.parametrize(("body", "field", "description"), [
    ({"currency": "INR"}, "amount", "The amount field is required."),
    ({"amount": 99, "currency": "INR"}, "amount", "The amount must be at least INR 1.00"),
    ({"amount": "500", "currency": "INR"}, "amount", "The amount must be an integer."),
    ({"amount": 500.5, "currency": "INR"}, "amount", "The amount must be an integer."),
    ({"amount": 500, "currency": "RUPEES"}, "currency", "The currency must be 3 characters."),
    ({"amount": 500, "currency": "INR", "receipt": "r" * 41}, "receipt",
     "The receipt may not be greater than 40 characters."),
])
async def test_an_invalid_order_is_refused_with_the_field(
        rzp: httpx.AsyncClient, body: dict[str, Any], field: str, description: str) -> None:
    invalid(await rzp.post("/v1/orders", json=body), field, description)


async def test_unknown_ids_and_routes_are_bad_requests(rzp: httpx.AsyncClient) -> None:
    missing = await rzp.get("/v1/payments/pay_00000000000000")
    assert missing.status_code == 400
    assert missing.json()["error"]["description"] == "The id provided does not exist"
    malformed = await rzp.get("/v1/orders/order_42")
    assert malformed.json()["error"]["description"] == "order_42 is not a valid id"
    route = await rzp.get("/v1/nothing-here")
    assert route.status_code == 400
    assert route.json()["error"]["description"] == "The requested URL was not found on the server."


async def test_captured_checkout_is_signed_with_the_key_secret(rzp: httpx.AsyncClient) -> None:
    o = await order(rzp)
    result = (await rzp.post("/_standin/checkout",
                             json={"order_id": o["id"], "outcome": "captured"})).json()
    assert set(result) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
    assert result["razorpay_order_id"] == o["id"]
    expected = sign(KEY_SECRET, f"{o['id']}|{result['razorpay_payment_id']}")
    assert hmac.compare_digest(result["razorpay_signature"], expected)
    assert result["razorpay_signature"] != sign(WEBHOOK_SECRET, f"{o['id']}|"
                                                f"{result['razorpay_payment_id']}")
    payment = (await rzp.get(f"/v1/payments/{result['razorpay_payment_id']}")).json()
    assert (payment["status"], payment["captured"], payment["order_id"], payment["amount"]) == (
        "captured", True, o["id"], 50000)
    assert payment["refund_status"] is None and payment["fee"] > payment["tax"] > 0
    after = (await rzp.get(f"/v1/orders/{o['id']}")).json()
    assert (after["status"], after["amount_paid"], after["amount_due"], after["attempts"]) == (
        "paid", 50000, 0, 1)
    listed = (await rzp.get(f"/v1/orders/{o['id']}/payments")).json()
    assert listed == {"entity": "collection", "count": 1, "items": [payment]}
    again = await rzp.post("/_standin/checkout", json={"order_id": o["id"], "outcome": "captured"})
    assert again.status_code == 409  # a paid order takes no further payment


async def test_failed_checkout_gives_checkouts_failure_shape(rzp: httpx.AsyncClient) -> None:
    o = await order(rzp)
    response = await rzp.post("/_standin/checkout", json={"order_id": o["id"], "outcome": "failed"})
    assert response.status_code == 200
    error = response.json()["error"]
    assert (error["code"], error["source"], error["step"], error["reason"]) == (
        "BAD_REQUEST_ERROR", "customer", "payment_authentication", "payment_failed")
    assert error["metadata"]["order_id"] == o["id"]
    payment = (await rzp.get(f"/v1/payments/{error['metadata']['payment_id']}")).json()
    assert (payment["status"], payment["error_reason"]) == ("failed", "payment_failed")
    after = (await rzp.get(f"/v1/orders/{o['id']}")).json()
    assert (after["status"], after["attempts"], after["amount_paid"]) == ("attempted", 1, 0)
    unknown = await rzp.post("/_standin/checkout",
                             json={"order_id": "order_00000000000000", "outcome": "failed"})
    assert unknown.status_code == 404


async def test_capture_takes_an_authorized_payment_for_its_exact_amount(
        rzp: httpx.AsyncClient) -> None:
    payment = await paid(rzp, "authorized")
    assert (payment["status"], payment["captured"]) == ("authorized", False)
    url = f"/v1/payments/{payment['id']}/capture"
    short = await rzp.post(url, json={"amount": 40000, "currency": "INR"})
    assert (short.status_code, short.json()["error"]["description"]) == (
        400, "Capture amount must be equal to the amount authorized")
    captured = await rzp.post(url, json={"amount": 50000, "currency": "INR"})
    assert captured.status_code == 200
    assert (captured.json()["status"], captured.json()["captured"]) == ("captured", True)
    order_after = (await rzp.get(f"/v1/orders/{payment['order_id']}")).json()
    assert (order_after["status"], order_after["amount_due"]) == ("paid", 0)
    twice = await rzp.post(url, json={"amount": 50000, "currency": "INR"})
    assert (twice.status_code, twice.json()["error"]["description"]) == (
        400, "This payment has already been captured")
    failed = await paid(rzp, "failed")
    refused = await rzp.post(f"/v1/payments/{failed['id']}/capture",
                             json={"amount": 50000, "currency": "INR"})
    assert refused.status_code == 400
    assert (await rzp.get(f"/v1/payments/{failed['id']}")).json()["status"] == "failed"
    # Two authorized attempts on one order: once one is captured, the other cannot be.
    o = await order(rzp)
    first, second = [(await rzp.post("/_standin/checkout", json={
        "order_id": o["id"], "outcome": "authorized"})).json()["razorpay_payment_id"]
        for _ in range(2)]
    capture = {"amount": 50000, "currency": "INR"}
    assert (await rzp.post(f"/v1/payments/{first}/capture", json=capture)).status_code == 200
    late = await rzp.post(f"/v1/payments/{second}/capture", json=capture)
    assert late.status_code == 400
    assert late.json()["error"]["description"].startswith("Your payment has been declined as "
                                                          "the order is already paid.")
    assert (await rzp.get(f"/v1/orders/{o['id']}")).json()["attempts"] == 2


async def test_refunds_add_up_to_the_captured_amount_and_no_more(rzp: httpx.AsyncClient) -> None:
    payment = await paid(rzp)
    url = f"/v1/payments/{payment['id']}/refund"
    first = (await rzp.post(url, json={"amount": 20000, "notes": {"reason": "seat"}})).json()
    assert re.fullmatch(r"rfnd_[A-Za-z0-9]{14}", first["id"])
    assert {k: first[k] for k in ("entity", "amount", "currency", "payment_id", "status",
                                  "acquirer_data", "batch_id", "speed_requested")} == {
        "entity": "refund", "amount": 20000, "currency": "INR", "payment_id": payment["id"],
        "status": "processed", "acquirer_data": {"arn": None}, "batch_id": None,
        "speed_requested": "normal"}
    p = (await rzp.get(f"/v1/payments/{payment['id']}")).json()
    assert (p["status"], p["amount_refunded"], p["refund_status"]) == ("captured", 20000,
                                                                       "partial")
    over = await rzp.post(url, json={"amount": 30001})
    assert (over.status_code, over.json()["error"]["description"]) == (
        400, "The refund amount provided is greater than amount captured")
    rest = (await rzp.post(url)).json()  # no amount: the rest of the payment
    assert rest["amount"] == 30000
    p = (await rzp.get(f"/v1/payments/{payment['id']}")).json()
    assert (p["status"], p["amount_refunded"], p["refund_status"]) == ("refunded", 50000, "full")
    done = await rzp.post(url, json={"amount": 100})
    assert done.json()["error"]["description"] == "The payment has been fully refunded already."
    listed = (await rzp.get(f"/v1/payments/{payment['id']}/refunds")).json()
    assert [r["id"] for r in listed["items"]] == [first["id"], rest["id"]]
    assert (await rzp.get(f"/v1/refunds/{rest['id']}")).json() == rest
    authorized = await paid(rzp, "authorized")
    early = await rzp.post(f"/v1/payments/{authorized['id']}/refund", json={"amount": 100})
    assert early.json()["error"]["description"] == (
        "The payment status should be captured for action to be taken")


async def test_a_refund_idempotency_key_never_refunds_twice(rzp: httpx.AsyncClient) -> None:
    payment = await paid(rzp)
    url = f"/v1/payments/{payment['id']}/refund"
    key = {"X-Refund-Idempotency": "refund-booking-42-1"}
    first = await rzp.post(url, json={"amount": 10000}, headers=key)
    retry = await rzp.post(url, json={"amount": 10000}, headers=key)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert (await rzp.get(f"/v1/payments/{payment['id']}")).json()["amount_refunded"] == 10000
    assert (await rzp.get(f"/v1/payments/{payment['id']}/refunds")).json()["count"] == 1
    other = await rzp.post(url, json={"amount": 20000}, headers=key)
    assert other.status_code == 409
    assert other.json()["error"] == {
        "code": "BAD_REQUEST_ERROR", "description": "Different request with the same "
        "idempotency key has already been processed.", "source": "NA", "step": "NA",
        "reason": "NA", "metadata": {}}
    short = await rzp.post(url, json={"amount": 100}, headers={"X-Refund-Idempotency": "k1"})
    assert short.status_code == 400
    fresh = await rzp.post(url, json={"amount": 10000},
                           headers={"X-Refund-Idempotency": "refund-booking-42-2"})
    assert fresh.json()["id"] != first.json()["id"]
    assert (await rzp.get(f"/v1/payments/{payment['id']}")).json()["amount_refunded"] == 20000


async def test_webhooks_are_stored_signed_over_their_raw_body(rzp: httpx.AsyncClient) -> None:
    payment = await paid(rzp)
    events = (await rzp.get("/_standin/webhooks")).json()
    assert [e["event"] for e in events] == ["payment.authorized", "payment.captured",
                                            "order.paid"]
    for event in events:
        assert re.fullmatch(r"evt_[A-Za-z0-9]{14}", event["id"])
        assert event["signature"] == sign(WEBHOOK_SECRET, event["body"])
        assert (event["deliveries"], event["last_status"]) == (0, None)  # manual: stored only
    assert len({e["id"] for e in events}) == 3
    authorized, captured, order_paid = (json.loads(e["body"]) for e in events)
    assert {k: captured[k] for k in ("entity", "event", "contains")} == {
        "entity": "event", "event": "payment.captured", "contains": ["payment"]}
    assert re.fullmatch(r"acc_[A-Za-z0-9]{14}", captured["account_id"])
    assert captured["payload"]["payment"]["entity"] == payment
    # Each payload is a snapshot of the moment: the payment was authorized at that point.
    assert authorized["payload"]["payment"]["entity"]["status"] == "authorized"
    assert order_paid["contains"] == ["payment", "order"]
    assert order_paid["payload"]["order"]["entity"]["status"] == "paid"
    await rzp.post(f"/v1/payments/{payment['id']}/refund", json={"amount": 500})
    refund_events = (await rzp.get("/_standin/webhooks")).json()[3:]
    assert [e["event"] for e in refund_events] == ["refund.created", "refund.processed"]
    assert json.loads(refund_events[0]["body"])["contains"] == ["refund", "payment"]


async def test_a_stored_event_is_delivered_on_demand_and_replayed() -> None:
    receiver = Receiver(statuses=[200, 500])
    hooks = receiver.client()
    rzp, _ = await standin(webhook_url=RECEIVER, deliver="manual", client=hooks)
    async with rzp, hooks:
        await paid(rzp, "failed")
        [event] = (await rzp.get("/_standin/webhooks")).json()
        assert receiver.requests == []
        url = f"/_standin/webhooks/{event['id']}/deliver"
        assert (await rzp.post(url)).json() == {"status": 200}
        headers, body = receiver.requests[0]
        assert body.decode() == event["body"]
        assert headers["x-razorpay-event-id"] == event["id"]
        assert headers["x-razorpay-signature"] == sign(WEBHOOK_SECRET, body.decode())
        assert headers["content-type"] == "application/json"
        assert (await rzp.post(url)).json() == {"status": 500}  # our answer, passed through
        assert receiver.requests[1][1] == body  # a replay is byte for byte the same event
        [listed] = (await rzp.get("/_standin/webhooks")).json()
        assert (listed["deliveries"], listed["last_status"]) == (2, 500)


async def test_auto_delivery_keeps_order_and_retries_until_accepted() -> None:
    receiver = Receiver(statuses=[503, 500])
    hooks = receiver.client()
    rzp, rp = await standin(webhook_url=RECEIVER, client=hooks)
    async with rzp, hooks:
        await paid(rzp)
        await rp.flush()
        names = [json.loads(body)["event"] for _, body in receiver.requests]
        assert names == ["payment.authorized"] * 3 + ["payment.captured", "order.paid"]
        events = (await rzp.get("/_standin/webhooks")).json()
        assert [(e["deliveries"], e["last_status"]) for e in events] == [(3, 200), (1, 200),
                                                                         (1, 200)]
        await rzp.post("/_standin/config", json={"deliver": "manual"})
        await paid(rzp, "failed")
        await rp.flush()
        assert len(receiver.requests) == 5  # manual now: stored, not sent
        await rp.close()  # no lifespan under ASGITransport: stop the delivery worker here


async def test_a_pending_refund_moves_on_from_the_dashboard() -> None:
    rzp, _ = await standin(deliver="manual", refund_status="pending")
    async with rzp:
        payment = await paid(rzp)
        url = f"/v1/payments/{payment['id']}/refund"
        kept = (await rzp.post(url, json={"amount": 10000})).json()
        lost = (await rzp.post(url, json={"amount": 5000})).json()
        assert kept["status"] == lost["status"] == "pending"
        processed = await rzp.post(f"/_standin/refunds/{kept['id']}/process",
                                   json={"status": "processed"})
        assert processed.json()["status"] == "processed"
        failed = await rzp.post(f"/_standin/refunds/{lost['id']}/process",
                                json={"status": "failed"})
        assert failed.json()["status"] == "failed"
        again = await rzp.post(f"/_standin/refunds/{lost['id']}/process",
                               json={"status": "processed"})
        assert again.status_code == 409
        p = (await rzp.get(f"/v1/payments/{payment['id']}")).json()
        assert (p["amount_refunded"], p["refund_status"]) == (10000, "partial")
        names = [e["event"] for e in (await rzp.get("/_standin/webhooks")).json()[3:]]
        assert names == ["refund.created", "refund.created", "refund.processed",
                         "refund.failed"]


# --- payment methods and the Card Fingerprints API -----------------------------------------

VISA, MASTERCARD, RUPAY = "4111111111111111", "5104015555555558", "6074820000000003"


async def save_card(rzp: httpx.AsyncClient, number: str) -> str:
    response = await rzp.post("/_standin/tokens", json={"number": number})
    assert response.status_code == 200, response.text
    token = response.json()
    assert re.fullmatch(r"token_[A-Za-z0-9]{14}", token["id"]), token
    return str(token["id"])


async def pay_with(rzp: httpx.AsyncClient, **method: Any) -> dict[str, Any]:
    """Checkout (captured) of a new order with ``method``: the payment entity."""
    o = await order(rzp)
    result = await rzp.post("/_standin/checkout",
                            json={"order_id": o["id"], "outcome": "captured", **method})
    assert result.status_code == 200, result.text
    return dict((await rzp.get(f"/v1/payments/{result.json()['razorpay_payment_id']}")).json())


async def fingerprint(rzp: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await rzp.post("/v1/cards/fingerprints", json=body)


async def test_payments_carry_their_method_and_its_fields(rzp: httpx.AsyncClient) -> None:
    token = await save_card(rzp, VISA)
    typed = await pay_with(rzp, number=VISA)
    saved = await pay_with(rzp, method="card", token_id=token)
    upi = await pay_with(rzp, method="upi", vpa="Buyer.One@okbank")
    bank = await pay_with(rzp, method="netbanking", bank="SBIN")
    plain = await pay_with(rzp)

    def fields(p: dict[str, Any]) -> tuple[Any, ...]:
        return (p["method"], p["token_id"], p["vpa"], p["bank"], p["wallet"])

    assert [fields(p) for p in (typed, saved, upi, bank, plain)] == [
        ("card", None, None, None, None), ("card", token, None, None, None),
        ("upi", None, "Buyer.One@okbank", None, None), ("netbanking", None, None, "SBIN", None),
        ("card", None, None, None, None)]
    # A card record per payment, even for the same saved card; none for other methods.
    again = await pay_with(rzp, method="card", token_id=token)
    assert all(re.fullmatch(r"card_[A-Za-z0-9]{14}", p["card_id"])
               for p in (typed, saved, plain, again))
    assert again["card_id"] != saved["card_id"]
    assert upi["card_id"] is None and bank["card_id"] is None
    o = await order(rzp)
    for wrong in ({"method": "upi"}, {"method": "upi", "vpa": "no-handle"},
                  {"method": "card", "token_id": "token_00000000000000"},
                  {"method": "card", "number": "1234"}, {"method": "wallet"}):
        refused = await rzp.post("/_standin/checkout",
                                 json={"order_id": o["id"], "outcome": "captured", **wrong})
        assert refused.status_code == 422, (wrong, refused.text)
    assert (await rzp.get(f"/v1/orders/{o['id']}")).json()["attempts"] == 0


async def test_every_token_of_one_card_has_the_cards_par(rzp: httpx.AsyncClient) -> None:
    first, second = await save_card(rzp, VISA), await save_card(rzp, VISA)
    other = await save_card(rzp, MASTERCARD)
    assert first != second
    answers = [await fingerprint(rzp, {"token": t}) for t in (first, second, other)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    one, two, three = (a.json() for a in answers)
    assert set(one) == {"network", "payment_account_reference", "network_reference_id"}
    assert (one["network"], three["network"]) == ("Visa", "Mastercard")
    assert re.fullmatch(r"[A-Z0-9]{29}", one["payment_account_reference"])
    assert one == two != three
    assert one["network_reference_id"] is None and three["network_reference_id"] is None
    by_number = await fingerprint(rzp, {"number": VISA, "tokenised": False})
    assert by_number.json() == one
    # RuPay: no PAR, a network reference id of 36 characters.
    rupay = await save_card(rzp, RUPAY)
    answer = (await fingerprint(rzp, {"token": rupay})).json()
    assert (answer["network"], answer["payment_account_reference"]) == ("RuPay", None)
    assert len(answer["network_reference_id"]) == 36
    assert answer == (await fingerprint(rzp, {"token": await save_card(rzp, RUPAY)})).json()


async def test_card_fingerprints_refuses_bad_requests_like_razorpay(
        rzp: httpx.AsyncClient) -> None:
    token = await save_card(rzp, VISA)
    cases = [({}, "token"), ({"token": token, "number": VISA}, "token"),
             ({"token": "token_42"}, "token"), ({"token": "token_00000000000000"}, "token"),
             ({"number": "12ab"}, "number"), ({"number": "9111111111111111"}, "number"),
             ({"number": VISA, "tokenised": "yes"}, "tokenised"),
             ({"token": token, "cvv": 1}, "cvv")]
    for body, field in cases:
        answer = await fingerprint(rzp, body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["error"]["field"] == field, (body, answer.json())
    anonymous = await rzp.post("/v1/cards/fingerprints", json={"token": token}, auth=httpx.Auth())
    assert anonymous.status_code == 401


async def test_card_fingerprints_can_be_switched_off_as_an_on_demand_feature(
        rzp: httpx.AsyncClient) -> None:
    token = await save_card(rzp, VISA)
    assert (await fingerprint(rzp, {"token": token})).status_code == 200
    config = await rzp.post("/_standin/config", json={"card_fingerprints": False})
    assert config.json()["card_fingerprints"] is False
    off = await fingerprint(rzp, {"token": token})
    assert off.status_code == 400
    assert off.json() == {"error": {
        "code": "BAD_REQUEST_ERROR", "source": "NA", "step": "NA", "reason": "NA",
        "description": "The requested URL was not found on the server.", "metadata": {}}}
    assert (await rzp.post("/_standin/config", json={"card_fingerprints": "no"})).status_code == 422
    await rzp.post("/_standin/config", json={"card_fingerprints": True})
    assert (await fingerprint(rzp, {"token": token})).status_code == 200
