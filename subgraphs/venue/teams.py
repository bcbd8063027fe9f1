"""Teams: a venue's owner (or an admin) invites people to one or more of its venues with a
role, and removes them.

* **MANAGER** runs the venue's shows and halls as its owner does (:func:`can_manage_venue`
  is the one check the owner's mutations use); inviting, removing and door-staff grants
  stay the owner's.
* **BOX_OFFICE** is heard by booking (``TeamMemberAdded``): searching the venue's bookings
  and checking tickets in; no money, nothing in venue.
* **DOOR_STAFF** is the existing door-staff grant (``venue_staff``, ``VenueStaffGranted``):
  accepting such an invitation grants it, removing revokes it.

Invitations: ``inviteTeamMember`` answers the inviter a random token (only its SHA-256 is
stored), to hand to the person invited; whoever signs in and presents it with
``acceptTeamInvitation`` (once, within :data:`INVITATION_DAYS` days) joins. The e-mail
address is the inviter's note of whom it is for: venue does not know users' addresses
(auth does), so it does not check the accepting user's.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, Forbidden, NotFound
from subgraphs.kernel.events import (
    TeamMemberAdded,
    TeamMemberRemoved,
    VenueStaffGranted,
    VenueStaffRevoked,
)
from subgraphs.kernel.inputs import could_be_id
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork
from subgraphs.venue.models import TeamInvitation, TeamMember, TeamRole, Venue, VenueStaff

INVITATION_DAYS: Final = 7
MAX_VENUES: Final = 50  # per invitation
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --- who may run a venue -------------------------------------------------------------------


async def can_manage_venue(session: AsyncSession, who: Caller, venue: Venue) -> bool:
    """Its owner, admins and its MANAGERs: create, publish and cancel shows, add halls,
    set the time zone."""
    if who.is_admin or who.user_id == venue.owner_id:
        return True
    member = await session.get(TeamMember, (venue.id, who.user_id))
    return member is not None and member.role == TeamRole.MANAGER


async def require_manager(session: AsyncSession, who: Caller, venue: Venue) -> None:
    if not await can_manage_venue(session, who, venue):
        raise Forbidden("This needs the venue's organizer, one of its managers or an admin.")


# --- invitations ---------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Invited:
    invitation: TeamInvitation
    token: str


def _check_invitation(venue_ids: Sequence[str], email: str, role: str) -> tuple[list[str], str]:
    ids = list(dict.fromkeys(venue_ids))
    if not ids:
        raise BadUserInput("Name at least one venue.", field="venueIds")
    if len(ids) > MAX_VENUES:
        raise BadUserInput(f"At most {MAX_VENUES} venues per invitation.", field="venueIds")
    if not all(could_be_id(v) for v in ids):
        raise BadUserInput("This is not a venue id.", field="venueIds")
    address = email.strip().lower()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise BadUserInput("Enter an e-mail address.", field="email")
    if role not in TeamRole.ALL:
        raise BadUserInput("No such team role.", field="role")
    return ids, address


async def invite(service: Service, caller: Caller | None, venue_ids: Sequence[str],
                 email: str, role: str) -> Invited:
    """An invitation to these venues' teams (their owner or an admin, for every venue)."""
    who = require_caller(caller)
    ids, address = _check_invitation(venue_ids, email, role)
    token = secrets.token_urlsafe(32)
    async with service.uow() as uow:
        venues = {v.id: v for v in await uow.session.scalars(
            select(Venue).where(Venue.id.in_(ids)))}
        missing = [v for v in ids if v not in venues]
        if missing:
            raise NotFound("No venue with this id.", field="venueIds", venueId=missing[0])
        for venue in venues.values():
            require_owner_or_admin(who, venue.owner_id)
        invitation = TeamInvitation(token_hash=_hash(token), email=address, role=role,
                                    venue_ids=ids, invited_by=who.user_id,
                                    expires_at=utcnow() + timedelta(days=INVITATION_DAYS))
        uow.session.add(invitation)
        await uow.commit()
    return Invited(invitation, token)


async def accept(service: Service, caller: Caller | None, token: str) -> list[Venue]:
    """Join the teams the invitation names (once, before it expires): the venues."""
    who = require_caller(caller)
    refused = BadUserInput("This invitation is unknown, used or expired.", field="token")
    if not token or len(token) > 100:
        raise refused
    async with service.uow() as uow:
        session = uow.session
        invitation = await session.scalar(
            select(TeamInvitation).where(TeamInvitation.token_hash == _hash(token))
            .with_for_update())
        if (invitation is None or invitation.accepted_by is not None
                or invitation.expires_at <= utcnow()):
            raise refused
        venues = list(await session.scalars(
            select(Venue).where(Venue.id.in_(invitation.venue_ids)).order_by(Venue.id)))
        if any(v.owner_id == who.user_id for v in venues):
            raise BadUserInput("A venue's organizer needs no invitation to its team.",
                               field="token")
        for venue in venues:
            await _join(uow, venue, who.user_id, invitation)
        invitation.accepted_by = who.user_id
        invitation.accepted_at = utcnow()
        await uow.commit()
    return venues


async def _join(uow: UnitOfWork, venue: Venue, user_id: str,
                invitation: TeamInvitation) -> None:
    session = uow.session
    if invitation.role == TeamRole.DOOR_STAFF:
        if await session.get(VenueStaff, (venue.id, user_id)) is None:
            session.add(VenueStaff(venue_id=venue.id, user_id=user_id,
                                   granted_by=invitation.invited_by))
            uow.emit(VenueStaffGranted(venue_id=venue.id, user_id=user_id))
        return
    member = await session.get(TeamMember, (venue.id, user_id), with_for_update=True)
    if member is None:
        session.add(TeamMember(venue_id=venue.id, user_id=user_id, role=invitation.role,
                               added_by=invitation.invited_by))
    elif member.role == invitation.role:
        return
    else:
        member.role = invitation.role
    uow.emit(TeamMemberAdded(venue_id=venue.id, user_id=user_id, role=invitation.role))


async def remove(service: Service, caller: Caller | None, venue_id: str,
                 user_id: str) -> Venue:
    """``user_id`` leaves the venue's team, any role (its owner or an admin). Removing
    someone not on it changes nothing."""
    who = require_caller(caller)
    if not could_be_id(user_id):
        raise BadUserInput("Enter a user's id.", field="userId")
    async with service.uow() as uow:
        venue = await uow.session.get(Venue, venue_id, with_for_update=True)
        if venue is None:
            raise NotFound("No venue with this id.", field="venueId")
        require_owner_or_admin(who, venue.owner_id)
        member = await uow.session.execute(
            delete(TeamMember).where(TeamMember.venue_id == venue.id,
                                     TeamMember.user_id == user_id)
            .returning(TeamMember.user_id))
        if member.first() is not None:
            uow.emit(TeamMemberRemoved(venue_id=venue.id, user_id=user_id))
        staff = await uow.session.execute(
            delete(VenueStaff).where(VenueStaff.venue_id == venue.id,
                                     VenueStaff.user_id == user_id)
            .returning(VenueStaff.user_id))
        if staff.first() is not None:
            uow.emit(VenueStaffRevoked(venue_id=venue.id, user_id=user_id))
        await uow.commit()
    return venue


@dataclass(frozen=True)
class Member:
    user_id: str
    role: str


async def team_by_venue(session: AsyncSession,
                        venue_ids: Sequence[str]) -> list[list[Member]]:
    """Each venue's team (members, then door staff, each by when they joined)."""
    found: dict[str, list[Member]] = {v: [] for v in venue_ids}
    for m in await session.scalars(select(TeamMember).where(TeamMember.venue_id.in_(venue_ids))
                                   .order_by(TeamMember.added_at, TeamMember.user_id)):
        found[m.venue_id].append(Member(m.user_id, m.role))
    for s in await session.scalars(select(VenueStaff).where(VenueStaff.venue_id.in_(venue_ids))
                                   .order_by(VenueStaff.granted_at, VenueStaff.user_id)):
        found[s.venue_id].append(Member(s.user_id, TeamRole.DOOR_STAFF))
    return [found[v] for v in venue_ids]
