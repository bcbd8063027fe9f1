"""The typed event payloads keep the wire form the events always had, and read older ones."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from subgraphs.kernel import events
from subgraphs.kernel.events import (
    BookingCreated,
    BookingExpired,
    Event,
    HoldReleased,
    Payload,
    PaymentRefunded,
    PaymentSucceeded,
    SeatsHeld,
    ShowPublished,
)

pytestmark = pytest.mark.unit

PAYLOADS = [c for c in vars(events).values()
            if isinstance(c, type) and issubclass(c, Payload) and c is not Payload]

# Payloads as the services wrote them before they were typed (dict literals).
WIRE: dict[type[Payload], dict[str, Any]] = {
    SeatsHeld: {"hold_id": "h", "show_id": "s", "user_id": "u", "seat_ids": ["a", "b"],
                "legs": [0, 1], "expires_at": "2026-12-06T12:00:00+00:00"},
    HoldReleased: {"hold_id": "h", "show_id": "s", "user_id": "u", "seat_ids": ["a"],
                   "general_admission": [{"section_id": "g", "quantity": 2}]},
    BookingCreated: {"booking_id": "b", "user_id": "u", "show_id": "s", "organizer_id": "o",
                     "amount": 2500, "currency": "EUR", "seat_ids": ["a"],
                     "general_admission": [], "legs": [0, 1],
                     "expires_at": "2026-12-06T12:00:00+00:00", "queued": True},
    PaymentSucceeded: {"payment_id": "p", "booking_id": "b", "user_id": "u", "amount": 2500,
                       "currency": "EUR", "provider": "sandbox",
                       "succeeded_at": "2026-12-06T12:00:00+00:00"},
    PaymentRefunded: {"payment_id": "p", "booking_id": "b", "refund_id": "r", "user_id": "u",
                      "provider": "sandbox", "amount": 2500, "currency": "EUR",
                      "reason": "REQUESTED", "refunded_total": 2500, "fully_refunded": True},
}


def event_of(cls: type[Payload], payload: dict[str, Any]) -> Event:
    return Event(type=cls.__name__, source="test", payload=payload)


@pytest.mark.parametrize("cls", list(WIRE), ids=lambda c: c.__name__)
def test_a_payload_reads_and_writes_the_wire_form_it_always_had(cls: type[Payload]) -> None:
    wire = WIRE[cls]
    read = cls.read(event_of(cls, wire))
    assert read.to_payload() == wire
    assert Event.from_json(event_of(cls, read.to_payload()).to_json()).payload == wire


def test_every_payload_is_a_frozen_dataclass_named_as_its_type() -> None:
    assert len(PAYLOADS) >= 20
    for cls in PAYLOADS:
        assert dataclasses.is_dataclass(cls), cls
        assert cls.type_name() == cls.__name__
        assert [name for name, _ in cls._shape] == [f.name for f in dataclasses.fields(cls)]
    held = SeatsHeld(hold_id="h", show_id="s", user_id="u", seat_ids=[], legs=[0, 1],
                     expires_at="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        held.hold_id = "other"  # type: ignore[misc]


def test_an_optional_field_is_left_out_while_none_and_written_when_set() -> None:
    released = HoldReleased(hold_id="h", show_id="s", user_id="u", seat_ids=[],
                            general_admission=[])
    assert "reason" not in released.to_payload()
    cancelled = dataclasses.replace(released, reason="SHOW_CANCELLED")
    assert cancelled.to_payload()["reason"] == "SHOW_CANCELLED"


def test_older_events_without_later_fields_still_read() -> None:
    created = BookingCreated.read(event_of(BookingCreated, {
        "booking_id": "b", "user_id": "u", "show_id": "s", "organizer_id": "o",
        "amount": 1, "currency": "EUR", "seat_ids": ["a"], "expires_at": "x"}))
    assert (created.general_admission, created.legs, created.queued) == ([], [], False)
    refunded = PaymentRefunded.read(event_of(PaymentRefunded, {
        "payment_id": "p", "booking_id": "b", "refund_id": "r", "amount": 1,
        "currency": "EUR", "reason": "REQUESTED", "refunded_total": 1,
        "fully_refunded": False}))
    assert (refunded.user_id, refunded.provider) == (None, None)
    expired = BookingExpired.read(event_of(BookingExpired, {
        "booking_id": "b", "user_id": "u", "show_id": "s", "hold_id": "h", "seat_ids": []}))
    assert expired.booking_id == "b" and expired.show is None
    published = ShowPublished.read(event_of(ShowPublished, {
        "show_id": "s", "venue_id": "v", "organizer_id": "o", "title": "t",
        "starts_at": "x", "ends_at": "y", "currency": "EUR",
        "seats": [{"id": "a", "label": "A1", "category": "STANDARD", "price": 100}]}))
    assert (published.hall_kind, published.stops, published.general_admission,
            published.time_zone) == ("OTHER", 0, [], "UTC")


def test_reading_another_type_or_a_payload_missing_a_required_field_fails() -> None:
    with pytest.raises(ValueError, match="is not a SeatsHeld"):
        SeatsHeld.read(event_of(HoldReleased, WIRE[HoldReleased]))
    with pytest.raises(TypeError):
        PaymentSucceeded.read(event_of(PaymentSucceeded, {"booking_id": "b"}))


def test_a_show_rescheduled_without_its_later_fields_reads_and_writes_none_of_them() -> None:
    moved = events.ShowRescheduled.read(event_of(events.ShowRescheduled, {
        "show_id": "s", "starts_at": "2032-03-01T19:00:00+00:00",
        "ends_at": "2032-03-01T21:00:00+00:00"}))
    assert (moved.title, moved.previous_starts_at) == (None, None)
    assert moved.to_payload() == {"show_id": "s", "starts_at": "2032-03-01T19:00:00+00:00",
                                  "ends_at": "2032-03-01T21:00:00+00:00"}
