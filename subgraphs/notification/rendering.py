"""Notification's rendering: a delivery's stored payload as a mail (with the booking's
stored tickets and their QR codes for a confirmation) or a text message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.service import Service
from subgraphs.notification import mail, tickets
from subgraphs.notification.models import Delivery


def context_of(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return {"p": payload, "name": name or "there",
            "show": payload.get("show") or {"title": "your show", "starts_at": None},
            "tickets": [], "images": []}


def render_mail(delivery: Delivery, name: str,
                issued: Sequence[tickets.Ticket] = ()) -> mail.Rendered:
    """The mail of a delivery; a confirmation carries ``issued``, the booking's tickets."""
    payload = json.loads(delivery.payload)
    context = context_of(payload, name)
    if delivery.kind == "CONFIRMATION":
        images = [mail.Image(cid=mail.new_cid(), filename=f"ticket-{i}.png", png=t.qr_png())
                  for i, t in enumerate(issued, 1)]
        types = tickets.types_of(payload)
        context["tickets"] = [{"label": t.label, "token": t.token, "cid": image.cid,
                               "type": types.get(t.tid)}
                              for t, image in zip(issued, images, strict=True)]
        context["images"] = images
    context["subject"] = delivery.subject
    return mail.render(delivery.kind, context)


def render_sms(delivery: Delivery) -> str:
    payload = json.loads(delivery.payload)
    context = context_of(payload, "")
    context["tickets"] = payload.get("tickets") or []
    return mail.render_sms(delivery.kind, context)


async def signing_key(service: Service, session: AsyncSession) -> tickets.SigningKey:
    """The key this process signs with: the worker's, read at its start-up, or (in a process
    whose worker has not started) the newest one in the database, created on first use."""
    known: tickets.SigningKey | None = service.state.get("ticket_key")
    if known is not None:
        return known
    return tickets.SigningKey.of(await tickets.signing_key(session))


async def issued_tickets(service: Service, delivery: Delivery) -> list[tickets.Ticket]:
    """The tickets a confirmation mail carries: the ones issued (and stored) when its
    BookingConfirmed was applied, so the mail and ``Booking.tickets`` show the same tokens.
    A confirmation recorded before tickets were stored issues them now, once."""
    payload = json.loads(delivery.payload)
    async with service.db.reader() as session:
        rows = await tickets.stored(session, payload["booking_id"])
    if not rows and payload.get("tickets"):
        async with service.uow() as uow:
            rows = await tickets.issue(uow.session, await signing_key(service, uow.session),
                                       payload)
            await uow.commit()
    return [tickets.Ticket.of(r) for r in rows]
