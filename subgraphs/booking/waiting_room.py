"""The waiting room's use cases (docs/waiting-room.md): configure, pause and resume a
show's queue; join it, read a ticket's status (and its pass once admitted); the admitter;
the check every hold of a queued show passes (its queue pass, spent once).

The numbers of who waits where are the queue store's (:mod:`.queue_store`); what is signed
and checked, :mod:`.queue_security`; the show's queue settings and spent passes are rows of
booking's database (``show_queues``, ``queue_pass_uses``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from subgraphs.booking import shows
from subgraphs.booking.models import (
    CANCELLED,
    BookableShow,
    Hold,
    HoldStatus,
    QueuePassUse,
    ShowQueue,
)
from subgraphs.booking.queue_security import (
    Challenge,
    ChallengeVerifier,
    TicketId,
    challenge_verifier,
    issue_pass,
    read_pass,
)
from subgraphs.booking.queue_store import (
    MemoryQueueStore,
    QueueSettings,
    QueueStore,
    RedisQueueStore,
)
from subgraphs.kernel.auth import Caller, require_caller, require_role
from subgraphs.kernel.errors import (
    BadUserInput,
    Conflict,
    EmailNotVerified,
    ErrorCode,
    Forbidden,
    NotFound,
    TicketFlowError,
)
from subgraphs.kernel.guards import RateLimited
from subgraphs.kernel.service import Service, repeat

PASS_HEADER: Final = "ticketflow-queue-pass"  # noqa: S105 - a header name
MAX_RATE_PER_MINUTE: Final = 1_000_000
AUTO_SHARE: Final = 0.75  # "auto" admits this share of the measured hold capacity
CONFIG_TTL_SECONDS: Final = 1.0  # how stale a process's copy of a show's queue may be
# pollAfterSeconds: a quarter of the time to the front, between these (docs/waiting-room.md)
MIN_POLL_SECONDS, MAX_POLL_SECONDS = 2, 120
POLL_SHARE: Final = 0.25
GOLDEN: Final = 0.6180339887498949  # spreads the tickets' jitter evenly over [0.75, 1)

WAITING, ADMITTED, EXPIRED = "WAITING", "ADMITTED", "EXPIRED"


class Queued(TicketFlowError):
    """A hold of a queued show without a valid, unspent queue pass."""

    code = ErrorCode.QUEUED


def store(service: Service) -> QueueStore:
    """This process's queue store: Redis when configured, else memory (embedded)."""
    s = service.settings

    def build() -> QueueStore:
        if s.redis_url:
            return RedisQueueStore(s.redis_url, s.redis_prefix, s.redis_timeout_seconds)
        return MemoryQueueStore()

    return service.once("queue_store", build)


def verifier(service: Service) -> ChallengeVerifier:
    s = service.settings
    return service.once("queue_challenge", lambda: challenge_verifier(
        s.queue_challenge, s.queue_pass_secret, s.queue_challenge_bits))


def rate_of(service: Service, queue: ShowQueue) -> float:
    """Admissions per minute: the organizer's, or 'auto' (75 % of the measured capacity)."""
    if queue.rate_per_minute is not None:
        return float(queue.rate_per_minute)
    return AUTO_SHARE * service.settings.queue_capacity_holds_per_second * 60


# ---------------------------------------------------------------------------------------
# settings of a show's queue (its organizer, admins)


def _configs(service: Service) -> dict[str, tuple[float, ShowQueue | None]]:
    return service.once("queue_configs", dict)


async def queue_of(service: Service, show_id: str, fresh: bool = False) -> ShowQueue | None:
    """The show's queue settings (None: no waiting room), at most CONFIG_TTL old."""
    cache = _configs(service)
    now = time.monotonic()
    found = cache.get(show_id)
    if not fresh and found is not None and now - found[0] < CONFIG_TTL_SECONDS:
        return found[1]
    row = await service.get(ShowQueue, show_id)
    if len(cache) > 10_000:
        cache.clear()
    cache[show_id] = (now, row)
    return row  # type: ignore[no-any-return]


async def _owned_show(service: Service, caller: Caller | None, show_id: str) -> shows.ShowInfo:
    who = require_role(caller, "ORGANIZER")
    show = await shows.show_info(service, show_id)
    if show is None:
        raise NotFound("No show with this id is on sale.", field="showId")
    if not who.is_admin and show.organizer_id != who.user_id:
        raise Forbidden("Only the show's organizer or an admin can manage its queue.")
    return show


async def configure(service: Service, caller: Caller | None, show_id: str,
                    opens_at: datetime, rate_per_minute: int | None,
                    require_verified_email: bool = True) -> ShowQueue:
    """Put the show behind a waiting room (or change its settings)."""
    await _owned_show(service, caller, show_id)
    if rate_per_minute is not None and not 1 <= rate_per_minute <= MAX_RATE_PER_MINUTE:
        raise BadUserInput(f"The rate must be between 1 and {MAX_RATE_PER_MINUTE:,} people "
                           "per minute (leave it out for auto).", field="input.ratePerMinute")
    if opens_at.tzinfo is None:
        raise BadUserInput("Give the opening time with its UTC offset.", field="input.opensAt")
    opened = (await store(service).state(show_id)).opened
    async with service.uow() as uow:
        row = await uow.session.get(ShowQueue, show_id, with_for_update=True)
        if row is None:
            row = ShowQueue(show_id=show_id, opens_at=opens_at, paused=False)
            uow.session.add(row)
        elif opened and row.opens_at != opens_at:
            raise Conflict("The queue has opened: its opening time can no longer change.",
                           field="input.opensAt")
        row.opens_at = opens_at
        row.rate_per_minute = rate_per_minute
        row.require_verified_email = require_verified_email
        row.updated_at = datetime.now(UTC)
        await uow.commit()
    _configs(service).pop(show_id, None)
    return await _fresh(service, show_id)


async def _fresh(service: Service, show_id: str) -> ShowQueue:
    row = await queue_of(service, show_id, fresh=True)
    if row is None:
        raise NotFound("This show has no waiting room.", field="showId")
    await _publish(service, row)
    return row


def _settings(service: Service, queue: ShowQueue) -> QueueSettings:
    return QueueSettings(queue.show_id, queue.opens_at.timestamp(), rate_of(service, queue),
                         queue.paused)


async def _publish(service: Service, queue: ShowQueue) -> None:
    await store(service).publish(_settings(service, queue))


async def set_paused(service: Service, caller: Caller | None, show_id: str,
                     paused: bool) -> ShowQueue:
    """Stop admitting (paused) or admit again; people keep their places either way."""
    await _owned_show(service, caller, show_id)
    async with service.uow() as uow:
        changed = await uow.session.execute(
            update(ShowQueue).where(ShowQueue.show_id == show_id)
            .values(paused=paused, updated_at=datetime.now(UTC)))
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise NotFound("This show has no waiting room.", field="showId")
        await uow.commit()
    return await _fresh(service, show_id)


@dataclass(frozen=True)
class QueueStats:
    queue: ShowQueue
    rate_per_minute: float
    opened: bool
    waiting: int
    admitted: int
    sold: int
    abandoned: int


async def stats(service: Service, caller: Caller | None, show_id: str) -> QueueStats | None:
    """What the show's operators see: waiting, admitted, sold, abandoned (None: no queue)."""
    queue = await queue_of(service, show_id, fresh=True)
    if queue is None:
        return None
    await _owned_show(service, caller, show_id)
    st = await store(service).state(show_id)
    admitted = st.admitted_places if st.opened else 0
    expired = await store(service).expired_passes(show_id, time.time())
    async with service.db.reader() as session:
        sold = await session.scalar(
            select(func.count()).select_from(QueuePassUse)
            .join(Hold, Hold.id == QueuePassUse.hold_id)
            .where(QueuePassUse.show_id == show_id, Hold.status == HoldStatus.BOOKED)) or 0
    return QueueStats(queue, rate_of(service, queue), st.opened,
                      waiting=st.arrivals - admitted, admitted=admitted, sold=sold,
                      abandoned=max(0, expired - sold))


# ---------------------------------------------------------------------------------------
# waiting


@dataclass(frozen=True)
class TicketView:
    id: str
    show_id: str
    state: str
    position: int | None  # people ahead + 1; None before the opening shuffle, or admitted
    estimated_wait_seconds: int | None
    poll_after_seconds: int
    queue_pass: str | None
    pass_expires_at: datetime | None


async def _limit(service: Service, key: str, limit: int) -> None:
    wait = await service.runtime.guards.hit(key, limit, service.settings.rate_limit_window_seconds)
    if wait is not None:
        raise RateLimited(wait)


async def challenge(service: Service, caller: Caller | None, show_id: str) -> Challenge | None:
    """The challenge to answer before joining (None: none is needed)."""
    who = require_caller(caller)
    if await queue_of(service, show_id) is None:
        raise NotFound("This show has no waiting room.", field="showId")
    return await verifier(service).challenge(show_id, who.user_id)


async def join(service: Service, caller: Caller | None, show_id: str, nonce: str | None,
               solution: str | None, address: str | None) -> TicketView:
    """A place in the show's queue (the same one again for the same account)."""
    who = require_caller(caller)
    s = service.settings
    await _limit(service, f"queue-join:account:{who.user_id}", s.queue_join_limit_per_account)
    if address:
        await _limit(service, f"queue-join:address:{address}", s.queue_join_limit_per_address)
    queue = await queue_of(service, show_id)
    if queue is None:
        raise NotFound("This show has no waiting room.", field="showId")
    if queue.require_verified_email and not who.email_verified:
        raise EmailNotVerified("This queue takes accounts with a verified email address: "
                               "open the link we mailed you (resendVerificationEmail sends "
                               "another), then refresh your tokens.")
    if not await verifier(service).verify(show_id, who.user_id, nonce, solution):
        raise BadUserInput("The challenge's answer is wrong or its nonce has expired: ask "
                           "for a new challenge.", field="solution")
    index, _new = await store(service).join(show_id, who.user_id)
    return await _view(service, TicketId(show_id, index, who.user_id), queue)


async def status(service: Service, caller: Caller | None, ticket_id: str) -> TicketView:
    """A ticket's position, estimated wait, and its pass once admitted (its owner only)."""
    who = require_caller(caller)
    ticket = TicketId.read(service.settings.queue_pass_secret, ticket_id)
    if ticket is None or ticket.user_id != who.user_id:
        raise NotFound("No such queue ticket of yours.", field="ticketId")
    return await status_of(service, ticket)


async def status_of(service: Service, ticket: TicketId) -> TicketView:
    """The status of a ticket whose id was checked: ``queueStatus``, and ``GET
    /queue/status/<ticket id>`` (the signed id is the credential there: it was given to its
    holder alone, and the pass it may return is bound to that holder's account)."""
    await _limit(service, f"queue-status:account:{ticket.user_id}",
                 service.settings.queue_status_limit_per_account)
    queue = await queue_of(service, ticket.show_id)
    if queue is None:
        raise NotFound("This show no longer has a waiting room.", field="ticketId")
    return await _view(service, ticket, queue)


def poll_after(to_front: float | None, index: int) -> int:
    """When a ticket should ask again: a quarter of its time to the front (``to_front``
    seconds: its position over the admission rate, or the time to the opening), between
    MIN_POLL_SECONDS and MAX_POLL_SECONDS, times a jitter in [0.75, 1) fixed per ticket (the
    arrival ``index``), so that a crowd that joined together does not poll together. The
    total poll rate is then about what is near the front (a ticket polls about four times
    while its position halves), not the length of the line. The router computes the same
    (router/lib/queue.mjs)."""
    if to_front is None:
        return MAX_POLL_SECONDS
    jitter = 0.75 + 0.25 * ((index * GOLDEN) % 1.0)
    return int(max(MIN_POLL_SECONDS, min(MAX_POLL_SECONDS, to_front * POLL_SHARE) * jitter))


async def _view(service: Service, ticket: TicketId, queue: ShowQueue) -> TicketView:
    """What a ticket's holder sees, from one read of the queue's numbers."""
    secret = service.settings.queue_pass_secret
    ticket_id = ticket.sign(secret)
    now = time.time()
    st = await store(service).state(ticket.show_id)
    place = st.place(ticket.index)
    per_second = rate_of(service, queue) / 60
    if place is None:  # before the opening shuffle
        wait = max(0.0, queue.opens_at.timestamp() - now)
        return TicketView(ticket_id, ticket.show_id, WAITING, None, math.ceil(wait),
                          poll_after(wait, ticket.index), None, None)
    position = place - st.admitted_places
    if position > 0:
        ahead = position / per_second  # while paused: as if admitting, to see the resume
        return TicketView(ticket_id, ticket.show_id, WAITING, position,
                          None if queue.paused else math.ceil(ahead),
                          poll_after(ahead, ticket.index), None, None)
    expires = await store(service).pass_expiry(ticket.show_id, place,
                                               now + service.settings.hold_max_seconds)
    at = datetime.fromtimestamp(expires, UTC)
    if expires <= now:
        return TicketView(ticket_id, ticket.show_id, EXPIRED, None, None, MAX_POLL_SECONDS,
                          None, at)
    token = issue_pass(secret, ticket.user_id, ticket.show_id, place, expires)
    return TicketView(ticket_id, ticket.show_id, ADMITTED, None, 0, MAX_POLL_SECONDS, token, at)


# ---------------------------------------------------------------------------------------
# admitting


async def admit_round(service: Service, now: float | None = None) -> None:
    """Open every queue whose time came, and admit at each one's rate since last round."""
    now = time.time() if now is None else now
    async with service.db.reader() as session:
        # A cancelled show sells nothing more: its line stands still.
        queues = list((await session.scalars(
            select(ShowQueue).join(BookableShow, BookableShow.id == ShowQueue.show_id)
            .where(BookableShow.status != CANCELLED))).all())
    await store(service).round([_settings(service, q) for q in queues], now)


async def admitter(service: Service) -> None:
    """Booking's background job: an admission round every queue_admit_interval_seconds."""
    await repeat(lambda: admit_round(service), every=service.settings.queue_admit_interval_seconds,
                 what="queue admission")


async def queued_show_ids(service: Service) -> list[str]:
    """Every show behind a waiting room (the router's list)."""
    async with service.db.reader() as session:
        return list((await session.scalars(select(ShowQueue.show_id))).all())


# ---------------------------------------------------------------------------------------
# holds of a queued show


async def admit_hold(service: Service, caller: Caller | None, show_id: str,
                     token: str | None, idempotency_key: str | None) -> str | None:
    """Check a hold of ``show_id``: None when the show has no waiting room; else the pass's
    id, now spent (a retry of the same hold, same idempotency key, may spend it again).
    ``QUEUED`` without a valid pass of this caller for this show, or with a spent one."""
    if caller is None or await queue_of(service, show_id) is None:
        return None
    found = read_pass(service.settings.queue_pass_secret, token) if token else None
    if found is None or found.user_id != caller.user_id or found.show_id != show_id:
        raise Queued("This show has a waiting room: join its queue and hold with the pass "
                     "you get when admitted (header TicketFlow-Queue-Pass).", showId=show_id)
    try:
        async with service.uow() as uow:
            uow.session.add(QueuePassUse(jti=found.jti, show_id=show_id,
                                         user_id=caller.user_id,
                                         idempotency_key=idempotency_key))
            await uow.commit()
    except IntegrityError:
        spent = await service.get(QueuePassUse, found.jti)
        if (spent is None or idempotency_key is None or spent.user_id != caller.user_id
                or spent.idempotency_key != idempotency_key):
            raise Queued("This queue pass was already used for a purchase.",
                         showId=show_id, reason="USED") from None
    return found.jti


async def settle_hold(service: Service, jti: str | None, hold_id: str | None) -> None:
    """After the hold: a refused one gives the pass back; a held one records its hold."""
    if jti is None:
        return
    async with service.uow() as uow:
        if hold_id is None:
            await uow.session.execute(delete(QueuePassUse).where(
                QueuePassUse.jti == jti, QueuePassUse.hold_id.is_(None)))
        else:
            await uow.session.execute(update(QueuePassUse).where(QueuePassUse.jti == jti)
                                      .values(hold_id=hold_id))
        await uow.commit()
