"""The router checks access tokens itself, before any subgraph hears of a request, and tells
the subgraphs where the client is (``X-Forwarded-For``). Real processes, both modes.

Two routers are used: the session's router (``e2e``), and a second one started here whose
subgraph URLs (and JWKS) point at a recording proxy in front of the real subgraphs. The
proxy is what proves "before any subgraph": a request the router refuses never shows up in
it. That proof can fail, because a request the *subgraph* refuses with the very same
``UNAUTHENTICATED`` code (an anonymous ``createVenue``) does show up there — see
``test_the_proxy_sees_what_the_router_lets_through``. The second router is started without
``TICKETFLOW_JWKS_URL``, so it also shows that the JWKS location is derived from
``TICKETFLOW_AUTH_URL`` and lets the JWKS fetches be counted.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import select

from subgraphs.auth.models import SigningKey
from subgraphs.kernel.db import Database
from subgraphs.seed import create_user
from subgraphs.venue.models import Venue
from tests.flows import PASSWORD, SEAT_AVAILABILITY, Actors, make_actors, show_on_sale
from tests.harness import (
    GraphQL,
    Processes,
    Stack,
    Subscription,
    error_codes,
    eventually,
    http,
)
from tests.recording import Recorded, recorded_router

CREATE_VENUE = """mutation($i: CreateVenueInput!) { createVenue(input: $i) { id name } }"""
ME = "query { me { id } }"
ROUTER_PEER = "127.0.0.1"  # the address tests connect to the router from


def marker_address() -> str:
    """A made-up client address (TEST-NET-2) that names one test request."""
    return f"198.51.100.{uuid.uuid4().int % 254 + 1}"


# ------------------------------------------------------------------------------------------
# the router behind the recording proxy


@pytest.fixture(scope="module")
async def recorded(e2e: tuple[Stack, Processes], tmp_path_factory: pytest.TempPathFactory
                   ) -> AsyncIterator[Recorded]:
    stack, _ = e2e
    # No JWKS URL: the router derives <origin of TICKETFLOW_AUTH_URL>/.well-known/jwks.json.
    async with recorded_router(stack, tmp_path_factory.mktemp("recorded-router"),
                               {"TICKETFLOW_JWKS_URL": ""}) as found:
        yield found


# ------------------------------------------------------------------------------------------
# tokens made with the auth service's real signing key


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


@dataclass
class Signer:
    """Forges access tokens exactly as the auth service signs them (same key, same claims)."""

    kid: str
    key: Ed25519PrivateKey
    issuer: str
    audience: str

    def claims(self, user_id: str, roles: list[str], **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.audience, "sub": user_id, "iat": now,
                  "nbf": now, "exp": now + 300, "jti": str(uuid.uuid4()), "roles": roles,
                  "sid": str(uuid.uuid4())}
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        return jwt.encode(claims, self.key, algorithm="EdDSA",
                          headers={"kid": kid or self.kid})

    @property
    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
async def people(e2e: tuple[Stack, Processes]) -> Actors:
    """Users signed in through the router for this module alone: the session's ``e2e_actors``
    may have had their sessions ended by other tests (logout everywhere, role changes)."""
    stack, _ = e2e
    return await make_actors(stack, lambda _service: stack.router_url)


@pytest.fixture(scope="module")
async def signer(e2e: tuple[Stack, Processes], people: Actors) -> Signer:
    """The newest signing key in the auth database (signing ``people`` in made sure of one)."""
    stack, _ = e2e
    db = Database(stack.settings.database_url("auth"))
    try:
        async with db.reader() as session:
            row = await session.scalar(
                select(SigningKey).where(SigningKey.retired_at.is_(None))
                .order_by(SigningKey.created_at.desc(), SigningKey.kid).limit(1))
    finally:
        await db.dispose()
    assert row is not None
    key = serialization.load_pem_private_key(row.private_pem.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return Signer(row.kid, key, stack.settings.jwt_issuer, stack.settings.jwt_audience)


def _tampered(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{b64json(claims)}.{signature}"


def _alg_none(s: Signer, a: Actors) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": s.kid}
    return f"{b64json(header)}.{b64json(s.claims(a.organizer.id, ['ORGANIZER']))}."


def _hs256_with_public_key(s: Signer, a: Actors) -> str:
    # The classic key-confusion attack: HMAC keyed with the (public) verification key.
    signing_input = (f"{b64json({'alg': 'HS256', 'typ': 'JWT', 'kid': s.kid})}."
                     f"{b64json(s.claims(a.organizer.id, ['ORGANIZER']))}")
    mac = hmac.new(s.public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def _now() -> int:
    return int(time.time())


# Each bad token tries to act as an organizer (createVenue needs ORGANIZER): accepted, it would
# write a venue. Each changes one thing about a token the control test shows is accepted.
BAD_TOKENS: dict[str, Callable[[Signer, Actors], str]] = {
    "expired": lambda s, a: s.sign(s.claims(a.organizer.id, ["ORGANIZER"], exp=_now() - 60,
                                            iat=_now() - 960, nbf=_now() - 960)),
    "not yet valid (nbf)": lambda s, a: s.sign(s.claims(a.organizer.id, ["ORGANIZER"],
                                                        nbf=_now() + 3600)),
    "issued in the future (iat)": lambda s, a: s.sign(s.claims(
        a.organizer.id, ["ORGANIZER"], iat=_now() + 3600, nbf=None, exp=_now() + 7200)),
    "wrong audience": lambda s, a: s.sign(s.claims(a.organizer.id, ["ORGANIZER"],
                                                   aud="someone-else")),
    "wrong issuer": lambda s, a: s.sign(s.claims(a.organizer.id, ["ORGANIZER"],
                                                 iss="https://issuer.example")),
    "unknown kid": lambda s, a: s.sign(s.claims(a.organizer.id, ["ORGANIZER"]),
                                       kid=str(uuid.uuid4())),
    "alg none": _alg_none,
    "HS256 keyed with the public key": _hs256_with_public_key,
    "tampered roles": lambda s, a: _tampered(a.customer.token, roles=["ORGANIZER"]),
    "tampered sub": lambda s, a: _tampered(a.customer.token, sub=a.organizer.id,
                                           roles=["ORGANIZER"]),
    "garbage": lambda s, a: "garbage",
}


# ------------------------------------------------------------------------------------------
# helpers


async def post(url: str, query: str, variables: dict[str, Any] | None = None,
               token: str | None = None, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"accept": "application/graphql-response+json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if forwarded_for is not None:
        headers["x-forwarded-for"] = forwarded_for
    return await http().post(url, json={"query": query, "variables": variables or {}},
                             headers=headers)


def venue_input(name: str) -> dict[str, Any]:
    return {"i": {"name": name, "timeZone": "UTC", "rows": [{"label": "A", "seats": 2}]}}


async def venues_named(stack: Stack, name: str) -> list[str]:
    """Ids of venues called ``name``, read from the venue database itself."""
    db = Database(stack.settings.database_url("venue"))
    try:
        async with db.reader() as session:
            return list(await session.scalars(select(Venue.id).where(Venue.name == name)))
    finally:
        await db.dispose()


async def subscribe_once(url: str, payload: dict[str, Any] | None = None,
                         headers: dict[str, str] | None = None,
                         show_id: str = "no-such-show") -> list[dict[str, Any]]:
    """Every message of one subscription over graphql-transport-ws, up to its end."""
    messages = []
    async with websockets.connect(url.replace("http://", "ws://"),
                                  subprotocols=["graphql-transport-ws"],
                                  additional_headers=headers or {}) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        messages.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SEAT_AVAILABILITY, "variables": {"show": show_id}}}))
        while messages[-1]["type"] not in ("complete", "error"):
            messages.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
    return messages


# ------------------------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_tokens_are_refused_by_the_router_and_change_nothing(
    case: str, e2e: tuple[Stack, Processes], people: Actors, signer: Signer,
    recorded: Recorded,
) -> None:
    stack, _ = e2e
    token = BAD_TOKENS[case](signer, people)
    names = {}
    for label, url in (("session router", stack.router_url),
                       ("recorded router", recorded.router_url)):
        names[label] = f"Forged {uuid.uuid4().hex[:10]}"
        response = await post(url, CREATE_VENUE, venue_input(names[label]), token)
        body = response.json()
        assert (response.status_code, error_codes(body)) == (401, ["UNAUTHENTICATED"]), \
            (label, response.status_code, body)
        assert body.get("data") is None, (label, body)
    # Refused by the router itself: no subgraph was asked anything about it.
    assert recorded.recorder.mentioning(names["recorded router"]) == []
    for name in names.values():
        assert await venues_named(stack, name) == []


async def test_the_proxy_sees_what_the_router_lets_through(
    e2e: tuple[Stack, Processes], people: Actors, signer: Signer, recorded: Recorded
) -> None:
    """The control for the test above: a token forged the same way but with nothing wrong
    is accepted and writes, and a request refused by a subgraph (not the router) with the
    same code is seen by the proxy."""
    stack, _ = e2e
    token = signer.sign(signer.claims(people.organizer.id, ["ORGANIZER"]))
    name = f"Genuine {uuid.uuid4().hex[:10]}"
    response = await post(recorded.router_url, CREATE_VENUE, venue_input(name), token)
    assert response.status_code == 200, response.text
    created = response.json()["data"]["createVenue"]
    assert created["name"] == name
    assert await venues_named(stack, name) == [created["id"]]
    [forwarded] = recorded.recorder.mentioning(name)
    assert forwarded.service == "venue"
    # The router forwards the token as it came: the subgraph verifies it again.
    assert forwarded.headers["authorization"] == f"Bearer {token}"

    anonymous_name = f"Anonymous {uuid.uuid4().hex[:10]}"
    anonymous = await post(recorded.router_url, CREATE_VENUE, venue_input(anonymous_name))
    assert anonymous.status_code == 200
    assert error_codes(anonymous.json()) == ["UNAUTHENTICATED"]
    assert len(recorded.recorder.mentioning(anonymous_name)) == 1
    assert "authorization" not in recorded.recorder.mentioning(anonymous_name)[0].headers
    assert await venues_named(stack, anonymous_name) == []


async def test_valid_token_passes_and_anonymous_public_fields_work(
    e2e: tuple[Stack, Processes], people: Actors, signer: Signer
) -> None:
    stack, _ = e2e
    mine = await post(stack.router_url, ME, token=people.customer.token)
    assert mine.status_code == 200
    assert mine.json() == {"data": {"me": {"id": people.customer.id}}}
    forged_but_right = signer.sign(signer.claims(people.organizer.id, ["ORGANIZER"]))
    theirs = await post(stack.router_url, ME, token=forged_but_right)
    assert theirs.json() == {"data": {"me": {"id": people.organizer.id}}}
    anonymous = await post(stack.router_url, "query { shows { nodes { id } } }")
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert "errors" not in body, body
    assert isinstance(body["data"]["shows"]["nodes"], list)


async def test_other_authorization_schemes_are_refused(e2e: tuple[Stack, Processes]) -> None:
    stack, _ = e2e
    async with httpx.AsyncClient(timeout=30) as client:
        basic = await client.post(stack.router_url, json={"query": ME},
                                  headers={"authorization": "Basic dXNlcjpwYXNz"})
    assert (basic.status_code, error_codes(basic.json())) == (401, ["UNAUTHENTICATED"])


async def test_subscriptions_with_a_bad_token_are_refused_before_any_subgraph(
    e2e: tuple[Stack, Processes], people: Actors, signer: Signer, recorded: Recorded
) -> None:
    stack, _ = e2e
    expired = BAD_TOKENS["expired"](signer, people)
    refused = [
        # in connection_init, the only place a browser can put it
        ({"Authorization": f"Bearer {expired}"}, {}),
        # on the upgrade request (any other client)
        ({}, {"Authorization": "Bearer garbage"}),
        # a good token in connection_init does not excuse a bad one on the upgrade request
        ({"Authorization": f"Bearer {people.customer.token}"},
         {"Authorization": f"Bearer {expired}"}),
    ]
    for url in (stack.router_url, recorded.router_url):
        for payload, headers in refused:
            address = marker_address()
            messages = await subscribe_once(url, payload,
                                            {**headers, "X-Forwarded-For": address})
            assert [m["type"] for m in messages] == ["connection_ack", "next", "complete"], \
                messages
            assert error_codes(messages[1]["payload"]) == ["UNAUTHENTICATED"], messages
            assert "data" not in messages[1]["payload"] or \
                messages[1]["payload"]["data"] is None
            if url == recorded.router_url:
                assert recorded.recorder.from_address(address, "ws") == []
                assert recorded.recorder.from_address(address, "http") == []

    # Control: an anonymous subscription does reach the booking subgraph's WebSocket (which
    # the proxy writes down and refuses), carrying the client's address.
    address = marker_address()
    async with websockets.connect(recorded.router_url.replace("http://", "ws://"),
                                  subprotocols=["graphql-transport-ws"],
                                  additional_headers={"X-Forwarded-For": address}) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SEAT_AVAILABILITY, "variables": {"show": "no-such-show"}}}))
        [upgrade, *_] = await eventually(
            lambda: asyncio.sleep(0, recorded.recorder.from_address(address, "ws")))
    assert upgrade.service == "booking"
    assert upgrade.headers["x-forwarded-for"] == f"{address}, {ROUTER_PEER}"


async def test_subscription_with_a_valid_token_gets_its_snapshot(
    e2e: tuple[Stack, Processes], people: Actors
) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    show = await show_on_sale(router, router, people.organizer, via_router=True)
    token = {"Authorization": f"Bearer {people.customer.token}"}
    async with Subscription(stack.router_url, SEAT_AVAILABILITY, {"show": show.id}, token) as watch:
        first = (await watch.next())["data"]["seatAvailability"]
    assert first["kind"] == "SNAPSHOT"


async def test_subgraphs_get_the_client_address_in_x_forwarded_for(recorded: Recorded) -> None:
    query = "query($id: ID!) { show(id: $id) { id } }"
    direct, behind = str(uuid.uuid4()), str(uuid.uuid4())
    claimed = marker_address()
    await post(recorded.router_url, query, {"id": direct})
    await post(recorded.router_url, query, {"id": behind}, forwarded_for=f"10.0.0.1, {claimed}")
    [first] = recorded.recorder.mentioning(direct)
    [second] = recorded.recorder.mentioning(behind)
    # The router appends the address of whoever connected to it (here: this test, on
    # loopback) to what the client sent; the last entry is the router's word.
    assert first.headers["x-forwarded-for"] == ROUTER_PEER
    assert second.headers["x-forwarded-for"] == f"10.0.0.1, {claimed}, {ROUTER_PEER}"


async def test_the_auth_subgraph_records_the_address_the_router_forwarded(
    e2e: tuple[Stack, Processes]
) -> None:
    """End to end: the auth subgraph believes X-Forwarded-For from the router (loopback)
    and keeps the client's address on the session it opens at sign-in."""
    stack, _ = e2e
    email = f"where-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(stack.settings, email, PASSWORD, "Somewhere", "CUSTOMER")
    address = marker_address()
    login = await post(stack.router_url,
                       "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                       {"i": {"email": email, "password": PASSWORD}}, forwarded_for=address)
    token = login.json()["data"]["login"]["accessToken"]
    sessions = await post(stack.router_url, "query { mySessions { clientAddress current } }",
                          token=token, forwarded_for=marker_address())
    current = [s for s in sessions.json()["data"]["mySessions"] if s["current"]]
    assert current == [{"clientAddress": address, "current": True}]


async def test_router_caches_the_jwks_and_refetches_it_for_a_new_key(
    e2e: tuple[Stack, Processes], people: Actors, recorded: Recorded
) -> None:
    """Key rotation: a token signed by a key the router has not seen yet makes it fetch the
    JWKS again; tokens signed by known keys don't."""
    stack, _ = e2e
    assert (await post(recorded.router_url, ME, token=people.customer.token)).status_code \
        == 200
    fetched = len(recorded.recorder.requests("jwks"))
    assert fetched >= 1  # derived from TICKETFLOW_AUTH_URL: the proxy's /.well-known/jwks.json
    for _ in range(3):
        again = await post(recorded.router_url, ME, token=people.customer.token)
        assert again.json() == {"data": {"me": {"id": people.customer.id}}}
    assert len(recorded.recorder.requests("jwks")) == fetched

    new_key = Ed25519PrivateKey.generate()
    rotated = Signer(f"rotated-{uuid.uuid4().hex[:8]}", new_key, stack.settings.jwt_issuer,
                     stack.settings.jwt_audience)
    jwk = json.loads(OKPAlgorithm.to_jwk(new_key.public_key()))
    recorded.recorder.extra_keys.append({**jwk, "kid": rotated.kid, "alg": "EdDSA", "use": "sig"})
    try:
        token = rotated.sign(rotated.claims(people.customer.id, ["CUSTOMER"]))
        probe = str(uuid.uuid4())

        async def passed_by_router() -> bool:
            await post(recorded.router_url, "query($id: ID!) { show(id: $id) { id } }",
                       {"id": probe}, token)
            return any(s.headers.get("authorization") == f"Bearer {token}"
                       for s in recorded.recorder.mentioning(probe))

        # The router lets it through once it has refetched (the subgraphs, which never saw
        # this key, refuse it in turn - not the router's business here).
        await eventually(passed_by_router)
        assert len(recorded.recorder.requests("jwks")) > fetched
    finally:
        recorded.recorder.extra_keys.clear()
