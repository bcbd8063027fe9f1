"""Access-token verification shared by every subgraph (defence in depth behind the router).

The auth subgraph signs tokens with an asymmetric key and publishes its public keys as a
JWKS document. Each subgraph fetches that document on first use and caches it, by the same
rules as the router (router/lib/tokens.mjs):

- a token naming a key id not seen yet fetches it again at once (key rotation);
- the cached document is fetched again once it is older than ``max_age``
  (``TICKETFLOW_JWKS_MAX_AGE_SECONDS``, the router's ten minutes by default), so a key
  withdrawn from the JWKS stops verifying within that time;
- when the JWKS cannot be fetched, the keys already read keep verifying, and tokens naming
  any other key id are refused.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt

from subgraphs.kernel.errors import Forbidden, Unauthenticated, unavailable_cause

log = logging.getLogger("ticketflow.auth")
ALGORITHMS = ["EdDSA"]
ROLES = ("CUSTOMER", "ORGANIZER", "ADMIN")


@dataclass(frozen=True)
class Caller:
    """The authenticated user behind a request."""

    user_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
    session_id: str | None = None
    # The token's ``email_verified`` claim (auth issues it; absent in older tokens: False).
    email_verified: bool = False

    @property
    def is_admin(self) -> bool:
        """Admins see and manage everything."""
        return "ADMIN" in self.roles

    def has_role(self, *roles: str) -> bool:
        """True if the caller holds any of ``roles`` (admins hold every role)."""
        return self.is_admin or any(r in self.roles for r in roles)


def require_caller(caller: Caller | None) -> Caller:
    """The caller, or ``UNAUTHENTICATED`` when the request carried no token."""
    if caller is None:
        raise Unauthenticated("Sign in to do this.")
    return caller


def require_role(caller: Caller | None, *roles: str) -> Caller:
    """The caller if they hold one of ``roles``; otherwise ``UNAUTHENTICATED``/``FORBIDDEN``."""
    who = require_caller(caller)
    if not who.has_role(*roles):
        raise Forbidden(f"This needs the role {' or '.join(roles)}.")
    return who


def require_owner_or_admin(caller: Caller | None, owner_id: str, *also: str) -> Caller:
    """The caller if they own the object (or are one of ``also``) or are an admin."""
    who = require_caller(caller)
    if who.user_id != owner_id and who.user_id not in also and not who.is_admin:
        raise Forbidden("This belongs to another user.")
    return who


def _usable_keys(document: Any) -> Iterator[tuple[str, jwt.PyJWK]]:
    # A key this verifier can't read (a new key type, a typo) is skipped, not fatal: the
    # other keys keep verifying, and tokens signed with the unreadable one are refused.
    keys = document.get("keys", []) if isinstance(document, dict) else []
    for entry in keys if isinstance(keys, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        try:
            yield entry["kid"], jwt.PyJWK(entry)
        except jwt.PyJWTError:
            log.warning("skipping unreadable JWKS key %s", entry["kid"])


class Revocations(Protocol):
    """Where the verifier learns that a session was ended (logout, theft detection)."""

    async def is_revoked(self, session_id: str) -> bool:
        """True if tokens of this session must be refused."""


class JwksUnavailable(Exception):
    """The last fetch of the JWKS failed (and is not tried again yet)."""


class TokenVerifier:
    """Verifies ``Authorization: Bearer`` access tokens against the auth service's JWKS."""

    # A key id the JWKS did not have triggers another refetch at most this often. A key id
    # never looked up is fetched at once: after a rotation the new key works on first sight.
    REFETCH_INTERVAL = 10.0
    # Key ids remembered as missing (bounded: made-up key ids cost memory, not fetches).
    MAX_MISSING = 1024
    # Tokens whose signature and claims were checked, kept until they expire (a client
    # sends the same token for minutes; checking an EdDSA signature again each time was a
    # tenth of a hold's CPU). Bounded: the least recently used is forgotten first.
    MAX_VERIFIED = 4096

    def __init__(
        self,
        jwks_url: str,
        *,
        issuer: str,
        audience: str,
        transport: httpx.AsyncBaseTransport | None = None,
        revocations: Revocations | None = None,
        max_age: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jwks_url = jwks_url
        # Keys read longer ago than this are fetched again before they verify a token.
        self.max_age = max_age
        # Seconds, for the key cache's ages (tests pass one they can move on).
        self._clock = clock
        self.issuer = issuer
        self.audience = audience
        # None means the network; tests pass httpx.MockTransport or httpx.ASGITransport.
        self._transport = transport
        self._revocations = revocations
        self._keys: dict[str, jwt.PyJWK] = {}
        # When the last successful fetch began, when the last fetch of any outcome began
        # (and whether it failed), and when each missing key id was last looked up.
        self._fetched_at = -math.inf
        self._tried_at = -math.inf
        self._failed = False
        self._missing: dict[str, float] = {}
        self._lock = asyncio.Lock()
        # token -> (caller, expiry as a Unix time, key id, the key that verified it)
        self._verified: OrderedDict[str, tuple[Caller, float, str, jwt.PyJWK]] = OrderedDict()

    def _fresh(self) -> bool:
        return self._clock() - self._fetched_at < self.max_age

    async def _refresh(self, kid: str) -> None:
        asked = self._clock()
        async with self._lock:
            # One fetch at a time; a fetch that began after this token arrived has answered
            # it already (the token's key existed before the token did).
            if self._tried_at >= asked:
                if self._failed:
                    raise JwksUnavailable(self.jwks_url)
                return
            if kid in self._keys:
                if asked - self._fetched_at < self.max_age:
                    return
                # Stale, and the JWKS failed a moment ago: the keys read last keep verifying
                # (see _key_for) without a fetch per token while the auth service is away.
                if self._failed and asked - self._tried_at < self.REFETCH_INTERVAL:
                    raise JwksUnavailable(self.jwks_url)
            else:
                missed = self._missing.get(kid)
                if missed is not None and asked - missed < self.REFETCH_INTERVAL:
                    return
            started = self._clock()
            self._tried_at, self._failed = started, True
            try:
                async with httpx.AsyncClient(timeout=5.0, transport=self._transport) as client:
                    response = await client.get(self.jwks_url)
                    response.raise_for_status()
                    document = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("JWKS %s could not be fetched: %r", self.jwks_url, exc)
                raise
            self._keys = dict(_usable_keys(document))
            self._fetched_at, self._failed = started, False
            if kid not in self._keys:
                if len(self._missing) >= self.MAX_MISSING:
                    self._missing.clear()
                self._missing[kid] = started

    async def _key_for(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys or not self._fresh():
            try:
                await self._refresh(kid)
            except (httpx.HTTPError, ValueError, JwksUnavailable) as exc:
                # An unreachable or unreadable JWKS: a key read before still verifies (as
                # in the router); a token naming any other key can't be trusted.
                if kid not in self._keys:
                    raise Unauthenticated(
                        "The token's signing key cannot be checked now.") from exc
        key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("The token is signed with an unknown key.")
        return key

    async def verify(self, token: str) -> Caller:
        """The caller named by a valid token; ``UNAUTHENTICATED`` for anything else.

        A token verified before is not checked again while it is unexpired, the keys are
        younger than ``max_age`` and the key that signed it is still the one this verifier
        holds for its key id; whether its session has ended is asked every time.
        """
        known = self._verified.get(token)
        if known is not None:
            caller, expires, kid, key = known
            if time.time() < expires and self._keys.get(kid) is key and self._fresh():
                self._verified.move_to_end(token)
                await self._check_session(caller.session_id or "")
                return caller
            del self._verified[token]
        caller, expires, kid, key = await self._verify_signed(token)
        await self._check_session(caller.session_id or "")
        self._verified[token] = (caller, expires, kid, key)
        while len(self._verified) > self.MAX_VERIFIED:
            self._verified.popitem(last=False)
        return caller

    async def _check_session(self, session_id: str) -> None:
        if not self._revocations:
            return
        try:
            revoked = await self._revocations.is_revoked(session_id)
        except Exception as exc:
            if not unavailable_cause(exc):
                raise
            # Redis (where revocations live) is unreachable. The token's signature and
            # expiry were checked; refusing every signed-in request would take the whole
            # graph down with Redis, so the session is taken as live (docs/failures.md):
            # a session ended during the outage keeps working until its access token
            # expires (access_token_ttl_seconds).
            log.warning("revocation check skipped, Redis unreachable: %r", exc)
            return
        if revoked:
            raise Unauthenticated("This session has ended; sign in again.")

    async def _verify_signed(self, token: str) -> tuple[Caller, float, str, jwt.PyJWK]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The access token is malformed.") from exc
        if header.get("alg") not in ALGORITHMS or not isinstance(header.get("kid"), str):
            raise Unauthenticated("The access token uses an algorithm TicketFlow does not accept.")
        key = await self._key_for(header["kid"])
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "jti", "sid"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The access token is invalid.") from exc
        roles = claims.get("roles", [])
        if not isinstance(roles, list):
            raise Unauthenticated("The access token is invalid.")
        session_id = claims["sid"]
        # Every token belongs to a session, so ending the session ends the token.
        if not isinstance(session_id, str) or not session_id:
            raise Unauthenticated("The access token is invalid.")
        caller = Caller(
            user_id=str(claims["sub"]),
            roles=frozenset(r for r in roles if r in ROLES),
            token_id=str(claims["jti"]),
            session_id=session_id,
            email_verified=claims.get("email_verified") is True,
        )
        return caller, float(claims["exp"]), header["kid"], key

    async def from_header(self, authorization: str | None) -> Caller | None:
        """The caller for an ``Authorization`` header value; ``None`` when it is absent."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Use 'Authorization: Bearer <access token>'.")
        return await self.verify(token.strip())
