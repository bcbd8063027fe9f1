"""Access tokens from the auth subgraph, as every subgraph's TokenVerifier judges them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import math
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from subgraphs.auth import tokens
from subgraphs.auth.models import SigningKey, User
from subgraphs.kernel.auth import (
    Caller,
    TokenVerifier,
    require_caller,
    require_owner_or_admin,
    require_role,
)
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import Forbidden, Unauthenticated
from subgraphs.kernel.settings import Settings

ISSUER = "ticketflow-auth"
AUDIENCE = "ticketflow"
JWKS_URL = "http://auth.test/.well-known/jwks.json"
SETTINGS = Settings(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, access_token_ttl_seconds=900)

KEY = tokens._new_key()  # published in the JWKS
STRANGER = tokens._new_key()  # never published


class Jwks:
    """A JWKS endpoint without a network: serves ``keys`` and counts fetches."""

    def __init__(self, *keys: SigningKey, status: int = 200) -> None:
        self.keys = list(keys)
        self.status = status
        self.fetches = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        self.fetches += 1
        if self.status != 200:
            return httpx.Response(self.status)
        return httpx.Response(200, json={"keys": [json.loads(k.public_jwk) for k in self.keys]})

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(JWKS_URL, issuer=ISSUER, audience=AUDIENCE,
                             transport=httpx.MockTransport(self.handle))


def user(role: str = "CUSTOMER", user_id: str = "user-1") -> User:
    return User(id=user_id, email=f"{user_id}@example.com", name="Ann", password_hash="x",
                role=role)


def issue(settings: Settings = SETTINGS, key: SigningKey = KEY, who: User | None = None) -> str:
    return tokens.issue_access_token(who or user(), key, settings, "session-1").token


def claims(**changes: Any) -> dict[str, Any]:
    """The claims issue_access_token writes, with ``changes`` applied (None removes one)."""
    base = jwt.decode(issue(), options={"verify_signature": False})
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: SigningKey = KEY) -> str:
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    return jwt.encode(payload, private, algorithm="EdDSA",  # type: ignore[arg-type]
                      headers={"kid": key.kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes) -> str:
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    return head + "." + b64(signature)


async def refused(token: str, jwks: Jwks | None = None) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        await (jwks or Jwks(KEY)).verifier().verify(token)
    return caught.value


# --- a good token ---------------------------------------------------------------------


async def test_a_good_token_names_the_user_roles_and_token_id() -> None:
    token = issue(who=user("ORGANIZER", "org-7"))
    caller = await Jwks(KEY).verifier().verify(token)
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert caller == Caller(user_id="org-7", roles=frozenset({"ORGANIZER"}), token_id=jti,
                            session_id="session-1")


async def test_roles_outside_the_three_known_ones_are_dropped() -> None:
    token = sign(claims(roles=["CUSTOMER", "ROOT", "admin", "ADMIN "]))
    caller = await Jwks(KEY).verifier().verify(token)
    assert caller.roles == frozenset({"CUSTOMER"})


async def test_roles_that_are_not_a_list_are_refused() -> None:
    await refused(sign(claims(roles="ADMIN")))


async def test_the_jwks_is_fetched_once_for_many_tokens() -> None:
    jwks = Jwks(KEY)
    verifier = jwks.verifier()
    for _ in range(3):
        await verifier.verify(issue())
    assert jwks.fetches == 1


# --- refused tokens -------------------------------------------------------------------


async def test_an_expired_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "utcnow", lambda: utcnow() - timedelta(hours=1))
    error = await refused(issue())
    assert "expired" in error.message


async def test_a_token_not_yet_valid_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "utcnow", lambda: utcnow() + timedelta(hours=1))
    await refused(issue())


async def test_a_token_for_another_audience_is_refused() -> None:
    await refused(issue(Settings(jwt_issuer=ISSUER, jwt_audience="someone-else")))


async def test_a_token_from_another_issuer_is_refused() -> None:
    await refused(issue(Settings(jwt_issuer="evil-auth", jwt_audience=AUDIENCE)))


async def test_a_token_signed_with_an_unpublished_key_is_refused() -> None:
    error = await refused(issue(key=STRANGER))
    assert "unknown key" in error.message


async def test_an_unsigned_alg_none_token_is_refused() -> None:
    token = forge({"alg": "none", "typ": "JWT", "kid": KEY.kid}, claims(), b"")
    await refused(token)


@pytest.mark.parametrize("form", ["pem", "raw"])
async def test_hs256_signed_with_the_public_key_is_refused(form: str) -> None:
    # The classic confusion attack: the public key is known to all, used as an HMAC secret.
    jwk = json.loads(KEY.public_jwk)
    public = jwt.PyJWK(jwk).key
    secret = (
        public.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
        if form == "pem"
        else base64.urlsafe_b64decode(jwk["x"] + "==")
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": KEY.kid}
    payload = claims(roles=["ADMIN"])
    unsigned = forge(header, payload, b"").rsplit(".", 1)[0]
    signature = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    await refused(unsigned + "." + b64(signature))


async def test_a_token_whose_payload_was_changed_is_refused() -> None:
    header, _, signature = issue().split(".")
    token = f"{header}.{b64(json.dumps(claims(sub='someone-else')).encode())}.{signature}"
    error = await refused(token)
    assert "invalid" in error.message


@pytest.mark.parametrize("claim", ["jti", "exp", "sub", "iat", "sid"])
async def test_a_token_missing_a_required_claim_is_refused(claim: str) -> None:
    await refused(sign(claims(**{claim: None})))


async def test_a_malformed_token_is_refused() -> None:
    error = await refused("not-a-jwt")
    assert "malformed" in error.message


async def test_a_token_is_refused_when_the_jwks_cannot_be_fetched() -> None:
    error = await refused(issue(), Jwks(KEY, status=503))
    assert "cannot be checked" in error.message


class GarbageJwks(Jwks):
    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        return httpx.Response(200, content=self.body)


async def test_a_token_is_refused_when_the_jwks_is_not_json() -> None:
    error = await refused(issue(), GarbageJwks(b"<html>not json</html>"))
    assert "cannot be checked" in error.message


async def test_an_unreadable_key_is_skipped_and_the_others_still_verify() -> None:
    good = json.loads(KEY.public_jwk)
    broken = [{"kid": "no-kty"}, {"kid": "bad-curve", "kty": "OKP", "crv": "Nope", "x": "AA"},
              "not an object"]
    verifier = GarbageJwks(json.dumps({"keys": [*broken, good]}).encode()).verifier()
    caller = await verifier.verify(issue())
    assert caller.user_id == "user-1"


async def test_unknown_key_ids_do_not_refetch_the_jwks_on_every_token() -> None:
    jwks = Jwks(KEY)
    verifier = jwks.verifier()
    await verifier.verify(issue())
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await verifier.verify(issue(key=STRANGER))
    assert jwks.fetches == 2  # the first sight of the unknown key id looks it up, once


async def test_a_key_published_after_the_last_fetch_is_picked_up_on_first_sight() -> None:
    jwks = Jwks(KEY)
    verifier = jwks.verifier()
    await verifier.verify(issue())
    rotated = tokens._new_key()
    jwks.keys.append(rotated)  # a rotation, right after the verifier fetched the JWKS
    caller = await verifier.verify(issue(key=rotated))
    assert caller.user_id == "user-1"
    assert jwks.fetches == 2


async def test_a_burst_of_tokens_naming_a_new_key_fetches_the_jwks_once() -> None:
    jwks = Jwks(KEY)
    verifier = jwks.verifier()
    await verifier.verify(issue())
    rotated = tokens._new_key()
    jwks.keys.append(rotated)
    callers = await asyncio.gather(*(verifier.verify(issue(key=rotated)) for _ in range(5)))
    assert {c.user_id for c in callers} == {"user-1"}
    assert jwks.fetches == 2


async def test_a_key_published_later_is_picked_up_after_the_refetch_interval() -> None:
    jwks = Jwks(KEY)
    verifier = jwks.verifier()
    await verifier.verify(issue())
    rotated = tokens._new_key()
    jwks.keys.append(rotated)
    verifier._fetched_at -= TokenVerifier.REFETCH_INTERVAL  # the interval has passed
    caller = await verifier.verify(issue(key=rotated))
    assert caller.user_id == "user-1"
    assert jwks.fetches == 2


# --- how long the keys are kept ------------------------------------------------------


class Clock:
    """The verifier's clock for the key cache's age, moved on by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


MAX_AGE = 30.0


def aging(jwks: Jwks, clock: Clock) -> TokenVerifier:
    return TokenVerifier(JWKS_URL, issuer=ISSUER, audience=AUDIENCE,
                         transport=httpx.MockTransport(jwks.handle), max_age=MAX_AGE,
                         clock=clock)


async def refused_by(verifier: TokenVerifier, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    return caught.value


async def test_a_withdrawn_key_stops_verifying_once_the_keys_are_max_age_old() -> None:
    jwks, clock = Jwks(KEY), Clock()
    verifier = aging(jwks, clock)
    verified = issue()
    await verifier.verify(verified)
    successor = tokens._new_key()
    jwks.keys = [successor]  # KEY rotated out and withdrawn from the JWKS
    clock.now += MAX_AGE - 1  # the keys read are younger than the maximum age: still kept
    assert (await verifier.verify(verified)).user_id == "user-1"
    assert (await verifier.verify(issue())).user_id == "user-1"
    assert jwks.fetches == 1
    clock.now += 1  # now they are as old as that: the JWKS is read again
    with pytest.raises(Unauthenticated):
        await verifier.verify(verified)
    with pytest.raises(Unauthenticated):
        await verifier.verify(issue())
    assert (await verifier.verify(issue(key=successor))).user_id == "user-1"
    assert jwks.fetches == 2


async def test_the_jwks_is_read_again_once_per_max_age_not_per_token() -> None:
    jwks, clock = Jwks(KEY), Clock()
    verifier = aging(jwks, clock)
    token = issue()
    for step in range(7):
        clock.now = 1000.0 + step * MAX_AGE / 3
        await verifier.verify(token)
        await verifier.verify(issue())
    assert jwks.fetches == 3  # at 0, at MAX_AGE and at 2 * MAX_AGE


async def test_old_keys_keep_verifying_while_the_jwks_cannot_be_fetched() -> None:
    jwks, clock = Jwks(KEY), Clock()
    verifier = aging(jwks, clock)
    await verifier.verify(issue())
    jwks.status = 503
    clock.now += MAX_AGE
    for _ in range(3):
        assert (await verifier.verify(issue())).user_id == "user-1"
    assert jwks.fetches == 2  # one failed fetch, not one per token
    error = await refused_by(verifier, issue(key=STRANGER))
    assert "cannot be checked" in error.message
    clock.now += TokenVerifier.REFETCH_INTERVAL  # tried again, still failing
    assert (await verifier.verify(issue())).user_id == "user-1"
    assert jwks.fetches == 3
    jwks.status, jwks.keys = 200, [STRANGER]  # back, and KEY was withdrawn meanwhile
    clock.now += TokenVerifier.REFETCH_INTERVAL
    error = await refused_by(verifier, issue())
    assert "unknown key" in error.message
    assert (await verifier.verify(issue(key=STRANGER))).user_id == "user-1"
    assert jwks.fetches == 4


def test_the_subgraphs_keep_keys_as_long_as_the_router() -> None:
    source = (Path(__file__).resolve().parents[2] / "router" / "lib" / "tokens.mjs").read_text()
    found = re.search(r"^const JWKS_MAX_AGE_MS = ([0-9 *]+);$", source, re.MULTILINE)
    assert found, "router/lib/tokens.mjs no longer defines JWKS_MAX_AGE_MS"
    router_ms = math.prod(int(factor) for factor in found.group(1).split("*"))
    assert Settings.model_fields["jwks_max_age_seconds"].default * 1000 == router_ms


# --- the Authorization header ---------------------------------------------------------


@pytest.mark.parametrize("header", [None, ""])
async def test_no_authorization_header_means_no_caller(header: str | None) -> None:
    assert await Jwks(KEY).verifier().from_header(header) is None


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer    ", "Token abc"])
async def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(
    header: str,
) -> None:
    with pytest.raises(Unauthenticated):
        await Jwks(KEY).verifier().from_header(header)


async def test_a_bearer_header_yields_the_caller_whatever_the_scheme_case() -> None:
    caller = await Jwks(KEY).verifier().from_header(f"bearer {issue()}")
    assert caller is not None and caller.user_id == "user-1"


# --- role and ownership checks --------------------------------------------------------

CUSTOMER = Caller("cust-1", frozenset({"CUSTOMER"}))
ORGANIZER = Caller("org-1", frozenset({"ORGANIZER"}))
ADMIN = Caller("admin-1", frozenset({"ADMIN"}))


def test_require_caller_refuses_an_anonymous_request() -> None:
    with pytest.raises(Unauthenticated):
        require_caller(None)


def test_require_role_refuses_an_anonymous_request_as_unauthenticated() -> None:
    with pytest.raises(Unauthenticated):
        require_role(None, "ORGANIZER")


def test_require_role_forbids_a_caller_without_the_role() -> None:
    with pytest.raises(Forbidden):
        require_role(CUSTOMER, "ORGANIZER")


def test_require_role_passes_a_caller_with_any_of_the_roles() -> None:
    assert require_role(ORGANIZER, "CUSTOMER", "ORGANIZER") is ORGANIZER


def test_require_role_passes_an_admin_for_every_role() -> None:
    assert require_role(ADMIN, "ORGANIZER") is ADMIN
    assert require_role(ADMIN, "CUSTOMER") is ADMIN


def test_require_owner_or_admin_passes_the_owner() -> None:
    assert require_owner_or_admin(CUSTOMER, "cust-1") is CUSTOMER


def test_require_owner_or_admin_forbids_another_user() -> None:
    with pytest.raises(Forbidden):
        require_owner_or_admin(ORGANIZER, "cust-1")


def test_require_owner_or_admin_passes_an_admin_for_anyone_s_object() -> None:
    assert require_owner_or_admin(ADMIN, "cust-1") is ADMIN


def test_require_owner_or_admin_refuses_an_anonymous_request() -> None:
    with pytest.raises(Unauthenticated):
        require_owner_or_admin(None, "cust-1")


# --- tokens verified before -----------------------------------------------------------


class Sessions:
    """Revocations without Redis: the ended session ids, and how often each was asked."""

    def __init__(self) -> None:
        self.ended: set[str] = set()
        self.asked = 0

    async def is_revoked(self, session_id: str) -> bool:
        self.asked += 1
        return session_id in self.ended


def counting_decode(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = jwt.decode

    def decode(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", decode)
    return calls


async def test_a_token_verified_before_is_not_decoded_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_decode(monkeypatch)
    verifier = Jwks(KEY).verifier()
    token = issue()
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert calls[0] == 1


async def test_an_ended_session_refuses_a_token_verified_before() -> None:
    sessions = Sessions()
    jwks = Jwks(KEY)
    verifier = TokenVerifier(JWKS_URL, issuer=ISSUER, audience=AUDIENCE,
                             transport=httpx.MockTransport(jwks.handle), revocations=sessions)
    token = issue()
    await verifier.verify(token)
    sessions.ended.add("session-1")
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)
    assert sessions.asked == 2  # asked on every use, not only the first


async def test_a_token_verified_before_is_judged_afresh_once_it_expires(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its expiry the kept verdict is not used: the token goes through the full check
    again (which refuses an expired token: ``test_an_expired_token_is_refused``)."""
    calls = counting_decode(monkeypatch)
    verifier = Jwks(KEY).verifier()
    token = issue()
    await verifier.verify(token)
    later = time.time() + SETTINGS.access_token_ttl_seconds + 5
    monkeypatch.setattr(time, "time", lambda: later)
    await verifier.verify(token)  # PyJWT's own clock is not moved: it still accepts
    assert calls[0] == 2


async def test_a_token_verified_before_is_checked_again_after_its_key_is_withdrawn() -> None:
    jwks = Jwks(KEY)
    verifier = jwks.verifier()
    token = issue()
    await verifier.verify(token)
    jwks.keys = [STRANGER]  # the key rotated out; the verifier refetches for a new kid
    await verifier.verify(issue(key=STRANGER))
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)


async def test_the_least_recently_used_token_is_forgotten_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TokenVerifier, "MAX_VERIFIED", 2)
    calls = counting_decode(monkeypatch)
    verifier = Jwks(KEY).verifier()
    a, b, c = issue(), issue(), issue()
    for token in (a, b, a, c):  # a is used again before c comes: b is forgotten
        await verifier.verify(token)
    assert calls[0] == 3
    await verifier.verify(a)
    assert calls[0] == 3
    await verifier.verify(b)
    assert calls[0] == 4
