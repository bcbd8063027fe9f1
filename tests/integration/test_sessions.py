"""Sessions and refresh tokens against the real auth database: rotation and theft detection,
sign-out, password and role changes, and every subgraph refusing an ended session at once."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from subgraphs.auth.models import RefreshToken
from subgraphs.auth.models import Session as SessionRow
from subgraphs.auth.models import User as UserRow
from subgraphs.booking.models import AVAILABLE
from subgraphs.kernel.db import Database, new_id
from subgraphs.kernel.guards import MemoryGuards
from subgraphs.seed import create_user
from subgraphs.venue.models import Venue
from tests.flows import CREATE_VENUE, PASSWORD, Actors, ShowOnSale
from tests.harness import GraphQL, Stack, error_codes
from tests.integration.support import (
    HOLD_IDS,
    REGISTER,
    count,
    refusal,
    seat_rows,
    unique_email,
)

SIGN_IN = """mutation($i: LoginInput!) { login(input: $i) {
  accessToken refreshToken expiresAt user { id email role } } }"""
REFRESH = """mutation($t: String!) { refresh(refreshToken: $t) {
  accessToken refreshToken expiresAt user { id role } } }"""
REGISTER_WITH_REFRESH = REGISTER.replace("accessToken", "accessToken refreshToken")
LOGOUT = "mutation { logout }"
LOGOUT_EVERYWHERE = "mutation { logoutEverywhere }"
MY_SESSIONS = "{ mySessions { id current clientAddress userAgent createdAt lastUsedAt } }"
CHANGE_PASSWORD = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }"
SET_ROLE = "mutation($u: ID!, $r: Role!) { setUserRole(userId: $u, role: $r) { id role } }"
ME_ID = "{ me { id role } }"
PAYMENT_OF_BOOKING = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { id payment { id } } } }"""
NEW_PASSWORD = "a brand new passphrase"


@dataclass
class SignedIn:
    """One session of a user, as the client holds it."""

    user_id: str
    email: str
    access: str
    refresh: str
    client: GraphQL

    @property
    def session_id(self) -> str:
        return str(jwt.decode(self.access, options={"verify_signature": False})["sid"])


async def account(stack: Stack, role: str = "CUSTOMER") -> str:
    """A fresh account (made the admin CLI's way, so no rate limit is spent); its email."""
    email = unique_email(f"session-{role.lower()}")
    await create_user(stack.settings, email, PASSWORD, f"Session {role.title()}", role)
    return email


async def sign_in(stack: Stack, email: str, password: str = PASSWORD,
                  client: GraphQL | None = None) -> SignedIn:
    """A new session of ``email`` from ``client`` (by default a new client address)."""
    client = client or stack.client("auth")
    data = (await client.data(SIGN_IN, {"i": {"email": email, "password": password}}))["login"]
    return SignedIn(data["user"]["id"], email, data["accessToken"], data["refreshToken"], client)


async def refresh(stack: Stack, token: str) -> dict[str, Any]:
    """The whole response to ``refresh``."""
    return await stack.client("auth").run(REFRESH, {"t": token})


async def refreshed(stack: Stack, who: SignedIn) -> SignedIn:
    """``who`` after a refresh that must succeed."""
    body = await refresh(stack, who.refresh)
    assert "errors" not in body, body
    data = body["data"]["refresh"]
    return SignedIn(who.user_id, who.email, data["accessToken"], data["refreshToken"], who.client)


def refused_as_unauthenticated(body: dict[str, Any]) -> bool:
    return error_codes(body) == ["UNAUTHENTICATED"] and body.get("data") is None


async def me(stack: Stack, access: str) -> dict[str, Any]:
    return await stack.client("auth").run(ME_ID, token=access)


async def session_row(db: Database, session_id: str) -> SessionRow:
    async with db.reader() as session:
        row = await session.get(SessionRow, session_id)
    assert row is not None
    return row


async def password_hash(db: Database, user_id: str) -> str:
    async with db.reader() as session:
        found = await session.scalar(select(UserRow.password_hash).where(UserRow.id == user_id))
    assert found is not None
    return found


async def active_sessions(db: Database, user_id: str) -> int:
    return await count(db, SessionRow, SessionRow.user_id == user_id,
                       SessionRow.revoked_at.is_(None))


# --- one request per subgraph --------------------------------------------------------


async def on_every_subgraph(stack: Stack, access: str, show: ShowOnSale, seat_id: str,
                            venue_name: str | None = None) -> dict[str, dict[str, Any]]:
    """Ask each subgraph for something that needs (or reads) the caller, with ``access``:
    auth ``me``, booking ``holdSeats``, venue ``createVenue`` (organizers), payment
    ``_entities``."""
    venue_name = venue_name or f"Probe {uuid.uuid4().hex[:8]}"
    return {
        "auth": await stack.client("auth").run(ME_ID, token=access),
        "booking": await stack.client("booking").run(
            HOLD_IDS, {"show": show.id, "seats": [seat_id]}, access),
        "venue": await stack.client("venue").run(
            CREATE_VENUE, {"i": {"name": venue_name, "timeZone": "UTC",
                                 "rows": [{"label": "A", "seats": 1}]}},
            access),
        "payment": await stack.client("payment").run(
            PAYMENT_OF_BOOKING, {"r": [{"__typename": "Booking", "id": new_id()}]}, access),
    }


def assert_accepted_everywhere(bodies: dict[str, dict[str, Any]], user_id: str) -> None:
    for service, body in bodies.items():
        assert "errors" not in body, (service, body)
    assert bodies["auth"]["data"]["me"]["id"] == user_id
    assert bodies["booking"]["data"]["holdSeats"]["__typename"] == "SeatHold", bodies["booking"]
    assert bodies["venue"]["data"]["createVenue"]["id"]
    assert bodies["payment"]["data"]["_entities"][0]["payment"] is None


def assert_refused_everywhere(bodies: dict[str, dict[str, Any]]) -> None:
    for service, body in bodies.items():
        assert refused_as_unauthenticated(body), (service, body)


async def assert_probe_wrote_nothing(dbs: dict[str, Database], show: ShowOnSale, seat_id: str,
                                     venue_name: str) -> None:
    assert (await seat_rows(dbs["booking"], show.id))[seat_id] == (AVAILABLE, None)
    assert await count(dbs["venue"], Venue, Venue.name == venue_name) == 0


async def announced_revoked(stack: Stack, session_id: str) -> bool:
    """True if the shared guards (Redis, or memory when embedded) refuse the session."""
    guards = stack.services["auth"].runtime.guards
    if stack.settings.redis_url is None:
        assert isinstance(guards, MemoryGuards)
        return await guards.is_revoked(session_id)
    r = aioredis.from_url(stack.settings.redis_url)
    try:
        key = f"{stack.settings.redis_prefix}:revoked:{session_id}"
        ttl = int(await r.ttl(key))
        assert ttl <= stack.settings.access_token_ttl_seconds + 60, ttl
        return ttl > 0
    finally:
        await r.aclose()


# --- refresh ---------------------------------------------------------------------------


async def test_refresh_returns_new_tokens_of_the_same_session(
        stack: Stack, dbs: dict[str, Database]) -> None:
    first = await sign_in(stack, await account(stack))
    second = await refreshed(stack, first)
    assert second.access != first.access
    assert second.refresh != first.refresh
    assert second.session_id == first.session_id
    assert (await me(stack, second.access))["data"]["me"]["id"] == first.user_id
    async with dbs["auth"].reader() as session:
        rows = {r.token_hash: r for r in await session.scalars(
            select(RefreshToken).where(RefreshToken.session_id == first.session_id))}
    spent = rows[hashlib.sha256(first.refresh.encode()).hexdigest()]
    fresh = rows[hashlib.sha256(second.refresh.encode()).hexdigest()]
    assert spent.used_at is not None and fresh.used_at is None
    assert len(rows) == 2


async def test_a_reused_refresh_token_ends_its_session_on_every_subgraph(
        stack: Stack, dbs: dict[str, Database], show: ShowOnSale) -> None:
    email = await account(stack, "ORGANIZER")
    stolen, other = await sign_in(stack, email), await sign_in(stack, email)
    rotated = await refreshed(stack, stolen)

    reuse = await refresh(stack, stolen.refresh)
    assert refused_as_unauthenticated(reuse), reuse

    row = await session_row(dbs["auth"], stolen.session_id)
    assert row.revoked_at is not None
    assert row.revoked_reason == "refresh token reused"
    assert await announced_revoked(stack, stolen.session_id)
    # The whole family is gone: the token that replaced the stolen one is refused too.
    assert refused_as_unauthenticated(await refresh(stack, rotated.refresh))

    seat = show.seats[0]["id"]
    for access in (rotated.access, stolen.access):
        name = f"Refused {uuid.uuid4().hex[:8]}"
        assert_refused_everywhere(await on_every_subgraph(stack, access, show, seat, name))
        await assert_probe_wrote_nothing(dbs, show, seat, name)

    # The user's other session is untouched.
    assert_accepted_everywhere(await on_every_subgraph(stack, other.access, show, seat),
                               other.user_id)
    assert (await session_row(dbs["auth"], other.session_id)).revoked_at is None
    await refreshed(stack, other)


async def test_concurrent_refreshes_with_one_token_let_at_most_one_through(
        stack: Stack, dbs: dict[str, Database]) -> None:
    who = await sign_in(stack, await account(stack))
    bodies = await asyncio.gather(*(refresh(stack, who.refresh) for _ in range(4)))
    won = [b["data"]["refresh"] for b in bodies if "errors" not in b]
    assert len(won) <= 1, bodies
    assert all(refused_as_unauthenticated(b) for b in bodies if "errors" in b), bodies
    assert len(won) + sum("errors" in b for b in bodies) == 4

    row = await session_row(dbs["auth"], who.session_id)
    assert (row.revoked_at is not None, row.revoked_reason) == (True, "refresh token reused")
    for winner in won:
        assert refused_as_unauthenticated(await refresh(stack, winner["refreshToken"]))
        assert refused_as_unauthenticated(await me(stack, winner["accessToken"]))
    assert refused_as_unauthenticated(await me(stack, who.access))


async def test_register_returns_a_refresh_token_that_works(
        stack: Stack, dbs: dict[str, Database]) -> None:
    email = unique_email("register-refresh")
    body = await stack.client("auth").data(REGISTER_WITH_REFRESH, {"i": {
        "email": email, "password": PASSWORD, "name": "Reg"}})
    data = body["register"]
    assert data["refreshToken"]
    who = SignedIn(data["user"]["id"], email, data["accessToken"], data["refreshToken"],
                   stack.client("auth"))
    after = await refreshed(stack, who)
    assert after.session_id == who.session_id
    assert (await me(stack, after.access))["data"]["me"]["id"] == who.user_id
    assert await active_sessions(dbs["auth"], who.user_id) == 1


async def test_refresh_tokens_are_stored_only_as_sha256_digests(
        stack: Stack, dbs: dict[str, Database]) -> None:
    first = await sign_in(stack, await account(stack))
    second = await refreshed(stack, first)
    async with dbs["auth"].reader() as session:
        rows = (await session.execute(select(RefreshToken.__table__))).all()
        session_rows = (await session.execute(select(SessionRow.__table__))).all()
    stored = [str(value) for row in [*rows, *session_rows] for value in row]
    for raw in (first.refresh, second.refresh):
        assert not any(raw in value for value in stored)
        digest = hashlib.sha256(raw.encode()).hexdigest()
        assert any(row.token_hash == digest and row.session_id == first.session_id
                   for row in rows)


@pytest.mark.parametrize("token", ["garbage", "", "   ", "{random}", "{access}"],
                         ids=["garbage", "empty", "blank", "random 32 bytes",
                              "an access token"])
async def test_an_unknown_refresh_token_is_unauthenticated(
        stack: Stack, actors: Actors, token: str) -> None:
    token = token.format(random=secrets.token_urlsafe(32), access=actors.customer.token)
    assert refused_as_unauthenticated(await refresh(stack, token))


# --- logout ----------------------------------------------------------------------------


async def test_logout_ends_only_this_session(
        stack: Stack, dbs: dict[str, Database], show: ShowOnSale) -> None:
    email = await account(stack, "ORGANIZER")
    leaving, staying = await sign_in(stack, email), await sign_in(stack, email)

    assert await stack.client("auth").data(LOGOUT, token=leaving.access) == {"logout": True}

    seat = show.seats[1]["id"]
    name = f"Logged out {uuid.uuid4().hex[:8]}"
    assert_refused_everywhere(await on_every_subgraph(stack, leaving.access, show, seat, name))
    await assert_probe_wrote_nothing(dbs, show, seat, name)
    assert refused_as_unauthenticated(await refresh(stack, leaving.refresh))
    assert (await session_row(dbs["auth"], leaving.session_id)).revoked_reason == "logout"

    assert_accepted_everywhere(await on_every_subgraph(stack, staying.access, show, seat),
                               staying.user_id)
    after = await refreshed(stack, staying)
    assert (await me(stack, after.access))["data"]["me"]["id"] == staying.user_id
    assert await active_sessions(dbs["auth"], staying.user_id) == 1


async def test_logout_everywhere_ends_every_session_and_counts_them(
        stack: Stack, dbs: dict[str, Database]) -> None:
    email = await account(stack)
    sessions = [await sign_in(stack, email) for _ in range(4)]
    # One session has already ended: it is not counted again.
    await stack.client("auth").data(LOGOUT, token=sessions[3].access)

    body = await stack.client("auth").data(LOGOUT_EVERYWHERE, token=sessions[0].access)
    assert body == {"logoutEverywhere": 3}

    for who in sessions:
        assert refused_as_unauthenticated(await me(stack, who.access))
        assert refused_as_unauthenticated(await refresh(stack, who.refresh))
    assert await active_sessions(dbs["auth"], sessions[0].user_id) == 0
    reasons = {(await session_row(dbs["auth"], w.session_id)).revoked_reason for w in sessions}
    assert reasons == {"logout", "logout everywhere"}


@pytest.mark.parametrize("mutation", [LOGOUT, LOGOUT_EVERYWHERE])
async def test_signing_out_needs_a_token(stack: Stack, mutation: str) -> None:
    assert refusal(await stack.client("auth").run(mutation)) == ("UNAUTHENTICATED", None)


# --- mySessions ------------------------------------------------------------------------


async def test_my_sessions_lists_active_sessions_marking_the_callers(
        stack: Stack, actors: Actors) -> None:
    email = await account(stack)
    a, b, c = [await sign_in(stack, email) for _ in range(3)]

    async def listed(who: SignedIn) -> dict[str, dict[str, Any]]:
        rows = (await stack.client("auth").data(MY_SESSIONS, token=who.access))["mySessions"]
        return {row["id"]: row for row in rows}

    seen = await listed(a)
    assert set(seen) == {a.session_id, b.session_id, c.session_id}
    assert [sid for sid, row in seen.items() if row["current"]] == [a.session_id]
    for who in (a, b, c):
        assert seen[who.session_id]["clientAddress"] == who.client.address
    someone_else = jwt.decode(actors.customer.token, options={"verify_signature": False})
    assert someone_else["sid"] not in seen  # another user's sessions never appear
    assert [sid for sid, row in (await listed(b)).items() if row["current"]] == [b.session_id]

    await stack.client("auth").data(LOGOUT, token=c.access)
    a = await refreshed(stack, a)
    seen = await listed(a)
    assert set(seen) == {a.session_id, b.session_id}
    assert [sid for sid, row in seen.items() if row["current"]] == [a.session_id]


async def test_my_sessions_is_unauthenticated_for_anonymous_requests(stack: Stack) -> None:
    body = await stack.client("auth").run(MY_SESSIONS)
    assert refusal(body) == ("UNAUTHENTICATED", None)
    assert body["data"] is None


# --- changePassword --------------------------------------------------------------------


@pytest.mark.parametrize(("current", "new", "field"), [
    ("not the password", NEW_PASSWORD, "currentPassword"),
    (PASSWORD, "nine-char", "newPassword"),
    (PASSWORD, "{email}", "newPassword"),
], ids=["wrong current password", "new password too short", "new password is the email"])
async def test_a_refused_password_change_changes_nothing(
        stack: Stack, dbs: dict[str, Database], current: str, new: str, field: str) -> None:
    email = await account(stack)
    caller, other = await sign_in(stack, email), await sign_in(stack, email)
    before = await password_hash(dbs["auth"], caller.user_id)

    body = await stack.client("auth").run(CHANGE_PASSWORD, {"i": {
        "currentPassword": current, "newPassword": new.format(email=email)}}, caller.access)
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert body["data"] is None

    assert await password_hash(dbs["auth"], caller.user_id) == before
    assert await active_sessions(dbs["auth"], caller.user_id) == 2
    assert (await me(stack, other.access))["data"]["me"]["id"] == caller.user_id
    await sign_in(stack, email)  # the old password still signs in


async def test_changing_the_password_ends_every_other_session(
        stack: Stack, dbs: dict[str, Database], show: ShowOnSale) -> None:
    email = await account(stack, "ORGANIZER")
    caller, second, third = [await sign_in(stack, email) for _ in range(3)]
    before = await password_hash(dbs["auth"], caller.user_id)

    body = await stack.client("auth").data(CHANGE_PASSWORD, {"i": {
        "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}}, caller.access)
    assert body == {"changePassword": 2}
    assert await password_hash(dbs["auth"], caller.user_id) != before

    seat = show.seats[2]["id"]
    name = f"Old password {uuid.uuid4().hex[:8]}"
    assert_refused_everywhere(await on_every_subgraph(stack, second.access, show, seat, name))
    await assert_probe_wrote_nothing(dbs, show, seat, name)
    for ended in (second, third):
        assert refused_as_unauthenticated(await me(stack, ended.access))
        assert refused_as_unauthenticated(await refresh(stack, ended.refresh))
        assert (await session_row(dbs["auth"], ended.session_id)).revoked_reason == (
            "password changed")

    # The session that changed the password goes on, refresh included.
    assert_accepted_everywhere(await on_every_subgraph(stack, caller.access, show, seat),
                               caller.user_id)
    kept = await refreshed(stack, caller)
    assert (await me(stack, kept.access))["data"]["me"]["id"] == caller.user_id

    old = await stack.client("auth").run(SIGN_IN, {"i": {"email": email, "password": PASSWORD}})
    assert refused_as_unauthenticated(old)
    await sign_in(stack, email, NEW_PASSWORD)


async def test_changing_the_password_needs_a_token(stack: Stack) -> None:
    body = await stack.client("auth").run(CHANGE_PASSWORD, {"i": {
        "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}})
    assert refusal(body) == ("UNAUTHENTICATED", None)


# --- setUserRole -----------------------------------------------------------------------


@pytest.mark.parametrize(("who", "code"), [(None, "UNAUTHENTICATED"),
                                           ("customer", "FORBIDDEN"),
                                           ("organizer", "FORBIDDEN")])
async def test_only_admins_set_roles(stack: Stack, actors: Actors, dbs: dict[str, Database],
                                     who: str | None, code: str) -> None:
    target = await sign_in(stack, await account(stack))
    token = getattr(actors, who).token if who else None
    body = await stack.client("auth").run(SET_ROLE, {"u": target.user_id, "r": "ADMIN"}, token)
    assert error_codes(body) == [code]
    assert body["data"] is None
    async with dbs["auth"].reader() as session:
        role = await session.scalar(select(UserRow.role).where(UserRow.id == target.user_id))
    assert role == "CUSTOMER"
    assert (await me(stack, target.access))["data"]["me"]["role"] == "CUSTOMER"


async def test_an_admin_sets_a_role_ending_the_users_sessions(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    email = await account(stack)
    target = await sign_in(stack, email)
    venue = {"i": {"name": f"Promoted {uuid.uuid4().hex[:8]}", "timeZone": "UTC",
                   "rows": [{"label": "A", "seats": 2}]}}
    before = await stack.client("venue").run(CREATE_VENUE, venue, target.access)
    assert error_codes(before) == ["FORBIDDEN"]

    body = await stack.client("auth").data(SET_ROLE, {"u": target.user_id, "r": "ORGANIZER"},
                                           actors.admin.token)
    assert body == {"setUserRole": {"id": target.user_id, "role": "ORGANIZER"}}
    async with dbs["auth"].reader() as session:
        role = await session.scalar(select(UserRow.role).where(UserRow.id == target.user_id))
    assert role == "ORGANIZER"

    # The old token, carrying the old role, no longer works anywhere.
    assert refused_as_unauthenticated(await me(stack, target.access))
    assert refused_as_unauthenticated(await refresh(stack, target.refresh))
    assert (await session_row(dbs["auth"], target.session_id)).revoked_reason == "role changed"
    # The admin's own session is not touched.
    assert (await me(stack, actors.admin.token))["data"]["me"]["id"] == actors.admin.id

    again = await sign_in(stack, email)
    claims = jwt.decode(again.access, options={"verify_signature": False})
    assert claims["roles"] == ["ORGANIZER"]
    created = await stack.client("venue").data(CREATE_VENUE, venue, again.access)
    assert created["createVenue"]["id"]


async def test_setting_the_role_of_an_unknown_user_is_not_found(
        stack: Stack, actors: Actors) -> None:
    body = await stack.client("auth").run(SET_ROLE, {"u": new_id(), "r": "ORGANIZER"},
                                          actors.admin.token)
    assert refusal(body) == ("NOT_FOUND", "userId")
    assert body["data"] is None
