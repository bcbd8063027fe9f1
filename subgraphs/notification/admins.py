"""Notification's admin use cases: list deliveries, read one, retry a parked one."""

from __future__ import annotations

from sqlalchemy import select

from subgraphs.kernel.auth import Caller, require_role
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel.service import Service
from subgraphs.notification.models import EMAIL, PARKED, PENDING, SMS, Delivery


def _key(delivery_id: str) -> tuple[str, str]:
    event_id, _, channel = delivery_id.rpartition(":")
    if not event_id or channel not in (EMAIL, SMS):
        raise NotFound("No delivery with this id.", field="id")
    return event_id, channel


async def deliveries(service: Service, caller: Caller | None, status: str | None,
                     first: int) -> list[Delivery]:
    """The newest deliveries (of one status), for admins."""
    require_role(caller, "ADMIN")
    if not 1 <= first <= 500:
        raise BadUserInput("first must be between 1 and 500.", field="first")
    query = select(Delivery).order_by(Delivery.created_at.desc(), Delivery.event_id).limit(first)
    if status is not None:
        query = query.where(Delivery.status == status)
    async with service.db.reader() as session:
        return list(await session.scalars(query))


async def delivery(service: Service, caller: Caller | None, delivery_id: str
                   ) -> Delivery | None:
    """One delivery by id (admins)."""
    require_role(caller, "ADMIN")
    try:
        key = _key(delivery_id)
    except NotFound:
        return None
    async with service.db.reader() as session:
        return await session.get(Delivery, key)


async def retry(service: Service, caller: Caller | None, delivery_id: str) -> Delivery:
    """Queue a parked delivery again with a fresh set of attempts (admins)."""
    require_role(caller, "ADMIN")
    event_id, channel = _key(delivery_id)
    async with service.uow() as uow:
        delivery = await uow.session.get(Delivery, (event_id, channel), with_for_update=True)
        if delivery is None:
            raise NotFound("No delivery with this id.", field="id")
        if delivery.status != PARKED:
            raise Conflict(f"Only parked deliveries can be retried; this one is "
                           f"{delivery.status}.", field="id")
        delivery.status = PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = utcnow()
        delivery.claimed_at = None
        service.wake_after_commit(uow)
        await uow.commit()
    return delivery
