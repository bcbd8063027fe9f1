"""Email verification (docs/waiting-room.md, "Verified accounts"), in both modes: the token
mailed at registration, verifyEmail (unknown, used and expired tokens refused, changing
nothing), the rate-limited resendVerificationEmail, the access token's ``email_verified``
claim, and joinQueue refusing unverified accounts unless the queue allows them.

The SMTP server is real (aiosmtpd on loopback); expiry is tested by moving a stored token's
expiry into the past, so nothing here waits for the clock.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import jwt
import pytest
from sqlalchemy import func, select, update
from ticketflow_sdk.queue import solve_proof_of_work

from subgraphs.auth.models import EmailVerification
from subgraphs.auth.models import User as UserRow
from subgraphs.kernel.db import utcnow
from subgraphs.notification.models import Delivery
from tests.flows import PASSWORD, show_on_sale
from tests.harness import GraphQL, eventually
from tests.integration.conftest import own_deployment
from tests.integration.mailbox import SmtpServer, mail_settings, text_body
from tests.integration.support import Deployment, refusal, unique_email

REGISTER = """mutation($i: RegisterInput!) { register(input: $i) {
  accessToken refreshToken user { id email emailVerified } } }"""
VERIFY = "mutation($t: String!) { verifyEmail(token: $t) { id email emailVerified } }"
RESEND = "mutation { resendVerificationEmail }"
REFRESH = "mutation($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }"
ME = "{ me { id emailVerified } }"
USER_VERIFIED = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on User { id emailVerified } } }"""
CONFIGURE = """mutation($show: ID!, $i: QueueInput!) { configureQueue(showId: $show, input: $i) {
  requireVerifiedEmail } }"""
CHALLENGE = "query($show: ID!) { queueChallenge(showId: $show) { nonce difficulty } }"
JOIN = """mutation($show: ID!, $nonce: String, $solution: String) {
  joinQueue(showId: $show, nonce: $nonce, solution: $solution) { id state } }"""
SUBJECT = "Confirm your email address"
LINK = re.compile(r"(http://mail\.example\.test/app/#/verify\?token=(\S+))")


class Registered:
    def __init__(self, body: dict[str, Any]) -> None:
        payload = body["register"]
        self.id: str = payload["user"]["id"]
        self.email: str = payload["user"]["email"]
        self.access: str = payload["accessToken"]
        self.refresh: str = payload["refreshToken"]
        self.verified_at_registration: bool = payload["user"]["emailVerified"]


@pytest.fixture(scope="module")
async def verifying(mode: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
                    ) -> AsyncIterator[Deployment]:
    """Mail goes to the loopback SMTP server; two resends a minute per account."""
    async with own_deployment(mode, tmp_path_factory, "verify", **mail_settings(smtp),
                              public_url="http://mail.example.test/app/",
                              register_limit_per_address=100,
                              resend_verification_limit_per_email=2,
                              resend_verification_limit_per_address=100) as running:
        yield running


def auth(d: Deployment) -> GraphQL:
    return d.stack.client("auth")


async def register(d: Deployment) -> Registered:
    email = unique_email("verify")
    return Registered(await auth(d).data(
        REGISTER, {"i": {"email": email, "password": PASSWORD, "name": "Vera"}}))


async def mails_to(smtp: SmtpServer, email: str, count: int) -> list[EmailMessage]:
    """Wait until ``count`` verification mails reached ``email``; they, oldest first."""
    async def arrived() -> list[EmailMessage]:
        await asyncio.sleep(0)
        found = smtp.mailbox.to(email, SUBJECT)
        return found if len(found) >= count else []

    return await eventually(arrived)  # type: ignore[no-any-return]


def token_of(message: EmailMessage) -> str:
    body = text_body(message)
    found = LINK.search(body)
    assert found is not None, body
    assert found.group(2) in body.replace(found.group(1), "")  # the token is also given alone
    return found.group(2)


def claim(access: str) -> Any:
    return jwt.decode(access, options={"verify_signature": False}).get("email_verified")


async def verified_at(d: Deployment, user_id: str) -> datetime | None:
    async with d.dbs["auth"].reader() as s:
        row = await s.get(UserRow, user_id)
        assert row is not None
        return row.email_verified_at


async def used_tokens(d: Deployment, user_id: str) -> int:
    async with d.dbs["auth"].reader() as s:
        return int(await s.scalar(select(func.count()).select_from(EmailVerification).where(
            EmailVerification.user_id == user_id, EmailVerification.used_at.is_not(None))) or 0)


async def test_registration_mails_a_token_that_verifies_the_email_once(
        verifying: Deployment, smtp: SmtpServer) -> None:
    d, who = verifying, await register(verifying)
    assert who.verified_at_registration is False
    assert claim(who.access) is False
    assert (await auth(d).data(ME, token=who.access))["me"]["emailVerified"] is False
    (message,) = await mails_to(smtp, who.email, 1)
    assert message["To"] == who.email
    token = token_of(message)
    async with d.dbs["auth"].reader() as s:
        stored = list(await s.scalars(select(EmailVerification.token_hash)
                                      .where(EmailVerification.user_id == who.id)))
    assert len(stored) == 1 and token not in stored[0]  # only its digest is kept

    # The token is the credential: no sign-in needed.
    done = await auth(d).data(VERIFY, {"t": token})
    assert done["verifyEmail"] == {"id": who.id, "email": who.email, "emailVerified": True}
    assert (await auth(d).data(ME, token=who.access))["me"]["emailVerified"] is True
    # The access token says so from the session's next refresh.
    assert claim(who.access) is False
    fresh = (await auth(d).data(REFRESH, {"t": who.refresh}))["refresh"]
    assert claim(fresh["accessToken"]) is True

    # Single use: the same token again is refused, and changes nothing.
    first = await verified_at(d, who.id)
    assert refusal(await auth(d).run(VERIFY, {"t": token})) == ("BAD_USER_INPUT", "token")
    assert await verified_at(d, who.id) == first
    assert await used_tokens(d, who.id) == 1
    # A verified account is not mailed again: resend is a no-op answering false.
    assert (await auth(d).data(RESEND, token=fresh["accessToken"]))[
        "resendVerificationEmail"] is False
    assert len(smtp.mailbox.to(who.email, SUBJECT)) == 1


@pytest.mark.parametrize("bad", ["", "   ", "not-a-token", "x" * 4000],
                         ids=["empty", "blank", "unknown", "very long"])
async def test_a_bad_token_is_refused_and_changes_nothing(
        verifying: Deployment, smtp: SmtpServer, bad: str) -> None:
    d, who = verifying, await register(verifying)
    await mails_to(smtp, who.email, 1)
    assert refusal(await auth(d).run(VERIFY, {"t": bad})) == ("BAD_USER_INPUT", "token")
    assert await verified_at(d, who.id) is None
    assert await used_tokens(d, who.id) == 0


async def test_an_expired_token_is_refused_and_changes_nothing(
        verifying: Deployment, smtp: SmtpServer) -> None:
    d, who = verifying, await register(verifying)
    token = token_of((await mails_to(smtp, who.email, 1))[0])
    async with d.dbs["auth"].writer() as s, s.begin():
        await s.execute(update(EmailVerification)
                        .where(EmailVerification.user_id == who.id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert refusal(await auth(d).run(VERIFY, {"t": token})) == ("BAD_USER_INPUT", "token")
    assert await verified_at(d, who.id) is None
    assert await used_tokens(d, who.id) == 0


async def test_the_token_expires_48_hours_after_it_was_made(
        verifying: Deployment, smtp: SmtpServer) -> None:
    d, who = verifying, await register(verifying)
    await mails_to(smtp, who.email, 1)
    async with d.dbs["auth"].reader() as s:
        (row,) = await s.scalars(select(EmailVerification)
                                 .where(EmailVerification.user_id == who.id))
    assert row.expires_at - row.created_at == timedelta(hours=48)


async def test_resend_mails_a_new_token_and_is_rate_limited(
        verifying: Deployment, smtp: SmtpServer) -> None:
    d, who = verifying, await register(verifying)
    await mails_to(smtp, who.email, 1)
    assert refusal(await auth(d).run(RESEND)) == ("UNAUTHENTICATED", None)
    for _ in range(2):
        assert (await auth(d).data(RESEND, token=who.access))["resendVerificationEmail"] is True
    body = await auth(d).run(RESEND, token=who.access)
    assert refusal(body)[0] == "RATE_LIMITED"
    assert body["errors"][0]["extensions"]["retryAfter"] > 0
    messages = await mails_to(smtp, who.email, 3)
    tokens = [token_of(m) for m in messages]
    assert len(set(tokens)) == 3
    async with d.dbs["auth"].reader() as s:
        assert await s.scalar(select(func.count()).select_from(EmailVerification).where(
            EmailVerification.user_id == who.id)) == 3
    # An earlier link still works (a resend does not break one on its way); then all is done.
    done = await auth(d).data(VERIFY, {"t": tokens[0]})
    assert done["verifyEmail"]["emailVerified"] is True
    # The verification mail goes whatever the mail preference says (it is no notice).
    async with d.dbs["notification"].reader() as s:
        kinds = list(await s.scalars(select(Delivery.kind).where(Delivery.user_id == who.id)))
    assert kinds == ["VERIFY_EMAIL"] * 3

    # Once sent, notification's stored copies keep neither the tokens nor the links.
    async def sent_payloads() -> list[str] | None:
        async with d.dbs["notification"].reader() as s:
            rows = (await s.execute(select(Delivery.status, Delivery.payload).where(
                Delivery.user_id == who.id))).all()
        return [r.payload for r in rows] if all(r.status == "SENT" for r in rows) else None

    stored = await eventually(sent_payloads)
    assert len(stored) == 3 and all(who.email in p for p in stored)
    assert not any(t in p for t in tokens for p in stored)


async def test_accounts_made_by_an_operator_are_verified(verifying: Deployment) -> None:
    d = verifying
    for who in (d.actors.customer, d.actors.organizer, d.actors.admin):
        assert (await auth(d).data(ME, token=who.token))["me"]["emailVerified"] is True
        assert claim(who.token) is True
    assert (await auth(d).data(RESEND, token=d.actors.customer.token))[
        "resendVerificationEmail"] is False


async def test_email_verified_is_the_owners_and_admins_to_see(
        verifying: Deployment) -> None:
    d = verifying
    who = d.actors.customer
    reps = {"r": [{"__typename": "User", "id": who.id}]}
    assert refusal(await auth(d).run(USER_VERIFIED, reps))[0] == "UNAUTHENTICATED"
    other = await auth(d).run(USER_VERIFIED, reps, d.actors.other_customer.token)
    assert refusal(other)[0] == "FORBIDDEN"
    mine = await auth(d).data(USER_VERIFIED, reps, who.token)
    assert mine["_entities"] == [{"id": who.id, "emailVerified": True}]
    seen = await auth(d).data(USER_VERIFIED, reps, d.actors.admin.token)
    assert seen["_entities"] == [{"id": who.id, "emailVerified": True}]


async def join(booking: GraphQL, show_id: str, token: str) -> dict[str, Any]:
    challenge = (await booking.data(CHALLENGE, {"show": show_id}, token))["queueChallenge"]
    answer = {} if challenge is None else {
        "nonce": challenge["nonce"], "solution": solve_proof_of_work("pow", challenge["nonce"],
                                                       challenge["difficulty"])}
    return await booking.run(JOIN, {"show": show_id, **answer}, token)


async def queued_show(d: Deployment, require: bool | None) -> str:
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                              d.actors.organizer)
    opens = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    given: dict[str, Any] = {"opensAt": opens, "ratePerMinute": 60}
    if require is not None:
        given["requireVerifiedEmail"] = require
    body = await d.stack.client("booking").data(CONFIGURE, {"show": show.id, "i": given},
                                                d.actors.organizer.token)
    assert body["configureQueue"]["requireVerifiedEmail"] is (require is not False)
    return show.id


async def test_join_queue_refuses_an_unverified_account_until_it_verifies(
        verifying: Deployment, smtp: SmtpServer) -> None:
    d, who = verifying, await register(verifying)
    booking = d.stack.client("booking")
    show_id = await queued_show(d, None)  # required by default
    refused = await join(booking, show_id, who.access)
    assert refusal(refused)[0] == "EMAIL_NOT_VERIFIED"
    assert refused["data"] is None
    # An operator-made (verified) account joins.
    assert "errors" not in await join(booking, show_id, d.actors.customer.token)
    token = token_of((await mails_to(smtp, who.email, 1))[0])
    await auth(d).data(VERIFY, {"t": token})
    # The old access token predates the verification: still refused; a refreshed one joins.
    assert refusal(await join(booking, show_id, who.access))[0] == "EMAIL_NOT_VERIFIED"
    fresh = (await auth(d).data(REFRESH, {"t": who.refresh}))["refresh"]["accessToken"]
    joined = await join(booking, show_id, fresh)
    assert "errors" not in joined, joined
    assert joined["data"]["joinQueue"]["state"] == "WAITING"


async def test_a_queue_may_take_unverified_accounts(verifying: Deployment) -> None:
    d, who = verifying, await register(verifying)
    show_id = await queued_show(d, False)
    joined = await join(d.stack.client("booking"), show_id, who.access)
    assert "errors" not in joined, joined
    # Configured again without the flag, the queue requires verification again.
    opens = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    await d.stack.client("booking").data(CONFIGURE, {"show": show_id, "i": {
        "opensAt": opens, "ratePerMinute": 60}}, d.actors.organizer.token)
    other = await register(d)
    assert refusal(await join(d.stack.client("booking"), show_id, other.access))[0] == \
        "EMAIL_NOT_VERIFIED"


async def test_other_calls_do_not_need_a_verified_email(verifying: Deployment) -> None:
    d, who = verifying, await register(verifying)
    show = await show_on_sale(d.stack.client("venue"), d.stack.client("booking"),
                              d.actors.organizer)
    held = await d.stack.client("booking").run(
        """mutation($show: ID!, $seats: [ID!]!) { holdSeats(showId: $show, seatIds: $seats) {
        __typename } }""", {"show": show.id, "seats": [show.seats[0]["id"]]}, who.access)
    assert held["data"]["holdSeats"]["__typename"] == "SeatHold", held
