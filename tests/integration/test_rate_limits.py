"""Rate limits on login and register, per email and per client address, in both modes:
counters in Redis with a server, in memory when embedded."""

from __future__ import annotations

import itertools
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import select

from subgraphs.auth.models import Session as SessionRow
from subgraphs.auth.models import User as UserRow
from subgraphs.kernel.guards import MemoryGuards
from subgraphs.seed import create_user
from tests.flows import PASSWORD
from tests.harness import REDIS_URL, GraphQL, eventually
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
    async with d.dbs["auth"].session() as session:
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
    names = {f"{prefix}:rate:login:email:{email}": 2, f"{prefix}:rate:login:address:{c.address}": 2}
    r = aioredis.from_url(REDIS_URL)
    try:
        stored = {k.decode() async for k in r.scan_iter(match=f"{prefix}:*")}
        if mode == "postgres":
            assert d.settings.redis_url is not None
            assert set(names) <= stored, stored
            for name, hits in names.items():
                assert int(await r.get(name)) == hits
                assert 1 <= int(await r.ttl(name)) <= 60
        else:
            assert d.settings.redis_url is None
            assert stored == set(), stored
            guards = d.services["auth"].runtime.guards
            assert isinstance(guards, MemoryGuards)
            windows = guards._windows
            assert windows[f"login:email:{email}"][1] == 2
            assert windows[f"login:address:{c.address}"][1] == 2
    finally:
        await r.aclose()


# --- the window ends -------------------------------------------------------------------


async def test_a_refused_email_may_sign_in_once_the_window_has_passed(
        short_window: Deployment) -> None:
    d = short_window
    email, c = await account(d), client(d)
    assert "errors" not in await login(c, email)
    retry_after(await login(c, email), 2)

    async def signs_in() -> bool:
        body = await login(c, email)
        assert not_limited(body) or retry_after(body, 2)
        return "errors" not in body

    await eventually(signs_in, timeout=15, interval=0.5)

