"""The Python SDK's own logic: live seat maps folded from messages, errors mapped from
answers, retries that reuse one idempotency key, one refresh at a time."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from tenacity import RetryCallState
from ticketflow_sdk import (
    AsyncClient,
    BadUserInput,
    Booking,
    Client,
    Conflict,
    Forbidden,
    HoldExpired,
    InternalError,
    Money,
    NotFound,
    PaymentFailed,
    RateLimited,
    SeatMap,
    SeatStatus,
    SeatsUnavailable,
    Segment,
    Show,
    SoldOut,
    SubgraphUnavailable,
    TicketFlowError,
    Tokens,
    TransportError,
    Unauthenticated,
)
from ticketflow_sdk._http import backoff_wait, should_retry
from ticketflow_sdk.errors import error_from_graphql, error_from_member, is_expired_token
from ticketflow_sdk.live import SeatCounts, VersionGap, apply_event
from ticketflow_sdk.tokens import TokenKeeper, token_expired

# --- live seat maps ----------------------------------------------------------------------


def event(kind: str, version: int, seats: list[tuple[str, str]] | list[dict[str, Any]],
          counts: tuple[int, int, int, int] = (3, 3, 0, 0)) -> dict[str, Any]:
    total, available, held, sold = counts
    return {
        "showId": "show-1", "kind": kind, "version": version,
        "seats": [s if isinstance(s, dict) else {"seatId": s[0], "state": s[1], "legs": []}
                  for s in seats],
        "availability": {"total": total, "available": available, "held": held, "sold": sold},
        "generalAdmission": [{"sectionId": "floor", "key": "floor", "name": "Floor",
                              "capacity": 100, "available": 100 - version, "held": version,
                              "sold": 0}]}


SNAPSHOT = event("SNAPSHOT", 7, [("a", "AVAILABLE"), ("b", "AVAILABLE"), ("c", "SOLD")],
                 (3, 2, 0, 1))


def test_a_snapshot_is_the_whole_state() -> None:
    state = apply_event(None, SNAPSHOT)
    assert state is not None
    assert (state.show_id, state.version, state.kind) == ("show-1", 7, "SNAPSHOT")
    assert state.seats == {"a": "AVAILABLE", "b": "AVAILABLE", "c": "SOLD"}
    assert state.counts == SeatCounts(3, 2, 0, 1)
    assert state.changed == ("a", "b", "c")
    assert state.general_admission[0].held == 7


def test_a_delta_with_the_next_version_changes_only_its_seats() -> None:
    before = apply_event(None, SNAPSHOT)
    after = apply_event(before, event("DELTA", 8, [("b", "HELD")], (3, 1, 1, 1)))
    assert after is not None and before is not None
    assert after.seats == {"a": "AVAILABLE", "b": "HELD", "c": "SOLD"}
    assert (after.version, after.kind, after.changed) == (8, "DELTA", ("b",))
    assert after.counts == SeatCounts(3, 1, 1, 1)
    assert after.seats_in(SeatStatus.HELD) == ["b"]
    assert before.seats["b"] == "AVAILABLE"  # states are values: the old one is unchanged


def test_a_delta_that_skips_a_version_is_a_gap() -> None:
    with pytest.raises(VersionGap):
        apply_event(apply_event(None, SNAPSHOT), event("DELTA", 9, [("b", "HELD")]))


def test_a_delta_before_any_snapshot_is_a_gap() -> None:
    with pytest.raises(VersionGap):
        apply_event(None, event("DELTA", 8, [("b", "HELD")]))


def test_a_repeated_delta_changes_nothing() -> None:
    state = apply_event(None, SNAPSHOT)
    assert apply_event(state, event("DELTA", 7, [("b", "HELD")])) is None
    assert apply_event(state, event("DELTA", 5, [("b", "HELD")])) is None


def test_a_fresh_snapshot_replaces_a_state_whatever_its_version() -> None:
    state = apply_event(None, SNAPSHOT)
    fresh = apply_event(state, event("SNAPSHOT", 12, [("a", "HELD"), ("b", "SOLD"),
                                                      ("c", "SOLD")], (3, 0, 1, 2)))
    assert fresh is not None
    assert (fresh.version, fresh.kind, dict(fresh.seats)) == (
        12, "SNAPSHOT", {"a": "HELD", "b": "SOLD", "c": "SOLD"})


def test_on_a_segment_seats_and_counts_come_from_the_legs() -> None:
    # Legs 0-1, 1-2, 2-3; the segment from stop 1 to stop 3 covers legs 1 and 2.
    def seat(seat_id: str, legs: list[str]) -> dict[str, Any]:
        return {"seatId": seat_id, "state": "SOLD", "legs": legs}

    snapshot = event("SNAPSHOT", 1, [seat("a", ["SOLD", "AVAILABLE", "AVAILABLE"]),
                                     seat("b", ["AVAILABLE", "HELD", "AVAILABLE"]),
                                     seat("c", ["AVAILABLE", "AVAILABLE", "SOLD"])],
                     (3, 0, 0, 3))
    state = apply_event(None, snapshot, Segment(1, 3))
    assert state is not None
    assert dict(state.seats) == {"a": "AVAILABLE", "b": "HELD", "c": "SOLD"}
    assert state.counts == SeatCounts(3, 1, 1, 1)
    after = apply_event(state, event("DELTA", 2, [seat("a", ["SOLD", "HELD", "AVAILABLE"])]),
                        Segment(1, 3))
    assert after is not None
    assert after.seats["a"] == "HELD" and after.counts == SeatCounts(3, 0, 2, 1)


def test_a_seat_map_joins_the_compact_map_with_the_states() -> None:
    compact = {
        "hallId": "hall-1", "categories": ["STANDARD", "PREMIUM"],
        "sections": [{"id": "s1", "key": "stalls", "name": "Stalls", "generalAdmission": False,
                      "capacity": None, "category": None}],
        "seats": {"id": ["a", "b"], "label": ["A1", "A2"], "row": ["A", "A"], "x": [0, 10],
                  "y": [0, 0], "category": [0, 1], "section": [0, 0], "flags": [1, 2]}}
    seat_map = SeatMap.from_graphql("show-1", compact,
                                    [{"seatId": "a", "state": "HELD", "legs": []}])
    a, b = seat_map.seats
    assert (a.label, a.row, a.category, a.x, a.section_id, a.accessible, a.state) == (
        "A1", "A", "STANDARD", 0, "s1", True, "HELD")
    assert (b.category, b.blocked, b.state) == ("PREMIUM", True, None)  # not for sale
    assert seat_map.seat("b") == b


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "cls"), [
    ("UNAUTHENTICATED", Unauthenticated), ("FORBIDDEN", Forbidden),
    ("BAD_USER_INPUT", BadUserInput), ("NOT_FOUND", NotFound), ("CONFLICT", Conflict),
    ("RATE_LIMITED", RateLimited), ("INTERNAL", InternalError),
    ("SUBGRAPH_UNAVAILABLE", SubgraphUnavailable),
    ("SEATS_UNAVAILABLE", SeatsUnavailable), ("SOLD_OUT", SoldOut),
    ("HOLD_EXPIRED", HoldExpired), ("PAYMENT_FAILED", PaymentFailed)])
def test_each_error_code_has_its_class(code: str, cls: type[TicketFlowError]) -> None:
    error = error_from_graphql({"message": "No.", "extensions": {"code": code}})
    assert type(error) is cls
    assert (error.code, error.message, error.extensions) == (code, "No.", {"code": code})


def test_error_details_come_from_the_extensions() -> None:
    bad = error_from_graphql({"message": "x", "extensions": {
        "code": "BAD_USER_INPUT", "field": "seatMap.sections[1].key"}})
    assert isinstance(bad, BadUserInput) and bad.field == "seatMap.sections[1].key"
    limited = error_from_graphql({"message": "x", "extensions": {
        "code": "RATE_LIMITED", "retryAfter": 42}})
    assert isinstance(limited, RateLimited) and limited.retry_after == 42
    down = error_from_graphql({"message": "x", "extensions": {
        "code": "SUBGRAPH_UNAVAILABLE", "serviceName": "booking", "retryable": True,
        "reason": "TIMEOUT"}})
    assert isinstance(down, SubgraphUnavailable)
    assert (down.service_name, down.reason, down.retryable) == ("booking", "TIMEOUT", True)
    bug = error_from_graphql({"message": "x", "extensions": {
        "code": "INTERNAL", "requestId": "r-1"}})
    assert isinstance(bug, InternalError) and bug.request_id == "r-1" and not bug.retryable


def test_an_unknown_code_is_a_plain_ticketflow_error() -> None:
    error = error_from_graphql({"message": "Cannot query field", "extensions": {
        "code": "GRAPHQL_VALIDATION_FAILED"}})
    assert type(error) is TicketFlowError and error.code == "GRAPHQL_VALIDATION_FAILED"


def test_typed_results_become_exceptions() -> None:
    taken = error_from_member({"__typename": "SeatsUnavailable", "code": "SEATS_UNAVAILABLE",
                               "message": "Taken.", "seatIds": ["a", "b"]})
    assert isinstance(taken, SeatsUnavailable) and taken.seat_ids == ("a", "b")
    sold_out = error_from_member({"__typename": "SoldOut", "code": "SOLD_OUT",
                                  "message": "Gone.", "available": 3})
    assert isinstance(sold_out, SoldOut) and sold_out.available == 3
    lapsed = error_from_member({"__typename": "HoldExpired", "code": "HOLD_EXPIRED",
                                "message": "Lapsed.", "holdId": "h1"})
    assert isinstance(lapsed, HoldExpired) and lapsed.hold_id == "h1"
    assert error_from_member({"__typename": "SeatHold", "id": "h1"}) is None


def test_payment_outcomes_become_exceptions_carrying_the_payment() -> None:
    payment: Any = object()  # stands for the parsed Payment
    declined = error_from_member({"__typename": "PaymentDeclined", "code": "PAYMENT_FAILED",
                                  "message": "Declined.", "reason": "card_declined",
                                  "payment": {"id": "p1"}}, payment)
    assert isinstance(declined, PaymentFailed)
    assert (declined.reason, declined.payment, declined.code) == (
        "card_declined", payment, "PAYMENT_FAILED")
    assert "payment" not in declined.extensions
    closed = error_from_member({"__typename": "PaymentWindowClosed", "code": "HOLD_EXPIRED",
                                "message": "Too late."}, payment)
    assert isinstance(closed, HoldExpired) and closed.payment is payment


def jwt(exp: float) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'EdDSA'})}.{part({'exp': exp, 'sub': 'u'})}.c2ln"


def test_an_expired_token_is_told_by_the_answer_or_by_its_exp() -> None:
    assert is_expired_token(Unauthenticated("The access token has expired."))
    assert not is_expired_token(Unauthenticated("This session has ended; sign in again."))
    assert not is_expired_token(Forbidden("The access token has expired."))
    assert token_expired(jwt(time.time() - 1))
    assert not token_expired(jwt(time.time() + 60))
    assert not token_expired("not a jwt")


# --- retries and idempotency keys -------------------------------------------------------


@pytest.mark.parametrize(("error", "idempotent", "retried"), [
    (TransportError("refused", sent=False), False, True),
    (TransportError("read timeout", sent=True), False, False),
    (TransportError("read timeout", sent=True), True, True),
    (TransportError("HTTP 400", status=400, retryable=False), True, False),
    (Conflict("taken"), True, False),
    (SubgraphUnavailable("booking did not answer", {"retryable": True}), True, True),
    (SubgraphUnavailable("booking did not answer", {"retryable": True}), False, False),
    (SubgraphUnavailable("no flag, no retry"), True, False),
    (InternalError("a bug"), True, False),
])
def test_what_is_retried(error: Exception, idempotent: bool, retried: bool) -> None:
    assert should_retry(error, idempotent=idempotent) is retried


def money(amount: int = 2000) -> dict[str, Any]:
    return {"amount": amount, "currency": "EUR"}


BOOKING = {
    "__typename": "Booking", "id": "b1", "status": "PENDING_PAYMENT",
    "createdAt": "2030-01-01T10:00:00+00:00",
    "show": {"id": "s1", "title": "Show", "startsAt": "2030-01-01T19:00:00+00:00"},
    "total": money(), "segment": None, "lines": [{"seatId": "a", "label": "A1",
                                                  "price": money()}],
    "generalAdmission": [], "payment": None}
HOLD = {
    "id": "h1", "status": "RELEASED", "expiresAt": "2030-01-01T10:10:00+00:00",
    "seatIds": ["a"], "show": {"id": "s1"}, "seats": [], "generalAdmission": [],
    "segment": None, "lines": [], "total": money(0), "discount": money(0),
    "promoCode": None}


class Script:
    """Answers requests in turn: an httpx exception is raised, a response is returned."""

    def __init__(self, *answers: Exception | httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def keys(self) -> list[str]:
        return [r["variables"]["idempotencyKey"] for r in self.requests]


def client(script: Script) -> AsyncClient:
    return AsyncClient("http://tf.test/graphql", token="t", retries=3, backoff=0.001,
                       transport=httpx.MockTransport(script))


async def test_a_retried_checkout_sends_the_same_idempotency_key_every_time() -> None:
    script = Script(httpx.ReadTimeout("slow"), httpx.Response(503, text="busy"),
                    httpx.Response(200, json={"data": {"checkout": BOOKING}}),
                    httpx.Response(200, json={"data": {"checkout": BOOKING}}))
    async with client(script) as tf:
        booking = await tf.checkout("h1")
        again = await tf.checkout("h1")
    assert isinstance(booking, Booking) and booking.id == again.id == "b1"
    first, second, third, other = script.keys()
    assert first == second == third  # one call: one key, whatever the attempts
    assert other != first  # another call: another key


async def test_a_key_the_caller_gives_is_the_one_sent() -> None:
    script = Script(httpx.ConnectError("refused"),
                    httpx.Response(200, json={"data": {"checkout": BOOKING}}))
    async with client(script) as tf:
        await tf.checkout("h1", idempotency_key="mine")
    assert script.keys() == ["mine", "mine"]


async def test_a_call_without_a_key_is_retried_only_when_nothing_was_sent() -> None:
    lost = Script(httpx.ReadTimeout("slow"))
    async with client(lost) as tf:
        with pytest.raises(TransportError) as failed:
            await tf.release_hold("h1")
    assert failed.value.sent and len(lost.requests) == 1

    refused = Script(httpx.ConnectError("refused"),
                     httpx.Response(200, json={"data": {"releaseHold": HOLD}}))
    async with client(refused) as tf:
        hold = await tf.release_hold("h1")
    assert hold.status == "RELEASED" and len(refused.requests) == 2


async def test_retries_give_up_with_a_transport_error() -> None:
    script = Script(*[httpx.Response(502, text="bad gateway")] * 4)
    async with client(script) as tf:
        with pytest.raises(TransportError) as failed:
            await tf.checkout("h1")
    assert failed.value.status == 502 and len(script.requests) == 4


def unavailable(service: str = "booking", reason: str = "TIMEOUT") -> httpx.Response:
    return httpx.Response(200, json={"data": None, "errors": [{
        "message": f"{service} did not answer.", "extensions": {
            "code": "SUBGRAPH_UNAVAILABLE", "serviceName": service, "retryable": True,
            "reason": reason}}]})


async def test_a_retryable_answer_is_retried_with_the_same_idempotency_key() -> None:
    script = Script(unavailable(), unavailable(reason="CIRCUIT_OPEN"),
                    httpx.Response(200, json={"data": {"checkout": BOOKING}}))
    async with client(script) as tf:
        booking = await tf.checkout("h1")
    assert booking.id == "b1"
    first, second, third = script.keys()
    assert first == second == third


async def test_retryable_answers_are_retried_a_bounded_number_of_times() -> None:
    script = Script(*[unavailable()] * 4)
    async with client(script) as tf:  # retries=3: four attempts
        with pytest.raises(SubgraphUnavailable) as failed:
            await tf.checkout("h1")
    assert failed.value.service_name == "booking" and len(script.requests) == 4
    once = Script(unavailable())
    async with AsyncClient("http://tf.test/graphql", token="t", retries=0,
                           transport=httpx.MockTransport(once)) as tf:
        with pytest.raises(SubgraphUnavailable):
            await tf.checkout("h1")
    assert len(once.requests) == 1


async def test_a_retryable_answer_to_an_unkeyed_mutation_is_not_retried() -> None:
    script = Script(unavailable())
    async with client(script) as tf:
        with pytest.raises(SubgraphUnavailable):
            await tf.release_hold("h1")  # releaseHold carries no key: it may have happened
    assert len(script.requests) == 1


def test_the_backoff_doubles_with_jitter_up_to_its_ceiling() -> None:
    wait = backoff_wait(0.25, 1.0)
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]

    def waits(attempt: int) -> list[float]:
        state.attempt_number = attempt
        return [wait(state) for _ in range(200)]

    first, second, late = waits(1), waits(2), waits(8)
    assert all(0.25 <= w <= 0.5 for w in first) and len(set(first)) > 1  # jittered
    assert all(0.5 <= w <= 0.75 for w in second)
    assert all(w == 1.0 for w in late)  # capped


def test_bad_retry_settings_are_refused() -> None:
    for options in ({"retries": -1}, {"backoff": -0.1}, {"backoff": 2.0, "max_backoff": 1.0}):
        with pytest.raises(ValueError, match="retries and backoff"):
            AsyncClient("http://tf.test/graphql", **options)  # type: ignore[arg-type]


# --- one refresh at a time ---------------------------------------------------------------


async def test_concurrent_expiries_refresh_once_and_share_the_new_tokens() -> None:
    seen: list[Tokens | None] = []
    keeper = TokenKeeper(Tokens("old", "r1"), seen.append)
    spent: list[str] = []

    async def exchange(refresh_token: str) -> Tokens:
        spent.append(refresh_token)
        await asyncio.sleep(0.01)
        return Tokens("new", "r2")

    results = await asyncio.gather(*(keeper.refresh("old", exchange) for _ in range(5)))
    assert results == [True] * 5
    assert spent == ["r1"]
    assert keeper.access_token == "new" and seen == [Tokens("new", "r2")]


async def test_a_refused_refresh_ends_the_session() -> None:
    seen: list[Tokens | None] = []
    keeper = TokenKeeper(Tokens("old", "spent"), seen.append)

    async def exchange(refresh_token: str) -> Tokens:
        raise Unauthenticated("This session has ended; sign in again.")

    with pytest.raises(Unauthenticated):
        await keeper.refresh("old", exchange)
    assert keeper.tokens is None and seen == [None]
    assert not await TokenKeeper(Tokens("t"), None).refresh("t", exchange)  # nothing to spend


def test_the_synchronous_client_offers_every_method_of_the_async_one() -> None:
    public = {name for name, value in vars(AsyncClient).items()
              if callable(value) and not name.startswith("_")}
    assert public - set(dir(Client)) == {"aclose"}  # Client.close stops its thread too


@pytest.mark.parametrize(("money", "major", "reads"), [
    (Money(1250, "EUR"), Decimal("12.50"), "12.50 EUR"),
    (Money(12345, "KWD"), Decimal("12.345"), "12.345 KWD"),
    (Money(1250, "JPY"), Decimal("1250"), "1250 JPY"),
    (Money(5, "TND"), Decimal("0.005"), "0.005 TND"),
], ids=["two decimals", "three decimals", "no decimals", "fils"])
def test_money_reads_in_the_currencys_own_digits(money: Money, major: Decimal,
                                                 reads: str) -> None:
    assert money.major == major and str(money.major) == str(major)
    assert str(money) == reads


@pytest.mark.parametrize(("zone", "local"), [
    ("Europe/Berlin", "2031-07-01T20:00:00+02:00"), ("Asia/Tokyo", "2031-07-02T03:00:00+09:00"),
    ("UTC", "2031-07-01T18:00:00+00:00")])
def test_a_show_starts_at_the_venues_local_time(zone: str, local: str) -> None:
    data = {"id": "s", "title": "T", "kind": "CONCERT", "status": "ON_SALE",
            "startsAt": "2031-07-01T18:00:00+00:00", "localStartsAt": local,
            "endsAt": "2031-07-01T20:00:00+00:00", "currency": "EUR", "venueId": "v",
            "hallId": "h", "venue": {"name": "Hall", "timeZone": zone},
            "price": {"amount": 1, "currency": "EUR"}, "priceTiers": [], "stops": [],
            "legs": [], "availability": None}
    show = Show.model_validate(data)
    assert show.venue_time_zone == zone
    assert show.local_starts_at.isoformat() == local  # the venue's offset is kept
    assert show.local_starts_at == show.starts_at  # the same moment
    assert show.local_starts_at.utcoffset() == show.starts_at.astimezone(ZoneInfo(zone)).utcoffset()
