"""Signing keys (Ed25519, kept in the auth database), access tokens and the JWKS document."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.auth.models import SigningKey, User
from subgraphs.kernel.db import new_id, utcnow
from subgraphs.kernel.keys import load_private_key, new_ed25519_key
from subgraphs.kernel.settings import Settings


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_at: datetime


def _new_key() -> SigningKey:
    pair = new_ed25519_key()
    return SigningKey(kid=pair.kid, private_pem=pair.private_pem, public_jwk=pair.public_jwk)


async def rotate_key(session: AsyncSession) -> SigningKey:
    """Add a new signing key; older keys keep verifying until they are retired."""
    key = _new_key()
    session.add(key)
    await session.flush()
    return key


async def active_key(session: AsyncSession) -> SigningKey:
    """The newest unretired key, created on first use."""
    key = await session.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid)
        .limit(1)
    )
    return key if key is not None else await rotate_key(session)


async def jwks(session: AsyncSession, settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """The JWKS document: the signing key, and older keys while their tokens may live.

    A key superseded by a newer one stays published for one access-token lifetime (plus a
    minute of clock skew) after its successor appeared, then drops out.
    """
    rows = list(await session.scalars(
        select(SigningKey).where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid)))
    keep = timedelta(seconds=settings.access_token_ttl_seconds + 60)
    now = utcnow()
    published = [
        key for i, key in enumerate(rows)
        if i == 0 or now - rows[i - 1].created_at < keep
    ]
    return {"keys": [json.loads(k.public_jwk) for k in published]}


def issue_access_token(user: User, key: SigningKey, settings: Settings,
                       session_id: str) -> AccessToken:
    """A short-lived EdDSA JWT naming the user, their roles, their session and the key."""
    now = utcnow()
    expires = now + timedelta(seconds=settings.access_token_ttl_seconds)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user.id,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": new_id(),
        "roles": [user.role],
        "sid": session_id,
        # Booking's joinQueue asks for it; a session gets it at its next refresh.
        "email_verified": user.email_verified_at is not None,
    }
    private = load_private_key(key.private_pem)
    token = jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": key.kid})
    return AccessToken(token=token, expires_at=expires.replace(microsecond=0))
