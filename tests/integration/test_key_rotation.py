"""Signing-key rotation (``ticketflow rotate-keys``): the new key signs at once, tokens of
the old key keep working until they expire, and every subgraph accepts both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select, update

from subgraphs.auth.models import SigningKey
from subgraphs.auth.tokens import _new_key, jwks
from subgraphs.kernel.auth import TokenVerifier
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import Unauthenticated
from subgraphs.kernel.settings import SERVICES, Settings
from subgraphs.seed import rotate_signing_key
from tests.flows import PASSWORD, ShowOnSale, show_on_sale
from tests.harness import GraphQL, http
from tests.integration.support import Deployment
from tests.integration.test_sessions import assert_accepted_everywhere, on_every_subgraph

SIGN_IN = """mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }"""
REFRESH = """mutation($t: String!) { refresh(refreshToken: $t) { accessToken } }"""


@dataclass
class Rotated:
    """The state right after ``rotate-keys``: what was issued before, and the key ids."""

    old_kid: str
    new_kid: str
    old_access: str  # the organizer's, signed with the old key
    old_refresh: str
    show: ShowOnSale
    seats: Iterator[str]


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def published(d: Deployment) -> dict[str, dict[str, Any]]:
    response = await http().get(d.stack.url("auth").replace("/graphql", "/.well-known/jwks.json"))
    response.raise_for_status()
    return {key["kid"]: key for key in response.json()["keys"]}


async def sign_in(d: Deployment, email: str) -> dict[str, str]:
    client = GraphQL(d.stack.url("auth"))
    data = await client.data(SIGN_IN, {"i": {"email": email, "password": PASSWORD}})
    return data["login"]  # type: ignore[no-any-return]


async def newest_kid(d: Deployment) -> str:
    """The key id new tokens are signed with: the newest key (tests here rotate again)."""
    async with d.dbs["auth"].reader() as session:
        kid = await session.scalar(select(SigningKey.kid).where(
            SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc()).limit(1))
    assert kid is not None
    return kid


def verifier(settings: Settings) -> TokenVerifier:
    """A verifier of its own, like a subgraph running in another process."""
    return TokenVerifier(settings.effective_jwks_url, issuer=settings.jwt_issuer,
                         audience=settings.jwt_audience)


@pytest.fixture(scope="module")
async def rotated(key_rotation: Deployment) -> Rotated:
    """Every subgraph has verified a token of the first key (and so cached the JWKS that
    had only that key); then the keys are rotated, as the CLI does."""
    d = key_rotation
    organizer = d.actors.organizer
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"), organizer)
    seats = (seat["id"] for seat in show.seats)
    before = await sign_in(d, organizer.email)
    old_kid = kid_of(organizer.token)
    assert set(await published(d)) == {old_kid}
    assert_accepted_everywhere(
        await on_every_subgraph(d.stack, organizer.token, show, next(seats)), organizer.id)
    new_kid = await rotate_signing_key(d.settings)
    assert new_kid != old_kid
    return Rotated(old_kid, new_kid, organizer.token, before["refreshToken"], show, seats)


# Runs first in this module, right after the rotation: the subgraphs' cached JWKS does not
# know the new key yet, and must fetch it on first sight of a token naming it.
async def test_a_token_of_the_new_key_works_on_every_subgraph_at_once(
        key_rotation: Deployment, rotated: Rotated) -> None:
    d = key_rotation
    fresh = await sign_in(d, d.actors.organizer.email)
    assert kid_of(fresh["accessToken"]) == rotated.new_kid
    assert_accepted_everywhere(await on_every_subgraph(
        d.stack, fresh["accessToken"], rotated.show, next(rotated.seats)), d.actors.organizer.id)


async def test_a_subgraph_that_cached_the_old_keys_picks_up_a_new_key_on_first_sight(
        key_rotation: Deployment, rotated: Rotated) -> None:
    d = key_rotation
    # One verifier per subgraph process, each having verified a token and cached the JWKS.
    verifiers = {name: verifier(d.settings) for name in SERVICES}
    for v in verifiers.values():
        assert (await v.verify(rotated.old_access)).user_id == d.actors.organizer.id
    newest = await rotate_signing_key(d.settings)
    token = (await sign_in(d, d.actors.customer.email))["accessToken"]
    assert kid_of(token) == newest
    for name, v in verifiers.items():
        caller = await v.verify(token)
        assert (name, caller.user_id, caller.roles) == (name, d.actors.customer.id,
                                                        frozenset({"CUSTOMER"}))
        # ...and the tokens of the older keys still verify.
        assert (await v.verify(rotated.old_access)).user_id == d.actors.organizer.id


async def test_the_jwks_serves_the_old_and_the_new_key(
        key_rotation: Deployment, rotated: Rotated) -> None:
    keys = await published(key_rotation)
    assert {rotated.old_kid, rotated.new_kid} <= set(keys)
    for key in keys.values():
        assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA",
                                                                    "sig")
        assert "d" not in key
    async with key_rotation.dbs["auth"].reader() as session:
        stored = set(await session.scalars(
            select(SigningKey.kid).where(SigningKey.retired_at.is_(None))))
    assert {rotated.old_kid, rotated.new_kid} <= stored


async def test_a_new_login_is_signed_with_the_new_key(
        key_rotation: Deployment, rotated: Rotated) -> None:
    d = key_rotation
    token = (await sign_in(d, d.actors.other_customer.email))["accessToken"]
    header = jwt.get_unverified_header(token)
    newest = await newest_kid(d)
    assert (header["alg"], header["kid"]) == ("EdDSA", newest)
    assert newest != rotated.old_kid
    claims = jwt.decode(token, jwt.PyJWK((await published(d))[newest]),
                        algorithms=["EdDSA"], audience=d.settings.jwt_audience,
                        issuer=d.settings.jwt_issuer)
    assert {"iss", "aud", "sub", "exp", "iat", "jti", "roles", "sid"} <= set(claims)
    assert (claims["sub"], claims["roles"]) == (d.actors.other_customer.id, ["CUSTOMER"])
    assert claims["exp"] - claims["iat"] == d.settings.access_token_ttl_seconds
    # The old key's public half does not verify it: it really is the new key's signature.
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, jwt.PyJWK((await published(d))[rotated.old_kid]),
                   algorithms=["EdDSA"], audience=d.settings.jwt_audience)


async def test_a_token_issued_before_the_rotation_still_works_everywhere(
        key_rotation: Deployment, rotated: Rotated) -> None:
    d = key_rotation
    assert kid_of(rotated.old_access) == rotated.old_kid
    assert_accepted_everywhere(await on_every_subgraph(
        d.stack, rotated.old_access, rotated.show, next(rotated.seats)), d.actors.organizer.id)
    # A subgraph started after the rotation accepts it too.
    assert (await verifier(d.settings).verify(rotated.old_access)).user_id == (
        d.actors.organizer.id)


async def test_a_session_from_before_the_rotation_refreshes_onto_the_new_key(
        key_rotation: Deployment, rotated: Rotated) -> None:
    d = key_rotation
    auth = d.stack.client("auth")
    data = await auth.data(REFRESH, {"t": rotated.old_refresh})
    token = data["refresh"]["accessToken"]
    assert kid_of(token) == await newest_kid(d) != rotated.old_kid
    me = await auth.data("{ me { id } }", token=token)
    assert me["me"]["id"] == d.actors.organizer.id


# --- when a superseded key leaves the JWKS ---------------------------------------------

@pytest.mark.parametrize(("ttl", "ages", "retired", "expected"), [
    (1, [30, 7200], [], [0, 1]),
    (1, [62, 7200], [], [0]),
    (900, [62, 7200], [], [0, 1]),
    (900, [961, 7200], [], [0]),
    (1, [10, 100, 200], [], [0, 1]),
    (900, [10, 100, 200], [], [0, 1, 2]),
    (1, [5, 30, 7200], [0], [1, 2]),
], ids=["successor 30 s old", "successor 62 s old", "ttl 900, successor 62 s old",
        "ttl 900, successor 961 s old", "three keys", "three keys, ttl 900",
        "the newest key retired"])
async def test_a_superseded_key_is_published_for_one_token_lifetime_plus_a_minute(
        key_rotation: Deployment, ttl: int, ages: list[int], retired: list[int],
        expected: list[int]) -> None:
    """``ages``: how many seconds ago each key was created, newest first."""
    settings = key_rotation.settings.model_copy(update={"access_token_ttl_seconds": ttl})
    now = utcnow()
    keys = [_new_key() for _ in ages]
    for i, (key, age) in enumerate(zip(keys, ages, strict=True)):
        key.created_at = now - timedelta(seconds=age)
        key.retired_at = now if i in retired else None
    async with key_rotation.dbs["auth"].writer() as session:
        # Only these keys count: the deployment's own are retired inside this transaction,
        # which is rolled back.
        await session.execute(update(SigningKey).values(retired_at=now))
        session.add_all(keys)
        await session.flush()
        document = await jwks(session, settings)
        await session.rollback()
    assert [k["kid"] for k in document["keys"]] == [keys[i].kid for i in expected]
    for k in document["keys"]:
        assert "d" not in k
        assert json.loads(next(key.public_jwk for key in keys if key.kid == k["kid"])) == k


# --- when a key is withdrawn -------------------------------------------------------------

class Clock:
    """A verifier's clock for its key cache, moved on by the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# Last in this module: it withdraws the key the tests above signed with.
async def test_a_withdrawn_key_stops_verifying_once_the_cached_keys_are_max_age_old(
        key_rotation: Deployment) -> None:
    d = key_rotation
    max_age, clock = 5.0, Clock()
    subgraph = TokenVerifier(d.settings.effective_jwks_url, issuer=d.settings.jwt_issuer,
                             audience=d.settings.jwt_audience, max_age=max_age, clock=clock)
    token = (await sign_in(d, d.actors.customer.email))["accessToken"]
    withdrawn = kid_of(token)
    assert (await subgraph.verify(token)).user_id == d.actors.customer.id
    # The key is rotated out and withdrawn from the JWKS at once (as a leaked key would be).
    successor = await rotate_signing_key(d.settings)
    async with d.dbs["auth"].writer() as session, session.begin():
        await session.execute(update(SigningKey).where(SigningKey.kid == withdrawn)
                              .values(retired_at=utcnow()))
    assert withdrawn not in await published(d)
    assert successor in await published(d)
    # A process that has not read the JWKS since still accepts it, for less than max_age...
    clock.now += max_age - 0.5
    assert (await subgraph.verify(token)).user_id == d.actors.customer.id
    # ...and refuses it once its keys are that old.
    clock.now += 0.5
    with pytest.raises(Unauthenticated):
        await subgraph.verify(token)
    fresh = (await sign_in(d, d.actors.customer.email))["accessToken"]
    assert kid_of(fresh) == successor
    assert (await subgraph.verify(fresh)).user_id == d.actors.customer.id
    # So does every subgraph that reads the JWKS anew.
    with pytest.raises(Unauthenticated):
        await verifier(d.settings).verify(token)
