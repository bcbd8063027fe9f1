"""Notification's rendering: a delivery's stored payload as a mail (with signed tickets and
their QR codes for a confirmation) or a text message."""

from __future__ import annotations

import json
from typing import Any

from subgraphs.kernel.service import Service
from subgraphs.notification import mail, tickets
from subgraphs.notification.models import Delivery


def context_of(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return {"p": payload, "name": name or "there",
            "show": payload.get("show") or {"title": "your show", "starts_at": None},
            "tickets": [], "images": []}


def render_mail(service: Service, delivery: Delivery, name: str) -> mail.Rendered:
    payload = json.loads(delivery.payload)
    context = context_of(payload, name)
    if delivery.kind == "CONFIRMATION":
        signed = tickets.sign_tickets(ticket_key(service), payload)
        images = [mail.Image(cid=mail.new_cid(), filename=f"ticket-{i}.png", png=t.qr_png())
                  for i, t in enumerate(signed, 1)]
        context["tickets"] = [{"label": t.label, "token": t.token, "cid": image.cid}
                              for t, image in zip(signed, images, strict=True)]
        context["images"] = images
    context["subject"] = delivery.subject
    return mail.render(delivery.kind, context)


def render_sms(delivery: Delivery) -> str:
    payload = json.loads(delivery.payload)
    context = context_of(payload, "")
    context["tickets"] = payload.get("tickets") or []
    return mail.render_sms(delivery.kind, context)


def ticket_key(service: Service) -> tickets.SigningKey:
    found: tickets.SigningKey = service.state["ticket_key"]  # set by start_up
    return found
