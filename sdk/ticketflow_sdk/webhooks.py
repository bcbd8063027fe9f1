"""Verify TicketFlow's outgoing webhooks on the receiving side.

Each request carries ``TicketFlow-Signature: t=<unix time>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256, keyed with the endpoint's secret, of ``"<t>.<raw body>"``. Verify the raw
body as received (before any JSON parsing), and deduplicate by the event's ``id``: an
event may arrive more than once.

    from ticketflow_sdk.webhooks import WebhookSignatureError, verify

    try:
        event = verify(request_body, request.headers["TicketFlow-Signature"], secret)
    except WebhookSignatureError:
        return 400
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

__all__ = ["WebhookSignatureError", "sign", "verify"]


class WebhookSignatureError(ValueError):
    """The signature header is missing, malformed, too old or does not match."""


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The header value TicketFlow sends for ``payload`` (for tests of a receiver)."""
    body = payload.encode() if isinstance(payload, str) else payload
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(payload: bytes | str, header: str | None, secret: str, tolerance: int = 300,
           *, now: float | None = None) -> dict[str, Any]:
    """The event (``{id, type, created, data}``) of a request whose ``TicketFlow-Signature``
    header is ``header``, once its signature matches ``secret`` and its timestamp is within
    ``tolerance`` seconds of now (``0``: no limit); :class:`WebhookSignatureError` otherwise.
    Any of several ``v1=`` signatures may match."""
    body = payload.encode() if isinstance(payload, str) else payload
    if not header:
        raise WebhookSignatureError("no TicketFlow-Signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookSignatureError("malformed TicketFlow-Signature header")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise WebhookSignatureError("malformed timestamp") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureError("the header needs t= and v1=")
    expected = sign(body, secret, timestamp).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise WebhookSignatureError("the signature does not match")
    current = time.time() if now is None else now
    if tolerance and abs(current - timestamp) > tolerance:
        raise WebhookSignatureError("the timestamp is outside the tolerance")
    try:
        event: dict[str, Any] = json.loads(body)
    except ValueError:
        raise WebhookSignatureError("the body is not JSON") from None
    return event
