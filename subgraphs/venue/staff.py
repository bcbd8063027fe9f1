"""Door staff: the venue's owner (or an admin) grants a user the right to check tickets in
for the venue's shows, and takes it back. Booking, which checks tickets in, hears each
change as an event (``VenueStaffGranted``, ``VenueStaffRevoked``) and keeps a replica."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.errors import BadUserInput, NotFound
from subgraphs.kernel.events import VenueStaffGranted, VenueStaffRevoked
from subgraphs.kernel.inputs import could_be_id
from subgraphs.kernel.service import Service
from subgraphs.venue.models import Venue, VenueStaff

MAX_STAFF = 500  # grants per venue


def _user_id(user_id: str) -> str:
    if not could_be_id(user_id):
        raise BadUserInput("Enter a user's id.", field="userId")
    return user_id


async def grant_venue_staff(service: Service, caller: Caller | None, venue_id: str,
                            user_id: str) -> Venue:
    """Make ``user_id`` door staff of the venue (its owner or an admin). Granting a grant
    that exists changes nothing and tells nobody."""
    who = require_caller(caller)
    user = _user_id(user_id)
    async with service.uow() as uow:
        venue = await uow.session.get(Venue, venue_id, with_for_update=True)
        if venue is None:
            raise NotFound("No venue with this id.", field="venueId")
        require_owner_or_admin(who, venue.owner_id)
        if user == venue.owner_id:
            raise BadUserInput("The venue's organizer checks tickets in without a grant.",
                               field="userId")
        if await uow.session.get(VenueStaff, (venue.id, user)) is None:
            granted = await uow.session.scalar(
                select(func.count()).select_from(VenueStaff)
                .where(VenueStaff.venue_id == venue.id))
            if (granted or 0) >= MAX_STAFF:
                raise BadUserInput(f"A venue has at most {MAX_STAFF} door staff.",
                                   field="userId")
            uow.session.add(VenueStaff(venue_id=venue.id, user_id=user,
                                       granted_by=who.user_id))
            uow.emit(VenueStaffGranted(venue_id=venue.id, user_id=user))
        await uow.commit()
    return venue


async def revoke_venue_staff(service: Service, caller: Caller | None, venue_id: str,
                             user_id: str) -> Venue:
    """``user_id`` is door staff of the venue no more (its owner or an admin). Revoking what
    was never granted changes nothing."""
    who = require_caller(caller)
    user = _user_id(user_id)
    async with service.uow() as uow:
        venue = await uow.session.get(Venue, venue_id, with_for_update=True)
        if venue is None:
            raise NotFound("No venue with this id.", field="venueId")
        require_owner_or_admin(who, venue.owner_id)
        gone = await uow.session.execute(
            delete(VenueStaff).where(VenueStaff.venue_id == venue.id,
                                     VenueStaff.user_id == user)
            .returning(VenueStaff.user_id))
        if gone.first() is not None:
            uow.emit(VenueStaffRevoked(venue_id=venue.id, user_id=user))
        await uow.commit()
    return venue


async def staff_by_venue(session: AsyncSession,
                         venue_ids: Sequence[str]) -> list[list[VenueStaff]]:
    """Each venue's door staff, earliest grant first (a loader's batch read)."""
    rows = await session.scalars(
        select(VenueStaff).where(VenueStaff.venue_id.in_(venue_ids))
        .order_by(VenueStaff.granted_at, VenueStaff.user_id))
    found: dict[str, list[VenueStaff]] = {v: [] for v in venue_ids}
    for row in rows:
        found[row.venue_id].append(row)
    return [found[v] for v in venue_ids]
