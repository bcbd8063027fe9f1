"""What a waiting room signs and checks: queue tickets, queue passes and the joining
challenge (docs/waiting-room.md).

* A **ticket id** names show, arrival index and user with an HMAC: reading a ticket's
  status needs no lookup, and a ticket id cannot be made up or moved to another user.
* A **queue pass** is a JWT (HS256 with ``TICKETFLOW_QUEUE_PASS_SECRET``, which the router
  knows too, so it checks passes before booking is called): ``sub`` the user, ``show`` the
  show, ``jti`` the place's id (spent once by a hold), ``exp``.
* A **challenge** guards ``joinQueue``: a :class:`ChallengeVerifier` hands out a challenge
  and checks the answer. The default, :class:`ProofOfWork`, works offline (hashcash: find a
  solution such that ``sha256(nonce + ":" + solution)`` starts with ``bits`` zero bits);
  an operator plugs in a captcha with ``TICKETFLOW_QUEUE_CHALLENGE=package.module:Class``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

PASS_ISSUER = "ticketflow-booking"  # noqa: S105 - claim values, not secrets
PASS_AUDIENCE = "ticketflow-queue-pass"  # noqa: S105
PASS_ALGORITHM = "HS256"  # noqa: S105
CHALLENGE_SECONDS = 300


def _mac(secret: str, text: str, length: int = 24) -> str:
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


@dataclass(frozen=True)
class TicketId:
    show_id: str
    index: int
    user_id: str

    def sign(self, secret: str) -> str:
        body = f"{self.show_id}.{self.index}.{self.user_id}"
        return f"{body}.{_mac(secret, 'ticket:' + body)}"

    @classmethod
    def read(cls, secret: str, value: str) -> TicketId | None:
        """The ticket ``value`` names, or None if it was not signed here."""
        parts = value.split(".")
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        body = ".".join(parts[:3])
        if not hmac.compare_digest(parts[3], _mac(secret, "ticket:" + body)):
            return None
        return cls(parts[0], int(parts[1]), parts[2])


def place_id(show_id: str, place: int) -> str:
    """The pass id (``jti``) of a place in a show's line."""
    return f"{show_id}:{place}"


def issue_pass(secret: str, user_id: str, show_id: str, place: int, expires: float) -> str:
    claims = {"iss": PASS_ISSUER, "aud": PASS_AUDIENCE, "sub": user_id, "show": show_id,
              "jti": place_id(show_id, place), "iat": int(time.time()), "exp": int(expires)}
    return jwt.encode(claims, secret, algorithm=PASS_ALGORITHM)


@dataclass(frozen=True)
class Pass:
    user_id: str
    show_id: str
    jti: str
    expires: int


def read_pass(secret: str, token: str) -> Pass | None:
    """The claims of a valid, unexpired pass; None for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=[PASS_ALGORITHM], audience=PASS_AUDIENCE,
                            issuer=PASS_ISSUER, options={"require": ["exp", "sub", "jti"]})
    except jwt.PyJWTError:
        return None
    show = claims.get("show")
    if not isinstance(show, str):
        return None
    return Pass(str(claims["sub"]), show, str(claims["jti"]), int(claims["exp"]))


@dataclass(frozen=True)
class Challenge:
    """What the client must answer: ``kind`` says how (``pow``: find ``solution``)."""

    kind: str
    nonce: str
    difficulty: int


class ChallengeVerifier(Protocol):
    """Hands out joining challenges and checks answers (a captcha's adapter, say)."""

    async def challenge(self, show_id: str, user_id: str) -> Challenge | None:
        """A challenge for this user and show; None when none is needed."""

    async def verify(self, show_id: str, user_id: str, nonce: str | None,
                     solution: str | None) -> bool:
        """True if the answer is right (and meant for this user and show)."""


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


class ProofOfWork:
    """The default challenge: hashcash over a stateless nonce that names user, show and an
    expiry under an HMAC (nothing is stored per challenge)."""

    def __init__(self, secret: str, bits: int, clock: Any = time.time) -> None:
        self.secret = secret
        self.bits = bits
        self.clock = clock

    async def challenge(self, show_id: str, user_id: str) -> Challenge | None:
        if self.bits == 0:
            return None
        expires = int(self.clock()) + CHALLENGE_SECONDS
        body = f"{expires}.{secrets.token_hex(8)}"
        mac = _mac(self.secret, f"pow:{show_id}:{user_id}:{self.bits}:{body}")
        return Challenge("pow", f"{body}.{mac}", self.bits)

    async def verify(self, show_id: str, user_id: str, nonce: str | None,
                     solution: str | None) -> bool:
        if self.bits == 0:
            return True
        if not nonce or solution is None or len(solution) > 64:
            return False
        parts = nonce.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or int(parts[0]) < self.clock():
            return False
        mac = _mac(self.secret, f"pow:{show_id}:{user_id}:{self.bits}:{parts[0]}.{parts[1]}")
        if not hmac.compare_digest(parts[2], mac):
            return False
        digest = hashlib.sha256(f"{nonce}:{solution}".encode()).digest()
        return leading_zero_bits(digest) >= self.bits


class NoChallenge:
    async def challenge(self, show_id: str, user_id: str) -> Challenge | None:
        return None

    async def verify(self, show_id: str, user_id: str, nonce: str | None,
                     solution: str | None) -> bool:
        return True


def challenge_verifier(kind: str, secret: str, bits: int) -> ChallengeVerifier:
    """The verifier ``TICKETFLOW_QUEUE_CHALLENGE`` names."""
    if kind == "pow":
        return ProofOfWork(secret, bits)
    if kind == "none":
        return NoChallenge()
    module, _, name = kind.partition(":")
    if not name:
        raise ValueError(f"TICKETFLOW_QUEUE_CHALLENGE={kind}: pow, none or package.module:Class")
    verifier: ChallengeVerifier = getattr(importlib.import_module(module), name)()
    return verifier
