"""Sessions and refresh tokens: sign-in, rotation with theft detection, sign-out.

A session is one sign-in. Its refresh tokens form a family: each refresh spends the
presented token and issues the next. Presenting a spent token again means someone else
holds a copy, so the whole family is revoked. Revoked sessions are announced to every
subgraph through the shared guards, so their access tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from subgraphs.auth.models import RefreshToken, Session, User
from subgraphs.auth.tokens import AccessToken, active_key, issue_access_token
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import Unauthenticated, present
from subgraphs.kernel.events import SessionsRevoked
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork

SPENT = "refresh token reused"


@dataclass(frozen=True)
class Tokens:
    """What a sign-in or a refresh hands to the client."""

    user: User
    access: AccessToken
    refresh_token: str
    session_id: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _new_refresh_token(uow: UnitOfWork, session_id: str) -> str:
    token = secrets.token_urlsafe(32)
    uow.session.add(RefreshToken(token_hash=_digest(token), session_id=session_id))
    await uow.session.flush()
    return token


async def start(service: Service, uow: UnitOfWork, user: User, user_agent: str | None,
                client_address: str | None) -> Tokens:
    """Open a session for ``user`` inside ``uow`` and issue its first tokens."""
    session = Session(user_id=user.id, user_agent=(user_agent or "")[:300] or None,
                      client_address=client_address,
                      expires_at=utcnow() + timedelta(seconds=service.settings.session_ttl_seconds))
    uow.session.add(session)
    await uow.session.flush()
    refresh_token = await _new_refresh_token(uow, session.id)
    key = await active_key(uow.session)
    access = issue_access_token(user, key, service.settings, session.id)
    return Tokens(user, access, refresh_token, session.id)


async def refresh(service: Service, presented: str) -> Tokens:
    """Spend ``presented`` and issue the next tokens of its session.

    A spent token, or a token of an ended session, is ``UNAUTHENTICATED``; a spent token
    also revokes its whole family.
    """
    refused = Unauthenticated("This refresh token is not valid; sign in again.")
    now = utcnow()
    async with service.uow() as uow:
        row = await uow.session.get(RefreshToken, _digest(presented.strip()))
        if row is None:
            raise refused
        session = present(await uow.session.get(Session, row.session_id, with_for_update=True),
                          "a refresh token's session")
        if session.revoked_at is not None or session.expires_at <= now:
            raise refused
        spent = await uow.session.execute(
            update(RefreshToken).where(RefreshToken.token_hash == row.token_hash,
                                       RefreshToken.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        tokens: Tokens | None = None
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            # A second use: someone else holds a copy. End the family, and commit that.
            await _revoke(service, uow, [session], SPENT)
        else:
            session.last_used_at = now
            user = present(await uow.session.get(User, session.user_id), "a session's user")
            token = await _new_refresh_token(uow, session.id)
            key = await active_key(uow.session)
            access = issue_access_token(user, key, service.settings, session.id)
            tokens = Tokens(user, access, token, session.id)
        await uow.commit()  # a second use commits too: the family ends
    if tokens is None:
        raise refused
    return tokens


async def _revoke(service: Service, uow: UnitOfWork, sessions: list[Session],
                  reason: str) -> None:
    live = [s for s in sessions if s.revoked_at is None]
    if not live:
        return
    now = utcnow()
    for s in live:
        s.revoked_at, s.revoked_reason = now, reason
    ids = [s.id for s in live]
    uow.emit(SessionsRevoked(user_id=live[0].user_id, session_ids=ids, reason=reason))
    ttl = service.settings.access_token_ttl_seconds + 60

    async def announce() -> None:
        await service.runtime.guards.revoke(ids, ttl)

    uow.after_commit(announce)


async def end(service: Service, user_id: str, *, only: str | None = None,
              keep: str | None = None, reason: str) -> int:
    """Revoke the user's sessions: just ``only``, or all but ``keep``; how many ended."""
    async with service.uow() as uow:
        query = select(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
        if only is not None:
            query = query.where(Session.id == only)
        if keep is not None:
            query = query.where(Session.id != keep)
        sessions = list(await uow.session.scalars(query.with_for_update()))
        await _revoke(service, uow, sessions, reason)
        await uow.commit()
    return len(sessions)


async def active(service: Service, user_id: str) -> list[Session]:
    """The user's sessions that have not ended, most recently used first."""
    async with service.db.reader() as session:
        rows = await session.scalars(
            select(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None),
                                  Session.expires_at > utcnow())
            .order_by(Session.last_used_at.desc(), Session.id))
        return list(rows)


async def recently_revoked(service: Service, since: datetime) -> list[str]:
    """Sessions revoked after ``since``: re-announced at start-up (memory guards forget)."""
    async with service.db.reader() as session:
        rows = await session.scalars(select(Session.id).where(Session.revoked_at >= since))
        return list(rows)
