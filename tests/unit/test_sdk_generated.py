"""The SDK's methods over the generated operations: variables go out as the schema names
them, answers come back as the public models (immutable, tuples, the SDK's own Money and
Segment), typed outcomes as exceptions, and bad input is refused before anything is sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from ticketflow_sdk import (
    AsyncClient,
    BadUserInput,
    Money,
    RowSpec,
    SeatHold,
    SeatsUnavailable,
    Segment,
    Show,
    ShowKind,
    Stop,
)


def money(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "EUR"}


SHOW = {
    "id": "s1", "title": "Night Train", "kind": "TRAIN", "status": "DRAFT",
    "startsAt": "2031-05-01T19:00:00+00:00", "localStartsAt": "2031-05-01T21:00:00+02:00",
    "endsAt": "2031-05-02T07:00:00+00:00", "currency": "EUR", "venueId": "v1", "hallId": "h1",
    "venue": {"name": "Central", "timeZone": "Europe/Paris"},
    "price": money(1500), "priceTiers": [{"category": "STANDARD", "price": money(1500)}],
    "stops": [{"name": "Paris", "departsAt": "2031-05-01T19:00:00+00:00"},
              {"name": "Berlin", "departsAt": None}],
    "legs": [{"index": 0, "fromStop": "Paris", "toStop": "Berlin"}], "availability": None}
HOLD = {
    "__typename": "SeatHold", "id": "h1", "status": "ACTIVE",
    "expiresAt": "2031-05-01T10:10:00+00:00", "seatIds": ["a", "b"], "show": {"id": "s1"},
    "seats": [], "generalAdmission": [], "segment": {"from": 1, "to": 3},
    "lines": [], "total": money(3000), "discount": money(0), "promoCode": None}


class Recorder:
    """Answers every request with ``data`` and keeps each request's JSON body."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.sent: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(json.loads(request.content))
        return httpx.Response(200, json={"data": self.data})


def client(recorder: Recorder) -> AsyncClient:
    return AsyncClient("http://tf.test/graphql", token="t",
                       transport=httpx.MockTransport(recorder))


async def test_create_show_sends_the_input_as_the_schema_names_it() -> None:
    recorder = Recorder({"createShow": SHOW})
    async with client(recorder) as tf:
        show = await tf.create_show(
            "Night Train", datetime(2031, 5, 1, 19, tzinfo=UTC), venue_id="v1",
            kind=ShowKind.TRAIN, price_tiers={"STANDARD": 1500}, currency="EUR",
            stops=["Paris", Stop("Berlin", datetime(2031, 5, 2, 7, tzinfo=UTC))],
            idempotency_key="k1")
    [sent] = recorder.sent
    assert sent["variables"] == {"idempotencyKey": "k1", "input": {
        "title": "Night Train", "startsAt": "2031-05-01T19:00:00Z", "endsAt": None,
        "venueId": "v1", "hallId": None, "kind": "TRAIN", "currency": "EUR", "price": None,
        "priceTiers": [{"category": "STANDARD", "amount": 1500}],
        "stops": [{"name": "Paris", "departsAt": None},
                  {"name": "Berlin", "departsAt": "2031-05-02T07:00:00Z"}]}}
    assert type(show) is Show and show.venue_name == "Central"
    assert show.price == Money(1500, "EUR") and show.stops[1] == Stop("Berlin", None)
    assert (show.legs[0].from_stop, show.legs[0].to_stop) == ("Paris", "Berlin")
    assert show.starts_at == datetime(2031, 5, 1, 19, tzinfo=UTC)
    assert show.venue_time_zone == "Europe/Paris"
    assert show.local_starts_at.isoformat() == "2031-05-01T21:00:00+02:00"


VENUE = {"id": "v1", "name": "Roxy", "ownerId": "u1", "timeZone": "Europe/Berlin",
         "halls": [{"id": "h1", "name": "Main", "kind": "OTHER", "sections": []}]}


async def test_create_venue_and_set_venue_time_zone_send_the_zone_as_the_schema_names_it(
        ) -> None:
    recorder = Recorder({"createVenue": VENUE,
                         "setVenueTimeZone": {**VENUE, "timeZone": "Europe/Lisbon"}})
    async with client(recorder) as tf:
        venue = await tf.create_venue("Roxy", [RowSpec("A", 2)], time_zone="Europe/Berlin",
                                      idempotency_key="k1")
        moved = await tf.set_venue_time_zone("v1", "Europe/Lisbon")
    created, corrected = recorder.sent
    assert created["variables"] == {"idempotencyKey": "k1", "input": {
        "name": "Roxy", "timeZone": "Europe/Berlin",
        "rows": [{"label": "A", "seats": 2, "category": "STANDARD"}]}}
    assert "timeZone" in created["query"]
    assert corrected["variables"] == {"venueId": "v1", "timeZone": "Europe/Lisbon"}
    assert (venue.time_zone, moved.time_zone) == ("Europe/Berlin", "Europe/Lisbon")


async def test_a_hold_is_the_plain_immutable_model_whatever_union_it_came_in() -> None:
    recorder = Recorder({"holdSeats": HOLD})
    async with client(recorder) as tf:
        hold = await tf.hold_seats("s1", ["a", "b"], segment=(1, 3))
        again = await tf.hold_seats("s1", ["a", "b"], segment=Segment(1, 3))
    assert [r["variables"]["segment"] for r in recorder.sent] == [{"from": 1, "to": 3}] * 2
    assert type(hold) is SeatHold and hold == again
    assert (hold.show_id, hold.seat_ids, hold.segment, hold.total) == (
        "s1", ("a", "b"), Segment(1, 3), Money(3000, "EUR"))
    with pytest.raises(ValidationError):
        hold.status = "RELEASED"  # type: ignore[misc]


async def test_a_typed_outcome_is_raised() -> None:
    recorder = Recorder({"holdSeats": {"__typename": "SeatsUnavailable",
                                       "code": "SEATS_UNAVAILABLE", "message": "Taken.",
                                       "seatIds": ["b"]}})
    async with client(recorder) as tf:
        with pytest.raises(SeatsUnavailable) as taken:
            await tf.hold_seats("s1", ["a", "b"])
    assert taken.value.seat_ids == ("b",)


@pytest.mark.parametrize(("call", "field"), [
    ({"kind": "OPERA"}, "kind"),
    ({"venue_id": 5}, "venueId"),
])
async def test_bad_input_is_refused_before_anything_is_sent(call: dict[str, Any],
                                                            field: str) -> None:
    recorder = Recorder({})
    async with client(recorder) as tf:
        with pytest.raises(BadUserInput) as bad:
            await tf.shows(**call)
    assert bad.value.field == field
    assert recorder.sent == []


async def test_a_bad_value_is_named_by_its_input_type_and_field() -> None:
    recorder = Recorder({})
    async with client(recorder) as tf:
        with pytest.raises(BadUserInput) as bad:
            await tf.create_show("Gala", datetime(2031, 5, 1, tzinfo=UTC), venue_id="v1",
                                 price_tiers={"STANDARD": "a lot"})  # type: ignore[dict-item]
    assert bad.value.field == "amount" and recorder.sent == []
    assert bad.value.message.startswith("PriceTierInput.amount: ")


async def test_an_unknown_payment_provider_is_refused_before_anything_is_sent() -> None:
    recorder = Recorder({})
    async with client(recorder) as tf:
        with pytest.raises(BadUserInput) as bad:
            await tf.start_payment("b1", "PAYPAL")
    assert bad.value.field == "provider" and recorder.sent == []
