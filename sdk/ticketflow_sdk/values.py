"""The SDK's own parts of its models (the rest is generated from the schema).

* Values a caller builds as well as reads: :class:`Money`, :class:`Segment`, :class:`Stop`
  (read through the fragments of the same names, which the generated models use in place
  of generated classes), and :class:`RowSpec`, :class:`RazorpayProof`, :class:`Tokens`;
* conveniences the generated models inherit (``Show.venue_name``, ``SeatHold.show_id``...),
  named in ``[tool.ariadne-codegen.ticketflow] extras`` of sdk/pyproject.toml.

Nothing here imports the generated code (it imports this).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, Self

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class _ReadFromGraphQL:
    """Lets pydantic (the generated models) build the value from the fragment's answer."""

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Self:
        raise NotImplementedError

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        def read(value: Any) -> Any:
            return cls.from_graphql(value) if isinstance(value, Mapping) else value

        return core_schema.no_info_before_validator_function(
            read, core_schema.is_instance_schema(cls))


@dataclass(frozen=True)
class Money(_ReadFromGraphQL):
    """``amount`` minor units of ``currency``: ``Money(1250, "EUR")`` is 12.50 EUR."""

    amount: int
    currency: str

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Self:
        return cls(int(data["amount"]), str(data["currency"]))


@dataclass(frozen=True)
class Segment(_ReadFromGraphQL):
    """Part of a journey: stop indexes into ``Show.stops``, ``from_stop < to_stop``."""

    from_stop: int
    to_stop: int

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Self:
        return cls(int(data["from"]), int(data["to"]))

    def as_input(self) -> dict[str, int]:
        """The ``SegmentInput`` value."""
        return {"from": self.from_stop, "to": self.to_stop}


@dataclass(frozen=True)
class Stop(_ReadFromGraphQL):
    """A stop of a journey (also what :meth:`AsyncClient.create_show` takes)."""

    name: str
    departs_at: datetime | None = None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> Self:
        departs = data.get("departsAt")
        return cls(str(data["name"]), datetime.fromisoformat(departs) if departs else None)

    def as_input(self) -> dict[str, Any]:
        """The ``StopInput`` value."""
        return {"name": self.name,
                "departsAt": self.departs_at.isoformat() if self.departs_at else None}


@dataclass(frozen=True)
class RazorpayProof:
    """What Razorpay Checkout's handler gave the browser."""

    order_id: str
    payment_id: str
    signature: str

    def as_input(self) -> dict[str, str]:
        """The ``RazorpayProofInput`` value."""
        return {"orderId": self.order_id, "paymentId": self.payment_id,
                "signature": self.signature}


@dataclass(frozen=True)
class RowSpec:
    """One row of a simple hall for :meth:`AsyncClient.create_venue` (seats labelled A1, A2…)."""

    label: str
    seats: int
    category: str = "STANDARD"

    def as_input(self) -> dict[str, Any]:
        """The ``RowInput`` value."""
        return {"label": self.label, "seats": self.seats, "category": self.category}


@dataclass(frozen=True)
class Tokens:
    """A session's credentials: keep ``refresh_token`` secret; it is single use."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None


# --- conveniences of generated models ----------------------------------------------------


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


class _PageInfo(Protocol):
    @property
    def has_next_page(self) -> bool: ...

    @property
    def end_cursor(self) -> str | None: ...


class ShowExtras:
    if TYPE_CHECKING:
        @property
        def venue(self) -> _Named: ...

    @property
    def venue_name(self) -> str:
        """The name of the venue the show is at."""
        return self.venue.name


class ShowPageExtras:
    """``ShowPage``: one page of ``shows``; pass ``end_cursor`` as ``after`` for the next."""

    if TYPE_CHECKING:
        @property
        def nodes(self) -> tuple[Any, ...]: ...

        @property
        def page_info(self) -> _PageInfo: ...

    @property
    def shows(self) -> tuple[Any, ...]:
        """The page's shows (``nodes``)."""
        return self.nodes

    @property
    def has_next_page(self) -> bool:
        return self.page_info.has_next_page

    @property
    def end_cursor(self) -> str | None:
        return self.page_info.end_cursor


class SeatHoldExtras:
    if TYPE_CHECKING:
        @property
        def show(self) -> _Identified: ...

    @property
    def show_id(self) -> str:
        """The id of the show the hold is for."""
        return self.show.id


class PaymentExtras:
    if TYPE_CHECKING:
        @property
        def booking(self) -> _Identified: ...

    @property
    def booking_id(self) -> str:
        """The id of the booking the payment is for."""
        return self.booking.id


class RefundExtras:
    if TYPE_CHECKING:
        @property
        def payment(self) -> _Identified: ...

    @property
    def payment_id(self) -> str:
        """The id of the payment the refund gives back from."""
        return self.payment.id
