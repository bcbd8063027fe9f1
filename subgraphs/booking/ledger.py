"""What one unit of work changed in each show's inventory, settled right before it commits.

Operations move seat rows and standing places themselves (that is where the database
decides who gets what) and tell the ledger what moved. Just before the transaction
commits, the ledger visits each show it was told about, in id order: it advances the
show's version (which locks the show's row), moves the show's counts by what changed and
reads them back, and schedules the live message for after the commit. Changes to one show
commit in version order: the next writer waits on the row the version lives in.

On PostgreSQL the ledger does not lock the show itself. It writes one ``show_changes`` row
per show (:class:`~.models.ShowChange`); a deferred trigger settles it as the transaction
commits, so the lock is held for the commit alone and never across a round trip to this
process, however busy its event loop. Right after the commit one ``DELETE ... RETURNING``
takes back the versions and counts for the live messages (one for every hold of the process
that committed meanwhile: :class:`~subgraphs.kernel.batch.Coalesced`). Journeys (shows with
legs), whose message reads seat states under the lock, and SQLite settle here with
:func:`counts.settle`: two statements and the commit under the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import String, Table, any_, bindparam, delete, update
from sqlalchemy.dialects import postgresql

from subgraphs.booking import counts
from subgraphs.booking.inventory import availability_from, channel, seat_states
from subgraphs.booking.models import HELD, SOLD, BookableShow, ShowChange
from subgraphs.booking.seats import Moved
from subgraphs.booking.shows import ShowInfo
from subgraphs.kernel.batch import Coalesced
from subgraphs.kernel.db import new_id, utcnow
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork

log = logging.getLogger("ticketflow.booking")
KEY = "booking.ledger"
CHANGES = cast(Table, ShowChange.__table__)
# One statement text whatever the number of ids (PostgreSQL only: ``= ANY(array)``).
_TAKE_BACK = delete(CHANGES).where(
    CHANGES.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(String)))
).returning(CHANGES.c.id, CHANGES.c.show_id, CHANGES.c.version, CHANGES.c.counts)
# A settled change nobody took back (its process died right after the commit) is removed
# by the sweeper after this long; its watchers have long resynced past the gap.
STALE_CHANGE = timedelta(minutes=1)


@dataclass
class _Changes:
    show: ShowInfo
    # seat id -> (position, state now) of every seat that changed, for the live message
    seats: dict[str, tuple[int, str]] = field(default_factory=dict)
    # (category, leg) -> [held, sold] moved by this unit of work
    deltas: dict[tuple[str, int], list[int]] = field(default_factory=dict)


class Ledger:
    """The inventory changes of one unit of work; get it with :meth:`of`."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._shows: dict[str, _Changes] = {}

    @classmethod
    def of(cls, service: Service, uow: UnitOfWork) -> Ledger:
        """The ledger of ``uow``, made (and hooked to its commit) on first use."""
        found = uow.extras.get(KEY)
        if found is None:
            found = uow.extras[KEY] = cls(service)
            uow.before_commit(found._settle)
        return found  # type: ignore[no-any-return]

    def moved(self, show: ShowInfo, rows: Iterable[Moved]) -> None:
        """These seat rows of ``show`` changed state."""
        changes = self._changes(show)
        for row in rows:
            d = changes.deltas.setdefault((row.category, row.leg), [0, 0])
            d[0] += (row.now == HELD) - (row.was == HELD)
            d[1] += (row.now == SOLD) - (row.was == SOLD)
            changes.seats[row.seat_id] = (row.position, row.now)

    def touched(self, show: ShowInfo) -> None:
        """Something of ``show`` changed without moving a seat (standing places, an expiry):
        its version still moves, and watchers hear the counts."""
        self._changes(show)

    def _changes(self, show: ShowInfo) -> _Changes:
        found = self._shows.get(show.id)
        if found is None:
            found = self._shows[show.id] = _Changes(show)
        return found

    async def _settle(self, uow: UnitOfWork) -> None:
        session = uow.session
        await session.flush()
        if session.get_bind().dialect.name == "postgresql" \
                and all(c.show.legs == 1 for c in self._shows.values()):
            await self._settle_at_commit(uow)
            return
        messages = []
        for show_id in sorted(self._shows):
            changes = self._shows[show_id]
            version = await session.scalar(
                update(BookableShow).where(BookableShow.id == show_id)
                .values(version=BookableShow.version + 1).returning(BookableShow.version)
                .execution_options(synchronize_session=False))
            counted = await counts.settle(session, show_id, changes.deltas, utcnow())
            messages.append(await _message(session, changes, int(version or 0), counted))
        live = self._service.runtime.live

        async def announce() -> None:
            for message in messages:
                await live.publish(channel(message["show_id"]), message)

        uow.after_commit(announce)

    async def _settle_at_commit(self, uow: UnitOfWork) -> None:
        now = utcnow()
        rows = [{"id": new_id(), "show_id": show_id, "at": now,
                 "deltas": [[c, leg, int(d[0]), int(d[1])]
                            for (c, leg), d in self._shows[show_id].deltas.items()
                            if d[0] or d[1]]}
                for show_id in sorted(self._shows)]  # triggers fire in this order
        uow.insert_at_commit(CHANGES, rows)  # with the outbox rows: one statement
        service, shows = self._service, self._shows
        ids = [str(r["id"]) for r in rows]
        take_back = service.once("booking.settled", lambda: Coalesced(_take_back(service)))

        async def announce() -> None:
            try:
                found = await take_back(ids)
            except Exception:  # committed all the same: watchers resync past the gap
                log.exception("live: reading back the settled versions failed")
                return
            settled = [found[i] for i in ids if i in found]
            for show_id, version, counted in sorted(settled, key=lambda r: r[1] or 0):
                message = await _message(None, shows[show_id], int(version or 0),
                                         counts.from_rows(counted or []))
                await service.runtime.live.publish(channel(show_id), message)

        uow.after_commit(announce)


Settled = tuple[str, int | None, Any]  # show id, version, counts


def _take_back(service: Service) -> Callable[[list[str]], Awaitable[dict[str, Settled]]]:
    """Take back settled changes: one ``DELETE ... RETURNING`` for every hold of this process
    that committed while the previous one was in flight (:class:`~kernel.batch.Coalesced`)."""
    async def fetch(ids: list[str]) -> dict[str, Settled]:
        async with service.db.autocommit.connect() as conn:
            rows = (await conn.execute(_TAKE_BACK, {"ids": ids})).all()
        return {row[0]: (row[1], row[2], row[3]) for row in rows}
    return fetch


async def forget_stale_changes(service: Service) -> int:
    """Remove settled changes nobody took back (the sweeper's job); how many."""
    if service.db.is_sqlite:
        return 0
    async with service.db.autocommit.connect() as conn:
        result = await conn.execute(delete(CHANGES).where(CHANGES.c.at < utcnow() - STALE_CHANGE))
    return int(result.rowcount or 0)


async def _message(session: Any, changes: _Changes, version: int,
                   counted: counts.ShowCounts) -> dict[str, Any]:
    """The live message of one version: the seats that changed and every count."""
    show = changes.show
    if show.legs == 1:
        seats = [{"seat_id": seat_id, "state": state, "legs": []} for seat_id, (_, state)
                 in sorted(changes.seats.items(), key=lambda item: item[1][0])]
        availability = availability_from(counted)
    else:
        # A journey's seat is free only if free on every leg: read its legs, and count the
        # whole journey seat by seat.
        seats = [s.as_message() for s in await seat_states(session, show,
                                                           seat_ids=list(changes.seats))]
        availability = availability_from(counted, await seat_states(session, show))
    return {"show_id": show.id, "version": version, "seats": seats,
            **availability.as_message()}
