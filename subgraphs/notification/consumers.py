"""Notification's consumers: the recipients' replica from auth's events, a PENDING
delivery per channel for each booking or payment event a customer hears about, and the
e-tickets of confirmed bookings (issued once, voided when the booking is cancelled). They only
*record* what is to be sent (in the transaction that marks the event processed); the worker
(:mod:`.deliveries`) sends."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from subgraphs.kernel.db import utcnow
from subgraphs.kernel.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingExpired,
    BookingRescheduled,
    EmailVerificationRequested,
    Event,
    NotificationPreferencesChanged,
    Payload,
    PaymentRefunded,
    PaymentSucceeded,
    UserRegistered,
    WaitingListOffered,
)
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.notification import mail, tickets
from subgraphs.notification.models import EMAIL, PENDING, SMS, Delivery, Recipient
from subgraphs.notification.rendering import context_of, signing_key

log = logging.getLogger("ticketflow.notification")

# What each event becomes: the event's class, and the kind of message.
NOTICES: dict[str, tuple[type[Payload], str]] = {
    BookingConfirmed.type_name(): (BookingConfirmed, "CONFIRMATION"),
    PaymentSucceeded.type_name(): (PaymentSucceeded, "RECEIPT"),
    BookingCancelled.type_name(): (BookingCancelled, "CANCELLATION"),
    PaymentRefunded.type_name(): (PaymentRefunded, "REFUND"),
    BookingExpired.type_name(): (BookingExpired, "EXPIRY"),
    WaitingListOffered.type_name(): (WaitingListOffered, "WAITLIST_OFFER"),
    BookingRescheduled.type_name(): (BookingRescheduled, "RESCHEDULED"),
}
KINDS = {name: kind for name, (_, kind) in NOTICES.items()}


async def apply_auth_event(service: Service, uow: UnitOfWork, event: Event) -> None:
    """Keep the local replica of recipients and their preferences."""
    known: UserRegistered | NotificationPreferencesChanged
    if event.type == EmailVerificationRequested.type_name():
        await _verification_mail(service, uow, event)
        return
    if event.type == UserRegistered.type_name():
        known = UserRegistered.read(event)
    elif event.type == NotificationPreferencesChanged.type_name():
        known = NotificationPreferencesChanged.read(event)
    else:
        return
    recipient = await uow.session.get(Recipient, known.user_id, with_for_update=True)
    if recipient is None:
        recipient = Recipient(user_id=known.user_id)
        uow.session.add(recipient)
    recipient.email = known.email
    recipient.name = known.name or ""
    recipient.phone = known.phone
    recipient.email_enabled = known.email_notifications
    recipient.sms_enabled = known.sms_notifications
    recipient.updated_at = utcnow()


async def _verification_mail(service: Service, uow: UnitOfWork, event: Event) -> None:
    """A VERIFY_EMAIL mail to the address being verified (whatever the mail preference:
    it is the account's own business, not a notice)."""
    known = EmailVerificationRequested.read(event)
    if await uow.session.get(Delivery, (event.id, EMAIL)) is not None:
        return
    base = service.settings.public_url.rstrip("/")
    payload = {**known.to_payload(), "link": f"{base}/#/verify?token={quote(known.token)}"}
    subject = mail.TEMPLATE_ENV.get_template("verify_email.subject").render(
        context_of(payload, "")).strip()
    uow.session.add(Delivery(event_id=event.id, channel=EMAIL, kind="VERIFY_EMAIL",
                             user_id=known.user_id, recipient=known.email, subject=subject,
                             payload=json.dumps(payload, sort_keys=True), status=PENDING,
                             attempts=0, next_attempt_at=utcnow()))
    service.wake_after_commit(uow)


async def apply_booking_or_payment_event(service: Service, uow: UnitOfWork,
                                         event: Event) -> None:
    """Record the deliveries an event asks for: a mail and, if wanted, a text message. A
    confirmed booking's e-tickets are issued here, in the same transaction; a cancelled
    booking's are voided."""
    notice = NOTICES.get(event.type)
    if notice is None:
        return
    cls, kind = notice
    payload = cls.read(event).to_payload()
    if kind == "CONFIRMATION":
        await tickets.issue(uow.session, await signing_key(service, uow.session), payload)
    elif kind == "CANCELLATION":
        await tickets.void(uow.session, payload["booking_id"])
    user_id = payload.get("user_id")
    if not user_id:
        log.warning("%s %s names no user: nothing to send", event.type, event.id)
        return
    recipient = await uow.session.get(Recipient, user_id)
    wanted: list[tuple[str, str]] = []
    if recipient is None:
        wanted.append((EMAIL, ""))  # resolved (or parked) by the worker
    else:
        if recipient.email_enabled:
            wanted.append((EMAIL, recipient.email))
        if recipient.sms_enabled and recipient.phone:
            wanted.append((SMS, recipient.phone))
    subject = mail.TEMPLATE_ENV.get_template(f"{kind.lower()}.subject").render(
        context_of(payload, "")).strip()
    stored = json.dumps(payload, sort_keys=True)
    for channel, address in wanted:
        if await uow.session.get(Delivery, (event.id, channel)) is not None:
            continue
        uow.session.add(Delivery(event_id=event.id, channel=channel, kind=kind, user_id=user_id,
                                 recipient=address, subject=subject, payload=stored,
                                 status=PENDING, attempts=0, next_attempt_at=utcnow()))
    service.wake_after_commit(uow)
