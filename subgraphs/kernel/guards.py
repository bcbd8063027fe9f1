"""Shared request guards backed by Redis (or memory when embedded): revoked sessions and
rate limits. Both are small, time-bounded facts that every process must agree on.

Rate limits are moving windows (the ``limits`` library's ``MovingWindowRateLimiter``): at
most ``limit`` attempts in any ``window_seconds``, where fixed windows let twice the limit
through around a window's edge. Each allowed attempt is kept until it is a window old, so
what a key holds is bounded by its limit, and expired keys are dropped (Redis: by their
TTL; memory: by the storage's own sweep on the next attempt).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

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


class MovingWindows:
    """Rate limits in moving windows, in a ``limits`` storage (memory or Redis).

    An attempt of ``key`` is stored as ``<key>/<limit>/<window>/second`` (a list of the
    allowed attempts' times), so a changed limit starts counting afresh.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        """Count an attempt; ``None`` if allowed, else whole seconds until one would be."""
        item = RateLimitItemPerSecond(limit, window_seconds, namespace=key)
        if await self._limiter.hit(item):
            return None
        # Refused attempts are not stored: the wait is until the oldest allowed one leaves.
        stats = await self._limiter.get_window_stats(item)
        return max(1, math.ceil(stats.reset_time - time.time()))


class MemoryGuards:
    """The embedded mode's guards: one process, so memory is the shared truth."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._revoked: dict[str, float] = {}
        self._storage = MemoryStorage()
        self.rates = MovingWindows(self._storage)

    async def revoke(self, session_ids: list[str], ttl_seconds: int) -> None:
        now = self._clock()
        # Revocations past their time are dropped here, not only when asked about again.
        for sid in [sid for sid, until in self._revoked.items() if until < now]:
            del self._revoked[sid]
        for sid in session_ids:
            self._revoked[sid] = now + ttl_seconds

    async def is_revoked(self, session_id: str) -> bool:
        until = self._revoked.get(session_id)
        if until is None:
            return False
        if until < self._clock():
            del self._revoked[session_id]
            return False
        return True

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        return await self.rates.hit(key, limit, window_seconds)

    async def close(self) -> None:
        """Stop the memory storage's sweep, should one be under way."""
        sweep = self._storage.timer
        if sweep is not None and not sweep.done():
            sweep.cancel()


class RedisGuards:
    """Guards in Redis: ``SET … EX`` for revocations, moving windows under
    ``<prefix>:rate:`` (``limits``' Redis storage on this client's connection pool)."""

    def __init__(self, url: str, prefix: str, timeout: float = 2.0) -> None:
        self._redis = redis_client(url, timeout=timeout)
        self._prefix = prefix
        # Every request checks its session: the checks that arrive while one is in flight
        # go together in one MGET.
        self._revoked: Coalesced[str, bool] = Coalesced(self._revoked_among)
        # The URI only picks redis-py; connections come from the pool above.
        self.rates = MovingWindows(RedisStorage(
            "async+redis://", implementation="redispy", key_prefix=f"{prefix}:rate",
            connection_pool=self._redis.connection_pool))  # type: ignore[arg-type]

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
        return await self.rates.hit(key, limit, window_seconds)

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)
