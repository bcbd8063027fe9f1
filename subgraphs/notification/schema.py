"""The notification subgraph's GraphQL schema (admins' view of deliveries, the ticket keys,
``Booking.tickets``) and its ticket-key endpoint."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import cast

import strawberry
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from strawberry.scalars import JSON

from subgraphs.kernel.graphql import Info, build_schema, session_batch
from subgraphs.kernel.service import Service, SubgraphSpec
from subgraphs.notification import models, service, tickets, webhooks
from subgraphs.notification.webhook_schema import WebhookMutation, WebhookQuery

_load_tickets = session_batch(tickets.tickets_by_booking)


@strawberry.enum(description="Where a notification stands.")
class DeliveryStatus(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = strawberry.enum_value("FAILED", description="Failed for now; tried again at "
                                   "nextAttemptAt.")
    PARKED = strawberry.enum_value("PARKED", description="Given up: refused for good, failed "
                                   "too often, interrupted mid-send, or the recipient is "
                                   "unknown. retryNotification queues it again.")


@strawberry.enum
class NotificationChannel(Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"


@strawberry.federation.type(keys=["id"], description="One message about one event on one "
                            "channel, sent at most once (admins).")
class NotificationDelivery:
    id: strawberry.ID = strawberry.field(description="<event id>:<channel>")
    event_id: str
    channel: NotificationChannel
    kind: str = strawberry.field(description="CONFIRMATION, RECEIPT, CANCELLATION, REFUND, "
                                 "EXPIRY, WAITLIST_OFFER, RESCHEDULED or VERIFY_EMAIL.")
    user_id: strawberry.ID
    recipient: str = strawberry.field(description="The address or phone number; empty while "
                                      "the recipient is unknown.")
    subject: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_model(cls, d: models.Delivery) -> NotificationDelivery:
        return cls(id=strawberry.ID(d.id), event_id=d.event_id,
                   channel=NotificationChannel(d.channel), kind=d.kind,
                   user_id=strawberry.ID(d.user_id), recipient=d.recipient, subject=d.subject,
                   status=DeliveryStatus(d.status), attempts=d.attempts,
                   next_attempt_at=d.next_attempt_at, last_error=d.last_error,
                   created_at=d.created_at, sent_at=d.sent_at)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID
                                ) -> NotificationDelivery | None:
        found = await service.delivery(info.context.service, info.context.caller, str(id))
        return None if found is None else cls.from_model(found)


@strawberry.type(description="One e-ticket of a confirmed booking: a seat or a standing "
                 "place. Show token as a QR code; a scanner verifies it offline with "
                 "ticketKeys.")
class Ticket:
    id: strawberry.ID = strawberry.field(description="The token's tid: <booking id>:<seat id>, "
                                         "or <booking id>:<section id>:<n> for a standing "
                                         "place.")
    label: str = strawberry.field(description="The seat's label (A12), or the standing "
                                  "section's name and the place's number (Floor #2).")
    token: str = strawberry.field(description="The signed ticket (a compact JWS, EdDSA, with "
                                  "kid): claims tid, bid (the booking), sid (the show), seat "
                                  "(the label), iat, iss. The text to put in a QR code; the "
                                  "confirmation mail carries the same one.")
    issued_at: datetime

    @classmethod
    def from_model(cls, t: models.IssuedTicket) -> Ticket:
        return cls(id=strawberry.ID(t.id), label=t.label, token=t.token, issued_at=t.issued_at)


@strawberry.federation.type(keys=["id"])
class Booking:
    id: strawberry.ID

    @strawberry.field(description="The booking's e-tickets, one per seat or standing place "
                      "(the booking's owner and admins): empty until notification has issued "
                      "them after the booking was confirmed, and again once it is cancelled.")
    async def tickets(self, info: Info) -> list[Ticket]:
        issued = await info.context.loader(_load_tickets).load(str(self.id))
        return [Ticket.from_model(t) for t in tickets.visible(info.context.caller, issued)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Booking:
        return cls(id=id)


@strawberry.type
class Query(WebhookQuery):
    @strawberry.field(description="The public keys e-tickets are signed with (a JWKS: EdDSA, "
                      "Ed25519). A scanner fetches them once and verifies ticket QR codes "
                      "offline. Also at /.well-known/ticket-keys.json on the notification "
                      "service.")
    async def ticket_keys(self, info: Info) -> JSON:
        async with info.context.service.db.reader() as session:
            return cast(JSON, await tickets.ticket_keys(session))

    @strawberry.field(description="Notifications, newest first (admins): PARKED ones need a "
                      "look.")
    async def notification_deliveries(self, info: Info, status: DeliveryStatus | None = None,
                                       first: int = 50) -> list[NotificationDelivery]:
        rows = await service.deliveries(info.context.service, info.context.caller,
                                        status.value if status else None, first)
        return [NotificationDelivery.from_model(d) for d in rows]


@strawberry.type
class Mutation(WebhookMutation):
    @strawberry.mutation(description="Queue a parked notification again, with a fresh set of "
                         "attempts (admins).")
    async def retry_notification(self, info: Info, id: strawberry.ID) -> NotificationDelivery:
        delivery = await service.retry(info.context.service, info.context.caller, str(id))
        return NotificationDelivery.from_model(delivery)


def _routes(app: FastAPI, svc: Service) -> None:
    @app.get("/.well-known/ticket-keys.json")
    async def ticket_keys() -> JSONResponse:
        async with svc.db.reader() as session:
            document = await tickets.ticket_keys(session)
        return JSONResponse(document, headers={"cache-control": "public, max-age=300"})


schema = build_schema(Query, Mutation, types=[NotificationDelivery, Booking])
SPEC = SubgraphSpec(
    name="notification", schema=schema, metadata=models.Base.metadata, tables=models.TABLES,
    consumes={"auth": service.apply_auth_event,
              "booking": service.apply_booking_or_payment_event,
              "payment": service.apply_booking_or_payment_event},
    background=[service.worker, webhooks.worker], routes=_routes)
