"""Shared request guards backed by Redis (or memory when embedded): revoked sessions and
rate limits. Both are small, time-bounded facts that every process must agree on."""

from __future__ import annotations

import math
import time
from typing import Protocol

from subgraphs.kernel.batch import Coalesced
from subgraphs.kernel.errors import ErrorCode, TicketFlowError
from subgraphs.kernel.redis_pool import redis_client


class RateLimited(TicketFlowError):
    """Too many attempts; ``retryAfter`` says how many seconds to wait."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts. Try again in {retry_after} s.",
                         retryAfter=retry_after)


class Guards(Protocol):
    """Revoked sessions and rate-limit counters, shared by every subgraph process."""

    async def revoke(self, session_ids: list[str], ttl_seconds: int) -> None:
        """Refuse access tokens of these sessions for ``ttl_seconds`` (their lifetime)."""

    async def is_revoked(self, session_id: str) -> bool:
        """True if the session was revoked within the access-token lifetime."""

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        """Count an attempt; ``None`` if within ``limit`` per window, else seconds to wait."""

    async def close(self) -> None:
        """Release connections."""


class MemoryGuards:
    """The embedded mode's guards: one process, so a dict is the shared truth."""

    def __init__(self) -> None:
        self._revoked: dict[str, float] = {}
        self._windows: dict[str, tuple[float, int]] = {}

    async def revoke(self, session_ids: list[str], ttl_seconds: int) -> None:
        until = time.monotonic() + ttl_seconds
        for sid in session_ids:
            self._revoked[sid] = until

    async def is_revoked(self, session_id: str) -> bool:
        until = self._revoked.get(session_id)
        if until is None:
            return False
        if until < time.monotonic():
            del self._revoked[session_id]
            return False
        return True

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        now = time.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= window_seconds:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        if count <= limit:
            return None
        return max(1, math.ceil(start + window_seconds - now))

    async def close(self) -> None:
        """Nothing to release."""


class RedisGuards:
    """Guards in Redis: ``SET … EX`` for revocations, fixed windows with ``INCR``."""

    def __init__(self, url: str, prefix: str, timeout: float = 2.0) -> None:
        self._redis = redis_client(url, timeout=timeout)
        self._prefix = prefix
        # Every request checks its session: the checks that arrive while one is in flight
        # go together in one MGET.
        self._revoked: Coalesced[str, bool] = Coalesced(self._revoked_among)

    async def revoke(self, session_ids: list[str], ttl_seconds: int) -> None:
        if not session_ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in session_ids:
                pipe.set(f"{self._prefix}:revoked:{sid}", b"1", ex=max(1, ttl_seconds))
            await pipe.execute()

    async def is_revoked(self, session_id: str) -> bool:
        return (await self._revoked([session_id]))[session_id]

    async def _revoked_among(self, session_ids: list[str]) -> dict[str, bool]:
        found = await self._redis.mget([f"{self._prefix}:revoked:{sid}" for sid in session_ids])
        return {sid: value is not None for sid, value in zip(session_ids, found, strict=True)}

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        name = f"{self._prefix}:rate:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)
            pipe.ttl(name)
            count, _, ttl = await pipe.execute()
        if int(count) <= limit:
            return None
        return max(1, int(ttl))

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)
