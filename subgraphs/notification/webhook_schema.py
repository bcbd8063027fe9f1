"""The GraphQL side of outgoing webhooks (docs/webhooks.md): organizers' endpoints, their
deliveries and attempts. Thin: :mod:`.webhooks` decides."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from subgraphs.kernel.graphql import Info, session_batch
from subgraphs.kernel.inputs import text_rule
from subgraphs.notification import models, webhooks

_load_attempts = session_batch(webhooks.attempts_by_delivery)
Url = Annotated[str, strawberry.argument(metadata=text_rule(webhooks.MAX_URL))]
Description = Annotated[str, strawberry.argument(
    metadata=text_rule(webhooks.MAX_DESCRIPTION))]


@strawberry.enum(description="Where a webhook delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not tried yet (or replayed).")
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The endpoint answered 2xx.")
    FAILED = strawberry.enum_value("FAILED", description="Failed for now; tried again at "
                                   "nextAttemptAt.")
    PARKED = strawberry.enum_value("PARKED", description="Given up: still failing when the "
                                   "retry window (3 days) had passed. replayWebhookDelivery "
                                   "sends it again.")


@strawberry.type(description="One request of a webhook delivery.")
class WebhookAttempt:
    at: datetime
    status_code: int | None = strawberry.field(description="The endpoint's HTTP status; null "
                                               "when no answer came.")
    error: str | None = strawberry.field(description="Why it failed; null when it succeeded.")
    duration_ms: int

    @classmethod
    def from_model(cls, a: models.WebhookAttempt) -> WebhookAttempt:
        return cls(at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms)


@strawberry.type(description="One event for one webhook endpoint, delivered at least once.")
class WebhookDelivery:
    id: strawberry.ID
    event_id: str = strawberry.field(description="The event's id: the TicketFlow-Event-Id "
                                     "header and the body's id, the same on every attempt "
                                     "and replay.")
    event_type: str
    status: WebhookDeliveryStatus
    next_attempt_at: datetime | None
    created_at: datetime

    @strawberry.field(description="Every request made, oldest first (replays included).")
    async def attempts(self, info: Info) -> list[WebhookAttempt]:
        rows = await info.context.loader(_load_attempts).load(str(self.id))
        return [WebhookAttempt.from_model(a) for a in rows]

    @classmethod
    def from_model(cls, d: models.WebhookDelivery) -> WebhookDelivery:
        return cls(id=strawberry.ID(d.id), event_id=d.event_id, event_type=d.event_type,
                   status=WebhookDeliveryStatus(d.status), next_attempt_at=d.next_attempt_at,
                   created_at=d.created_at)


@strawberry.type(description="An organizer's HTTPS endpoint for the booking and payment "
                 "events of their shows (docs/webhooks.md).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    created_at: datetime

    @strawberry.field(description="Its deliveries, newest first.")
    async def deliveries(self, info: Info, first: int = 50,
                         status: WebhookDeliveryStatus | None = None) -> list[WebhookDelivery]:
        rows = await webhooks.deliveries(info.context.service, str(self.id),
                                         status.name if status else None, first)
        return [WebhookDelivery.from_model(d) for d in rows]

    @classmethod
    def from_model(cls, e: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(id=strawberry.ID(e.id), url=e.url, events=json.loads(e.events),
                   description=e.description, enabled=e.enabled, created_at=e.created_at)


@strawberry.type(description="An endpoint and its signing secret, shown this once.")
class CreatedWebhookEndpoint:
    endpoint: WebhookEndpoint
    secret: str = strawberry.field(description="The HMAC-SHA256 key of the "
                                   "TicketFlow-Signature header (whsec_...). Keep it: it is "
                                   "never shown again.")


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="The caller's webhook endpoints (organizers); every "
                      "endpoint (admins).")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        rows = await webhooks.endpoints(info.context.service, info.context.caller)
        return [WebhookEndpoint.from_model(e) for e in rows]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Register an endpoint for events of the caller's shows "
                         "(organizers): https only in production, and only public "
                         f"addresses. Events: {', '.join(webhooks.EVENTS)}.")
    async def create_webhook_endpoint(
        self, info: Info, url: Url, events: list[str], description: Description | None = None,
    ) -> CreatedWebhookEndpoint:
        endpoint, secret = await webhooks.create_endpoint(
            info.context.service, info.context.caller, url, events, description)
        return CreatedWebhookEndpoint(endpoint=WebhookEndpoint.from_model(endpoint),
                                      secret=secret)

    @strawberry.mutation(description="Change an endpoint's URL, events, description or "
                         "whether it is enabled (its owner and admins). A disabled endpoint gets "
                         "no deliveries of new events; those recorded before wait until it "
                         "is enabled again.")
    async def update_webhook_endpoint(
        self, info: Info, id: strawberry.ID, url: Url | None = None,
        events: list[str] | None = None, description: Description | None = None,
        enabled: bool | None = None,
    ) -> WebhookEndpoint:
        endpoint = await webhooks.update_endpoint(
            info.context.service, info.context.caller, str(id), url=url, events=events,
            description=description, enabled=enabled)
        return WebhookEndpoint.from_model(endpoint)

    @strawberry.mutation(description="Remove an endpoint with its deliveries (its owner and "
                         "admins).")
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint:
        endpoint = await webhooks.delete_endpoint(info.context.service, info.context.caller,
                                                  str(id))
        return WebhookEndpoint.from_model(endpoint)

    @strawberry.mutation(description="Replace an endpoint's secret at once (its owner and "
                         "admins); the new one is shown this once.")
    async def rotate_webhook_secret(self, info: Info, id: strawberry.ID
                                    ) -> CreatedWebhookEndpoint:
        endpoint, secret = await webhooks.rotate_secret(info.context.service,
                                                        info.context.caller, str(id))
        return CreatedWebhookEndpoint(endpoint=WebhookEndpoint.from_model(endpoint),
                                      secret=secret)

    @strawberry.mutation(description="Send a delivery again, whatever its status (its "
                         "endpoint's owner and admins): a new series of attempts with the "
                         "same event id.")
    async def replay_webhook_delivery(self, info: Info, id: strawberry.ID) -> WebhookDelivery:
        delivery = await webhooks.replay(info.context.service, info.context.caller, str(id))
        return WebhookDelivery.from_model(delivery)
