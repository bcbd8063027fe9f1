"""E-tickets: compact JWS tokens (EdDSA, with ``kid``) that a scanner verifies offline
with the public keys notification publishes (``/.well-known/ticket-keys.json`` and
``Query.ticketKeys``), and the QR code (PNG) that carries one."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import jwt
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.db import utcnow
from subgraphs.kernel.keys import load_private_key, new_ed25519_key
from subgraphs.notification.models import TicketKey

ISSUER = "ticketflow-tickets"


@dataclass(frozen=True)
class Ticket:
    """One seat or standing place of a confirmed booking, signed."""

    tid: str
    label: str
    token: str

    def qr_png(self) -> bytes:
        """The token as a QR code image (PNG), big enough for a phone screen."""
        out = io.BytesIO()
        segno.make(self.token, error="m").save(out, kind="png", scale=4, border=4)
        return out.getvalue()


@dataclass(frozen=True)
class SigningKey:
    """A ticket key ready to sign: its id and its parsed private half."""

    kid: str
    private: Ed25519PrivateKey

    @classmethod
    def of(cls, key: TicketKey) -> SigningKey:
        return cls(kid=key.kid, private=load_private_key(key.private_pem))


async def signing_key(session: AsyncSession) -> TicketKey:
    """The newest key, created on first use (like auth's token keys)."""
    key = await session.scalar(
        select(TicketKey).order_by(TicketKey.created_at.desc(), TicketKey.kid).limit(1))
    if key is None:
        pair = new_ed25519_key()
        key = TicketKey(kid=pair.kid, private_pem=pair.private_pem, public_jwk=pair.public_jwk)
        session.add(key)
        await session.flush()
    return key


async def ticket_keys(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """The JWKS document of every ticket key: tickets stay valid as long as their key is kept."""
    rows = await session.scalars(select(TicketKey).order_by(TicketKey.created_at.desc()))
    return {"keys": [json.loads(k.public_jwk) for k in rows]}


def sign_tickets(key: SigningKey, booking: dict[str, Any]) -> list[Ticket]:
    """One token per ticket of a BookingConfirmed payload."""
    now = int(utcnow().timestamp())
    tickets = []
    for entry in booking.get("tickets") or []:
        tid = f"{booking['booking_id']}:{entry['id']}"
        claims = {"tid": tid, "bid": booking["booking_id"], "sid": booking["show_id"],
                  "seat": entry["label"], "iat": now, "iss": ISSUER}
        token = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})
        tickets.append(Ticket(tid=tid, label=entry["label"], token=token))
    return tickets


def verify_ticket(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The claims of a ticket token signed by a key of ``jwks``; raises ``jwt.PyJWTError``.

    What a scanner does offline, with the key set fetched beforehand.
    """
    kid = jwt.get_unverified_header(token).get("kid")
    found = [k for k in jwks.get("keys", []) if k.get("kid") == kid]
    if not found:
        raise jwt.InvalidKeyError(f"unknown ticket key {kid}")
    key = jwt.PyJWK(found[0])
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["EdDSA"], issuer=ISSUER,
                                        options={"require": ["tid", "bid", "iat", "iss"]})
    return claims
