"""E-tickets: compact JWS tokens (EdDSA, with ``kid``) that a scanner verifies offline
with the public keys notification publishes (``/.well-known/ticket-keys.json`` and
``Query.ticketKeys``), and the QR code (PNG) that carries one."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kernel.auth import Caller, require_caller, require_owner_or_admin
from subgraphs.kernel.db import all_each, utcnow
from subgraphs.kernel.keys import load_private_key, new_ed25519_key
from subgraphs.notification.models import IssuedTicket, TicketKey

ISSUER = "ticketflow-tickets"


@dataclass(frozen=True)
class Ticket:
    """One seat or standing place of a confirmed booking, signed."""

    tid: str
    label: str
    token: str

    @classmethod
    def of(cls, row: IssuedTicket) -> Ticket:
        return cls(tid=row.id, label=row.label, token=row.token)

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
    """One token per ticket of a BookingConfirmed payload; ``type`` names its ticket type
    when it has one (Adult, Child...; older events and shows without types have none)."""
    now = int(utcnow().timestamp())
    tickets = []
    for entry in booking.get("tickets") or []:
        tid = f"{booking['booking_id']}:{entry['id']}"
        claims = {"tid": tid, "bid": booking["booking_id"], "sid": booking["show_id"],
                  "seat": entry["label"], "iat": now, "iss": ISSUER}
        if entry.get("ticket_type"):  # the ticket type's name (shows with ticket types)
            claims["type"] = entry["ticket_type"]
        token = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})
        tickets.append(Ticket(tid=tid, label=entry["label"], token=token))
    return tickets


async def stored(session: AsyncSession, booking_id: str) -> list[IssuedTicket]:
    """The tickets issued for a booking (void ones too), in the booking's order."""
    return list(await session.scalars(
        select(IssuedTicket).where(IssuedTicket.booking_id == booking_id)
        .order_by(IssuedTicket.position)))


async def issue(session: AsyncSession, key: SigningKey, booking: dict[str, Any]
                ) -> list[IssuedTicket]:
    """The tickets of a BookingConfirmed payload, signed and stored once: when the booking
    has tickets already (a redelivered event, a mail sent after its event was applied), those
    are returned and nothing is signed. Runs in the caller's transaction."""
    existing = await stored(session, booking["booking_id"])
    if existing:
        return existing
    now = utcnow()
    rows = [IssuedTicket(id=t.tid, booking_id=booking["booking_id"], user_id=booking["user_id"],
                         show_id=booking["show_id"], position=i, label=t.label, token=t.token,
                         issued_at=now)
            for i, t in enumerate(sign_tickets(key, booking))]
    session.add_all(rows)
    await session.flush()
    return rows


async def void(session: AsyncSession, booking_id: str) -> None:
    """A cancelled booking's tickets are no longer served (they stay stored)."""
    await session.execute(
        update(IssuedTicket).where(IssuedTicket.booking_id == booking_id,
                                   IssuedTicket.voided_at.is_(None))
        .values(voided_at=utcnow()).execution_options(synchronize_session=False))


async def tickets_by_booking(session: AsyncSession, booking_ids: Sequence[str]
                             ) -> list[list[IssuedTicket]]:
    """Each booking's issued tickets (void ones too), in the booking's order, in one query."""
    return await all_each(session, IssuedTicket.booking_id, booking_ids, IssuedTicket.position)


def visible(caller: Caller | None, issued: Sequence[IssuedTicket]) -> list[IssuedTicket]:
    """What ``Booking.tickets`` shows ``caller`` of a booking's issued tickets: the booking's
    owner (the user its BookingConfirmed named) and admins see the valid ones (none once the
    booking was cancelled); anyone else signed in is ``FORBIDDEN``, anonymous callers
    ``UNAUTHENTICATED``. A booking with no tickets issued yet shows none to any signed-in
    caller: notification does not know its owner before BookingConfirmed."""
    require_caller(caller)
    if not issued:
        return []
    require_owner_or_admin(caller, issued[0].user_id)
    return [t for t in issued if t.voided_at is None]


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


def types_of(booking: dict[str, Any]) -> dict[str, str]:
    """tid -> ticket type name of a BookingConfirmed payload's tickets that have one."""
    return {f"{booking['booking_id']}:{t['id']}": t["ticket_type"]
            for t in booking.get("tickets") or [] if t.get("ticket_type")}
