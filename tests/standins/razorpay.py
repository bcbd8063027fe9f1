"""A local stand-in for Razorpay's REST API and webhooks, so tests never need api.razorpay.com.

Faithful to Razorpay (checked against razorpay.com/docs/api and razorpay/markdown-docs):
- HTTP Basic auth with key_id:key_secret on every /v1 route; a failure is a 401 error body.
- Order, payment and refund entities with Razorpay's field names and id shapes
  (``order_``/``pay_``/``rfnd_`` + 14 alphanumerics), ``{"entity": "collection"}`` lists, and
  empty ``notes`` rendered as ``[]`` (Razorpay's PHP heritage, visible in its own samples).
- The error body ``{"error": {code, description, source, step, reason, metadata[, field]}}``,
  HTTP 400 for business and validation errors, with Razorpay's own descriptions.
- ``GET /v1/orders`` lists orders newest first, ``count`` (default 10, at most 100) after
  ``skip``, filtered by ``from``/``to``, ``receipt`` and ``authorized``, with
  ``expand[]=payments``; a filter it does not know is refused like an extra field.
- Capture only of authorized payments for exactly the authorized amount; refunds only of
  captured payments, never above the captured amount; ``X-Refund-Idempotency`` (10+ chars of
  ``[A-Za-z0-9_-]``) replays the same refund, and a different body with a used key is a 409.
- Checkout's success handler result with ``razorpay_signature`` = hex HMAC-SHA256 of
  ``order_id|payment_id`` keyed with key_secret; its failure shape with ``metadata``.
- Payments carry their ``method``: ``card`` (a new ``card_id`` per payment, as Razorpay makes
  a card record per payment; ``token_id`` when paid with a saved card), ``upi`` (the payer's
  ``vpa``) or ``netbanking`` (``bank``); the fields of other methods are null.
- ``POST /v1/cards/fingerprints`` (the Card Fingerprints API, an on-demand feature): body
  ``{"token": "token_..."}`` or ``{"number": "...", "tokenised": bool}``, answer
  ``{"network", "payment_account_reference", "network_reference_id"}``. One card number has
  one PAR (29 characters) whichever of its tokens is asked; RuPay cards have a null PAR and a
  36-character network reference id; Visa and Mastercard a null network reference id.
- Webhooks: ``{"entity": "event", "account_id", "event", "contains", "payload", "created_at"}``,
  each payload entity a snapshot taken when the event happened, signed with hex HMAC-SHA256
  of the raw body (``X-Razorpay-Signature``) and identified by ``X-Razorpay-Event-Id``.

Ours, not Razorpay's:
- ``/_standin/*`` routes (no auth) stand in for the customer's browser and the dashboard.
- Webhooks go out in creation order, one at a time, with a short backoff (seconds, not the
  24 hours Razorpay retries for); events carry an ``evt_`` id generated here.
- Placeholder customer details; the fee is 2 % (GST included); a failed refund returns its
  amount to the refundable balance.
- The customer pays (``POST /_standin/checkout``) with ``method`` ``card`` (the default: a
  ``number`` typed in, or a ``token_id`` saved before with ``POST /_standin/tokens``),
  ``upi`` (a ``vpa``) or ``netbanking`` (a ``bank``). A card's network is its first digit
  (4 Visa, 2 and 5 Mastercard, 6 and 8 RuPay); PARs and network reference ids are derived
  from the number here (a keyed hash), not issued by a network.
- ``POST /_standin/config`` ``{"card_fingerprints": false}`` turns the Card Fingerprints
  feature off; its route then answers as Razorpay answers a route the account does not have
  (400, "The requested URL was not found on the server."; Razorpay documents no wording of
  its own for a feature that is not enabled).
- Amounts are in the currency's ISO 4217 subunits, at least one whole unit (INR 1.00 as
  Razorpay documents; KWD 1.000 and JPY 1 are ours); three-decimal amounts must end in 0,
  as Razorpay documents (its error wording for that is ours).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import copy
import hashlib
import hmac
import json
import logging
import re
import secrets
import string
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from subgraphs.kernel.l10n import digits, major

Entity = dict[str, Any]

ALPHANUMERIC = string.ascii_letters + string.digits
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]+")
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0)  # ten tries in all
ORDER_FIELDS = {"amount", "currency", "receipt", "notes", "partial_payment",
                "first_payment_min_amount", "payment_capture"}
ORDER_FILTERS = {"from", "to", "count", "skip", "authorized", "receipt", "expand[]"}
METHODS = ("card", "upi", "netbanking")
NETWORKS = {"4": "Visa", "2": "Mastercard", "5": "Mastercard", "6": "RuPay", "8": "RuPay"}
VPA = re.compile(r"[A-Za-z0-9.\-_]{2,256}@[A-Za-z]{2,64}")
NOT_FOUND = "The requested URL was not found on the server."
DELIVER_MODES = ("auto", "manual")
REFUND_STATUSES = ("processed", "pending")

log = logging.getLogger("razorpay-standin")


def new_id(prefix: str) -> str:
    """A Razorpay-shaped id: the entity prefix, an underscore and 14 alphanumerics."""
    return f"{prefix}_" + "".join(secrets.choice(ALPHANUMERIC) for _ in range(14))


def hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


class RazorpayError(Exception):
    """An error Razorpay would answer with; rendered as its ``{"error": {...}}`` body."""

    def __init__(self, description: str, *, status: int = 400, field: str | None = None,
                 source: str = "NA", step: str = "NA", reason: str = "NA") -> None:
        super().__init__(description)
        self.status = status
        self.error: Entity = {"code": "BAD_REQUEST_ERROR", "description": description,
                              "source": source, "step": step, "reason": reason, "metadata": {}}
        if field is not None:
            self.error["field"] = field


def invalid(description: str, field: str | None = None) -> RazorpayError:
    """A request Razorpay rejects while validating it (the merchant's mistake)."""
    return RazorpayError(description, field=field, source="business",
                         step="payment_initiation", reason="input_validation_failed")


def check_amount(body: Entity, currency: str, *, required: bool = True) -> int | None:
    amount = body.get("amount")
    if amount is None:
        if required:
            raise invalid("The amount field is required.", "amount")
        return None
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise invalid("The amount must be an integer.", "amount")
    places = digits(currency)
    if amount < 10 ** places:
        raise invalid(f"The amount must be at least {currency} {major(10 ** places, currency)}",
                      "amount")
    if places == 3 and amount % 10:
        raise invalid("The amount of a three decimal currency must end in 0.", "amount")
    return amount


def reject_extra(body: Entity, allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise RazorpayError(f"{', '.join(extra)} is/are not required and should not be sent",
                            field=extra[0], source="business", step="payment_initiation",
                            reason="extra_field_sent")


async def json_body(request: Request) -> Entity:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def card_network(number: str) -> str:
    """The stand-in's card networks, by first digit; ``ValueError`` for any other number."""
    if not re.fullmatch(r"[0-9]{12,19}", number) or number[0] not in NETWORKS:
        raise ValueError("The card number is invalid.")
    return NETWORKS[number[0]]


def collection(items: list[Entity]) -> Entity:
    return {"entity": "collection", "count": len(items), "items": items}


@dataclass
class WebhookEvent:
    id: str
    event: str
    body: str  # serialised once: the signature covers exactly these bytes
    signature: str
    deliveries: int = 0
    last_status: int | None = None


class RazorpayStandIn:
    """In-memory state (orders, payments, refunds, webhook events) and Razorpay's rules."""

    def __init__(self, key_id: str, key_secret: str, webhook_secret: str,
                 webhook_url: str | None, deliver: str, refund_status: str,
                 client: httpx.AsyncClient | None) -> None:
        self.key_id, self.key_secret, self.webhook_secret = key_id, key_secret, webhook_secret
        self.webhook_url, self.deliver, self.refund_status = webhook_url, deliver, refund_status
        self.account_id = new_id("acc")
        self.orders: dict[str, Entity] = {}
        self.payments: dict[str, Entity] = {}
        self.refunds: dict[str, Entity] = {}
        self.events: list[WebhookEvent] = []
        self.idempotency: dict[str, tuple[str, str]] = {}  # key -> (request fingerprint, refund)
        self.tokens: dict[str, str] = {}  # saved cards: token id -> card number
        self.card_fingerprints = True  # the on-demand Card Fingerprints feature
        self._card_key = secrets.token_bytes(16)  # PARs are derived from card numbers with it
        self._client, self._owns_client = client, client is None
        self._queue: asyncio.Queue[WebhookEvent] | None = None
        self._worker: asyncio.Task[None] | None = None

    def find(self, table: dict[str, Entity], prefix: str, entity_id: str) -> Entity:
        if not re.fullmatch(rf"{prefix}_[A-Za-z0-9]{{14}}", entity_id):
            raise invalid(f"{entity_id} is not a valid id")
        if entity_id not in table:
            raise invalid("The id provided does not exist")
        return table[entity_id]

    def check_auth(self, request: Request) -> None:
        """Basic auth, strictly: Razorpay refuses "basic ..." and quoted tokens too."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            given = base64.b64decode(token, validate=True)
        except binascii.Error:
            given = b""
        expected = f"{self.key_id}:{self.key_secret}".encode()
        if scheme != "Basic" or not hmac.compare_digest(given, expected):
            raise RazorpayError("Authentication failed", status=401)

    def create_order(self, body: Entity) -> Entity:
        reject_extra(body, ORDER_FIELDS)
        currency = body.get("currency")
        if currency is None:
            raise invalid("The currency field is required.", "currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            raise invalid("The currency must be 3 characters.", "currency")
        amount = check_amount(body, currency)
        receipt = body.get("receipt")
        if receipt is not None and (not isinstance(receipt, str) or len(receipt) > 40):
            raise invalid("The receipt may not be greater than 40 characters.", "receipt")
        notes = body.get("notes") or {}
        if not isinstance(notes, dict) or len(notes) > 15:
            raise invalid("The notes must be an object of at most 15 keys.", "notes")
        order: Entity = {
            "id": new_id("order"), "entity": "order", "amount": amount, "amount_paid": 0,
            "amount_due": amount, "currency": currency, "receipt": receipt, "offer_id": None,
            "status": "created", "attempts": 0, "notes": notes or [],
            "created_at": int(time.time())}
        self.orders[order["id"]] = order
        return order

    def list_orders(self, query: dict[str, list[str]]) -> Entity:
        """``GET /v1/orders``: newest first, ``count`` (1-100, default 10) after ``skip``,
        filtered by ``from``/``to`` (created_at, inclusive), ``receipt`` and ``authorized``."""
        reject_extra(query, ORDER_FILTERS)
        if any(len(values) > 1 for name, values in query.items() if name != "expand[]"):
            raise invalid("Each filter may be given once.")
        given = {name: values[0] for name, values in query.items() if name != "expand[]"}

        def integer(name: str, default: int, low: int, high: int | None = None) -> int:
            raw = given.get(name)
            if raw is None:
                return default
            if not re.fullmatch(r"-?[0-9]+", raw):
                raise invalid(f"The {name} must be an integer.", name)
            value = int(raw)
            if value < low:
                raise invalid(f"The {name} must be at least {low}.", name)
            if high is not None and value > high:
                raise invalid(f"The {name} may not be greater than {high}.", name)
            return value

        count, skip = integer("count", 10, 1, 100), integer("skip", 0, 0)
        since, until = integer("from", 0, 0), integer("to", 2**63 - 1, 0)
        authorized = given.get("authorized")
        if authorized not in (None, "0", "1"):
            raise invalid("The selected authorized is invalid.", "authorized")
        expand = query.get("expand[]", [])
        if any(e != "payments" for e in expand):
            raise invalid("The selected expand is invalid.", "expand")

        def paid_for(order: Entity) -> bool:
            return any(p["order_id"] == order["id"] and p["status"] != "failed"
                       for p in self.payments.values())

        # Newest first; orders of the same second in reverse order of creation.
        found = [o for o in sorted(reversed(self.orders.values()),
                                   key=lambda o: o["created_at"], reverse=True)
                 if since <= o["created_at"] <= until
                 and ("receipt" not in given or o["receipt"] == given["receipt"])
                 and (authorized is None or paid_for(o) == (authorized == "1"))]
        page = [copy.deepcopy(o) for o in found[skip:skip + count]]
        if expand:
            for o in page:
                o["payments"] = collection([p for p in self.payments.values()
                                            if p["order_id"] == o["id"]])
        return collection(page)

    def new_payment(self, order: Entity, status: str, paid_with: Entity | None = None) -> Entity:
        paid_with = paid_with or {"method": "card", "card_id": new_id("card"), "token_id": None}
        payment: Entity = {
            "id": new_id("pay"), "entity": "payment", "amount": order["amount"],
            "currency": order["currency"], "status": status, "order_id": order["id"],
            "invoice_id": None, "international": False, "method": "card", "amount_refunded": 0,
            "refund_status": None, "captured": False, "description": None,
            "card_id": None, "token_id": None, "bank": None, "wallet": None, "vpa": None,
            "email": "customer@example.com", "contact": "+919000090000",
            "notes": copy.deepcopy(order["notes"]), "fee": None, "tax": None,
            "error_code": None, "error_description": None, "error_source": None,
            "error_step": None, "error_reason": None,
            "acquirer_data": {"auth_code": f"{secrets.randbelow(10**6):06d}"},
            "created_at": int(time.time())}
        payment.update(paid_with)
        self.payments[payment["id"]] = payment
        order["attempts"] += 1
        if order["status"] == "created":
            order["status"] = "attempted"
        return payment

    def capture(self, payment: Entity) -> None:
        fee = payment["amount"] * 2 // 100
        payment.update(status="captured", captured=True, fee=fee, tax=fee * 18 // 118)
        order = self.orders[payment["order_id"]]
        order.update(amount_paid=payment["amount"], status="paid",
                     amount_due=order["amount"] - payment["amount"])
        self.emit("payment.captured", payment=payment)
        self.emit("order.paid", payment=payment, order=order)

    def paid_with(self, body: Entity) -> Entity:
        """The payment entity's method fields for what the customer chose in Checkout."""
        method = body.get("method", "card")
        if method == "card":
            token = body.get("token_id")
            if token is not None and token not in self.tokens:
                raise ValueError("no such saved card")
            if token is None:
                card_network(str(body.get("number", "4111111111111111")))
            return {"method": "card", "card_id": new_id("card"), "token_id": token}
        if method == "upi":
            vpa = body.get("vpa")
            if not isinstance(vpa, str) or not VPA.fullmatch(vpa):
                raise ValueError("upi needs a vpa such as someone@okbank")
            return {"method": "upi", "vpa": vpa}
        if method == "netbanking":
            return {"method": "netbanking", "bank": str(body.get("bank", "HDFC"))}
        raise ValueError(f"method must be one of {', '.join(METHODS)}")

    def save_card(self, number: str) -> Entity:
        """A card the customer saved with Razorpay (a token of its own each time)."""
        network = card_network(number)
        token = new_id("token")
        self.tokens[token] = number
        return {"id": token, "entity": "token", "method": "card",
                "card": {"network": network, "last4": number[-4:]}}

    def fingerprint(self, body: Entity) -> Entity:
        """``POST /v1/cards/fingerprints``: the card's network references."""
        if not self.card_fingerprints:
            raise RazorpayError(NOT_FOUND)
        reject_extra(body, {"token", "number", "tokenised"})
        token, number = body.get("token"), body.get("number")
        if (token is None) == (number is None):
            raise invalid("Either token or number should be sent.", "token")
        if token is not None:
            if not isinstance(token, str) or not re.fullmatch(r"token_[A-Za-z0-9]{14}", token):
                raise invalid(f"{token} is not a valid id", "token")
            if token not in self.tokens:
                raise invalid("The id provided does not exist", "token")
            number = self.tokens[token]
        elif not isinstance(number, str) or not re.fullmatch(r"[0-9]{12,19}", number):
            raise invalid("The number must be a card number.", "number")
        if not isinstance(body.get("tokenised", False), bool):
            raise invalid("The tokenised field must be true or false.", "tokenised")
        try:
            network = card_network(number)
        except ValueError as exc:
            raise invalid(str(exc), "number") from exc
        digest = hmac.new(self._card_key, number.encode(), hashlib.sha256).digest()
        if network == "RuPay":
            reference = base64.b32encode(digest).decode().lower()[:36]
            return {"network": network, "payment_account_reference": None,
                    "network_reference_id": reference}
        par = "5001" + base64.b32encode(digest).decode()[:25]
        return {"network": network, "payment_account_reference": par,
                "network_reference_id": None}

    def checkout(self, order: Entity, outcome: str, paid_with: Entity | None = None) -> Entity:
        if outcome == "failed":
            description = "Your payment didn't go through as it was declined by the bank."
            payment = self.new_payment(order, "failed", paid_with)
            payment.update(error_code="BAD_REQUEST_ERROR", error_description=description,
                           error_source="customer", error_step="payment_authentication",
                           error_reason="payment_failed")
            self.emit("payment.failed", payment=payment)
            return {"error": {"code": "BAD_REQUEST_ERROR", "description": description,
                              "source": "customer", "step": "payment_authentication",
                              "reason": "payment_failed",
                              "metadata": {"payment_id": payment["id"],
                                           "order_id": order["id"]}}}
        payment = self.new_payment(order, "authorized", paid_with)
        self.emit("payment.authorized", payment=payment)
        if outcome == "captured":
            self.capture(payment)
        return {"razorpay_payment_id": payment["id"], "razorpay_order_id": order["id"],
                "razorpay_signature": hmac_hex(self.key_secret, f"{order['id']}|{payment['id']}")}

    def capture_via_api(self, payment: Entity, body: Entity) -> Entity:
        reject_extra(body, {"amount", "currency"})
        amount = check_amount(body, payment["currency"])
        if body.get("currency") is None:
            raise invalid("The currency field is required.", "currency")
        if payment["status"] in ("captured", "refunded"):
            raise RazorpayError("This payment has already been captured")
        if payment["status"] != "authorized":
            raise RazorpayError("Only payments which have been authorized and not yet "
                                "captured can be captured")
        if self.orders[payment["order_id"]]["status"] == "paid":  # another payment paid it
            raise RazorpayError("Your payment has been declined as the order is already paid. "
                                "Please initiate the payment with a new order.")
        if amount != payment["amount"]:
            raise invalid("Capture amount must be equal to the amount authorized", "amount")
        if body["currency"] != payment["currency"]:
            raise invalid("Currency should be same as payment currency", "currency")
        self.capture(payment)
        return payment

    def refund(self, payment: Entity, body: Entity, key: str | None) -> Entity:
        fingerprint = json.dumps([payment["id"], body], sort_keys=True)
        if key is not None:
            if len(key) < 10:
                raise RazorpayError("The idempotency key must be at least 10 characters long.")
            if not IDEMPOTENCY_KEY.fullmatch(key):
                raise RazorpayError("The idempotency key must only contain alphanumeric "
                                    "characters, underscores, and hyphens")
            if key in self.idempotency:
                seen, refund_id = self.idempotency[key]
                if seen != fingerprint:
                    raise RazorpayError("Different request with the same idempotency key has "
                                        "already been processed.", status=409)
                return self.refunds[refund_id]
        reject_extra(body, {"amount", "speed", "notes", "receipt"})
        if payment["status"] not in ("captured", "refunded"):
            raise RazorpayError("The payment status should be captured for action to be taken")
        left = payment["amount"] - payment["amount_refunded"]
        if left == 0:
            raise RazorpayError("The payment has been fully refunded already.")
        amount = check_amount(body, payment["currency"], required=False) or left
        if amount > left:
            raise invalid("The refund amount provided is greater than amount captured", "amount")
        speed = body.get("speed", "normal")
        if speed not in ("normal", "optimum"):
            raise invalid("The selected speed is invalid.", "speed")
        refund: Entity = {
            "id": new_id("rfnd"), "entity": "refund", "amount": amount,
            "currency": payment["currency"], "payment_id": payment["id"],
            "notes": body.get("notes") or [], "receipt": body.get("receipt"),
            "acquirer_data": {"arn": None}, "created_at": int(time.time()), "batch_id": None,
            "status": self.refund_status, "speed_processed": "normal", "speed_requested": speed}
        self.refunds[refund["id"]] = refund
        if key is not None:
            self.idempotency[key] = (fingerprint, refund["id"])
        self.move_refunded(payment, amount)
        self.emit("refund.created", refund=refund, payment=payment)
        if refund["status"] == "processed":
            self.emit("refund.processed", refund=refund, payment=payment)
        return refund

    def move_refunded(self, payment: Entity, delta: int) -> None:
        payment["amount_refunded"] += delta
        full = payment["amount_refunded"] == payment["amount"]
        payment["refund_status"] = ("full" if full else "partial"
                                    ) if payment["amount_refunded"] else None
        payment["status"] = "refunded" if full else "captured"

    def settle_refund(self, refund: Entity, status: str) -> Entity:
        payment = self.payments[refund["payment_id"]]
        refund["status"] = status
        if status == "processed":
            refund["acquirer_data"] = {"arn": "".join(secrets.choice(string.digits)
                                                      for _ in range(23))}
        else:
            self.move_refunded(payment, -refund["amount"])
        self.emit(f"refund.{status}", refund=refund, payment=payment)
        return refund

    def emit(self, name: str, **entities: Entity) -> WebhookEvent:
        """Record an event with snapshots of the entities as they are now."""
        body = json.dumps({"entity": "event", "account_id": self.account_id, "event": name,
                           "contains": list(entities),
                           "payload": {kind: {"entity": e} for kind, e in entities.items()},
                           "created_at": int(time.time())}, separators=(",", ":"))
        event = WebhookEvent(new_id("evt"), name, body, hmac_hex(self.webhook_secret, body))
        self.events.append(event)
        if self.deliver == "auto" and self.webhook_url:
            if self._queue is None:
                self._queue = asyncio.Queue()
                self._worker = asyncio.get_running_loop().create_task(self._deliver_all())
            self._queue.put_nowait(event)
        return event

    async def post(self, event: WebhookEvent) -> int | None:
        """One delivery attempt; the receiver's HTTP status, or None if it was unreachable."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        headers = {"Content-Type": "application/json", "X-Razorpay-Signature": event.signature,
                   "X-Razorpay-Event-Id": event.id}
        event.deliveries += 1
        try:
            response = await self._client.post(str(self.webhook_url), content=event.body,
                                               headers=headers)
        except httpx.HTTPError as exc:
            log.warning("webhook %s (%s) not delivered: %r", event.id, event.event, exc)
            return None
        event.last_status = response.status_code
        return response.status_code

    async def _deliver_all(self) -> None:
        assert self._queue is not None
        while True:
            event = await self._queue.get()
            try:
                for delay in (0.0, *RETRY_DELAYS):
                    await asyncio.sleep(delay)
                    if self.deliver != "auto" or not self.webhook_url:
                        break
                    status = await self.post(event)
                    if status is not None and 200 <= status < 300:
                        break
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        """Wait until every automatically delivered event has been delivered or given up."""
        if self._queue is not None:
            await self._queue.join()

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        if self._owns_client and self._client is not None:
            await self._client.aclose()


def api_routes(rp: RazorpayStandIn) -> APIRouter:
    """Razorpay's own endpoints, all behind Basic auth."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(rp.check_auth)])

    @router.post("/orders")
    async def create_order(request: Request) -> Entity:
        return rp.create_order(await json_body(request))

    @router.get("/orders")
    async def list_orders(request: Request) -> Entity:
        query: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            query.setdefault(name, []).append(value)
        return rp.list_orders(query)

    @router.get("/orders/{order_id}")
    async def fetch_order(order_id: str) -> Entity:
        return rp.find(rp.orders, "order", order_id)

    @router.get("/orders/{order_id}/payments")
    async def order_payments(order_id: str) -> Entity:
        rp.find(rp.orders, "order", order_id)
        return collection([p for p in rp.payments.values() if p["order_id"] == order_id])

    @router.get("/payments/{payment_id}")
    async def fetch_payment(payment_id: str) -> Entity:
        return rp.find(rp.payments, "pay", payment_id)

    @router.post("/payments/{payment_id}/capture")
    async def capture(payment_id: str, request: Request) -> Entity:
        payment = rp.find(rp.payments, "pay", payment_id)
        return rp.capture_via_api(payment, await json_body(request))

    @router.post("/payments/{payment_id}/refund")
    async def refund(payment_id: str, request: Request) -> Entity:
        payment = rp.find(rp.payments, "pay", payment_id)
        return rp.refund(payment, await json_body(request),
                         request.headers.get("x-refund-idempotency"))

    @router.get("/payments/{payment_id}/refunds")
    async def payment_refunds(payment_id: str) -> Entity:
        rp.find(rp.payments, "pay", payment_id)
        return collection([r for r in rp.refunds.values() if r["payment_id"] == payment_id])

    @router.get("/refunds/{refund_id}")
    async def fetch_refund(refund_id: str) -> Entity:
        return rp.find(rp.refunds, "rfnd", refund_id)

    @router.post("/cards/fingerprints")
    async def card_fingerprint(request: Request) -> Entity:
        return rp.fingerprint(await json_body(request))

    return router


def control_routes(rp: RazorpayStandIn) -> APIRouter:
    """Ours: the customer's browser and the dashboard, for tests to drive (no auth)."""
    router = APIRouter(prefix="/_standin")

    def problem(status: int, detail: str) -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=status)

    @router.post("/checkout", response_model=None)
    async def checkout(request: Request) -> Entity | JSONResponse:
        body = await json_body(request)
        order = rp.orders.get(str(body.get("order_id")))
        if order is None:
            return problem(404, "no such order")
        if body.get("outcome") not in ("captured", "authorized", "failed"):
            return problem(422, "outcome must be captured, authorized or failed")
        if order["status"] == "paid":
            return problem(409, "the order is already paid")
        try:
            paid_with = rp.paid_with(body)
        except ValueError as exc:
            return problem(422, str(exc))
        return rp.checkout(order, body["outcome"], paid_with)

    @router.post("/tokens", response_model=None)
    async def save_card(request: Request) -> Entity | JSONResponse:
        try:
            return rp.save_card(str((await json_body(request)).get("number", "")))
        except ValueError as exc:
            return problem(422, str(exc))

    @router.post("/refunds/{refund_id}/process", response_model=None)
    async def process_refund(refund_id: str, request: Request) -> Entity | JSONResponse:
        status = (await json_body(request)).get("status")
        refund = rp.refunds.get(refund_id)
        if refund is None:
            return problem(404, "no such refund")
        if status not in ("processed", "failed") or refund["status"] != "pending":
            return problem(409, "only a pending refund moves on, to processed or failed")
        return rp.settle_refund(refund, status)

    @router.get("/webhooks")
    async def webhooks() -> list[Entity]:
        return [asdict(event) for event in rp.events]

    @router.post("/webhooks/{event_id}/deliver", response_model=None)
    async def deliver(event_id: str) -> Entity | JSONResponse:
        event = next((e for e in rp.events if e.id == event_id), None)
        if event is None:
            return problem(404, "no such event")
        if not rp.webhook_url:
            return problem(409, "no webhook_url is configured")
        status = await rp.post(event)
        return {"status": status} if status is not None else problem(502, "unreachable")

    @router.post("/config", response_model=None)
    async def config(request: Request) -> Entity | JSONResponse:
        body = await json_body(request)
        if body.get("deliver", rp.deliver) not in DELIVER_MODES:
            return problem(422, "deliver must be auto or manual")
        if body.get("refund_status", rp.refund_status) not in REFUND_STATUSES:
            return problem(422, "refund_status must be processed or pending")
        if not isinstance(body.get("card_fingerprints", True), bool):
            return problem(422, "card_fingerprints must be true or false")
        rp.webhook_url = body.get("webhook_url", rp.webhook_url)
        rp.deliver = body.get("deliver", rp.deliver)
        rp.refund_status = body.get("refund_status", rp.refund_status)
        rp.card_fingerprints = body.get("card_fingerprints", rp.card_fingerprints)
        return {"webhook_url": rp.webhook_url, "deliver": rp.deliver,
                "refund_status": rp.refund_status, "card_fingerprints": rp.card_fingerprints}

    @router.get("/state")
    async def state() -> Entity:
        return {"orders": rp.orders, "payments": rp.payments, "refunds": rp.refunds,
                "tokens": rp.tokens}

    return router


def create_app(key_id: str, key_secret: str, webhook_secret: str,
               webhook_url: str | None = None, *, deliver: str = "auto",
               refund_status: str = "processed",
               client: httpx.AsyncClient | None = None) -> FastAPI:
    """The stand-in as an ASGI app; its state is ``app.state.standin``.

    ``client`` sends the webhooks (tests inject one over an ASGI transport); without it the
    stand-in opens its own and closes it when the app shuts down.
    """
    if deliver not in DELIVER_MODES or refund_status not in REFUND_STATUSES:
        raise ValueError(f"deliver must be one of {DELIVER_MODES}, "
                         f"refund_status one of {REFUND_STATUSES}")
    rp = RazorpayStandIn(key_id, key_secret, webhook_secret, webhook_url, deliver,
                         refund_status, client)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await rp.close()

    app = FastAPI(title="Razorpay stand-in", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.standin = rp

    @app.exception_handler(RazorpayError)
    async def razorpay_error(_request: Request, exc: RazorpayError) -> JSONResponse:
        return JSONResponse({"error": exc.error}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if request.url.path.startswith("/v1/") and exc.status_code in (404, 405):
            # Razorpay answers an unknown route or method with a 400, not a 404.
            error = RazorpayError(NOT_FOUND)
            return JSONResponse({"error": error.error}, status_code=400)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    app.include_router(api_routes(rp))
    app.include_router(control_routes(rp))
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the Razorpay stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    for secret in ("--key-id", "--key-secret", "--webhook-secret"):
        parser.add_argument(secret, required=True)
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--deliver", choices=DELIVER_MODES, default="auto")
    parser.add_argument("--refund-status", choices=REFUND_STATUSES, default="processed")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    import uvicorn  # only the process needs it

    app = create_app(args.key_id, args.key_secret, args.webhook_secret, args.webhook_url,
                     deliver=args.deliver, refund_status=args.refund_status)
    # log_config=None: uvicorn's loggers reach the root handler above, so all of it is stderr.
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
