"""The waiting room's part of booking's graph (docs/waiting-room.md): its types, and the
queries and mutations that booking's Query and Mutation take in. Each resolver is a call
of :mod:`.waiting_room`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import TypeVar

import strawberry
from fastapi.responses import JSONResponse

from subgraphs.booking import waiting_room
from subgraphs.booking.queue_security import TicketId
from subgraphs.booking.waiting_room import QueueStats, TicketView
from subgraphs.kernel.graphql import Info
from subgraphs.kernel.guards import RateLimited
from subgraphs.kernel.service import Service

T = TypeVar("T")


@strawberry.enum(description="Where a queue ticket stands.")
class QueueTicketState(Enum):
    WAITING = "WAITING"
    ADMITTED = "ADMITTED"
    EXPIRED = "EXPIRED"


@strawberry.type(description="Your place in a show's waiting room. Poll queueStatus after "
                 "pollAfterSeconds; once ADMITTED, send pass as the TicketFlow-Queue-Pass "
                 "header of your holds of the show (one purchase session, until "
                 "passExpiresAt).")
class QueueTicket:
    id: strawberry.ID
    show_id: strawberry.ID
    state: QueueTicketState
    position: int | None = strawberry.field(description="1: next in line. Null before the "
                                            "queue opens (the pre-queue is then placed in "
                                            "random order) and once admitted.")
    estimated_wait_seconds: int | None = strawberry.field(description="Null while the queue "
                                                          "is paused.")
    poll_after_seconds: int = strawberry.field(description="When to ask again.")
    pass_: str | None = strawberry.field(name="pass", description="The queue pass, once "
                                         "ADMITTED.")
    pass_expires_at: datetime | None

    @classmethod
    def of(cls, v: TicketView) -> QueueTicket:
        return cls(id=strawberry.ID(v.id), show_id=strawberry.ID(v.show_id),
                   state=QueueTicketState(v.state), position=v.position,
                   estimated_wait_seconds=v.estimated_wait_seconds,
                   poll_after_seconds=v.poll_after_seconds, pass_=v.queue_pass,
                   pass_expires_at=v.pass_expires_at)


@strawberry.type(description="What to answer before joining a queue. kind pow: find a "
                 "solution (at most 64 characters) such that sha256(nonce + ':' + solution) "
                 "starts with difficulty zero bits.")
class QueueChallenge:
    kind: str
    nonce: str
    difficulty: int


@strawberry.type(description="A show's waiting room as its organizer and admins see it.")
class ShowQueue:
    opens_at: datetime
    rate_per_minute: int = strawberry.field(description="Admissions per minute now (auto: "
                                            "75 % of the measured hold capacity).")
    auto: bool
    paused: bool
    opened: bool
    waiting: int
    admitted: int = strawberry.field(description="Places admitted so far.")
    sold: int = strawberry.field(description="Passes whose hold was paid for.")
    abandoned: int = strawberry.field(description="Passes that expired without a sale.")
    require_verified_email: bool = strawberry.field(
        description="joinQueue takes only accounts with a verified email address.")

    @classmethod
    def of(cls, s: QueueStats) -> ShowQueue:
        return cls(opens_at=s.queue.opens_at, rate_per_minute=round(s.rate_per_minute),
                   auto=s.queue.rate_per_minute is None, paused=s.queue.paused,
                   opened=s.opened, waiting=s.waiting, admitted=s.admitted, sold=s.sold,
                   abandoned=s.abandoned,
                   require_verified_email=s.queue.require_verified_email)


@strawberry.input(description="A show's waiting room.")
class QueueInput:
    opens_at: datetime = strawberry.field(description="When the pre-queue is shuffled and "
                                          "admission starts (with its UTC offset).")
    rate_per_minute: int | None = strawberry.field(
        default=None, description="People admitted per minute; leave out for auto.")
    require_verified_email: bool = strawberry.field(
        default=True, description="joinQueue takes only accounts whose email address is "
        "verified (EMAIL_NOT_VERIFIED otherwise): one place per verified account.")


async def show_queue(info: Info, show_id: str) -> ShowQueue | None:
    """Show.queue: null without a waiting room; the organizer's and admins' otherwise."""
    found = await waiting_room.stats(info.context.service, info.context.caller, show_id)
    return None if found is None else ShowQueue.of(found)


async def _stats(info: Info, show_id: strawberry.ID) -> ShowQueue:
    found = await show_queue(info, str(show_id))
    assert found is not None  # noqa: S101 - the mutation just found the queue
    return found


@strawberry.type
class QueueQuery:
    @strawberry.field(description="Your queue ticket: position, estimated wait, the pass once "
                      "admitted.")
    async def queue_status(self, info: Info, ticket_id: strawberry.ID) -> QueueTicket:
        return QueueTicket.of(await waiting_room.status(
            info.context.service, info.context.caller, str(ticket_id)))

    @strawberry.field(description="The challenge to answer in joinQueue (null: none).")
    async def queue_challenge(self, info: Info, show_id: strawberry.ID) -> QueueChallenge | None:
        found = await waiting_room.challenge(info.context.service, info.context.caller,
                                             str(show_id))
        return None if found is None else QueueChallenge(kind=found.kind, nonce=found.nonce,
                                                         difficulty=found.difficulty)


@strawberry.type
class QueueMutation:
    @strawberry.mutation(description="Put a show behind a waiting room, or change its opening "
                         "time (until it opens) and rate (its organizer or an admin).")
    async def configure_queue(self, info: Info, show_id: strawberry.ID,
                              input: QueueInput) -> ShowQueue:
        await waiting_room.configure(info.context.service, info.context.caller, str(show_id),
                                     input.opens_at, input.rate_per_minute,
                                     input.require_verified_email)
        return await _stats(info, show_id)

    @strawberry.mutation(description="Stop admitting; everyone keeps their place.")
    async def pause_queue(self, info: Info, show_id: strawberry.ID) -> ShowQueue:
        await waiting_room.set_paused(info.context.service, info.context.caller, str(show_id),
                                      True)
        return await _stats(info, show_id)

    @strawberry.mutation(description="Admit again at the queue's rate.")
    async def resume_queue(self, info: Info, show_id: strawberry.ID) -> ShowQueue:
        await waiting_room.set_paused(info.context.service, info.context.caller, str(show_id),
                                      False)
        return await _stats(info, show_id)

    @strawberry.mutation(description="Join a show's waiting room (one place per account: "
                         "joining again returns the same ticket). Before opensAt you are in "
                         "the pre-queue, placed in random order at opening; later, at the "
                         "back. Answer queueChallenge with nonce and solution.")
    async def join_queue(self, info: Info, show_id: strawberry.ID, nonce: str | None = None,
                         solution: str | None = None) -> QueueTicket:
        return QueueTicket.of(await waiting_room.join(
            info.context.service, info.context.caller, str(show_id), nonce, solution,
            info.context.client_address))


async def plain_status(service: Service, ticket_id: str) -> JSONResponse:
    """GET /queue/status/<ticket id>: what queueStatus answers, as plain JSON (the signed
    ticket id is the credential); 404 for an id not signed here, 429 past the rate limit."""
    ticket = TicketId.read(service.settings.queue_pass_secret, ticket_id)
    queue = None if ticket is None else await waiting_room.queue_of(service, ticket.show_id)
    if ticket is None or queue is None:
        return JSONResponse({"code": "NOT_FOUND", "message": "No such queue ticket."}, 404)
    try:
        v = await waiting_room.status_of(service, ticket)
    except RateLimited as refused:
        return JSONResponse({"code": "RATE_LIMITED", "message": refused.message,
                             **refused.details}, 429)
    return JSONResponse({
        "id": v.id, "showId": v.show_id, "state": v.state, "position": v.position,
        "estimatedWaitSeconds": v.estimated_wait_seconds,
        "pollAfterSeconds": v.poll_after_seconds, "pass": v.queue_pass,
        "passExpiresAt": None if v.pass_expires_at is None else v.pass_expires_at.isoformat()})


async def queued_hold(info: Info, show_id: str, idempotency_key: str | None,
                      hold: Callable[[], Awaitable[T]], held: Callable[[T], str | None]) -> T:
    """Run a hold of ``show_id`` through the waiting room: a queued show needs the caller's
    pass (spent by the first hold that succeeds; ``held`` names the hold's id, None for a
    refusal, which gives the pass back)."""
    request = getattr(info.context, "request", None)
    token = request.headers.get(waiting_room.PASS_HEADER) if request is not None else None
    service = info.context.service
    jti = await waiting_room.admit_hold(service, info.context.caller, show_id, token,
                                        idempotency_key)
    if jti is None:
        return await hold()
    try:
        result = await hold()
    except BaseException:
        await waiting_room.settle_hold(service, jti, None)
        raise
    await waiting_room.settle_hold(service, jti, held(result))
    return result
