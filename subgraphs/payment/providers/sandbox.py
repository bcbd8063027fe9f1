"""The sandbox provider: no network, test card numbers decide the outcome.

| Card                | Outcome                                                        |
|---------------------|----------------------------------------------------------------|
| 4242 4242 4242 4242 | succeeds                                                       |
| 5555 5555 5555 4444 | succeeds (a second card, for the cap per card of queued shows) |
| 4000 0000 0000 0002 | declined (``card_declined``)                                   |
| 4000 0000 0000 9995 | declined (``insufficient_funds``)                              |
| 4000 0000 0000 3063 | PROCESSING, then succeeds by webhook after the settle delay     |
| 4000 0000 0000 3089 | PROCESSING, then declined by webhook after the settle delay     |

The settle delay is ``TICKETFLOW_SANDBOX_SETTLE_SECONDS``. The sandbox's webhooks arrive
at ``POST /webhooks/sandbox`` like any provider's: a JSON body signed with
HMAC-SHA256(raw body, ``TICKETFLOW_SANDBOX_WEBHOOK_SECRET``) in ``X-Sandbox-Signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput
from subgraphs.payment.models import FAILED, PROCESSING, REFUND_SUCCEEDED, SUCCEEDED
from subgraphs.payment.providers.base import (
    Charge,
    Checkout,
    Instrument,
    InvalidWebhook,
    Notice,
    Proof,
    RefundResult,
)

if TYPE_CHECKING:
    from subgraphs.kernel.settings import Settings
    from subgraphs.payment.models import Payment, Refund

SUCCEEDS = "4242424242424242"
SUCCEEDS_TOO = "5555555555554444"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROCESSING_SUCCEEDS = "4000000000003063"
PROCESSING_DECLINED = "4000000000003089"

_DECLINES = {
    DECLINED: ("card_declined", "The card was declined."),
    INSUFFICIENT_FUNDS: ("insufficient_funds", "The card has insufficient funds."),
}
_LATER = {PROCESSING_SUCCEEDS: SUCCEEDED, PROCESSING_DECLINED: FAILED}
SIGNATURE_HEADER = "x-sandbox-signature"


def sign(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of ``body`` under ``secret``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _reference() -> str:
    return "sbx_pay_" + secrets.token_hex(8)


class Sandbox:
    """Test cards, no network; webhooks signed with the sandbox secret."""

    name = "sandbox"
    virtual = True

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.sandbox_webhook_secret
        self._settle = timedelta(seconds=settings.sandbox_settle_seconds)
        self._instrument_key = settings.payment_instrument_secret.encode()

    async def start(self, payment: Payment) -> str | None:
        """The sandbox needs no order."""
        return None

    def checkout(self, payment: Payment) -> Checkout:
        """Nothing to open: confirm with a test card."""
        return Checkout(provider=self.name, key_id=None, order_id=None)

    @staticmethod
    def _card(proof: Proof) -> str:
        """The test card's number, normalised; ``BAD_USER_INPUT`` for any other."""
        card = "".join((proof.card or "").split()).replace("-", "")
        if not card:
            raise BadUserInput("Give a sandbox test card number.", field="card")
        if card not in (SUCCEEDS, SUCCEEDS_TOO, *_DECLINES, *_LATER):
            raise BadUserInput("Not a sandbox test card: use one listed in docs/payments.md "
                               "(4242 4242 4242 4242 succeeds).", field="card")
        return card

    async def instrument(self, payment: Payment, proof: Proof) -> Instrument:
        """The test card: HMAC-SHA256 of its normalised number under the instrument secret;
        nothing is charged before ``confirm``."""
        return Instrument(hmac.new(self._instrument_key, self._card(proof).encode(),
                                   hashlib.sha256).hexdigest())

    async def instrument_of(self, payment: Payment, provider_payment_id: str) -> Instrument:
        """Not known from a reference: the sandbox's payments take their card's slot in
        ``confirmPayment``, before its webhooks."""
        return Instrument(None)

    async def confirm(self, payment: Payment, proof: Proof) -> Charge:
        """The outcome the test card stands for."""
        card = self._card(proof)
        ref = _reference()
        if card in (SUCCEEDS, SUCCEEDS_TOO):
            return Charge(SUCCEEDED, ref, payment.amount, payment.currency)
        if card in _DECLINES:
            code, message = _DECLINES[card]
            return Charge(FAILED, ref, failure_code=code, failure_message=message)
        return Charge(PROCESSING, ref, settle_at=utcnow() + self._settle,
                      settle_outcome=_LATER[card])

    async def capture(self, payment: Payment, provider_payment_id: str) -> Charge:
        """Sandbox payments are captured when they succeed."""
        return Charge(SUCCEEDED, provider_payment_id, payment.amount, payment.currency)

    async def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        """Sandbox refunds succeed at once."""
        return RefundResult(REFUND_SUCCEEDED, "sbx_re_" + refund.id.replace("-", "")[:16])

    def settlement(self, payment: Payment) -> tuple[bytes, dict[str, str]]:
        """The signed webhook that settles a PROCESSING payment (body, headers)."""
        outcome = payment.settle_outcome or SUCCEEDED
        data: dict[str, Any] = {"payment_id": payment.id, "reference": payment.provider_payment_id,
                                "amount": payment.amount, "currency": payment.currency}
        if outcome == FAILED:
            data |= {"failure_code": "card_declined", "failure_message": "The card was declined."}
        body = json.dumps({
            "id": "evt_" + payment.id.replace("-", "")[:20],
            "type": "payment.succeeded" if outcome == SUCCEEDED else "payment.failed",
            "data": data,
        }, separators=(",", ":")).encode()
        return body, {SIGNATURE_HEADER: sign(body, self._secret),
                      "content-type": "application/json"}

    def verify_webhook(self, raw: bytes, headers: Mapping[str, str]) -> Notice:
        """A sandbox event whose signature matches."""
        given = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given, sign(raw, self._secret)):
            raise InvalidWebhook("The X-Sandbox-Signature does not match the body.")
        try:
            event = json.loads(raw)
            event_id, kind, data = str(event["id"]), str(event["type"]), event["data"]
            payment_id = str(data["payment_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(f"Not a sandbox event: {exc}") from exc
        charge = None
        if kind == "payment.succeeded":
            charge = Charge(SUCCEEDED, data.get("reference"), int(data.get("amount", 0)),
                            str(data.get("currency", "")))
        elif kind == "payment.failed":
            charge = Charge(FAILED, data.get("reference"),
                            failure_code=data.get("failure_code", "card_declined"),
                            failure_message=data.get("failure_message", "Declined."))
        return Notice(event_id=event_id, event_type=kind, payment_id=payment_id, charge=charge)

    async def close(self) -> None:
        """Nothing to release."""
