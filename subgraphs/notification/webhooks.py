"""Outgoing webhooks: an organizer's HTTPS endpoints receive the booking and payment events
of their own shows, signed, retried with backoff, visible with their attempts, replayable
(docs/webhooks.md).

* The consumer (:func:`apply_event`) keeps each event it carries (``webhook_events``) and
  records one PENDING delivery per (endpoint, event) in the transaction that marks the event
  processed: a redelivered event finds its row and adds nothing. Booking's events name the
  organizer in BookingCreated only; later events of the booking (payment's too, on another
  stream) find it in ``webhook_bookings``, or wait there until BookingCreated arrives.
* The worker (:func:`worker`) posts due deliveries with httpx. A delivery is claimed by
  moving its ``next_attempt_at`` past the request's deadline (a crashed worker's claim lapses
  and the delivery is sent again: at least once; receivers deduplicate by event id). A 2xx
  answer is SUCCEEDED; anything else is FAILED and waits (exponential backoff with jitter,
  tenacity's ``wait_exponential_jitter``) until the retry window since the series' first
  attempt has passed: then PARKED. A replay starts a new series.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import RetryCallState, Retrying, wait_exponential_jitter

from subgraphs.kernel.auth import Caller, require_caller, require_role
from subgraphs.kernel.db import all_each, new_id, utcnow
from subgraphs.kernel.errors import BadUserInput, Forbidden, NotFound
from subgraphs.kernel.events import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingExpired,
    BookingRescheduled,
    Event,
    Payload,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
)
from subgraphs.kernel.service import Service, repeat
from subgraphs.kernel.settings import Settings
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.notification.models import (
    FAILED,
    PARKED,
    PENDING,
    SUCCEEDED,
    WebhookAttempt,
    WebhookBooking,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger("ticketflow.notification.webhooks")

# The events an endpoint may subscribe to, by name.
EVENTS: dict[str, type[Payload]] = {cls.type_name(): cls for cls in (
    BookingCreated, BookingConfirmed, BookingCancelled, BookingExpired, BookingRescheduled,
    PaymentSucceeded, PaymentFailed, PaymentRefunded)}
DUE = (PENDING, FAILED)
STATUSES = (PENDING, SUCCEEDED, FAILED, PARKED)
SIGNATURE_HEADER = "TicketFlow-Signature"
EVENT_ID_HEADER = "TicketFlow-Event-Id"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
MAX_URL = 2048
MAX_DESCRIPTION = 500
MAX_ENDPOINTS = 20
POLL_SECONDS = 0.5
BATCH = 20


# --- signatures ----------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``TicketFlow-Signature`` header: ``t=<unix time>,v1=<hex HMAC-SHA256 of
    "<t>.<body>" keyed with the endpoint's secret>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def body_of(event: WebhookEvent) -> bytes:
    """What is posted: ``{id, type, created, data}`` (JSON, UTF-8)."""
    return json.dumps({"id": event.id, "type": event.type,
                       "created": int(event.occurred_at.timestamp()),
                       "data": json.loads(event.data)},
                      separators=(",", ":"), sort_keys=True).encode()


# --- where a webhook may go ----------------------------------------------------------------


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def address_problem(settings: Settings, url: str) -> str | None:
    """Why a webhook may not be posted to ``url``'s host now, or ``None``. Outside production
    any address will do (a receiver on 127.0.0.1); in production every address the host
    resolves to must be public (no loopback, private, link-local, shared or reserved
    ranges): a webhook must not reach into the platform's own network."""
    if settings.env != "production":
        return None
    host = urlsplit(url).hostname or ""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None,
                                                             type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"The host {host} does not resolve: {exc}."
    addresses = {info[4][0] for info in found}
    if not addresses or not all(_public(str(a)) for a in addresses):
        return f"The host {host} resolves to an address that is not public."
    return None


async def _check_url(settings: Settings, url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL:
        raise BadUserInput(f"At most {MAX_URL} characters.", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises here
        httpx.URL(url)  # what the worker will post to must parse there too
    except (ValueError, httpx.InvalidURL) as exc:
        raise BadUserInput(f"Not a URL: {exc}.", field="url") from exc
    production = settings.env == "production"
    allowed = ("https",) if production else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise BadUserInput("An https:// URL with a host is needed." if production else
                           "An http:// or https:// URL with a host is needed.", field="url")
    if any(c.isspace() for c in url):
        raise BadUserInput("A URL has no spaces (encode them as %20).", field="url")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise BadUserInput("The URL may not carry credentials or a fragment.", field="url")
    problem = await address_problem(settings, url)
    if problem is not None:
        raise BadUserInput(problem, field="url")
    return url


def _check_events(events: Sequence[str]) -> list[str]:
    if not events:
        raise BadUserInput("Name at least one event.", field="events")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise BadUserInput(f"Unknown events: {', '.join(unknown)}; known are "
                           f"{', '.join(EVENTS)}.", field="events")
    return sorted(set(events))


def _check_description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise BadUserInput(f"At most {MAX_DESCRIPTION} characters.", field="description")
    return description or None


def subscribed(endpoint: WebhookEndpoint) -> list[str]:
    return list(json.loads(endpoint.events))


# --- endpoints: the organizer's use cases ---------------------------------------------------


async def _owned(session: AsyncSession, caller: Caller | None, endpoint_id: str,
                 *, lock: bool = False) -> WebhookEndpoint:
    who = require_caller(caller)
    endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=lock)
    if endpoint is None:
        raise NotFound("No webhook endpoint with this id.", field="id")
    if endpoint.organizer_id != who.user_id and not who.is_admin:
        raise Forbidden("This webhook endpoint belongs to another organizer.")
    return endpoint


async def create_endpoint(service: Service, caller: Caller | None, url: str,
                          events: Sequence[str], description: str | None
                          ) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the caller's (organizers and admins) and its secret, which is
    shown this once."""
    who = require_role(caller, "ORGANIZER")
    url = await _check_url(service.settings, url)
    wanted = _check_events(events)
    description = _check_description(description)
    async with service.uow() as uow:
        mine = len(list(await uow.session.scalars(
            select(WebhookEndpoint.id).where(WebhookEndpoint.organizer_id == who.user_id))))
        if mine >= MAX_ENDPOINTS:
            raise BadUserInput(f"At most {MAX_ENDPOINTS} webhook endpoints each.", field="url")
        now = utcnow()
        endpoint = WebhookEndpoint(id=new_id(), organizer_id=who.user_id, url=url,
                                   description=description, events=json.dumps(wanted),
                                   enabled=True, secret=new_secret(), created_at=now,
                                   updated_at=now)
        uow.session.add(endpoint)
        await uow.commit()
    return endpoint, endpoint.secret


async def update_endpoint(service: Service, caller: Caller | None, endpoint_id: str, *,
                          url: str | None, events: Sequence[str] | None,
                          description: str | None, enabled: bool | None) -> WebhookEndpoint:
    """Change what is given; everything is checked before anything changes."""
    require_caller(caller)
    checked_url = None if url is None else await _check_url(service.settings, url)
    wanted = None if events is None else _check_events(events)
    description = _check_description(description)
    async with service.uow() as uow:
        endpoint = await _owned(uow.session, caller, endpoint_id, lock=True)
        if checked_url is not None:
            endpoint.url = checked_url
        if wanted is not None:
            endpoint.events = json.dumps(wanted)
        if description is not None:
            endpoint.description = description or None
        if enabled is not None:
            endpoint.enabled = enabled
        endpoint.updated_at = utcnow()
        if enabled:
            _wake_after_commit(service, uow)
        await uow.commit()
    return endpoint


async def delete_endpoint(service: Service, caller: Caller | None, endpoint_id: str
                          ) -> WebhookEndpoint:
    """Remove an endpoint with its deliveries and their attempts."""
    async with service.uow() as uow:
        endpoint = await _owned(uow.session, caller, endpoint_id, lock=True)
        ids = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
        await uow.session.execute(delete(WebhookAttempt)
                                  .where(WebhookAttempt.delivery_id.in_(ids)))
        await uow.session.execute(delete(WebhookDelivery)
                                  .where(WebhookDelivery.endpoint_id == endpoint.id))
        await uow.session.delete(endpoint)
        await uow.commit()
    return endpoint


async def rotate_secret(service: Service, caller: Caller | None, endpoint_id: str
                        ) -> tuple[WebhookEndpoint, str]:
    """A new secret at once (the old one signs nothing more), shown this once."""
    async with service.uow() as uow:
        endpoint = await _owned(uow.session, caller, endpoint_id, lock=True)
        endpoint.secret = new_secret()
        endpoint.updated_at = utcnow()
        await uow.commit()
    return endpoint, endpoint.secret


async def endpoints(service: Service, caller: Caller | None) -> list[WebhookEndpoint]:
    """The caller's endpoints (organizers); every endpoint (admins)."""
    who = require_role(caller, "ORGANIZER")
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    if not who.is_admin:
        query = query.where(WebhookEndpoint.organizer_id == who.user_id)
    async with service.db.reader() as session:
        return list(await session.scalars(query))


async def deliveries(service: Service, endpoint_id: str, status: str | None, first: int
                     ) -> list[WebhookDelivery]:
    """An endpoint's deliveries, newest first (the endpoint was authorized by its reader)."""
    if not 1 <= first <= 500:
        raise BadUserInput("first must be between 1 and 500.", field="first")
    query = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
             .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(first))
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    async with service.db.reader() as session:
        return list(await session.scalars(query))


async def attempts_by_delivery(session: AsyncSession, delivery_ids: Sequence[str]
                               ) -> list[list[WebhookAttempt]]:
    """Each delivery's attempts, oldest first, in one query."""
    return await all_each(session, WebhookAttempt.delivery_id, delivery_ids, WebhookAttempt.at)


async def replay(service: Service, caller: Caller | None, delivery_id: str) -> WebhookDelivery:
    """Send a delivery again (any status): a new series of attempts, the same event id."""
    require_caller(caller)
    async with service.uow() as uow:
        delivery = await uow.session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            raise NotFound("No webhook delivery with this id.", field="id")
        await _owned(uow.session, caller, delivery.endpoint_id)
        delivery.status = PENDING
        delivery.next_attempt_at = utcnow()
        delivery.series_started_at = None
        delivery.series_attempts = 0
        _wake_after_commit(service, uow)
        await uow.commit()
    return delivery


# --- the consumer --------------------------------------------------------------------------


def _wake(service: Service) -> asyncio.Event:
    return service.once("webhook_wake", asyncio.Event)


def _wake_after_commit(service: Service, uow: UnitOfWork) -> None:
    async def wake() -> None:
        _wake(service).set()

    uow.after_commit(wake)


async def _fan_out(session: AsyncSession, event: WebhookEvent) -> int:
    """A PENDING delivery of ``event`` for each enabled endpoint of its organizer that wants
    it (none twice)."""
    if not event.organizer_id:
        return 0
    made = 0
    found = await session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.organizer_id == event.organizer_id, WebhookEndpoint.enabled))
    for endpoint in found:
        if event.type not in subscribed(endpoint):
            continue
        exists = await session.scalar(select(WebhookDelivery.id).where(
            WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.event_id == event.id))
        if exists is not None:
            continue
        session.add(WebhookDelivery(id=new_id(), endpoint_id=endpoint.id, event_id=event.id,
                                    event_type=event.type, status=PENDING,
                                    next_attempt_at=utcnow(), series_attempts=0,
                                    created_at=utcnow()))
        made += 1
    return made


async def apply_event(service: Service, uow: UnitOfWork, event: Event) -> None:
    """Keep a booking or payment event webhooks carry and record its deliveries."""
    cls = EVENTS.get(event.type)
    if cls is None:
        return
    session = uow.session
    if await session.get(WebhookEvent, event.id) is not None:
        return  # a redelivered event: its deliveries exist
    payload = cls.read(event).to_payload()
    booking_id = str(payload["booking_id"])
    if cls is BookingCreated:
        organizer: str | None = str(payload["organizer_id"]) or None
        if await session.get(WebhookBooking, booking_id) is None and organizer:
            session.add(WebhookBooking(booking_id=booking_id, organizer_id=organizer,
                                       show_id=str(payload.get("show_id") or "")))
    else:
        known = await session.get(WebhookBooking, booking_id)
        organizer = known.organizer_id if known is not None else None
    row = WebhookEvent(id=event.id, type=event.type, booking_id=booking_id,
                       organizer_id=organizer, occurred_at=event.occurred,
                       data=json.dumps(payload, sort_keys=True))
    session.add(row)
    await session.flush()
    made = await _fan_out(session, row)
    if organizer and event.type == BookingCreated.type_name():
        # Events of this booking that came first (payment's stream) were waiting for it.
        waiting = await session.scalars(select(WebhookEvent).where(
            WebhookEvent.booking_id == booking_id, WebhookEvent.organizer_id.is_(None)))
        for early in waiting:
            early.organizer_id = organizer
            made += await _fan_out(session, early)
    if made:
        _wake_after_commit(service, uow)


# --- the worker ----------------------------------------------------------------------------


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure of a series: base * 2**(n-1) plus up to
    base of jitter, at most the cap (tenacity's ``wait_exponential_jitter``)."""
    wait = wait_exponential_jitter(initial=settings.webhook_retry_seconds,
                                   max=settings.webhook_max_backoff_seconds,
                                   jitter=settings.webhook_retry_seconds)
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = max(1, attempts)
    return timedelta(seconds=wait(state))


def _client(service: Service) -> httpx.AsyncClient:
    return service.once("webhook_client", lambda: httpx.AsyncClient(
        timeout=service.settings.webhook_timeout_seconds, follow_redirects=False,
        headers={"user-agent": "TicketFlow-Webhooks/1"}))


async def _claim(service: Service, delivery_id: str, now: datetime) -> bool:
    """Take a due delivery for this worker until its request's deadline has passed."""
    lease = now + timedelta(seconds=service.settings.webhook_timeout_seconds + 30)
    async with service.db.writer() as session, session.begin():
        claimed = await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status.in_(DUE),
                   WebhookDelivery.next_attempt_at <= now)
            .values(next_attempt_at=lease).execution_options(synchronize_session=False))
        return claimed.rowcount == 1  # type: ignore[attr-defined]


async def _post(service: Service, endpoint: WebhookEndpoint, event: WebhookEvent
                ) -> tuple[int | None, str | None, int]:
    """One signed request: (HTTP status, error, milliseconds)."""
    body = body_of(event)
    headers = {"content-type": "application/json", EVENT_ID_HEADER: event.id,
               SIGNATURE_HEADER: signature(endpoint.secret, int(time.time()), body)}
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    problem = await address_problem(service.settings, endpoint.url)
    if problem is not None:
        error = problem
    else:
        try:
            answer = await _client(service).post(endpoint.url, content=body, headers=headers)
            status = answer.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        except Exception as exc:  # a URL httpx refuses, say: recorded, retried, then parked
            log.exception("webhook to %s failed unexpectedly", endpoint.url)
            error = f"internal error: {type(exc).__name__}"
    return status, error, int((time.perf_counter() - started) * 1000)


async def _attempt(service: Service, delivery_id: str) -> None:
    async with service.db.reader() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        endpoint = None if delivery is None else await session.get(
            WebhookEndpoint, delivery.endpoint_id)
        event = None if delivery is None else await session.get(WebhookEvent, delivery.event_id)
    if delivery is None or endpoint is None or event is None:
        return  # deleted meanwhile
    at = utcnow()
    status, error, took = await _post(service, endpoint, event)
    now = utcnow()
    started = delivery.series_started_at or at
    attempts = delivery.series_attempts + 1
    values: dict[str, Any] = {"series_started_at": started, "series_attempts": attempts}
    if error is None:
        values |= {"status": SUCCEEDED, "next_attempt_at": None}
    else:
        retry_at = now + backoff(service.settings, attempts)
        window = timedelta(seconds=service.settings.webhook_retry_window_seconds)
        if retry_at - started > window:
            values |= {"status": PARKED, "next_attempt_at": None}
            log.warning("webhook delivery %s parked after %d attempts: %s", delivery.id,
                        attempts, error)
        else:
            values |= {"status": FAILED, "next_attempt_at": retry_at}
    async with service.db.writer() as session, session.begin():
        session.add(WebhookAttempt(id=new_id(), delivery_id=delivery.id, at=at,
                                   status_code=status, error=None if error is None
                                   else error[:500], duration_ms=took))
        # Only the claim this worker holds (a replay meanwhile starts afresh).
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery.id,
                   WebhookDelivery.series_attempts == delivery.series_attempts,
                   WebhookDelivery.status.in_(DUE))
            .values(**values).execution_options(synchronize_session=False))


async def deliver_due(service: Service, limit: int = BATCH) -> int:
    """Post up to ``limit`` due deliveries of enabled endpoints, side by side; how many."""
    now = utcnow()
    async with service.db.reader() as session:
        due = list(await session.scalars(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.status.in_(DUE), WebhookDelivery.next_attempt_at <= now,
                   WebhookEndpoint.enabled)
            .order_by(WebhookDelivery.next_attempt_at).limit(limit)))
    claimed = [d for d in due if await _claim(service, d, now)]
    await asyncio.gather(*(_attempt(service, d) for d in claimed))
    return len(claimed)


async def worker(service: Service) -> None:
    """Background job: post what is due, forever."""
    async def step() -> None:
        while await deliver_due(service) > 0:
            pass

    try:
        await repeat(step, every=POLL_SECONDS, what="webhook worker", wake=_wake(service))
    finally:
        if "webhook_client" in service.state:
            await service.state.pop("webhook_client").aclose()
