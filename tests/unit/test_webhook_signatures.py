"""Outgoing webhook signatures: what notification signs, the SDK's ``verify`` accepts, and
nothing else (a changed body, another secret, an old timestamp, a malformed header)."""

from __future__ import annotations

import json
import time

import pytest
from ticketflow_sdk.webhooks import WebhookSignatureError, sign, verify

from subgraphs.kernel.settings import Settings
from subgraphs.notification.webhooks import backoff, signature

pytestmark = pytest.mark.unit

SECRET = "whsec_test-secret"
BODY = json.dumps({"id": "e1", "type": "BookingConfirmed", "created": 1,
                   "data": {"booking_id": "b1"}}).encode()


def test_what_notification_signs_the_sdk_verifies() -> None:
    now = int(time.time())
    header = signature(SECRET, now, BODY)
    assert header == sign(BODY, SECRET, now)
    assert verify(BODY, header, SECRET)["id"] == "e1"
    assert verify(BODY.decode(), header, SECRET)["type"] == "BookingConfirmed"


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature("k", 1_700_000_000, BODY) == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize("tamper", [
    lambda h, b, s: (h, b + b" ", s),                         # a changed body
    lambda h, b, s: (h, b, "whsec_another"),                   # another secret
    lambda h, b, s: (h.replace("v1=", "v1=0"), b, s),          # a changed signature
    lambda h, b, s: (h.split(",")[0], b, s),                   # no v1
    lambda h, b, s: (h.split(",")[1], b, s),                   # no t
    lambda h, b, s: ("garbage", b, s),
    lambda h, b, s: ("", b, s),
    lambda h, b, s: (None, b, s),
    lambda h, b, s: (h.replace("t=", "t=x"), b, s),
])
def test_anything_else_is_refused(tamper: object) -> None:
    header = signature(SECRET, int(time.time()), BODY)
    h, b, s = tamper(header, BODY, SECRET)  # type: ignore[operator]
    with pytest.raises(WebhookSignatureError):
        verify(b, h, s)


def test_an_old_or_future_timestamp_is_refused_within_tolerance_only() -> None:
    then = 1_700_000_000
    header = signature(SECRET, then, BODY)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify(BODY, header, SECRET, now=then + 301)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify(BODY, header, SECRET, now=then - 301)
    assert verify(BODY, header, SECRET, now=then + 299)["id"] == "e1"
    assert verify(BODY, header, SECRET, tolerance=0, now=then + 10**6)["id"] == "e1"


def test_any_of_several_signatures_may_match() -> None:
    now = int(time.time())
    good = signature(SECRET, now, BODY).split(",")[1]
    header = f"t={now},v1={'0' * 64},{good}"
    assert verify(BODY, header, SECRET)["id"] == "e1"


def test_backoff_doubles_with_up_to_one_base_of_jitter_and_stops_at_the_cap() -> None:
    settings = Settings(webhook_retry_seconds=30, webhook_max_backoff_seconds=3600)
    for n in range(1, 15):
        wait = backoff(settings, n).total_seconds()
        low = min(30 * 2 ** (n - 1), 3600)
        assert low <= wait <= min(low + 30, 3600), (n, wait)
    assert backoff(settings, 20).total_seconds() == 3600
