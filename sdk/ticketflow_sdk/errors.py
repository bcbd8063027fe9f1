"""Every way a TicketFlow call can fail, one exception class per ``extensions.code``.

GraphQL errors (``errors[].extensions.code``) and the typed union members of mutation
results (``SeatsUnavailable``, ``SoldOut``, ``HoldExpired``, ``PromoCodeRejected``,
``PaymentDeclined``, ``PaymentWindowClosed``) both end up here, so callers catch one
family of exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ticketflow_sdk.models import Payment


class TicketFlowError(Exception):
    """An error TicketFlow answered with: its ``code``, ``message`` and ``extensions``."""

    CODE: ClassVar[str] = ""

    def __init__(self, code: str, message: str,
                 extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions: dict[str, Any] = dict(extensions or {})
        #: The server says trying again may work (``extensions.retryable``); the client
        #: does so by itself for operations that are safe to repeat.
        self.retryable: bool = self.extensions.get("retryable") is True

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class _Coded(TicketFlowError):
    """A TicketFlowError whose code is fixed by its class."""

    def __init__(self, message: str, extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(self.CODE, message, extensions)


class Unauthenticated(_Coded):
    """No token, or a bad, expired or ended one; sign in (again)."""

    CODE = "UNAUTHENTICATED"


class Forbidden(_Coded):
    """Signed in, but it belongs to someone else or needs another role."""

    CODE = "FORBIDDEN"


class BadUserInput(_Coded):
    """Invalid input; ``field`` names the argument path (e.g. ``seatMap.sections[1].key``)."""

    CODE = "BAD_USER_INPUT"

    @property
    def field(self) -> str | None:
        """The offending argument path, when the server named one."""
        value = self.extensions.get("field")
        return str(value) if value is not None else None


class NotFound(_Coded):
    """No such show, venue, hold, booking or payment."""

    CODE = "NOT_FOUND"


class SeatsUnavailable(_Coded):
    """Some of the seats asked for are held or sold by someone else."""

    CODE = "SEATS_UNAVAILABLE"

    def __init__(self, message: str, extensions: Mapping[str, Any] | None = None, *,
                 seat_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message, extensions)
        self.seat_ids = seat_ids


class SoldOut(_Coded):
    """Fewer places (or seats that fit together) than asked for are left."""

    CODE = "SOLD_OUT"

    def __init__(self, message: str, extensions: Mapping[str, Any] | None = None, *,
                 available: int = 0) -> None:
        super().__init__(message, extensions)
        self.available = available


class HoldExpired(_Coded):
    """The hold lapsed (or the booking stopped waiting for payment): hold the seats again."""

    CODE = "HOLD_EXPIRED"

    def __init__(self, message: str, extensions: Mapping[str, Any] | None = None, *,
                 hold_id: str | None = None, payment: Payment | None = None) -> None:
        super().__init__(message, extensions)
        self.hold_id = hold_id
        self.payment = payment


class PromoCodeRejected(_Coded):
    """The promo code cannot be used (``reason``: EXHAUSTED, EXPIRED, ...); nothing changed.
    At checkout nothing was booked: remove the code to book at full price."""

    CODE = "PROMO_CODE_REJECTED"

    def __init__(self, message: str, extensions: Mapping[str, Any] | None = None, *,
                 reason: str | None = None, promo_code: str | None = None) -> None:
        super().__init__(message, extensions)
        self.reason = reason
        self.promo_code = promo_code


class PaymentFailed(_Coded):
    """The provider declined; the booking stays pending until its hold expires, so pay again."""

    CODE = "PAYMENT_FAILED"

    def __init__(self, message: str, extensions: Mapping[str, Any] | None = None, *,
                 reason: str | None = None, payment: Payment | None = None) -> None:
        super().__init__(message, extensions)
        self.reason = reason
        self.payment = payment


class Conflict(_Coded):
    """A duplicate or a state that does not allow it (an email taken, a released hold)."""

    CODE = "CONFLICT"


class RateLimited(_Coded):
    """Too many attempts; wait ``retry_after`` seconds."""

    CODE = "RATE_LIMITED"

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before trying again, when the server said."""
        value = self.extensions.get("retryAfter")
        return int(value) if isinstance(value, int | float | str) else None


class Queued(_Coded):
    """The show has a waiting room: hold with the pass :meth:`AsyncClient.wait_in_queue`
    returns (a pass admits one purchase session of its user and show)."""

    CODE = "QUEUED"

    @property
    def show_id(self) -> str | None:
        value = self.extensions.get("showId")
        return str(value) if value is not None else None

    @property
    def pass_used(self) -> bool:
        """The pass sent was spent already (``extensions.reason`` ``USED``): it admitted one
        purchase session, and waiting again hands back the same pass, so do not."""
        return self.extensions.get("reason") == "USED"


class EmailNotVerified(_Coded):
    """The account has not confirmed its email address (a queue that requires it): verify
    with the mailed token, then refresh the tokens (the access token carries the claim)."""

    CODE = "EMAIL_NOT_VERIFIED"


class SubgraphUnavailable(_Coded):
    """A part of TicketFlow did not answer: down, too slow, or the router's circuit breaker
    stopped calling it for a while. ``retryable``; the client retries operations that are
    safe to repeat by itself and raises this once its attempts are spent."""

    CODE = "SUBGRAPH_UNAVAILABLE"

    @property
    def service_name(self) -> str | None:
        """The subgraph that did not answer (``booking``, ``payment``...)."""
        value = self.extensions.get("serviceName")
        return str(value) if value is not None else None

    @property
    def reason(self) -> str | None:
        """``TIMEOUT``, ``UNREACHABLE``, ``BAD_GATEWAY`` or ``CIRCUIT_OPEN``."""
        value = self.extensions.get("reason")
        return str(value) if value is not None else None


class InternalError(_Coded):
    """Something unexpected went wrong on the server (the message is generic).
    ``request_id`` names the request in the server's logs, for a bug report."""

    CODE = "INTERNAL"

    @property
    def request_id(self) -> str | None:
        """The request id the server logged the failure under, when it said."""
        value = self.extensions.get("requestId")
        return str(value) if value is not None else None


class TransportError(TicketFlowError):
    """The server could not be reached or did not answer with GraphQL.

    ``sent`` is False when the request certainly never reached the server (a refused
    connection), ``status`` is the HTTP status when there was one.
    """

    CODE = "TRANSPORT"

    def __init__(self, message: str, *, status: int | None = None, sent: bool = True,
                 retryable: bool = True) -> None:
        super().__init__(self.CODE, message, {"status": status} if status else None)
        self.status = status
        self.sent = sent
        self.retryable = retryable


_BY_CODE: dict[str, type[_Coded]] = {cls.CODE: cls for cls in (
    Unauthenticated, Forbidden, BadUserInput, NotFound, SeatsUnavailable, SoldOut,
    HoldExpired, PromoCodeRejected, PaymentFailed, Conflict, RateLimited, Queued,
    EmailNotVerified, SubgraphUnavailable,
    InternalError)}


def error_from_graphql(error: Mapping[str, Any]) -> TicketFlowError:
    """The exception for one entry of a response's ``errors`` list.

    Codes outside the documented list (``GRAPHQL_VALIDATION_FAILED`` from a server whose
    schema moved on, ``BAD_REQUEST``) become a plain :class:`TicketFlowError`.
    """
    extensions = error.get("extensions") or {}
    code = str(extensions.get("code") or "INTERNAL")
    message = str(error.get("message") or code)
    cls = _BY_CODE.get(code)
    if cls is None:
        return TicketFlowError(code, message, extensions)
    if cls is SeatsUnavailable:
        return SeatsUnavailable(message, extensions,
                                seat_ids=tuple(extensions.get("seatIds") or ()))
    if cls is SoldOut:
        return SoldOut(message, extensions, available=int(extensions.get("available") or 0))
    return cls(message, extensions)


def error_from_member(member: Mapping[str, Any],
                      payment: Payment | None = None) -> TicketFlowError | None:
    """The exception a typed union member of a mutation result stands for, or None when the
    member is the success type (``SeatHold``, ``Booking``, ``Payment``).

    ``payment`` is the parsed ``payment`` of a ``PaymentDeclined``/``PaymentWindowClosed``.
    """
    kind = member.get("__typename")
    message = str(member.get("message") or kind)
    details = {k: v for k, v in member.items() if k not in ("__typename", "payment")}
    if kind == "SeatsUnavailable":
        return SeatsUnavailable(message, details, seat_ids=tuple(member.get("seatIds") or ()))
    if kind == "SoldOut":
        return SoldOut(message, details, available=int(member.get("available") or 0))
    if kind == "HoldExpired":
        return HoldExpired(message, details, hold_id=member.get("holdId"))
    if kind == "PromoCodeRejected":
        return PromoCodeRejected(message, details, reason=member.get("reason"),
                                 promo_code=member.get("promoCode"))
    if kind == "PaymentWindowClosed":
        return HoldExpired(message, details, payment=payment)
    if kind == "PaymentDeclined":
        return PaymentFailed(message, details, reason=member.get("reason"), payment=payment)
    return None


def is_expired_token(error: TicketFlowError) -> bool:
    """True for the UNAUTHENTICATED answer to an access token past its ``exp``.

    The server says so only in the message ("The access token has expired."), the same
    from the router and from every subgraph.
    """
    return isinstance(error, Unauthenticated) and "expired" in error.message.lower()


__all__ = [
    "BadUserInput", "Conflict", "Forbidden", "HoldExpired", "InternalError", "NotFound",
    "PaymentFailed", "RateLimited", "SeatsUnavailable", "SoldOut", "SubgraphUnavailable",
    "TicketFlowError",
    "TransportError", "Unauthenticated", "error_from_graphql", "error_from_member",
    "is_expired_token",
]
