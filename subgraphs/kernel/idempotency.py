"""Idempotency keys: a retried create returns the first result and creates nothing new."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.errors import BadUserInput, Conflict
from subgraphs.kernel.tables import MAX_KEY

if TYPE_CHECKING:
    from subgraphs.kernel.db import Database
    from subgraphs.kernel.uow import UnitOfWork

T = TypeVar("T")


def clean_key(key: str | None, field: str = "idempotencyKey") -> str | None:
    """The key trimmed, ``None`` when absent, ``BAD_USER_INPUT`` when empty or too long."""
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY:
        raise BadUserInput(f"Give an idempotency key of 1 to {MAX_KEY} characters.", field=field)
    return key


def fingerprint(request: Any) -> str:
    """A stable digest of a request's arguments."""
    raw = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


class Idempotency:
    """Looks up and records keys in one subgraph's ``idempotency_keys`` table.

    Keys are scoped per user. Reusing a key for a different operation or different
    arguments is a ``CONFLICT``: it is a client bug, and guessing would be worse.
    """

    def __init__(self, table: Table) -> None:
        self.table = table

    async def seen(self, session: AsyncSession, user_id: str, key: str, operation: str,
                   request: Any) -> str | None:
        """The id created by the first request with this key, or ``None`` if it is new."""
        t = self.table
        row = (await session.execute(
            select(t.c.operation, t.c.fingerprint, t.c.result_id)
            .where(t.c.user_id == user_id, t.c.key == key))).first()
        if row is None:
            return None
        if row.operation != operation or row.fingerprint != fingerprint(request):
            raise Conflict("This idempotency key was used for a different request.",
                           field="idempotencyKey")
        return str(row.result_id)

    async def claim(self, session: AsyncSession, user_id: str, key: str, operation: str,
                    request: Any) -> None:
        """Take the key first thing in the creating transaction.

        A twin request with the same key blocks on the primary key until this transaction
        ends, then fails with ``IntegrityError`` if it committed.
        """
        await session.execute(insert(self.table).values(
            user_id=user_id, key=key, operation=operation, fingerprint=fingerprint(request),
            result_id=""))

    async def settle(self, session: AsyncSession, user_id: str, key: str,
                     result_id: str | None) -> None:
        """Record what the key created, or free it when nothing was created."""
        t = self.table
        where = (t.c.user_id == user_id, t.c.key == key)
        if result_id is None:
            await session.execute(delete(t).where(*where))
        else:
            await session.execute(update(t).where(*where).values(result_id=result_id))


class _UnitOfWorkFactory(Protocol):
    db: Database

    def uow(self) -> UnitOfWork: ...


async def create_once(
    service: _UnitOfWorkFactory,
    idempotency: Idempotency,
    *,
    user_id: str,
    key: str | None,
    operation: str,
    request: Any,
    create: Callable[[UnitOfWork], Awaitable[tuple[T, str | None]]],
    load: Callable[[str], Awaitable[T]],
) -> T:
    """Run ``create`` in a unit of work once per key.

    ``create`` returns its result and the id of what it created (``None`` when it created
    nothing: such a result is not remembered, so a retry tries again). A request whose key
    was used before returns ``load(first id)``. Of two requests racing with one key, the
    second waits on the key's row, fails to claim it, and answers with the first's result.
    """
    async def prior(key: str) -> str | None:
        async with service.db.reader() as session:
            return await idempotency.seen(session, user_id, key, operation, request)

    if key is not None and (first := await prior(key)) is not None:
        return await load(first)
    try:
        async with service.uow() as uow:
            if key is not None:
                await idempotency.claim(uow.session, user_id, key, operation, request)
            result, created = await create(uow)
            if key is not None:
                await idempotency.settle(uow.session, user_id, key, created)
            await uow.commit()
    except IntegrityError:
        if key is None or (first := await prior(key)) is None:
            raise
        return await load(first)
    return result
