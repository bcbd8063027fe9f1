"""What one unit of work changed in each show's inventory, settled right before it commits.

Operations move seat rows and standing places themselves (that is where the database
decides who gets what) and tell the ledger what moved. Just before the transaction
commits, the ledger visits each show it was told about, in id order: it advances the
show's version (which locks the show's row), moves the show's counts by what changed and
reads them back (:func:`counts.settle`, one statement on PostgreSQL), and schedules the
live message for after the commit. So a show's lock is held for two statements and the
commit — never for a whole hold — and changes to one show still commit in version order:
the next writer waits on the row the version lives in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from subgraphs.booking import counts
from subgraphs.booking.inventory import availability_from, channel, seat_states
from subgraphs.booking.models import HELD, SOLD, BookableShow
from subgraphs.booking.seats import Moved
from subgraphs.booking.shows import ShowInfo
from subgraphs.kernel.app import Service
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.uow import UnitOfWork

KEY = "booking.ledger"


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
