"""Notification's public ticket keys, as booking checks tickets in with them.

Notification signs e-tickets (compact JWS, EdDSA, with ``kid``) and publishes the public
keys at ``/.well-known/ticket-keys.json``. Booking fetches that document over HTTP — the
one call booking makes to another subgraph, as every subgraph fetches auth's JWKS — and
keeps the keys by ``kid``:

- a ticket naming a key id not seen yet fetches the document again at once (a new key);
- a key id the document did not have is looked up again at most every
  ``REFETCH_INTERVAL`` seconds, and at most ``MAX_MISSING`` of them are remembered, so
  made-up key ids cost neither fetches nor memory without bound;
- when the document cannot be fetched, the keys read before keep verifying;
- the whole document (``Show.checkInList`` hands it to gate devices) is fetched again at most
  every ``DOCUMENT_MAX_AGE`` seconds, so gates downloading their lists at once cost
  notification one request a minute, and a key notification adds reaches them within it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from subgraphs.kernel.errors import present

log = logging.getLogger("ticketflow.booking.tickets")

# The issuer notification writes into every ticket (subgraphs/notification/tickets.py).
TICKET_ISSUER = "ticketflow-tickets"
ALGORITHMS = ["EdDSA"]


class KeysUnavailable(Exception):
    """The ticket keys cannot be fetched now, and the ticket's key was never read."""


class BadTicket(Exception):
    """The token is not a ticket signed by one of notification's keys (its reason)."""


class TicketKeys:
    """Notification's ticket keys, fetched on demand and cached by key id."""

    REFETCH_INTERVAL = 10.0
    DOCUMENT_MAX_AGE = 60.0
    MAX_MISSING = 1024
    TIMEOUT = 5.0

    def __init__(self, url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._transport = transport  # tests pass httpx.MockTransport
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._document: dict[str, Any] | None = None
        self._missing: dict[str, float] = {}
        self._failed = False
        self._fetched_at: float | None = None  # when the document was last read
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many times the document was asked for (tests and logs)

    async def _fetch(self) -> None:
        self.fetches += 1
        self._failed = True
        try:
            async with httpx.AsyncClient(timeout=self.TIMEOUT,
                                         transport=self._transport) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("ticket keys %s could not be fetched: %r", self.url, exc)
            raise KeysUnavailable(self.url) from exc
        keys: dict[str, jwt.PyJWK] = {}
        entries = document.get("keys") if isinstance(document, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("kid"), str):
                try:
                    keys[entry["kid"]] = jwt.PyJWK(entry)
                except jwt.PyJWTError:
                    log.warning("skipping unreadable ticket key %s", entry["kid"])
        self._keys, self._document = keys, {"keys": [e for e in entries or []
                                                     if isinstance(e, dict)]}
        self._failed = False
        self._fetched_at = self._clock()

    async def document(self) -> dict[str, Any]:
        """The JWKS document (what a gate device verifies with offline): the one read less
        than ``DOCUMENT_MAX_AGE`` seconds ago, else fetched afresh, or the last one read when
        notification cannot be reached."""
        async with self._lock:
            fresh = self._fetched_at is not None and \
                self._clock() - self._fetched_at < self.DOCUMENT_MAX_AGE
            try:
                if not fresh:
                    await self._fetch()
            except KeysUnavailable:
                if self._document is None:
                    raise
        return present(self._document, "the ticket keys read before")

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id; ``None`` if notification has no such key."""
        found = self._keys.get(kid)
        if found is not None:
            return found
        asked, seen = self._clock(), self.fetches
        async with self._lock:
            found = self._keys.get(kid)
            if found is not None or self.fetches != seen:
                # A fetch made while this call waited has answered it.
                if found is None and self._failed:
                    raise KeysUnavailable(self.url)
                return found
            missed = self._missing.get(kid)
            if missed is not None and asked - missed < self.REFETCH_INTERVAL:
                return None
            await self._fetch()
            found = self._keys.get(kid)
            if found is None:
                if len(self._missing) >= self.MAX_MISSING:
                    self._missing.clear()
                self._missing[kid] = self._clock()
            return found

    async def verify(self, token: str) -> dict[str, Any]:
        """The claims of a ticket signed by one of notification's keys.

        :class:`BadTicket` for anything else (malformed, unknown key, bad signature, wrong
        issuer, claims missing); :class:`KeysUnavailable` when its key cannot be read now.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise BadTicket("This is not a ticket.") from exc
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise BadTicket("This ticket is not signed the way TicketFlow signs tickets.")
        key = await self.key(kid)
        if key is None:
            raise BadTicket("This ticket is signed with a key TicketFlow does not know.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=ALGORITHMS, issuer=TICKET_ISSUER,
                options={"require": ["tid", "bid", "sid", "iat", "iss"]})
        except jwt.PyJWTError as exc:
            raise BadTicket("This ticket's signature does not hold.") from exc
        for name in ("tid", "bid", "sid"):
            if not isinstance(claims.get(name), str):
                raise BadTicket("This ticket is not one of TicketFlow's.")
        return claims
