"""The client's session: the current tokens, one refresh at a time, and ``on_tokens``.

Refresh tokens are single use and presenting a spent one ends the whole session, so two
requests that both find their access token expired must not both refresh: the second
waits for the first and then uses the tokens it got.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import time
from collections.abc import Awaitable, Callable

from ticketflow_sdk.errors import Unauthenticated
from ticketflow_sdk.models import Tokens

TokensCallback = Callable[[Tokens | None], Awaitable[None] | None]
"""Called with the new tokens after every sign-in and refresh, and with None once the
session is over (logout, or a refresh the server refused), so an app can persist them."""


def token_expired(access_token: str, now: float | None = None) -> bool:
    """True if the JWT's ``exp`` claim has passed (read without verifying: only the server
    can verify; this merely tells whether refreshing is worth a try)."""
    try:
        payload = access_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) <= (time.time() if now is None else now)
    except (IndexError, KeyError, TypeError, ValueError):
        return False


class TokenKeeper:
    """Holds the current :class:`Tokens` and serialises refreshes."""

    def __init__(self, tokens: Tokens | None, on_tokens: TokensCallback | None) -> None:
        self._tokens = tokens
        self._on_tokens = on_tokens
        self._lock = asyncio.Lock()

    @property
    def tokens(self) -> Tokens | None:
        """The current tokens, None when signed out."""
        return self._tokens

    @property
    def access_token(self) -> str | None:
        """What goes in ``Authorization: Bearer``; None when signed out."""
        return self._tokens.access_token if self._tokens else None

    async def set(self, tokens: Tokens | None) -> None:
        """Replace the tokens and tell ``on_tokens``."""
        self._tokens = tokens
        if self._on_tokens is not None:
            result = self._on_tokens(tokens)
            if inspect.isawaitable(result):
                await result

    async def refresh(self, rejected: str,
                      exchange: Callable[[str], Awaitable[Tokens]]) -> bool:
        """New tokens after the server refused the access token ``rejected`` as expired.

        ``exchange`` spends a refresh token for new tokens. Returns False when there is
        nothing to refresh with. If the server refuses the refresh token, the session is
        over: the tokens are dropped (``on_tokens(None)``) and ``Unauthenticated`` raised.
        """
        async with self._lock:
            current = self._tokens
            if current is not None and current.access_token != rejected:
                return True  # another request refreshed meanwhile
            if current is None or not current.refresh_token:
                return False
            try:
                fresh = await exchange(current.refresh_token)
            except Unauthenticated:
                await self.set(None)
                raise
            await self.set(fresh)
            return True
