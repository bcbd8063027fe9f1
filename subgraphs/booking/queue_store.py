"""Where a waiting room keeps who waits: one interface, two stores (docs/waiting-room.md).

Every queue is a handful of numbers per show, so a position costs O(1) whatever the crowd:

* ``arrivals`` — one counter. Joining takes the next number (``INCR``): the ticket's
  *arrival index*. One account gets one index per show (``HSETNX`` users → index).
* ``pre`` — the arrival count frozen when the queue opens: indexes ``1..pre`` arrived in the
  pre-queue window. ``key`` — a random key drawn at that moment.
* The ticket's *place* in line: a pre-queue index is mapped through a keyed random
  permutation of ``1..pre`` (:func:`shuffled`, a Feistel network with cycle walking: a
  uniform-looking shuffle computed on demand, nothing written per ticket); a later arrival's
  place is its index (``pre + 1``, ``pre + 2`` … in order of arrival).
* ``admitted`` — "admitted up to place N", advanced by the admitter at the rate (a token
  bucket: ``rate x elapsed`` since the last advance, never past ``arrivals``, nothing while
  paused). A ticket's position is ``place - floor(admitted)``: no rank is ever computed.
* ``opens``, ``rate``, ``paused`` — the queue's settings, copied from booking's database by
  every admission round and every change, so that the router answers a waiting ticket's poll
  from this one hash (router/lib/queue.mjs).
* ``passes`` — when each admitted place's pass expires (a sorted set by expiry, written once
  per place when its ticket first sees itself admitted), so operators count expired passes
  with one ``ZCOUNT``. A waiting client's poll reads one hash (``HMGET``) and nothing else.

:class:`RedisQueueStore` keeps these in Redis (each step one atomic command or Lua script,
so any number of booking processes share a queue); :class:`MemoryQueueStore` keeps the
same numbers in the process (embedded mode: one process serves booking).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from subgraphs.kernel.redis_pool import redis_client

FEISTEL_ROUNDS = 4


def shuffled(index: int, size: int, key: bytes) -> int:
    """The place (1-based) of pre-queue arrival ``index`` (1-based) among ``size``: a
    permutation of ``1..size`` chosen by ``key``, computed for one index at a time."""
    if not 1 <= index <= size:
        raise ValueError("index out of range")
    if size == 1:
        return 1
    bits = max(2, (size - 1).bit_length())
    bits += bits % 2  # a balanced network: two halves of equal width
    half = bits // 2
    mask = (1 << half) - 1
    x = index - 1
    while True:  # cycle walking: stay inside 0..size-1 (expected < 4 rounds trips)
        left, right = x >> half, x & mask
        for r in range(FEISTEL_ROUNDS):
            digest = hmac.new(key, f"{r}:{right}".encode(), hashlib.sha256).digest()
            left, right = right, left ^ (int.from_bytes(digest[:8], "big") & mask)
        x = (left << half) | right
        if x < size:
            return x + 1


@dataclass(frozen=True)
class QueueState:
    """A show's queue numbers at one moment."""

    arrivals: int = 0
    pre: int | None = None  # None: not opened yet
    key: bytes = b""
    admitted: float = 0.0

    @property
    def opened(self) -> bool:
        return self.pre is not None

    def place(self, index: int) -> int | None:
        """The place in line of arrival ``index`` (None before the opening shuffle)."""
        if self.pre is None:
            return None
        if index <= self.pre:
            return shuffled(index, self.pre, self.key)
        return index

    @property
    def admitted_places(self) -> int:
        return math.floor(self.admitted)


@dataclass(frozen=True)
class QueueSettings:
    """A queue's settings as booking's database has them (``rate`` resolved from auto)."""

    show_id: str
    opens_at: float
    rate_per_minute: float
    paused: bool


class QueueStore(Protocol):
    async def join(self, show_id: str, user_id: str) -> tuple[int, bool]:
        """The user's arrival index for the show and whether it is new (one per account)."""

    async def state(self, show_id: str) -> QueueState:
        """The show's queue numbers (one read)."""

    async def expired_passes(self, show_id: str, now: float) -> int:
        """How many passes expired by ``now``."""

    async def round(self, settings: Sequence[QueueSettings], now: float) -> None:
        """One admission round for every queue in ``settings``: write its settings beside its
        numbers (:meth:`publish`), open it if its time came (freeze the pre-queue and draw its
        shuffle key; once), and admit ``rate x (now - last round)`` more places (not past the
        arrivals, none while paused)."""

    async def pass_expiry(self, show_id: str, place: int, expires: float) -> float:
        """The expiry of the pass of ``place``: ``expires`` if this is its first, else the
        one recorded first."""

    async def publish(self, queue: QueueSettings) -> None:
        """Write the queue's settings beside its numbers, for readers other than booking
        (the router answers waiting tickets' polls from this hash alone)."""

    async def close(self) -> None:
        """Release connections."""


@dataclass
class _MemoryQueue:
    arrivals: int = 0
    users: dict[str, int] = field(default_factory=dict)
    pre: int | None = None
    key: bytes = b""
    admitted: float = 0.0
    last: float | None = None
    passes: dict[int, float] = field(default_factory=dict)


class MemoryQueueStore:
    """The queue numbers in this process (embedded mode)."""

    def __init__(self) -> None:
        self._queues: dict[str, _MemoryQueue] = {}

    def _q(self, show_id: str) -> _MemoryQueue:
        return self._queues.setdefault(show_id, _MemoryQueue())

    async def join(self, show_id: str, user_id: str) -> tuple[int, bool]:
        q = self._q(show_id)
        if user_id in q.users:
            return q.users[user_id], False
        q.arrivals += 1
        q.users[user_id] = q.arrivals
        return q.arrivals, True

    async def state(self, show_id: str) -> QueueState:
        q = self._q(show_id)
        return QueueState(q.arrivals, q.pre, q.key, q.admitted)

    async def expired_passes(self, show_id: str, now: float) -> int:
        return sum(1 for e in self._q(show_id).passes.values() if e <= now)

    async def round(self, settings: Sequence[QueueSettings], now: float) -> None:
        for queue in settings:
            q = self._q(queue.show_id)
            if q.pre is None and queue.opens_at <= now:
                q.pre, q.key = q.arrivals, new_key()
            if q.pre is None:
                continue
            if q.last is not None and not queue.paused and now > q.last:
                q.admitted = min(float(q.arrivals),
                                 q.admitted + queue.rate_per_minute * (now - q.last) / 60)
            if q.last is None or now > q.last:
                q.last = now

    async def pass_expiry(self, show_id: str, place: int, expires: float) -> float:
        return self._q(show_id).passes.setdefault(place, expires)

    async def publish(self, queue: QueueSettings) -> None:
        return None  # embedded mode: nobody but this process reads the queue

    async def close(self) -> None:
        return None


# KEYS: the show's hash, users hash; ARGV: user. Returns {index, new}.
_JOIN = """
local have = redis.call('HGET', KEYS[2], ARGV[1])
if have then return {tonumber(have), 0} end
local index = redis.call('HINCRBY', KEYS[1], 'arrivals', 1)
redis.call('HSET', KEYS[2], ARGV[1], index)
return {index, 1}
"""
# KEYS: the show's hash; ARGV: opens (s), rate per minute, paused (0/1), now (s), a fresh
# shuffle key (hex, kept only if this round opens the queue). One admission round.
_ROUND = """
redis.call('HSET', KEYS[1], 'opens', ARGV[1], 'rate', ARGV[2], 'paused', ARGV[3])
local now = tonumber(ARGV[4])
if redis.call('HEXISTS', KEYS[1], 'pre') == 0 then
  if tonumber(ARGV[1]) > now then return 0 end
  redis.call('HSET', KEYS[1], 'pre', redis.call('HGET', KEYS[1], 'arrivals') or '0',
             'key', ARGV[5])
end
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '')
if last ~= nil and ARGV[3] == '0' and now > last then
  local arrivals = tonumber(redis.call('HGET', KEYS[1], 'arrivals') or '0')
  local admitted = tonumber(redis.call('HGET', KEYS[1], 'admitted') or '0')
  admitted = math.min(arrivals, admitted + tonumber(ARGV[2]) * (now - last) / 60)
  redis.call('HSET', KEYS[1], 'admitted', string.format('%.6f', admitted))
end
if last == nil or now > last then redis.call('HSET', KEYS[1], 'last', ARGV[4]) end
return 1
"""
# KEYS: passes zset; ARGV: place, expiry. Returns the expiry recorded.
_RECORD_EXPIRY = """
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
return redis.call('ZSCORE', KEYS[1], ARGV[1])
"""


class RedisQueueStore:
    """The queue numbers in Redis, shared by every booking process."""

    def __init__(self, url: str, prefix: str, timeout: float = 2.0) -> None:
        self._redis = redis_client(url, name=f"{prefix}:queue", timeout=timeout)
        self._prefix = prefix
        self._join = self._redis.register_script(_JOIN)
        self._round = self._redis.register_script(_ROUND)
        self._pass = self._redis.register_script(_RECORD_EXPIRY)

    def _key(self, show_id: str, part: str = "") -> str:
        return f"{self._prefix}:queue:{show_id}{part}"

    async def join(self, show_id: str, user_id: str) -> tuple[int, bool]:
        index, new = await self._join(keys=[self._key(show_id), self._key(show_id, ":users")],
                                      args=[user_id])
        return int(index), bool(new)

    async def state(self, show_id: str) -> QueueState:
        arrivals, pre, key, admitted = await self._redis.hmget(
            self._key(show_id), "arrivals", "pre", "key", "admitted")
        text = key.decode() if isinstance(key, bytes) else key
        return QueueState(int(arrivals or 0), None if pre is None else int(pre),
                          bytes.fromhex(text) if text else b"", float(admitted or 0))

    async def expired_passes(self, show_id: str, now: float) -> int:
        return int(await self._redis.zcount(self._key(show_id, ":passes"), "-inf", now))

    async def round(self, settings: Sequence[QueueSettings], now: float) -> None:
        """Every queue's round in one pipeline: one round trip however many queues."""
        if not settings:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for q in settings:
                await self._round(keys=[self._key(q.show_id)], client=pipe, args=[
                    repr(q.opens_at), repr(float(q.rate_per_minute)),
                    "1" if q.paused else "0", repr(now), new_key().hex()])
            await pipe.execute()

    async def pass_expiry(self, show_id: str, place: int, expires: float) -> float:
        found = await self._pass(keys=[self._key(show_id, ":passes")],
                                 args=[place, repr(expires)])
        return float(found)

    async def publish(self, queue: QueueSettings) -> None:
        await self._redis.hset(self._key(queue.show_id), mapping={
            "opens": repr(queue.opens_at), "rate": repr(float(queue.rate_per_minute)),
            "paused": "1" if queue.paused else "0"})

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)


def new_key() -> bytes:
    """A fresh shuffle key."""
    return secrets.token_bytes(16)
