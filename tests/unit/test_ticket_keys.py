"""Booking's cache of notification's ticket keys: fetched by key id, refetched at once for a
new key, never more than once per interval for a key the document lacks, and kept when
notification cannot be reached."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest

from subgraphs.booking.ticket_keys import (
    TICKET_ISSUER,
    BadTicket,
    KeysUnavailable,
    TicketKeys,
)
from subgraphs.kernel.keys import KeyPair, load_private_key, new_ed25519_key
from subgraphs.notification import tickets as notification_tickets

URL = "http://notification.test/.well-known/ticket-keys.json"


class Notification:
    """A stand-in for notification's key document: which keys it serves, whether it is up,
    and how often it was asked."""

    def __init__(self) -> None:
        self.keys: list[KeyPair] = []
        self.up = True
        self.asked = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked += 1
        if not self.up:
            return httpx.Response(503)
        return httpx.Response(200, json={"keys": [json.loads(k.public_jwk)
                                                  for k in self.keys]})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ticket(key: KeyPair, **claims: Any) -> str:
    body = {"tid": "b:s", "bid": "b", "sid": "s", "seat": "A1",
            "iat": int(datetime.now(UTC).timestamp()), "iss": TICKET_ISSUER, **claims}
    return jwt.encode(body, load_private_key(key.private_pem), algorithm="EdDSA",
                      headers={"kid": key.kid})


@pytest.fixture
def served() -> tuple[Notification, Clock, TicketKeys]:
    notification, clock = Notification(), Clock()
    keys = TicketKeys(URL, transport=httpx.MockTransport(notification.handle), clock=clock)
    return notification, clock, keys


def test_booking_expects_the_issuer_notification_writes() -> None:
    assert TICKET_ISSUER == notification_tickets.ISSUER


async def test_a_ticket_verifies_and_its_key_is_fetched_once(
        served: tuple[Notification, Clock, TicketKeys]) -> None:
    notification, _, keys = served
    key = new_ed25519_key()
    notification.keys = [key]
    for _ in range(3):
        assert (await keys.verify(ticket(key)))["tid"] == "b:s"
    assert notification.asked == 1


async def test_a_new_key_is_fetched_at_once_and_a_missing_one_at_most_once_an_interval(
        served: tuple[Notification, Clock, TicketKeys]) -> None:
    notification, clock, keys = served
    old, new, never = new_ed25519_key(), new_ed25519_key(), new_ed25519_key()
    notification.keys = [old]
    await keys.verify(ticket(old))
    notification.keys = [old, new]
    await keys.verify(ticket(new))  # rotated: fetched again at once
    assert notification.asked == 2
    for _ in range(5):
        with pytest.raises(BadTicket):
            await keys.verify(ticket(never))
    assert notification.asked == 3  # one look for the unknown key, not five
    clock.now += TicketKeys.REFETCH_INTERVAL
    with pytest.raises(BadTicket):
        await keys.verify(ticket(never))
    assert notification.asked == 4


async def test_made_up_key_ids_cost_bounded_memory(
        served: tuple[Notification, Clock, TicketKeys], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, keys = served
    monkeypatch.setattr(TicketKeys, "MAX_MISSING", 3)
    for n in range(10):
        assert await keys.key(f"made-up-{n}") is None
    assert len(keys._missing) <= 3


async def test_keys_read_before_keep_verifying_while_notification_is_away(
        served: tuple[Notification, Clock, TicketKeys]) -> None:
    notification, clock, keys = served
    key, other = new_ed25519_key(), new_ed25519_key()
    notification.keys = [key]
    await keys.verify(ticket(key))
    notification.up = False
    clock.now += 3600
    assert (await keys.verify(ticket(key)))["sid"] == "s"
    assert (await keys.document())["keys"][0]["kid"] == key.kid
    with pytest.raises(KeysUnavailable):
        await keys.verify(ticket(other))


async def test_nothing_but_a_whole_ticket_of_ours_verifies(
        served: tuple[Notification, Clock, TicketKeys]) -> None:
    notification, _, keys = served
    key = new_ed25519_key()
    notification.keys = [key]
    good = ticket(key)
    header, payload, signature = good.split(".")
    bad = [
        "garbage",
        f"{header}.{payload}.{signature[:-4]}AAAA",
        ticket(key, iss="ticketflow-auth"),
        jwt.encode({"tid": "b:s", "bid": "b", "sid": "s", "iss": TICKET_ISSUER,
                    "iat": 1}, "s" * 32, algorithm="HS256", headers={"kid": key.kid}),
        jwt.encode({"bid": "b", "sid": "s", "iss": TICKET_ISSUER, "iat": 1},
                   load_private_key(key.private_pem), algorithm="EdDSA",
                   headers={"kid": key.kid}),
    ]
    for token in bad:
        with pytest.raises(BadTicket):
            await keys.verify(token)
    assert (await keys.verify(good))["bid"] == "b"


async def test_the_document_is_read_again_at_most_once_a_minute(
        served: tuple[Notification, Clock, TicketKeys]) -> None:
    notification, clock, keys = served
    key, added = new_ed25519_key(), new_ed25519_key()
    notification.keys = [key]
    assert [k["kid"] for k in (await keys.document())["keys"]] == [key.kid]
    asked = notification.asked
    notification.keys = [key, added]
    clock.now += TicketKeys.DOCUMENT_MAX_AGE - 1
    for _ in range(5):  # gates downloading their lists within the minute
        assert [k["kid"] for k in (await keys.document())["keys"]] == [key.kid]
    assert notification.asked == asked
    clock.now += 1  # a minute on: the added key reaches the gates
    assert [k["kid"] for k in (await keys.document())["keys"]] == [key.kid, added.kid]
    assert notification.asked == asked + 1
