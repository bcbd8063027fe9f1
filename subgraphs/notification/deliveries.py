"""Notification's worker: send each delivery at most once.

The worker claims due deliveries with a conditional update (SENDING, attempts + 1, committed
before the message goes out), sends, and marks them SENT. A transient failure waits with
exponential backoff (FAILED); a permanent one, or too many, parks the delivery for admins.
A delivery left in SENDING by a crash is parked, never re-sent: it may have gone out.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from subgraphs.kernel.db import utcnow
from subgraphs.kernel.service import Service, repeat
from subgraphs.kernel.settings import Settings
from subgraphs.notification import mail, tickets
from subgraphs.notification.models import (
    DUE,
    FAILED,
    PARKED,
    PENDING,
    SENDING,
    SENT,
    SMS,
    Delivery,
    Recipient,
)
from subgraphs.notification.rendering import issued_tickets, render_mail, render_sms
from subgraphs.notification.sms import SmsProvider, build_sms_provider

log = logging.getLogger("ticketflow.notification")

# A booking event may overtake the UserRegistered event of a brand-new customer (two
# streams): an unknown recipient is waited for this long before the delivery is parked.
RECIPIENT_GRACE = timedelta(seconds=60)
RECIPIENT_RECHECK = timedelta(seconds=1)
MAX_BACKOFF = timedelta(hours=1)
POLL_SECONDS = 0.5
UNKNOWN_RECIPIENT = "unknown recipient"
INTERRUPTED = "interrupted: may have been sent"


@dataclass
class Senders:
    mail: mail.MailTransport
    sms: SmsProvider


def senders(service: Service) -> Senders:
    """The mail transport and SMS provider of this process, built once."""
    return service.once("senders", lambda: Senders(mail.build_transport(service.settings),
                                                   build_sms_provider(service.settings)))


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: base * 2**(attempts-1), at most an hour."""
    seconds = settings.notification_retry_seconds * 2 ** max(0, attempts - 1)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


async def _claim(service: Service, event_id: str, channel: str) -> Delivery | None:
    """Take a due delivery for this process (SENDING, one more attempt); ``None`` if another
    worker was first. Committed before anything is sent: at most once."""
    now = utcnow()
    async with service.db.writer() as session, session.begin():
        claimed = await session.execute(
            update(Delivery)
            .where(Delivery.event_id == event_id, Delivery.channel == channel,
                   Delivery.status.in_(DUE), Delivery.next_attempt_at <= now)
            .values(status=SENDING, attempts=Delivery.attempts + 1, claimed_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return await session.get(Delivery, (event_id, channel), populate_existing=True)


async def _finish(service: Service, delivery: Delivery, **values: Any) -> None:
    async with service.db.writer() as session, session.begin():
        await session.execute(
            update(Delivery)
            .where(Delivery.event_id == delivery.event_id, Delivery.channel == delivery.channel,
                   Delivery.status == SENDING)
            .values(**values).execution_options(synchronize_session=False))


async def _recipient(service: Service, delivery: Delivery) -> Recipient | None:
    async with service.db.reader() as session:
        return await session.get(Recipient, delivery.user_id)


async def _resolve(service: Service, delivery: Delivery, recipient: Recipient | None
                   ) -> str | None:
    """The address of a delivery recorded before its recipient was known; ``None`` when it
    is still unknown (the delivery was put back or parked)."""
    if recipient is not None and recipient.email_enabled:
        return recipient.email
    if recipient is not None:
        await _finish(service, delivery, status=PARKED, last_error="the recipient turned "
                      "email notifications off")
        return None
    now = utcnow()
    if now - delivery.created_at < RECIPIENT_GRACE:
        await _finish(service, delivery, status=PENDING, attempts=delivery.attempts - 1,
                      next_attempt_at=now + RECIPIENT_RECHECK,
                      last_error="waiting for the recipient")
    else:
        log.warning("delivery %s parked: %s %s", delivery.id, UNKNOWN_RECIPIENT,
                    delivery.user_id)
        await _finish(service, delivery, status=PARKED, last_error=UNKNOWN_RECIPIENT)
    return None


async def _send(service: Service, delivery: Delivery) -> None:
    """One attempt at one claimed delivery, and what came of it."""
    out = senders(service)
    recipient = await _recipient(service, delivery)
    address = delivery.recipient
    if not address:
        resolved = await _resolve(service, delivery, recipient)
        if resolved is None:
            return
        address = resolved
    try:
        if delivery.channel == SMS:
            await out.sms.send(address, render_sms(delivery))
        else:
            issued = (await issued_tickets(service, delivery)
                      if delivery.kind == "CONFIRMATION" else [])
            rendered = render_mail(delivery, recipient.name if recipient else "", issued)
            message = mail.build_message(service.settings.mail_from, address, rendered,
                                         f"{delivery.event_id}.{delivery.channel.lower()}")
            await out.mail.send(message)
    except mail.DeliveryError as exc:
        await _failed(service, delivery, str(exc), permanent=exc.permanent)
        return
    except Exception as exc:  # a bug in rendering, say: retried, then parked, never lost
        log.exception("delivery %s failed unexpectedly", delivery.id)
        await _failed(service, delivery, f"internal error: {exc!r}", permanent=False)
        return
    await _finish(service, delivery, status=SENT, sent_at=utcnow(), recipient=address,
                  last_error=None, **_forget_secrets(delivery))
    log.info("sent %s %s %s to %s", delivery.kind, delivery.channel, delivery.id, address)


# Payload fields that only the mail's reader may know: dropped from the stored copy once the
# mail is sent (a verification token would verify the address for whoever reads the table).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {"VERIFY_EMAIL": ("token", "link")}


def _forget_secrets(delivery: Delivery) -> dict[str, Any]:
    """The column values that drop ``delivery``'s secrets from its stored payload."""
    fields = SECRET_FIELDS.get(delivery.kind)
    if not fields:
        return {}
    payload = json.loads(delivery.payload)
    return {"payload": json.dumps({k: v for k, v in payload.items() if k not in fields},
                                  sort_keys=True)}


async def _failed(service: Service, delivery: Delivery, error: str, *, permanent: bool) -> None:
    limit = service.settings.notification_max_attempts
    if permanent or delivery.attempts >= limit:
        why = "refused" if permanent else f"failed {delivery.attempts} times"
        log.warning("delivery %s parked (%s): %s", delivery.id, why, error)
        await _finish(service, delivery, status=PARKED, last_error=error[:500])
        return
    wait = backoff(service.settings, delivery.attempts)
    log.info("delivery %s failed (attempt %d), retrying in %.1fs: %s", delivery.id,
             delivery.attempts, wait.total_seconds(), error)
    await _finish(service, delivery, status=FAILED, last_error=error[:500],
                  next_attempt_at=utcnow() + wait)


async def deliver_due(service: Service, limit: int = 50) -> int:
    """Send up to ``limit`` due deliveries; how many this process claimed."""
    async with service.db.reader() as session:
        due = (await session.execute(
            select(Delivery.event_id, Delivery.channel)
            .where(Delivery.status.in_(DUE), Delivery.next_attempt_at <= utcnow())
            .order_by(Delivery.next_attempt_at).limit(limit))).all()
    claimed = 0
    for event_id, channel in due:
        delivery = await _claim(service, event_id, channel)
        if delivery is not None:
            claimed += 1
            await _send(service, delivery)
    return claimed


async def park_interrupted(service: Service) -> int:
    """Park deliveries left SENDING by a process that died mid-send (claimed longer ago
    than any send may take): they may have gone out, so they are never sent again."""
    stale = utcnow() - timedelta(seconds=service.settings.smtp_timeout_seconds + 30)
    async with service.db.writer() as session, session.begin():
        done = await session.execute(
            update(Delivery).where(Delivery.status == SENDING, Delivery.claimed_at < stale)
            .values(status=PARKED, last_error=INTERRUPTED)
            .execution_options(synchronize_session=False))
    parked = int(done.rowcount)  # type: ignore[attr-defined]
    if parked:
        log.warning("parked %d deliveries interrupted while sending", parked)
    return parked


async def start_up(service: Service) -> None:
    """The ticket key exists before the first ticket is signed or the JWKS is read; this
    process signs with it from memory (ticket keys are never rotated or retired)."""
    async with service.uow() as uow:
        key = await tickets.signing_key(uow.session)
        await uow.commit()
    service.state["ticket_key"] = tickets.SigningKey.of(key)


async def worker(service: Service) -> None:
    """Background job: send what is due, forever."""
    await start_up(service)

    async def step() -> None:
        await park_interrupted(service)
        while await deliver_due(service) > 0:
            pass

    await repeat(step, every=POLL_SECONDS, what="notification worker", wake=service.wake())
