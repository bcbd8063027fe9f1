"""Rate limits on login and register, per email and per client address, in both modes:
moving windows in Redis with a server, in memory when embedded."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from subgraphs.auth.models import Session as SessionRow
from subgraphs.auth.models import User as UserRow
from subgraphs.kernel.guards import MemoryGuards, RedisGuards
from subgraphs.seed import create_user
from tests.flows import PASSWORD
from tests.harness import REDIS_URL, GraphQL
from tests.integration.support import REGISTER, Deployment, count, only_error, unique_email

LOGIN = """mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }"""
WRONG = "not the password at all"

# Documentation addresses (RFC 3849), one per client, never the harness's random ones.
_addresses = (f"2001:db8::{n:x}" for n in itertools.count(1))


def client(d: Deployment) -> GraphQL:
    """A client at an address no other client uses."""
    return GraphQL(d.stack.url("auth"), address=next(_addresses))


async def account(d: Deployment) -> str:
    """A fresh account, made without spending any rate limit; its email."""
    email = unique_email("limited")
    await create_user(d.settings, email, PASSWORD, "Limited", "CUSTOMER")
    return email


async def login(c: GraphQL, email: str, password: str = PASSWORD) -> dict[str, Any]:
    return await c.run(LOGIN, {"i": {"email": email, "password": password}})


async def register(c: GraphQL, email: str) -> dict[str, Any]:
    return await c.run(REGISTER, {"i": {"email": email, "password": PASSWORD, "name": "Reg"}})


def retry_after(body: dict[str, Any], window: int) -> int:
    """The ``retryAfter`` of a RATE_LIMITED refusal, checked to be whole seconds in the window."""
    error = only_error(body)
    assert error["extensions"]["code"] == "RATE_LIMITED", body
    assert body["data"] is None
    wait = error["extensions"]["retryAfter"]
    assert isinstance(wait, int) and not isinstance(wait, bool), wait
    assert 1 <= wait <= window, wait
    return wait


def not_limited(body: dict[str, Any]) -> bool:
    return all(e.get("extensions", {}).get("code") != "RATE_LIMITED"
               for e in body.get("errors", []))


async def sessions_of(d: Deployment, email: str) -> int:
    async with d.dbs["auth"].reader() as session:
        user_id = await session.scalar(select(UserRow.id).where(UserRow.email == email))
    return await count(d.dbs["auth"], SessionRow, SessionRow.user_id == user_id)


async def users_with(d: Deployment, email: str) -> int:
    return await count(d.dbs["auth"], UserRow, UserRow.email == email.lower())


# --- login -----------------------------------------------------------------------------


async def test_the_login_attempt_past_the_email_limit_is_refused(low_limits: Deployment) -> None:
    d = low_limits
    email, c = await account(d), client(d)
    assert only_error(await login(c, email, WRONG))["extensions"]["code"] == "UNAUTHENTICATED"
    assert "errors" not in await login(c, email)
    assert only_error(await login(c, email, WRONG))["extensions"]["code"] == "UNAUTHENTICATED"
    assert await sessions_of(d, email) == 1

    # The fourth attempt is refused, the right password and the email's letter case
    # notwithstanding, and no session is opened.
    retry_after(await login(c, email), 60)
    retry_after(await login(c, email.upper(), WRONG), 60)
    assert await sessions_of(d, email) == 1


async def test_the_email_limit_holds_from_every_address(low_limits: Deployment) -> None:
    d = low_limits
    email = await account(d)
    first = client(d)
    for _ in range(3):
        assert not_limited(await login(first, email, WRONG))
    for _ in range(2):
        retry_after(await login(client(d), email), 60)
    assert await sessions_of(d, email) == 0


async def test_an_address_past_its_limit_is_refused_for_any_email(
        low_limits: Deployment) -> None:
    d = low_limits
    c = client(d)
    emails = [await account(d) for _ in range(6)]
    for email in emails[:5]:
        assert "errors" not in await login(c, email)
    body = await login(c, emails[5])
    retry_after(body, 60)
    retry_after(await login(c, unique_email("never-registered"), WRONG), 60)
    assert await sessions_of(d, emails[5]) == 0
    # It was the address rule: the same email from another address signs in.
    assert "errors" not in await login(client(d), emails[5])


# --- register --------------------------------------------------------------------------


async def test_the_register_attempt_past_the_email_limit_is_refused(
        low_limits: Deployment) -> None:
    d = low_limits
    email = unique_email("reg-email")
    assert "errors" not in await register(client(d), email)
    assert only_error(await register(client(d), email))["extensions"]["code"] == "CONFLICT"
    # The third attempt for the email, from yet another address: the email rule refuses it
    # before it even reaches the duplicate check.
    retry_after(await register(client(d), email.upper()), 60)
    assert await users_with(d, email) == 1


async def test_an_address_past_its_register_limit_writes_no_account(
        low_limits: Deployment) -> None:
    d = low_limits
    c = client(d)
    for _ in range(4):
        email = unique_email("reg-address")
        assert "errors" not in await register(c, email)
        assert await users_with(d, email) == 1
    refused = unique_email("reg-refused")
    retry_after(await register(c, refused), 60)
    assert await users_with(d, refused) == 0
    # It was the address rule: another address may register that email.
    assert "errors" not in await register(client(d), refused)
    assert await users_with(d, refused) == 1


# --- where the counters live -----------------------------------------------------------


async def test_counters_live_in_redis_with_a_server_and_in_memory_when_embedded(
        low_limits: Deployment, mode: str) -> None:
    d = low_limits
    email, c = await account(d), client(d)
    for _ in range(2):
        await login(c, email, WRONG)
    prefix = d.settings.redis_prefix
    # A moving window keeps each attempt's time: <key>/<limit>/<window>/second.
    keys = {f"login:email:{email}/3/60/second": 2, f"login:address:{c.address}/5/60/second": 2}
    names = {f"{prefix}:rate:{key}": hits for key, hits in keys.items()}
    r = aioredis.from_url(REDIS_URL)
    try:
        stored = {k.decode() async for k in r.scan_iter(match=f"{prefix}:*")}
        if mode == "postgres":
            assert d.settings.redis_url is not None
            assert set(names) <= stored, stored
            for name, hits in names.items():
                assert int(await r.llen(name)) == hits
                assert 1 <= int(await r.ttl(name)) <= 60
        else:
            assert d.settings.redis_url is None
            assert stored == set(), stored
            guards = d.services["auth"].runtime.guards
            assert isinstance(guards, MemoryGuards)
            for key, hits in keys.items():
                assert len(guards._storage.events[key]) == hits
    finally:
        await r.aclose()


# --- the window ends -------------------------------------------------------------------


async def test_a_refused_email_may_sign_in_once_the_window_has_passed(
        one_login_a_minute: Deployment, clock: FakeTime) -> None:
    # The limits read the clock the test moves (``clock``): the window ends when the test
    # says, not after a real wait that a loaded machine could stretch past a short window.
    d = one_login_a_minute
    email, c = await account(d), client(d)
    assert "errors" not in await login(c, email)
    clock.now += 0.5  # refused until that sign-in leaves the window, 59.5 s from now
    wait = retry_after(await login(c, email), 60)
    assert wait == 60
    clock.now += wait - 1
    assert retry_after(await login(c, email), 60) == 1  # not yet
    clock.now += 1
    assert "errors" not in await login(c, email)



# --- the guards themselves: moving windows, bounded storage ----------------------------

LIMIT, WINDOW = 3, 10


class FakeTime:
    """Stands in for the ``time`` module where the rate limits read the clock."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    for module in ("limits.aio.storage.memory", "limits.aio.storage.redis.redispy",
                   "subgraphs.kernel.guards"):
        monkeypatch.setattr(f"{module}.time", fake)
    return fake


@pytest.fixture
async def guards(mode: str) -> AsyncIterator[MemoryGuards | RedisGuards]:
    """The mode's guards; with Redis, under a key prefix of this test's own."""
    if mode != "postgres":
        memory = MemoryGuards()
        yield memory
        await memory.close()
        return
    prefix = f"tft-guards:{uuid.uuid4().hex[:10]}"
    shared = RedisGuards(REDIS_URL, prefix)
    try:
        yield shared
    finally:
        await shared.close()
        r = aioredis.from_url(REDIS_URL)
        try:
            async for name in r.scan_iter(match=f"{prefix}:*"):
                await r.delete(name)
        finally:
            await r.aclose()


async def test_no_window_lets_more_than_the_limit_through_across_a_window_edge(
        guards: MemoryGuards | RedisGuards, clock: FakeTime) -> None:
    start = clock.now
    # One attempt, a burst just before a fixed window starting with it would end and one
    # just after, then an attempt every half second for three more windows.
    attempts = [0.0, 9.5, 9.5, 9.5, 10.5, 10.5, 10.5] + [n / 2 for n in range(22, 82)]
    allowed: list[float] = []
    waits: dict[float, int] = {}
    for at in attempts:
        clock.now = start + at
        wait = await guards.hit("login:email:edge", LIMIT, WINDOW)
        if wait is None:
            allowed.append(at)
        else:
            waits.setdefault(at, wait)
    for first in allowed:
        within = [at for at in allowed if first <= at < first + WINDOW]
        assert len(within) <= LIMIT, (first, within, allowed)
    # The limit is used, not merely kept by refusing: 0 left the window at 10, so one of
    # the attempts at 10.5 passed, and so on.
    assert allowed[:4] == [0.0, 9.5, 9.5, 10.5], allowed
    assert len(allowed) >= 3 * LIMIT, allowed
    # retryAfter is whole seconds until an attempt would pass: at 11 the oldest attempt
    # in the window is from 9.5, so 9 s (a try at 20 passes).
    assert waits[11.0] == 9
    assert 20.0 in allowed


async def test_what_the_limits_keep_is_bounded_and_expires(
        guards: MemoryGuards | RedisGuards, clock: FakeTime, mode: str) -> None:
    for n in range(20):
        await guards.hit("login:email:busy", LIMIT, WINDOW)
        await guards.hit(f"login:address:2001:db8::{n:x}", LIMIT, WINDOW)
    busy = f"login:email:busy/{LIMIT}/{WINDOW}/second"
    if isinstance(guards, RedisGuards):
        assert mode == "postgres"
        r = aioredis.from_url(REDIS_URL)
        try:
            name = f"{guards._prefix}:rate:{busy}"
            assert await r.llen(name) == LIMIT  # refused attempts are not kept
            assert 1 <= await r.ttl(name) <= WINDOW  # and Redis drops the key after a window
            names = [k async for k in r.scan_iter(match=f"{guards._prefix}:rate:*")]
            assert len(names) == 21
            for other in names:
                assert 1 <= await r.ttl(other) <= WINDOW
        finally:
            await r.aclose()
        return
    assert mode == "embedded"
    storage = guards._storage
    assert len(storage.events[busy]) == LIMIT
    assert len(storage.events) == 21

    async def swept() -> None:
        # The storage sweeps in a task of its own, started by an attempt.
        while storage.timer is not None and not storage.timer.done():
            await storage.timer

    await swept()
    clock.now += WINDOW + 1
    await guards.hit("login:email:later", LIMIT, WINDOW)
    await swept()
    later = f"login:email:later/{LIMIT}/{WINDOW}/second"
    assert set(storage.events) == {later}
    assert set(storage.locks) <= {later}


async def test_memory_revocations_are_dropped_once_past(clock: FakeTime) -> None:
    guards = MemoryGuards(clock=clock.monotonic)
    await guards.revoke(["s1", "s2"], 10)
    clock.now += 5
    await guards.revoke(["s3"], 10)
    assert set(guards._revoked) == {"s1", "s2", "s3"}
    clock.now += 6  # s1 and s2 are past, never asked about again
    await guards.revoke(["s4"], 10)
    assert set(guards._revoked) == {"s3", "s4"}
    assert await guards.is_revoked("s3") and not await guards.is_revoked("s1")
