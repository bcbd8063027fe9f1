"""Payment's background worker: sandbox settlements that are due, and refunds under way."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from subgraphs.kernel.db import utcnow
from subgraphs.kernel.service import Service, repeat
from subgraphs.payment.charges import providers
from subgraphs.payment.models import PROCESSING, REFUND_PENDING, Payment, Refund
from subgraphs.payment.providers.sandbox import Sandbox
from subgraphs.payment.refunds import settle_refund
from subgraphs.payment.webhooks import receive_webhook


async def settle_sandbox(service: Service) -> int:
    """Deliver the webhook of every sandbox payment whose processing time is up."""
    sandbox = providers(service).get("sandbox")
    if not isinstance(sandbox, Sandbox):
        return 0
    async with service.db.reader() as session:
        due = list(await session.scalars(
            select(Payment).where(Payment.status == PROCESSING, Payment.provider == "sandbox",
                                  Payment.settle_at <= utcnow()).limit(100)))
    for payment in due:
        raw, headers = sandbox.settlement(payment)
        await receive_webhook(service, "sandbox", raw, headers)
    return len(due)


async def retry_refunds(service: Service) -> int:
    """Send (or re-read) pending refunds, backing off per refund; the number tried."""
    interval = service.settings.payment_worker_interval_seconds
    now = utcnow()
    async with service.db.reader() as session:
        pending = list(await session.scalars(
            select(Refund).where(Refund.status == REFUND_PENDING)
            .order_by(Refund.created_at).limit(100)))
    tried = 0
    for refund in pending:
        wait = timedelta(seconds=min(interval * 2 ** refund.attempts, 300))
        if refund.attempts and refund.updated_at + wait > now:
            continue
        tried += 1
        await settle_refund(service, refund.id)
    return tried


async def worker(service: Service) -> None:
    """Background job: settle due sandbox payments and drive pending refunds."""
    async def step() -> None:
        await settle_sandbox(service)
        await retry_refunds(service)

    try:
        await repeat(step, every=service.settings.payment_worker_interval_seconds,
                     what="payment worker", wake=service.wake())
    finally:
        for provider in providers(service).values():
            await provider.close()
