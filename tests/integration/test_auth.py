"""The auth subgraph against its real database: accounts, sign-in, email privacy, tokens."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from subgraphs.auth.models import User as UserRow
from subgraphs.kernel.db import Database
from tests.flows import LOGIN, PASSWORD, Actors
from tests.harness import GraphQL, Stack, error_codes
from tests.integration.support import ME, REGISTER, count, only_error, refusal, unique_email

USER_EMAIL = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on User { id name email } } }"""


def registration(email: str, password: str = PASSWORD, name: str = "Ann") -> dict[str, Any]:
    return {"i": {"email": email, "password": password, "name": name}}


async def stored_users(db: Database, email: str) -> int:
    """Rows in ``users`` for an email, in any letter case."""
    return await count(db, UserRow, UserRow.email == email.strip().lower())


async def test_register_creates_an_account_with_the_email_normalised(stack: Stack) -> None:
    email = unique_email("Ann").replace("example.com", "Example.COM")
    body = await stack.client("auth").data(REGISTER, registration(f"  {email} "))
    user = body["register"]["user"]
    assert user["email"] == email.lower()
    assert (user["name"], user["role"]) == ("Ann", "CUSTOMER")
    me = await stack.client("auth").data(ME, token=body["register"]["accessToken"])
    assert me["me"]["id"] == user["id"]


async def test_a_ten_character_password_is_long_enough(
        stack: Stack, dbs: dict[str, Database]) -> None:
    email = unique_email("ten")
    await stack.client("auth").data(REGISTER, registration(email, password="ten-chars!"))
    assert await stored_users(dbs["auth"], email) == 1


async def test_emails_differing_only_in_case_are_one_account(
        stack: Stack, dbs: dict[str, Database]) -> None:
    email = unique_email("Case").replace("example.com", "Example.com")
    auth = stack.client("auth")
    await auth.data(REGISTER, registration(email))
    body = await auth.run(REGISTER, registration(email.lower(), name="Someone Else"))
    assert refusal(body) == ("CONFLICT", "input.email")
    assert await stored_users(dbs["auth"], email) == 1


@pytest.mark.parametrize(("email", "password", "name", "field"), [
    ("not-an-email", PASSWORD, "Ann", "input.email"),
    ("two@@example.com", PASSWORD, "Ann", "input.email"),
    ("{email}", "nine-char", "Ann", "input.password"),
    ("{email}", "{email}", "Ann", "input.password"),
    ("{email}", "{EMAIL}", "Ann", "input.password"),
    ("{email}", PASSWORD, "", "input.name"),
    ("{email}", PASSWORD, "   ", "input.name"),
], ids=["no domain", "two @", "nine characters", "password is the email",
        "password is the email upper-cased", "empty name", "blank name"])
async def test_invalid_registration_is_refused_naming_the_field_and_stores_nothing(
        stack: Stack, dbs: dict[str, Database], email: str, password: str, name: str,
        field: str) -> None:
    fresh = unique_email("invalid-registration")
    email = email.format(email=fresh)
    password = password.format(email=fresh, EMAIL=fresh.upper())
    body = await stack.client("auth").run(REGISTER, registration(email, password, name))
    assert refusal(body) == ("BAD_USER_INPUT", field)
    assert body["data"] is None
    assert await stored_users(dbs["auth"], email) == 0


async def test_wrong_password_and_unknown_email_fail_alike(stack: Stack, actors: Actors) -> None:
    auth = stack.client("auth")
    wrong_password = await auth.run(LOGIN, {"i": {"email": actors.customer.email,
                                                  "password": "not the password"}})
    unknown_email = await auth.run(LOGIN, {"i": {"email": unique_email("nobody"),
                                                 "password": PASSWORD}})
    assert error_codes(wrong_password) == ["UNAUTHENTICATED"]
    assert only_error(wrong_password)["message"] == only_error(unknown_email)["message"]
    assert only_error(wrong_password)["extensions"] == only_error(unknown_email)["extensions"]
    assert wrong_password["data"] is None and unknown_email["data"] is None


async def stored_hash(db: Database, email: str) -> str:
    async with db.reader() as session:
        found = await session.scalar(select(UserRow.password_hash)
                                     .where(UserRow.email == email))
    assert found is not None
    return found


async def test_signing_in_rehashes_a_password_hashed_with_other_parameters(
        stack: Stack, dbs: dict[str, Database]) -> None:
    auth = stack.client("auth")
    email = unique_email("rehash")
    await auth.data(REGISTER, registration(email))
    # The account's hash as an older deployment, with other argon2 parameters, made it.
    older = PasswordHasher(time_cost=2, memory_cost=512, parallelism=2).hash(PASSWORD)
    async with dbs["auth"].writer() as session, session.begin():
        await session.execute(update(UserRow).where(UserRow.email == email)
                              .values(password_hash=older))
    current = PasswordHasher(time_cost=stack.settings.argon2_time_cost,
                             memory_cost=stack.settings.argon2_memory_kib,
                             parallelism=stack.settings.argon2_parallelism)
    assert current.check_needs_rehash(older)

    wrong = await auth.run(LOGIN, {"i": {"email": email, "password": "not the password"}})
    assert error_codes(wrong) == ["UNAUTHENTICATED"]
    assert await stored_hash(dbs["auth"], email) == older

    body = await auth.data(LOGIN, {"i": {"email": email, "password": PASSWORD}})
    assert body["login"]["accessToken"]
    rehashed = await stored_hash(dbs["auth"], email)
    assert rehashed != older
    assert not current.check_needs_rehash(rehashed)
    assert current.verify(rehashed, PASSWORD)
    # Signing in again with the current hash writes nothing new.
    await auth.data(LOGIN, {"i": {"email": email, "password": PASSWORD}})
    assert await stored_hash(dbs["auth"], email) == rehashed


async def test_login_accepts_the_email_in_any_case(stack: Stack, actors: Actors) -> None:
    body = await stack.client("auth").data(LOGIN, {"i": {"email": actors.customer.email.upper(),
                                                         "password": PASSWORD}})
    assert body["login"]["user"]["id"] == actors.customer.id


async def test_me_is_null_for_anonymous_requests(stack: Stack) -> None:
    assert await stack.client("auth").data(ME) == {"me": None}


async def test_me_is_the_caller_including_their_email(stack: Stack, actors: Actors) -> None:
    me = (await stack.client("auth").data(ME, token=actors.customer.token))["me"]
    assert (me["id"], me["email"], me["role"]) == (actors.customer.id, actors.customer.email,
                                                   "CUSTOMER")


@pytest.mark.parametrize("viewer", ["customer", "admin"])
async def test_user_entity_shows_the_email_to_the_user_and_admins(
        stack: Stack, actors: Actors, viewer: str) -> None:
    body = await stack.client("auth").data(
        USER_EMAIL, {"r": [{"__typename": "User", "id": actors.customer.id}]},
        getattr(actors, viewer).token)
    assert body["_entities"] == [{"id": actors.customer.id, "name": "Test Customer",
                                  "email": actors.customer.email}]


@pytest.mark.parametrize(("viewer", "code"), [("other_customer", "FORBIDDEN"),
                                              (None, "UNAUTHENTICATED")])
async def test_user_entity_hides_the_email_from_everyone_else(
        stack: Stack, actors: Actors, viewer: str | None, code: str) -> None:
    token = getattr(actors, viewer).token if viewer else None
    body = await stack.client("auth").run(
        USER_EMAIL, {"r": [{"__typename": "User", "id": actors.customer.id}]}, token)
    error = only_error(body)
    assert (error["extensions"]["code"], error["path"]) == (code, ["_entities", 0, "email"])
    assert actors.customer.email not in str(body)


async def test_user_entity_without_email_is_public(stack: Stack, actors: Actors) -> None:
    body = await stack.client("auth").data(
        """query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }""",
        {"r": [{"__typename": "User", "id": actors.customer.id}]}, actors.other_customer.token)
    assert body["_entities"] == [{"id": actors.customer.id, "name": "Test Customer"}]


async def test_jwks_publishes_public_ed25519_keys_with_kid(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        document = (await client.get(stack.url("auth").replace(
            "/graphql", "/.well-known/jwks.json"))).json()
    assert document["keys"], document
    for key in document["keys"]:
        assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA",
                                                                    "sig")
        assert isinstance(key["kid"], str) and key["kid"]
        assert "d" not in key  # never the private half


async def test_access_tokens_verify_against_the_published_key(
        stack: Stack, actors: Actors) -> None:
    async with httpx.AsyncClient() as client:
        document = (await client.get(stack.url("auth").replace(
            "/graphql", "/.well-known/jwks.json"))).json()
    kid = jwt.get_unverified_header(actors.customer.token)["kid"]
    [jwk] = [k for k in document["keys"] if k["kid"] == kid]
    claims = jwt.decode(actors.customer.token, jwt.PyJWK(jwk), algorithms=["EdDSA"],
                        audience=stack.settings.jwt_audience, issuer=stack.settings.jwt_issuer)
    assert (claims["sub"], claims["roles"]) == (actors.customer.id, ["CUSTOMER"])


def forged_token(real: str) -> str:
    """A token with valid-looking claims and the real kid, signed by a key auth never made."""
    claims = jwt.decode(real, options={"verify_signature": False})
    claims["roles"] = ["ADMIN"]
    claims["exp"] = int(time.time()) + 600
    return jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                      headers={"kid": jwt.get_unverified_header(real)["kid"]})


BAD_AUTHORIZATION = {
    "garbled": "Bearer not.a.jwt",
    "basic": "Basic x",
    "bearer without token": "Bearer",
}

# An operation on each subgraph that an anonymous caller may run successfully.
ANONYMOUS_OK = {
    "auth": "{ me { id } }",
    "venue": "{ shows(first: 1) { nodes { id } } }",
    "booking": """{ _entities(representations: [{__typename: "Show", id: "x"}]) {
                    ... on Show { availability { total } } } }""",
    "payment": """{ payment(id: "x") { id } }""",
    "notification": "{ ticketKeys }",
}


@pytest.mark.parametrize("service", list(ANONYMOUS_OK))
@pytest.mark.parametrize("authorization", list(BAD_AUTHORIZATION))
async def test_bad_authorization_is_unauthenticated_on_every_subgraph(
        stack: Stack, service: str, authorization: str) -> None:
    client = GraphQL(stack.url(service), headers={"authorization":
                                                  BAD_AUTHORIZATION[authorization]})
    assert "errors" not in await stack.client(service).run(ANONYMOUS_OK[service])
    body = await client.run(ANONYMOUS_OK[service])
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


@pytest.mark.parametrize("service", list(ANONYMOUS_OK))
async def test_a_forged_token_is_unauthenticated_on_every_subgraph(
        stack: Stack, actors: Actors, service: str) -> None:
    body = await stack.client(service).run(ANONYMOUS_OK[service],
                                           token=forged_token(actors.customer.token))
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_a_mutation_with_a_bad_token_does_not_run(
        stack: Stack, dbs: dict[str, Database]) -> None:
    email = unique_email("gated")
    body = await stack.client("auth").run(REGISTER, registration(email), token="garbled")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await stored_users(dbs["auth"], email) == 0
