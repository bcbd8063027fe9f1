"""Email verification: a token mailed at registration (and on request), stored only as its
SHA-256 digest, single use, valid for ``email_verification_ttl_seconds`` (48 h).

``verifyEmail`` needs no session (the link may be opened on another device): the token is
the credential. The access token carries ``email_verified`` (kernel/auth.py); a session
signed in before the verification gets it with its next refresh or sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update

from subgraphs.auth.models import EmailVerification, User
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, present
from subgraphs.kernel.events import EmailVerificationRequested, EmailVerified
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork

MAX_TOKEN = 200  # ours are 43 characters; anything much longer is not one of ours


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request(service: Service, uow: UnitOfWork, user: User) -> datetime:
    """A new token for ``user`` inside ``uow``, announced for notification to mail; when it
    expires. Earlier unused tokens keep working until they expire (a resend does not break
    a link already on its way)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(seconds=service.settings.email_verification_ttl_seconds)
    uow.session.add(EmailVerification(token_hash=_digest(token), user_id=user.id,
                                      created_at=now, expires_at=expires))
    await uow.session.flush()
    uow.emit(EmailVerificationRequested(user_id=user.id, email=user.email, name=user.name,
                                        token=token, expires_at=expires.isoformat()))
    return expires


async def verify(service: Service, token: str) -> User:
    """Spend ``token`` and mark its account verified; ``BAD_USER_INPUT`` (changing nothing)
    for a token that is unknown, used or expired."""
    refused = BadUserInput("This verification link is not valid: it is unknown, was used "
                           "already or has expired. Ask for a new one.", field="token")
    token = token.strip()
    if not token or len(token) > MAX_TOKEN:
        raise refused
    now = utcnow()
    async with service.uow() as uow:
        spent = await uow.session.execute(
            update(EmailVerification)
            .where(EmailVerification.token_hash == _digest(token),
                   EmailVerification.used_at.is_(None), EmailVerification.expires_at > now)
            .values(used_at=now).returning(EmailVerification.user_id)
            .execution_options(synchronize_session=False))
        user_id = spent.scalar_one_or_none()
        if user_id is None:
            raise refused
        user = present(await uow.session.get(User, user_id, with_for_update=True),
                       "a verification's user")
        if user.email_verified_at is None:
            user.email_verified_at = now
            uow.emit(EmailVerified(user_id=user.id))
        await uow.commit()
    return user
