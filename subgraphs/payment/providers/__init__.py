"""Payment providers behind one small interface (docs/payments.md).

A provider turns a customer's proof of payment into a :class:`Charge`, gives money back
(:meth:`Provider.refund`, idempotent on our refund id) and verifies the webhooks it sends
(:meth:`Provider.verify_webhook`). It never touches the database: the service applies what
it reports, under the payment's row lock, so a late or repeated report changes nothing.
The interface is in :mod:`.base`, each provider in a module of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from subgraphs.payment.providers.base import (
    Charge,
    Checkout,
    Instrument,
    InvalidWebhook,
    Notice,
    PaymentProviderError,
    Proof,
    Provider,
    RefundNotice,
    RefundResult,
)
from subgraphs.payment.providers.razorpay import Razorpay
from subgraphs.payment.providers.sandbox import Sandbox

if TYPE_CHECKING:
    from subgraphs.kernel.settings import Settings

__all__ = [
    "PROVIDERS", "Charge", "Checkout", "Instrument", "InvalidWebhook", "Notice",
    "PaymentProviderError", "Proof", "Provider", "RefundNotice", "RefundResult",
    "build_providers",
]

PROVIDERS = ("sandbox", "razorpay")


def build_providers(settings: Settings) -> dict[str, Provider]:
    """The providers this deployment can use: the sandbox except in production, Razorpay
    when configured."""
    providers: dict[str, Provider] = {}
    if settings.sandbox_enabled:
        providers["sandbox"] = Sandbox(settings)
    if settings.razorpay_key_id and settings.razorpay_key_secret:
        providers["razorpay"] = Razorpay(settings)
    return providers
