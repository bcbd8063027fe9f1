"""Razorpay: Orders API, checkout signatures, capture, refunds and webhooks.

- ``start`` creates an order (``POST /v1/orders``) whose receipt is our payment's id; the
  client opens Razorpay Checkout with the order id and our key id. Orders have no
  idempotency key, so before trying again after a failure (a timeout: Razorpay may have
  made the order all the same) it looks for the order by its receipt
  (``GET /v1/orders?receipt=``) and creates one only if there is none.
- ``confirm`` checks ``razorpay_signature`` = hex HMAC-SHA256(``order_id|payment_id``, key
  secret), then asks Razorpay for the payment (``GET /v1/payments/{id}``) and captures it if
  it is only authorized: the browser's word alone never confirms a booking.
- ``instrument`` (queued shows' cap per instrument) checks the same signature, fetches the
  payment and names what paid it: a saved card by its PAR (Card Fingerprints API,
  ``POST /v1/cards/fingerprints`` with the payment's ``token_id``), UPI by its ``vpa``.
- ``refund`` calls ``POST /v1/payments/{id}/refund`` with ``X-Refund-Idempotency`` set to our
  refund's id, so a retry after a timeout or a crash never refunds twice.
- Webhooks are verified with HMAC-SHA256(raw body, webhook secret) against
  ``X-Razorpay-Signature`` and identified by ``X-Razorpay-Event-Id``.

Transient failures (connection errors, 409, 429, 5xx) are retried with tenacity.

Amounts go to Razorpay as they are: our minor units are ISO 4217's, and so are Razorpay's
currency subunits (paise, fils for the three-decimal KWD, BHD and OMR; whole yen for JPY).
Razorpay takes three-decimal amounts only with a last digit of 0 (295.990 KWD, never
295.991), so ``start`` refuses any other before an order is made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from subgraphs.kernel.errors import BadUserInput
from subgraphs.kernel.l10n import digits, format_money
from subgraphs.payment.models import (
    FAILED,
    PROCESSING,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_SUCCEEDED,
    SUCCEEDED,
)
from subgraphs.payment.providers.base import (
    Charge,
    Checkout,
    Instrument,
    InvalidWebhook,
    Notice,
    PaymentProviderError,
    Proof,
    RefundNotice,
    RefundResult,
)

if TYPE_CHECKING:
    from subgraphs.kernel.settings import Settings
    from subgraphs.payment.models import Payment, Refund

log = logging.getLogger("ticketflow.payment")

_REFUND_STATUS: dict[str, Any] = {"processed": REFUND_SUCCEEDED, "pending": REFUND_PENDING,
                                  "failed": REFUND_FAILED, "created": REFUND_PENDING}


def signature(message: str | bytes, secret: str) -> str:
    """Razorpay's signature: hex HMAC-SHA256 of ``message`` under ``secret``."""
    raw = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class RazorpayError(PaymentProviderError):
    """Razorpay answered with an error (``status`` and its ``error.code``/``description``)."""

    def __init__(self, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.description = str(error.get("description") or f"HTTP {status}")
        super().__init__(f"Razorpay refused the request: {self.description}",
                         provider_status=status, provider_code=error.get("code"))


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, RazorpayError) and (exc.status in (409, 429) or exc.status >= 500)


class Razorpay:
    """A Razorpay account (key id and secret, webhook secret)."""

    name = "razorpay"
    virtual = False

    def __init__(self, settings: Settings, *, attempts: int = 4) -> None:
        if not (settings.razorpay_key_id and settings.razorpay_key_secret):
            raise ValueError("Razorpay needs TICKETFLOW_RAZORPAY_KEY_ID and "
                             "TICKETFLOW_RAZORPAY_KEY_SECRET")
        self.key_id = settings.razorpay_key_id
        self._secret = settings.razorpay_key_secret
        self._webhook_secret = settings.razorpay_webhook_secret or ""
        self._instrument_key = settings.payment_instrument_secret.encode()
        self._attempts = attempts
        self._http = httpx.AsyncClient(base_url=settings.razorpay_api_url,
                                       auth=(self.key_id, self._secret), timeout=15.0)

    async def _request(self, method: str, path: str, *, json_body: Any = None,
                       headers: dict[str, str] | None = None,
                       params: dict[str, str] | None = None) -> dict[str, Any]:
        """One request, not retried; ``RazorpayError`` for an error answer."""
        response = await self._http.request(method, path, json=json_body, headers=headers,
                                             params=params)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            raise RazorpayError(response.status_code, body)
        return dict(body)

    async def _retried(self, step: Callable[[int], Awaitable[dict[str, Any]]]
                       ) -> dict[str, Any]:
        """``step(attempt)``, tried again (attempt 2, 3...) after transient failures."""
        try:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(self._attempts),
                                               wait=wait_exponential(multiplier=0.2, max=2.0),
                                               retry=retry_if_exception(_transient),
                                               reraise=True):
                with attempt:
                    return await step(attempt.retry_state.attempt_number)
        except httpx.TransportError as exc:
            raise PaymentProviderError(f"Razorpay could not be reached ({type(exc).__name__}); "
                                       "try again.") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call(self, method: str, path: str, *, json_body: Any = None,
                    headers: dict[str, str] | None = None) -> dict[str, Any]:
        return await self._retried(lambda _attempt: self._request(
            method, path, json_body=json_body, headers=headers))

    async def start(self, payment: Payment) -> str | None:
        """Create the order the customer pays in Razorpay Checkout (once, however often
        the request is tried)."""
        if digits(payment.currency) == 3 and payment.amount % 10:
            raise PaymentProviderError(
                f"Razorpay takes {payment.currency} amounts only with a last decimal of 0; "
                f"{format_money(payment.amount, payment.currency)} cannot be paid with "
                "Razorpay: choose another provider.", field="provider")
        receipt = payment.id[:40]
        body = {"amount": payment.amount, "currency": payment.currency, "receipt": receipt,
                "notes": {"payment_id": payment.id, "booking_id": payment.booking_id}}

        async def create(attempt: int) -> dict[str, Any]:
            if attempt > 1:
                # The try before may have made the order and lost only the answer.
                made = await self._order_by_receipt(receipt, payment)
                if made is not None:
                    return made
            return await self._request("POST", "/v1/orders", json_body=body)

        order = await self._retried(create)
        return str(order["id"])

    async def _order_by_receipt(self, receipt: str, payment: Payment) -> dict[str, Any] | None:
        """The order made earlier for ``payment`` (the oldest, should there be several)."""
        found = await self._request("GET", "/v1/orders",
                                    params={"receipt": receipt, "count": "100"})
        items = found.get("items")
        mine = [o for o in items if isinstance(o, dict) and o.get("receipt") == receipt
                and o.get("amount") == payment.amount
                and o.get("currency") == payment.currency] if isinstance(items, list) else []
        # Newest first as listed: reversed, the oldest of one second comes first too.
        return min(reversed(mine), key=lambda o: int(o.get("created_at") or 0)) if mine else None

    def checkout(self, payment: Payment) -> Checkout:
        """The key id and order id Razorpay Checkout opens with."""
        return Checkout(provider=self.name, key_id=self.key_id,
                        order_id=payment.provider_order_id)

    def _proven(self, payment: Payment, proof: Proof) -> str:
        """The Razorpay payment id Checkout's signed answer names, once its signature and
        order are checked (``BAD_USER_INPUT`` otherwise, before Razorpay is asked)."""
        order_id, pay_id, given = (proof.razorpay_order_id, proof.razorpay_payment_id,
                                   proof.razorpay_signature)
        if not (order_id and pay_id and given):
            raise BadUserInput("Give razorpay.orderId, razorpay.paymentId and "
                               "razorpay.signature from Razorpay Checkout.", field="razorpay")
        if order_id != payment.provider_order_id:
            raise BadUserInput("This Razorpay order is not this payment's.",
                               field="razorpay.orderId")
        if not hmac.compare_digest(given, signature(f"{order_id}|{pay_id}", self._secret)):
            raise BadUserInput("The Razorpay signature does not match.",
                               field="razorpay.signature")
        return pay_id

    async def confirm(self, payment: Payment, proof: Proof) -> Charge:
        """Verify Checkout's signature, then report the payment as Razorpay has it."""
        return await self.capture(payment, self._proven(payment, proof))

    async def instrument(self, payment: Payment, proof: Proof) -> Instrument:
        """The instrument of the payment Checkout's (checked) answer names."""
        return await self.instrument_of(payment, self._proven(payment, proof))

    async def instrument_of(self, payment: Payment, provider_payment_id: str) -> Instrument:
        """What paid ``provider_payment_id``, from the payment entity: a saved card (its
        ``token_id``) by its Payment Account Reference, or else its network reference id,
        from the Card Fingerprints API; UPI by the payer's ``vpa``. Anything else (a card
        typed in without saving it, netbanking, a wallet, or an account without the card
        fingerprints feature) is not identified. ``card_id`` is never used: it names one
        payment's card record, not the card."""
        entity = await self._payment_entity(payment, provider_payment_id)
        return Instrument(await self._identity(entity), self._charge(entity))

    async def _identity(self, entity: Mapping[str, Any]) -> str | None:
        method, token, vpa = entity.get("method"), entity.get("token_id"), entity.get("vpa")
        if method == "upi" and isinstance(vpa, str) and vpa.strip():
            return self._keyed(f"razorpay:vpa:{vpa.strip().lower()}")
        if method != "card" or not isinstance(token, str) or not token:
            return None
        try:
            card = await self._call("POST", "/v1/cards/fingerprints", json_body={"token": token})
        except RazorpayError as exc:
            if exc.status != 400:
                raise
            # The on-demand feature is not enabled, or the token is unknown to it.
            log.warning("Razorpay gave no card fingerprint for payment %s: %s",
                        entity.get("id"), exc.description)
            return None
        par, nrid = card.get("payment_account_reference"), card.get("network_reference_id")
        if isinstance(par, str) and par:
            return self._keyed(f"razorpay:par:{par}")
        if isinstance(nrid, str) and nrid:
            return self._keyed(f"razorpay:nrid:{nrid}")
        return None

    def _keyed(self, value: str) -> str:
        """HMAC-SHA256 under the instrument secret: the identifier itself is never stored."""
        return hmac.new(self._instrument_key, value.encode(), hashlib.sha256).hexdigest()

    async def _payment_entity(self, payment: Payment, provider_payment_id: str
                              ) -> dict[str, Any]:
        """``GET /v1/payments/{id}``, which must be of ``payment``'s order."""
        entity = await self._call("GET", f"/v1/payments/{provider_payment_id}")
        if entity.get("order_id") != payment.provider_order_id:
            raise BadUserInput("This Razorpay payment is not for this payment's order.",
                               field="razorpay.paymentId")
        return entity

    async def capture(self, payment: Payment, provider_payment_id: str) -> Charge:
        """Fetch the payment; capture it if it is only authorized."""
        entity = await self._payment_entity(payment, provider_payment_id)
        if entity.get("status") == "authorized":
            try:
                entity = await self._call(
                    "POST", f"/v1/payments/{provider_payment_id}/capture",
                    json_body={"amount": entity["amount"], "currency": entity["currency"]})
            except RazorpayError as exc:
                if exc.status != 400:
                    raise
                # Captured meanwhile (a webhook, another replica): read it as it is now.
                entity = await self._call("GET", f"/v1/payments/{provider_payment_id}")
        return self._charge(entity)

    @staticmethod
    def _charge(entity: Mapping[str, Any]) -> Charge:
        status, pay_id = entity.get("status"), str(entity.get("id"))
        if status in ("captured", "refunded"):
            return Charge(SUCCEEDED, pay_id, int(entity["amount"]), str(entity["currency"]))
        if status == "failed":
            return Charge(FAILED, pay_id, failure_code=str(entity.get("error_reason")
                                                              or entity.get("error_code")),
                          failure_message=str(entity.get("error_description") or "Failed."))
        return Charge(PROCESSING, pay_id)

    async def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        """Create the refund (idempotent on our refund id) or read it back."""
        paid_by = refund.provider_payment_id or payment.provider_payment_id
        try:
            if refund.provider_refund_id:
                entity = await self._call("GET", f"/v1/refunds/{refund.provider_refund_id}")
            else:
                entity = await self._call(
                    "POST", f"/v1/payments/{paid_by}/refund",
                    json_body={"amount": refund.amount, "speed": "normal", "receipt": refund.id,
                               "notes": {"refund_id": refund.id, "payment_id": payment.id}},
                    headers={"X-Refund-Idempotency": refund.id})
        except RazorpayError as exc:
            if exc.status == 400:  # refused for good (more than is left, not captured…)
                return RefundResult(REFUND_FAILED, refund.provider_refund_id, exc.description)
            raise
        return RefundResult(_REFUND_STATUS.get(str(entity.get("status")), REFUND_PENDING),
                            str(entity["id"]))

    def verify_webhook(self, raw: bytes, headers: Mapping[str, str]) -> Notice:
        """The event, if ``X-Razorpay-Signature`` matches the raw body."""
        given = headers.get("x-razorpay-signature", "")
        if not self._webhook_secret or not hmac.compare_digest(
                given, signature(raw, self._webhook_secret)):
            raise InvalidWebhook("The X-Razorpay-Signature does not match the body.")
        try:
            body = json.loads(raw)
            kind = str(body["event"])
            payload = body.get("payload") or {}
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(f"Not a Razorpay event: {exc}") from exc
        # Razorpay names each event in a header; its retries carry the same id.
        event_id = headers.get("x-razorpay-event-id") or hashlib.sha256(raw).hexdigest()
        pay = (payload.get("payment") or {}).get("entity") or {}
        order_id = pay.get("order_id") or ((payload.get("order") or {}).get("entity") or {}
                                           ).get("id")
        if kind in ("payment.captured", "order.paid") and pay:
            return Notice(event_id, kind, order_id=order_id, charge=self._charge(pay))
        if kind == "payment.authorized" and pay:
            return Notice(event_id, kind, order_id=order_id, authorized=True,
                          charge=Charge(PROCESSING, str(pay["id"])))
        if kind == "payment.failed" and pay:
            return Notice(event_id, kind, order_id=order_id, charge=self._charge(pay))
        ref = (payload.get("refund") or {}).get("entity")
        if kind.startswith("refund.") and ref:
            notes = ref.get("notes") or {}
            ours = (notes.get("refund_id") if isinstance(notes, dict) else None) \
                or ref.get("receipt")
            return Notice(event_id, kind, order_id=order_id, refund=RefundNotice(
                provider_refund_id=str(ref["id"]), refund_id=ours,
                provider_payment_id=str(ref.get("payment_id")), amount=int(ref["amount"]),
                status=_REFUND_STATUS.get(str(ref.get("status")), REFUND_PENDING),
                failure_message=None))
        return Notice(event_id, kind, order_id=order_id)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()
