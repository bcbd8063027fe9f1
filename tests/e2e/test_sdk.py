"""The Python SDK against the real stack, through the router: a customer's whole journey,
an organizer's venue and show, typed failures, live seat maps that survive a dropped
connection, the synchronous client, and (on a deployment of this module's own whose
access tokens last two seconds) tokens refreshed without the caller noticing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ticketflow_sdk import (
    AlreadyCheckedIn,
    AsyncClient,
    BadUserInput,
    BookingStatus,
    CheckedIn,
    Client,
    Conflict,
    Forbidden,
    Money,
    NotFound,
    PaymentFailed,
    PaymentStatus,
    PromoCodeKind,
    PromoCodeRejected,
    RowSpec,
    SeatMapState,
    SeatStatus,
    SeatsUnavailable,
    SeatWatch,
    Segment,
    Show,
    ShowStatus,
    SoldOut,
    TicketRefused,
    Tokens,
    Unauthenticated,
    live,
)
from ticketflow_sdk.live import apply_event

from tests.conftest import own_processes
from tests.flows import PASSWORD, Actors, new_user
from tests.harness import Processes, Stack, eventually, restart_router
from tests.payments import DECLINED, SUCCEEDS

ROOT = Path(__file__).resolve().parents[2]
# How long a watcher waits for the state a change caused (generous, for a loaded machine).
WAIT = 30.0
TOKEN_SECONDS = 2


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def email() -> str:
    return f"sdk-{uuid.uuid4().hex[:10]}@example.com"


async def next_state(watch: SeatWatch) -> SeatMapState:
    return await asyncio.wait_for(anext(watch), WAIT)


async def show_for_sale(organizer: AsyncClient, seats_per_row: int = 10) -> Show:
    """A venue of two rows and a show in it, on sale, made with the SDK."""
    venue = await organizer.create_venue(unique("SDK Hall"), [
        RowSpec("A", seats_per_row), RowSpec("B", seats_per_row, "PREMIUM")], time_zone="UTC")
    show = await organizer.create_show(
        unique("SDK Show"), datetime(2031, 5, 1, 19, tzinfo=UTC), venue_id=venue.id,
        price_tiers={"STANDARD": 1500, "PREMIUM": 2500}, currency="EUR")
    return await organizer.publish_show(show.id)


@pytest.fixture(scope="module")
async def organizer(e2e: tuple[Stack, Processes], e2e_actors: Actors
                    ) -> AsyncIterator[AsyncClient]:
    stack, _ = e2e
    async with AsyncClient(stack.router_url, token=e2e_actors.organizer.token) as client:
        yield client


@pytest.fixture
async def customer(e2e: tuple[Stack, Processes]) -> AsyncIterator[AsyncClient]:
    """A customer who just registered through the SDK."""
    stack, _ = e2e
    async with AsyncClient(stack.router_url) as client:
        await client.register(email(), PASSWORD, "SDK Customer")
        yield client


async def test_a_customer_finds_a_show_holds_checks_out_pays_and_sees_it_confirmed(
        organizer: AsyncClient, customer: AsyncClient) -> None:
    on_sale = await show_for_sale(organizer)
    page = await customer.shows(text=on_sale.title)
    assert [s.id for s in page.shows] == [on_sale.id]
    found = page.shows[0]
    assert found.availability is not None and found.availability.available == 20
    assert found.price == Money(1500, "EUR")

    hold = await customer.hold_best_available(found.id, 2, category="STANDARD")
    assert len(hold.seat_ids) == 2 and hold.total == Money(3000, "EUR")
    booking = await customer.checkout(hold.id, idempotency_key="sdk-checkout")
    assert booking.status is BookingStatus.PENDING_PAYMENT
    # What a retry of the call sends: the same key, so the same booking and nothing new.
    assert (await customer.checkout(hold.id, idempotency_key="sdk-checkout")).id == booking.id
    payment = await customer.pay(booking.id, card=SUCCEEDS)
    assert payment.status is PaymentStatus.SUCCEEDED and payment.captured == Money(3000, "EUR")

    await customer.wait_for_booking(booking.id, BookingStatus.CONFIRMED)
    mine = await customer.my_bookings()
    assert [(b.id, b.status) for b in mine] == [(booking.id, BookingStatus.CONFIRMED)]
    assert mine[0].payment is not None and mine[0].payment.id == payment.id
    assert {line.seat_id for line in mine[0].lines} == set(hold.seat_ids)
    seats = await customer.seat_map(found.id)
    assert {s.id for s in seats.seats if s.state is SeatStatus.SOLD} == set(hold.seat_ids)


async def test_an_organizer_creates_a_venue_imports_a_hall_and_sells_a_show(
        organizer: AsyncClient) -> None:
    venue = await organizer.create_venue(unique("SDK Cinema"), time_zone="Europe/Berlin")
    assert venue.time_zone == "Europe/Berlin"
    assert (await organizer.set_venue_time_zone(venue.id, "Europe/Lisbon")).time_zone \
        == "Europe/Lisbon"
    hall = await organizer.import_seat_map(venue.id, ROOT / "samples/seatmaps/cinema.json")
    assert (await organizer.venue(venue.id)).halls == (hall,)
    draft = await organizer.create_show(
        unique("SDK Film"), datetime(2031, 6, 1, 20, tzinfo=UTC), hall_id=hall.id,
        kind="MOVIE", ends_at=datetime(2031, 6, 1, 22, tzinfo=UTC), currency="EUR",
        price_tiers={"STANDARD": 1200, "PREMIUM": 1800, "WHEELCHAIR": 1200})
    assert (draft.status, draft.availability) == (ShowStatus.DRAFT, None)
    # 20:00 UTC on 1 June is 21:00 in Lisbon (WEST, +01:00), the venue's corrected zone
    assert draft.venue_time_zone == "Europe/Lisbon"
    assert draft.local_starts_at.isoformat() == "2031-06-01T21:00:00+01:00"

    on_sale = await organizer.publish_show(draft.id)
    assert on_sale.status is ShowStatus.ON_SALE and on_sale.availability is not None
    seat_map = await organizer.seat_map(on_sale.id)
    for_sale = [s for s in seat_map.seats if not s.blocked]
    assert for_sale and all(s.state is SeatStatus.AVAILABLE for s in for_sale)
    assert len(for_sale) == on_sale.availability.total
    assert {s.category for s in seat_map.seats} == {"STANDARD", "PREMIUM", "WHEELCHAIR"}

    cancelled = await organizer.cancel_show(on_sale.id)
    assert cancelled.status is ShowStatus.CANCELLED


async def test_expected_failures_are_typed_exceptions(
        organizer: AsyncClient, customer: AsyncClient, e2e: tuple[Stack, Processes]) -> None:
    on_sale = await show_for_sale(organizer, seats_per_row=3)
    seats = [s.id for s in (await customer.seat_map(on_sale.id)).seats]
    held = await customer.hold_seats(on_sale.id, seats[:2])
    async with AsyncClient(e2e[0].router_url) as rival:
        await rival.register(email(), PASSWORD, "Rival")
        with pytest.raises(SeatsUnavailable) as taken:
            await rival.hold_seats(on_sale.id, seats[1:3])
        assert taken.value.seat_ids == (seats[1],)
        with pytest.raises(SoldOut) as sold_out:
            await rival.hold_best_available(on_sale.id, 5)
        assert sold_out.value.available == 4
        with pytest.raises(Forbidden):
            await rival.create_venue("Not mine", time_zone="UTC")
    booking = await customer.checkout(held.id)
    with pytest.raises(PaymentFailed) as declined:
        await customer.pay(booking.id, card=DECLINED)
    assert declined.value.reason == "card_declined"
    assert declined.value.payment is not None
    assert declined.value.payment.status is PaymentStatus.FAILED
    with pytest.raises(BadUserInput) as bad:
        await organizer.import_seat_map(on_sale.venue_id, {"format": "ticketflow.seatmap/v1",
                                                            "name": "Empty", "sections": []})
    assert bad.value.field is not None and bad.value.field.startswith("seatMap")
    async with AsyncClient(e2e[0].router_url) as anonymous:
        with pytest.raises(Unauthenticated):
            await anonymous.my_bookings()
        with pytest.raises(NotFound):
            await next_state(anonymous.watch_seats(str(uuid.uuid4())))


async def test_a_watcher_sees_another_clients_hold(organizer: AsyncClient,
                                                   customer: AsyncClient,
                                                   e2e: tuple[Stack, Processes]) -> None:
    on_sale = await show_for_sale(organizer)
    async with AsyncClient(e2e[0].router_url) as watcher, \
            watcher.watch_seats(on_sale.id) as watch:
        first = await next_state(watch)
        assert first.kind == "SNAPSHOT" and first.counts.available == 20
        assert set(first.seats.values()) == {SeatStatus.AVAILABLE}
        hold = await customer.hold_best_available(on_sale.id, 3)
        seen = await next_state(watch)
    assert (seen.kind, seen.version) == ("DELTA", first.version + 1)
    assert sorted(seen.seats_in(SeatStatus.HELD)) == sorted(hold.seat_ids)
    assert sorted(seen.changed) == sorted(hold.seat_ids)
    assert (seen.counts.held, seen.counts.available) == (3, 17)


async def test_a_dropped_connection_is_resubscribed_from_a_fresh_snapshot(
        organizer: AsyncClient, customer: AsyncClient, e2e: tuple[Stack, Processes]) -> None:
    on_sale = await show_for_sale(organizer)
    async with AsyncClient(e2e[0].router_url) as watcher, \
            watcher.watch_seats(on_sale.id) as watch:
        first = await next_state(watch)
        assert watch._ws is not None
        await watch._ws.close()  # the connection drops under the watcher
        hold = await customer.hold_best_available(on_sale.id, 2)  # while nobody listens
        fresh = await next_state(watch)
        later = await customer.hold_best_available(on_sale.id, 1)
        after = await next_state(watch)
    assert watch.resubscriptions == 1
    assert fresh.kind == "SNAPSHOT" and fresh.version == first.version + 1
    assert sorted(fresh.seats_in(SeatStatus.HELD)) == sorted(hold.seat_ids)
    assert (after.kind, after.version) == ("DELTA", fresh.version + 1)
    assert sorted(after.seats_in(SeatStatus.HELD)) == sorted(hold.seat_ids + later.seat_ids)


async def test_a_skipped_version_is_resubscribed_from_a_fresh_snapshot(
        organizer: AsyncClient, customer: AsyncClient, e2e: tuple[Stack, Processes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    on_sale = await show_for_sale(organizer)
    lost: list[int] = []

    def losing_the_first_delta(state: SeatMapState | None, event: Mapping[str, Any],
                               segment: Segment | None = None) -> SeatMapState | None:
        if event["kind"] == "DELTA" and not lost:
            lost.append(event["version"])  # as if the message never arrived
            return None
        return apply_event(state, event, segment)

    monkeypatch.setattr(live, "apply_event", losing_the_first_delta)
    async with AsyncClient(e2e[0].router_url) as watcher, \
            watcher.watch_seats(on_sale.id) as watch:
        first = await next_state(watch)
        one = await customer.hold_best_available(on_sale.id, 1)
        two = await customer.hold_best_available(on_sale.id, 2)
        fresh = await next_state(watch)
    assert lost == [first.version + 1] and watch.resubscriptions == 1
    assert (fresh.kind, fresh.version) == ("SNAPSHOT", first.version + 2)
    assert sorted(fresh.seats_in(SeatStatus.HELD)) == sorted(one.seat_ids + two.seat_ids)


async def test_an_organizer_configures_pauses_and_resumes_a_shows_waiting_room(
        organizer: AsyncClient, customer: AsyncClient) -> None:
    on_sale = await show_for_sale(organizer, seats_per_row=2)
    assert await organizer.show_queue(on_sale.id) is None
    opens = datetime(2031, 4, 1, 9, tzinfo=UTC)
    queue = await organizer.configure_queue(on_sale.id, opens, rate_per_minute=60,
                                            require_verified_email=False)
    assert (queue.opens_at, queue.rate_per_minute, queue.auto, queue.paused, queue.opened,
            queue.require_verified_email) == (opens, 60, False, False, False, False)
    assert (queue.waiting, queue.admitted, queue.sold, queue.abandoned) == (0, 0, 0, 0)
    assert (await organizer.pause_queue(on_sale.id)).paused is True
    resumed = await organizer.resume_queue(on_sale.id)
    assert resumed.paused is False
    assert await organizer.show_queue(on_sale.id) == resumed

    with pytest.raises(BadUserInput) as bad:
        await organizer.configure_queue(on_sale.id, opens, rate_per_minute=0)
    assert bad.value.field == "input.ratePerMinute"
    with pytest.raises(ValueError, match="timezone-aware"):
        await organizer.configure_queue(on_sale.id, datetime(2031, 4, 1, 9))
    for refused in (customer.configure_queue(on_sale.id, opens, rate_per_minute=1),
                    customer.pause_queue(on_sale.id), customer.resume_queue(on_sale.id)):
        with pytest.raises(Forbidden):
            await refused
    assert await organizer.show_queue(on_sale.id) == resumed  # nothing changed


async def test_a_gate_app_lets_tickets_in_and_follows_the_door_list(
        organizer: AsyncClient, customer: AsyncClient) -> None:
    on_sale = await show_for_sale(organizer, seats_per_row=2)
    cursor = await organizer.check_in_changes_cursor(on_sale.id)
    hold = await customer.hold_best_available(on_sale.id, 2, category="STANDARD")
    booking = await customer.checkout(hold.id)
    await customer.pay(booking.id, card=SUCCEEDS)
    await customer.wait_for_booking(booking.id, BookingStatus.CONFIRMED)
    first, second = await eventually(lambda: customer.tickets(booking.id), timeout=WAIT)

    # One ticket a page: the keyset pages together list both, none let in yet.
    listed = [t async for t in organizer.iter_check_in_tickets(on_sale.id, page_size=1)]
    assert sorted(t.ticket_id for t in listed) == sorted([first.id, second.id])
    assert {(t.booking_id, t.holder.name, t.checked_in) for t in listed} == {
        (booking.id, "SDK Customer", None)}
    changes = await organizer.check_in_changes(on_sale.id, cursor, page_size=1)
    assert sorted((c.ticket.ticket_id, c.admits) for c in changes.items) == sorted(
        [(first.id, True), (second.id, True)])
    assert changes.cursor not in (None, cursor)
    later = await organizer.check_in_changes(on_sale.id, changes.cursor)
    assert (later.items, later.cursor) == ((), changes.cursor)

    let_in = await organizer.check_in(first.token, "main")
    assert isinstance(let_in, CheckedIn)
    assert (let_in.ticket_id, let_in.seat, let_in.gate) == (first.id, first.label, "main")
    again = await organizer.check_in(first.token, "side")
    assert isinstance(again, AlreadyCheckedIn)
    assert (again.ticket_id, again.at, again.gate) == (first.id, let_in.at, "main")
    forged = await organizer.check_in(first.token[:-4] + "AAAA", "main")
    assert isinstance(forged, TicketRefused) and forged.code == "BAD_SIGNATURE"
    with pytest.raises(Forbidden):
        await customer.check_in(second.token, "main")
    with pytest.raises(BadUserInput) as no_gate:
        await organizer.check_in(second.token, " ")
    assert no_gate.value.field == "gate"

    scanned = datetime.now(UTC) - timedelta(minutes=5)
    upload = await organizer.upload_check_ins(on_sale.id, [(second.id, scanned, "offline")])
    assert (upload.recorded, upload.unchanged, upload.admitted) == (1, 0, 2)
    assert (upload.conflicts, upload.refused) == ((), ())
    repeat = await organizer.upload_check_ins(on_sale.id, [(second.id, scanned, "offline")])
    assert (repeat.recorded, repeat.unchanged, repeat.admitted) == (0, 1, 2)
    with pytest.raises(BadUserInput) as not_a_ticket:
        await organizer.upload_check_ins(on_sale.id, [("nope", scanned, "offline")])
    assert not_a_ticket.value.field == "scans[0].ticketId"
    scans = await organizer.scans_after(on_sale.id, page_size=1)
    assert [(s.ticket_id, s.gate) for s in scans.items] == [(first.id, "main"),
                                                              (second.id, "offline")]
    assert (await organizer.scans_after(on_sale.id, scans.cursor)).items == ()
    with pytest.raises(Forbidden):
        await customer.scans_after(on_sale.id)


async def test_an_organizers_promo_code_discounts_a_hold(organizer: AsyncClient,
                                                         customer: AsyncClient) -> None:
    on_sale = await show_for_sale(organizer)
    code = f"SDK{uuid.uuid4().hex[:8].upper()}"
    promo = await organizer.create_promo_code(code, percent=20, show_ids=[on_sale.id])
    assert (promo.code, promo.kind, promo.percent, promo.show_ids, promo.active,
            promo.redeemed) == (code, PromoCodeKind.PERCENT, 20, (on_sale.id,), True, 0)
    hold = await customer.hold_best_available(on_sale.id, 2, category="STANDARD",
                                              promo_code=code)
    assert hold.promo_code == code
    assert (hold.discount, hold.total) == (Money(600, "EUR"), Money(2400, "EUR"))

    seats = [s.id for s in (await customer.seat_map(on_sale.id)).seats
             if s.state is SeatStatus.AVAILABLE]
    with pytest.raises(PromoCodeRejected) as rejected:
        await customer.hold_seats(on_sale.id, seats[:1], promo_code="NO-SUCH-CODE")
    assert (rejected.value.reason, rejected.value.promo_code) == ("NOT_FOUND", "NO-SUCH-CODE")
    availability = await customer.availability(on_sale.id)
    assert availability is not None and availability.held == 2  # nothing more held
    with pytest.raises(Forbidden):
        await customer.create_promo_code(f"C{code}", percent=10)
    with pytest.raises(BadUserInput):
        await organizer.create_promo_code("X", percent=10)
    with pytest.raises(BadUserInput) as both:
        await organizer.create_promo_code(f"B{code}", percent=10, amount=Money(100, "EUR"))
    assert both.value.field == "input.kind"
    with pytest.raises(Conflict):
        await organizer.create_promo_code(code, percent=10)


def test_the_synchronous_client_runs_a_simple_flow(e2e: tuple[Stack, Processes],
                                                   e2e_actors: Actors) -> None:
    stack, _ = e2e
    with Client(stack.router_url, token=e2e_actors.organizer.token) as organizer:
        venue = organizer.create_venue(unique("Sync Hall"), [RowSpec("A", 4)], time_zone="UTC")
        show = organizer.create_show(unique("Sync Show"), datetime(2031, 7, 1, tzinfo=UTC),
                                     venue_id=venue.id, price=Money(900, "EUR"))
        on_sale = organizer.publish_show(show.id)
        code = f"SYNC{uuid.uuid4().hex[:8].upper()}"
        assert organizer.create_promo_code(code, percent=10).code == code
    with Client(stack.router_url) as customer:
        user = customer.register(email(), PASSWORD, "Sync Customer")
        assert customer.me() == user
        assert [s.id for s in customer.shows(text=on_sale.title).shows] == [on_sale.id]
        seats = customer.seat_map(on_sale.id).seats
        watch = customer.watch_seats(on_sale.id)
        assert next(watch).counts.available == 4
        hold = customer.hold_seats(on_sale.id, [seats[0].id], promo_code=code)
        assert (hold.discount, hold.total) == (Money(90, "EUR"), Money(810, "EUR"))
        assert next(watch).seats[seats[0].id] is SeatStatus.HELD
        watch.close()
        assert customer.release_hold(hold.id).status == "RELEASED"
        assert customer.my_bookings() == ()


async def test_a_token_that_has_not_expired_is_not_refreshed(
        e2e: tuple[Stack, Processes]) -> None:
    stack, _ = e2e
    told: list[Tokens | None] = []
    async with AsyncClient(stack.router_url, on_tokens=told.append) as client:
        user = await client.register(email(), PASSWORD, "Long Tokens")
        assert await client.me() == user
        assert await client.my_bookings() == ()
        assert told == [client.tokens] and client.tokens is not None


# --- tokens that last two seconds --------------------------------------------------------


@pytest.fixture(scope="module")
async def short_tokens(mode: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[tuple[Stack, Processes]]:
    """The real processes and router, with access tokens that expire after two seconds."""
    async with own_processes(mode, tmp_path_factory, "sdk",
                             access_token_ttl_seconds=TOKEN_SECONDS) as running:
        yield running


async def expired(client: AsyncClient) -> None:
    """Wait until the client's access token has expired (the only way is to let it)."""
    assert client.tokens is not None and client.tokens.expires_at is not None
    await asyncio.sleep(max(0.0, (client.tokens.expires_at - datetime.now(UTC)
                                  + timedelta(seconds=0.5)).total_seconds()))


async def test_an_expired_access_token_is_refreshed_and_the_request_sent_again(
        short_tokens: tuple[Stack, Processes]) -> None:
    stack, _ = short_tokens
    told: list[Tokens | None] = []
    async with AsyncClient(stack.router_url, on_tokens=told.append) as client:
        user = await client.register(email(), PASSWORD, "Short Tokens")
        signed_in = client.tokens
        await expired(client)
        assert await client.me() == user
        assert await client.my_bookings() == ()
        # One refresh per expiry: a slow machine may let the refreshed two-second token
        # expire again before the second call, so there may be more than one, each new.
        assert told[0] == signed_in and len(told) >= 2
        assert all(t is not None for t in told)
        assert len({t.access_token for t in told if t}) == len(told)
        assert len({t.refresh_token for t in told if t}) == len(told)
        refreshed = told[-1]
        assert refreshed is not None

        # The saved session resumes in another client, which refreshes it and signs out.
        resumed: list[Tokens | None] = []
        await expired(client)
        async with AsyncClient(stack.router_url, token=refreshed.access_token,
                               refresh_token=refreshed.refresh_token,
                               on_tokens=resumed.append) as again:
            assert await again.me() == user
            await again.logout()
        assert len(resumed) >= 2 and resumed[-1] is None
        assert all(t is not None for t in resumed[:-1])

        # The first client's refresh token was spent by the other: its session is over.
        with pytest.raises(Unauthenticated):
            await client.me()
        assert client.tokens is None and told[-1] is None


async def test_a_watcher_refreshes_its_token_to_resubscribe_after_the_router_restarts(
        short_tokens: tuple[Stack, Processes]) -> None:
    stack, procs = short_tokens
    organizer_user = await new_user(stack, stack.router_url, "ORGANIZER")
    async with AsyncClient(stack.router_url) as organizer, \
            AsyncClient(stack.router_url) as customer:
        await organizer.login(organizer_user.email, PASSWORD)
        await expired(organizer)  # every organizer call below starts with a refresh
        on_sale = await show_for_sale(organizer)
        await customer.register(email(), PASSWORD, "Watcher")
        async with customer.watch_seats(on_sale.id) as watch:
            first = await next_state(watch)
            await expired(customer)
            stale = customer.tokens
            await restart_router(stack, procs)  # drops the connection; the token is stale
            hold = await organizer.hold_best_available(on_sale.id, 2)
            fresh = await next_state(watch)
        assert first.counts.available == 20
        assert fresh.kind == "SNAPSHOT" and watch.resubscriptions >= 1
        assert customer.tokens is not None and customer.tokens != stale  # refreshed to watch
        assert sorted(fresh.seats_in(SeatStatus.HELD)) == sorted(hold.seat_ids)

