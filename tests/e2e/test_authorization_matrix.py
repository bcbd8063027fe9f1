"""Every query and mutation, for every kind of caller, gives what docs/authorization.md says.

Root fields are called through the real router; entity fields with their own rule are
called by ``_entities`` on the owning subgraph, as the router would (and as an attacker
reaching a subgraph directly could). A root field of the supergraph without a row in the
document fails the test, and so does a row without an operation here.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema

from subgraphs.booking.queue_security import solve
from subgraphs.kernel.db import Database
from subgraphs.notification.models import Delivery
from tests.flows import CHECKOUT, HOLD, PASSWORD, Actors, make_actors, show_on_sale
from tests.harness import GraphQL, Processes, Stack, eventually
from tests.payments import CONFIRM, REFUND, START, SUCCEEDS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "authorization.md"
COLUMNS = ["anonymous", "customer", "other customer", "organizer", "other organizer", "admin"]
ROW = re.compile(r"^\| `(\w+)\.(\w+)` \|(.+)\|\s*$")

LOGIN = """mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }"""


def documented() -> dict[str, dict[str, str]]:
    """operation -> column -> expected answer, from docs/authorization.md."""
    table: dict[str, dict[str, str]] = {}
    for line in DOC.read_text().splitlines():
        m = ROW.match(line)
        if m:
            cells = [c.strip() for c in m.group(3).split("|")]
            assert len(cells) == len(COLUMNS), line
            table[f"{m.group(1)}.{m.group(2)}"] = dict(zip(COLUMNS, cells, strict=True))
    return table


def root_fields() -> set[str]:
    """Every Query and Mutation field of the composed supergraph (federation's own aside)."""
    sdl = (ROOT / "schema" / "supergraph.graphql").read_text()
    schema = build_schema(sdl, assume_valid=True)
    found = set()
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        found |= {f"{root.name}.{name}" for name in root.fields if not name.startswith("_")}
    return found


def answer(body: dict[str, Any], field: str) -> str:
    """``ok``, ``null`` or the error code, as the document writes them."""
    errors = body.get("errors") or []
    if errors:
        return str(errors[0].get("extensions", {}).get("code"))
    data = body.get("data") or {}
    value = data.get(field) if field in data else data
    if field == "_entities":
        value = value[0] if value else None
        return "null" if value is None or all(v is None for v in value.values()) else "ok"
    return "null" if value is None else "ok"


@dataclass
class World:
    """What the rows act on: owned venue, show, hold, booking and payment, and callers."""

    stack: Stack
    router: GraphQL
    actors: Actors
    tokens: dict[str, str | None]
    emails: dict[str, str | None]
    venue_id: str
    hall_id: str
    show_id: str
    seat_ids: list[str]
    booking_id: str
    payment_id: str
    ga_show_id: str = ""
    ga_section_id: str = ""
    best_show_id: str = ""
    refund_id: str = ""
    queue_show_id: str = ""
    queue_ticket_id: str = ""

    async def fresh_session(self, who: str) -> tuple[str | None, str]:
        """A new access token and refresh token for ``who`` (anonymous: the customer's
        refresh token, no access token)."""
        email = self.emails[who] or self.emails["customer"]
        data = await self.router.data(LOGIN, {"i": {"email": email, "password": PASSWORD}})
        access = None if who == "anonymous" else data["login"]["accessToken"]
        return access, data["login"]["refreshToken"]

    async def hold(self, seat_index: int) -> str:
        data = await self.router.data(HOLD, {"show": self.show_id,
                                             "seats": [self.seat_ids[seat_index]]},
                                      self.actors.customer.token)
        return str(data["holdSeats"]["id"])

    async def pending_booking(self, seat_index: int) -> str:
        """A new booking of the customer's, awaiting payment: its id."""
        hold = await self.hold(seat_index)
        booked = await self.router.data(CHECKOUT, {"hold": hold, "key": uuid.uuid4().hex},
                                        self.actors.customer.token)
        return str(booked["checkout"]["id"])

    async def started_payment(self, seat_index: int) -> tuple[str, str]:
        """A new booking of the customer's and its payment, started by the customer."""
        booking_id = await self.pending_booking(seat_index)
        started = await self.router.data(START, {"booking": booking_id},
                                         self.actors.customer.token)
        return booking_id, str(started["startPayment"]["id"])

    async def paid_booking(self, seat_index: int) -> str:
        """A new booking the customer paid for, once CONFIRMED: its payment's id."""
        booking_id, payment_id = await self.started_payment(seat_index)
        paid = await self.router.data(CONFIRM, {"id": payment_id, "card": SUCCEEDS},
                                      self.actors.customer.token)
        assert paid["confirmPayment"]["__typename"] == "Payment", paid
        token = self.actors.customer.token

        async def confirmed() -> bool:
            body = await self.router.data("query($id: ID!) { booking(id: $id) { status } }",
                                          {"id": booking_id}, token)
            return bool(body["booking"]["status"] == "CONFIRMED")

        await eventually(confirmed)
        return payment_id


Op = Callable[[World, str], Awaitable[dict[str, Any]]]
OPS: dict[str, tuple[str, Op]] = {}


def op(name: str, field: str) -> Callable[[Op], Op]:
    def register(fn: Op) -> Op:
        OPS[name] = (field, fn)
        return fn
    return register


def q(query: str, variables: dict[str, Any] | None = None) -> Op:
    async def run(w: World, who: str) -> dict[str, Any]:
        return await w.router.run(query, variables(w) if callable(variables) else variables,
                                  w.tokens[who])
    return run


OPS["Query.me"] = ("me", q("{ me { id } }"))
OPS["Query.mySessions"] = ("mySessions", q("{ mySessions { id current } }"))
OPS["Query.shows"] = ("shows", q("{ shows { nodes { id } } }"))
OPS["Query.show"] = ("show", q("query($id: ID!) { show(id: $id) { id } }",
                               lambda w: {"id": w.show_id}))  # type: ignore[arg-type]
OPS["Query.venues"] = ("venues", q("{ venues { id } }"))
OPS["Query.venue"] = ("venue", q("query($id: ID!) { venue(id: $id) { id } }",
                                 lambda w: {"id": w.venue_id}))  # type: ignore[arg-type]
OPS["Query.booking"] = ("booking", q("query($id: ID!) { booking(id: $id) { id } }",
                                     lambda w: {"id": w.booking_id}))  # type: ignore[arg-type]
OPS["Query.payment"] = ("payment", q("query($id: ID!) { payment(id: $id) { id } }",
                                     lambda w: {"id": w.payment_id}))  # type: ignore[arg-type]


@op("Mutation.register", "register")
async def _register(w: World, who: str) -> dict[str, Any]:
    email = f"matrix-{uuid.uuid4().hex[:10]}@example.com"
    return await w.router.run(
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        {"i": {"email": email, "password": PASSWORD, "name": "Matrix"}}, w.tokens[who])


@op("Mutation.login", "login")
async def _login(w: World, who: str) -> dict[str, Any]:
    email = w.emails[who] or w.emails["customer"]
    return await w.router.run(LOGIN, {"i": {"email": email, "password": PASSWORD}},
                              w.tokens[who])


@op("Mutation.refresh", "refresh")
async def _refresh(w: World, who: str) -> dict[str, Any]:
    access, refresh = await w.fresh_session(who)
    return await w.router.run("mutation($t: String!) { refresh(refreshToken: $t) { accessToken } }",
                              {"t": refresh}, access)


def _with_fresh_session(query: str, variables: dict[str, Any] | None = None) -> Op:
    # Ending sessions would end the callers' shared tokens: each call gets its own.
    async def run(w: World, who: str) -> dict[str, Any]:
        access, _ = await w.fresh_session(who)
        return await w.router.run(query, variables, access)
    return run


OPS["Mutation.logout"] = ("logout", _with_fresh_session("mutation { logout }"))
OPS["Mutation.logoutEverywhere"] = ("logoutEverywhere",
                                    _with_fresh_session("mutation { logoutEverywhere }"))
OPS["Mutation.changePassword"] = ("changePassword", _with_fresh_session(
    "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }",
    {"i": {"currentPassword": PASSWORD, "newPassword": PASSWORD}}))


@op("Mutation.setUserRole", "setUserRole")
async def _set_role(w: World, who: str) -> dict[str, Any]:
    target = await w.router.data(
        "mutation($i: RegisterInput!) { register(input: $i) { user { id } } }",
        {"i": {"email": f"target-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD,
               "name": "Target"}})
    return await w.router.run(
        "mutation($u: ID!) { setUserRole(userId: $u, role: CUSTOMER) { id role } }",
        {"u": target["register"]["user"]["id"]}, w.tokens[who])


@op("Mutation.createVenue", "createVenue")
async def _create_venue(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(
        "mutation($i: CreateVenueInput!) { createVenue(input: $i) { id } }",
        {"i": {"name": "Matrix Hall", "timeZone": "UTC", "rows": [{"label": "A", "seats": 2}]}},
        w.tokens[who])


@op("Mutation.setVenueTimeZone", "setVenueTimeZone")
async def _set_venue_time_zone(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(
        "mutation($v: ID!, $z: String!) { setVenueTimeZone(venueId: $v, timeZone: $z) { id } }",
        {"v": w.venue_id, "z": "Europe/Berlin"}, w.tokens[who])


@op("Mutation.createShow", "createShow")
async def _create_show(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(
        "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }",
        {"i": {"hallId": w.hall_id, "title": "Matrix",
               "startsAt": f"2031-{COLUMNS.index(who) + 1:02d}-01T19:00:00+00:00",
               "price": {"amount": 100, "currency": "EUR"}}}, w.tokens[who])


@op("Mutation.createHall", "createHall")
async def _create_hall(w: World, who: str) -> dict[str, Any]:
    seat_map = {"format": "ticketflow.seatmap/v1", "name": f"Matrix {who}",
                "sections": [{"key": "a", "rows": [{"label": "A", "y": 0, "count": 2}]}]}
    return await w.router.run(
        "mutation($v: ID!, $m: JSON!) { createHall(venueId: $v, seatMap: $m) { id } }",
        {"v": w.venue_id, "m": seat_map}, w.tokens[who])


async def _draft(w: World, month: int, who: str) -> str:
    """A draft show of the organizer's, at a time no other row uses."""
    data = await w.router.data(
        "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }",
        {"i": {"hallId": w.hall_id, "title": "Draft",
               "startsAt": f"2032-{month:02d}-{COLUMNS.index(who) + 1:02d}T19:00:00+00:00",
               "price": {"amount": 100, "currency": "EUR"}}}, w.actors.organizer.token)
    return str(data["createShow"]["id"])


@op("Mutation.publishShow", "publishShow")
async def _publish(w: World, who: str) -> dict[str, Any]:
    show_id = await _draft(w, 1, who)
    return await w.router.run("mutation($id: ID!) { publishShow(id: $id) { status } }",
                              {"id": show_id}, w.tokens[who])


@op("Mutation.cancelShow", "cancelShow")
async def _cancel(w: World, who: str) -> dict[str, Any]:
    show_id = await _draft(w, 2, who)
    return await w.router.run("mutation($id: ID!) { cancelShow(id: $id) { status } }",
                              {"id": show_id}, w.tokens[who])


@op("Mutation.holdSeats", "holdSeats")
async def _hold(w: World, who: str) -> dict[str, Any]:
    seat = w.seat_ids[10 + COLUMNS.index(who)]
    return await w.router.run(HOLD, {"show": w.show_id, "seats": [seat]}, w.tokens[who])


@op("Mutation.checkout", "checkout")
async def _checkout(w: World, who: str) -> dict[str, Any]:
    hold = await w.hold(20 + COLUMNS.index(who))
    return await w.router.run(CHECKOUT, {"hold": hold, "key": uuid.uuid4().hex}, w.tokens[who])


@op("Mutation.holdGeneralAdmission", "holdGeneralAdmission")
async def _hold_places(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(
        """mutation($show: ID!, $section: ID!) {
          holdGeneralAdmission(showId: $show, sectionId: $section, quantity: 1) {
            __typename ... on SeatHold { id } ... on SoldOut { available } } }""",
        {"show": w.ga_show_id, "section": w.ga_section_id}, w.tokens[who])


@op("Mutation.releaseHold", "releaseHold")
async def _release(w: World, who: str) -> dict[str, Any]:
    hold = await w.hold(1 + COLUMNS.index(who))
    return await w.router.run("mutation($h: ID!) { releaseHold(holdId: $h) { id status } }",
                              {"h": hold}, w.tokens[who])


@op("Mutation.extendHold", "extendHold")
async def _extend(w: World, who: str) -> dict[str, Any]:
    hold = await w.hold([7, 8, 9, 16, 17, 18][COLUMNS.index(who)])
    return await w.router.run(
        """mutation($h: ID!) { extendHold(holdId: $h) {
          __typename ... on SeatHold { id expiresAt } ... on HoldExpired { code } } }""",
        {"h": hold}, w.tokens[who])


@op("Query.hold", "hold")
async def _read_hold(w: World, who: str) -> dict[str, Any]:
    hold = await w.hold(36 + COLUMNS.index(who))
    return await w.router.run("query($h: ID!) { hold(id: $h) { id total { amount } } }",
                              {"h": hold}, w.tokens[who])


@op("Mutation.holdBestAvailable", "holdBestAvailable")
async def _hold_best(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(
        """mutation($show: ID!) { holdBestAvailable(showId: $show, quantity: 1) {
          __typename ... on SeatHold { id } ... on SoldOut { available } } }""",
        {"show": w.best_show_id}, w.tokens[who])


@op("Mutation.cancelBooking", "cancelBooking")
async def _cancel_booking(w: World, who: str) -> dict[str, Any]:
    hold = await w.hold(30 + COLUMNS.index(who))
    booked = await w.router.data(CHECKOUT, {"hold": hold, "key": uuid.uuid4().hex},
                                 w.actors.customer.token)
    return await w.router.run("mutation($b: ID!) { cancelBooking(bookingId: $b) { status } }",
                              {"b": booked["checkout"]["id"]}, w.tokens[who])


@op("Mutation.startPayment", "startPayment")
async def _start_payment(w: World, who: str) -> dict[str, Any]:
    booking_id = await w.pending_booking(45 + COLUMNS.index(who))
    return await w.router.run(START, {"booking": booking_id, "key": uuid.uuid4().hex},
                              w.tokens[who])


@op("Mutation.confirmPayment", "confirmPayment")
async def _confirm_payment(w: World, who: str) -> dict[str, Any]:
    # A payment of its own for each caller: the owner's good card confirms the booking.
    _, payment_id = await w.started_payment(51 + COLUMNS.index(who))
    return await w.router.run(CONFIRM, {"id": payment_id, "card": SUCCEEDS}, w.tokens[who])


@op("Mutation.refundPayment", "refundPayment")
async def _refund_payment(w: World, who: str) -> dict[str, Any]:
    # A paid booking for each caller: a full refund leaves nothing for the next one.
    payment_id = await w.paid_booking(57 + COLUMNS.index(who))
    return await w.router.run(REFUND, {"id": payment_id, "key": uuid.uuid4().hex},
                              w.tokens[who])


@op("Query.refund", "refund")
async def _read_refund(w: World, who: str) -> dict[str, Any]:
    if not w.refund_id:  # one refund, made by the organizer, read by everyone
        payment_id = await w.paid_booking(63)
        made = await w.router.data(REFUND, {"id": payment_id, "key": uuid.uuid4().hex},
                                   w.actors.organizer.token)
        w.refund_id = made["refundPayment"]["id"]
    return await w.router.run(
        "query($id: ID!) { refund(id: $id) { id status amount { amount } payment { id } } }",
        {"id": w.refund_id}, w.tokens[who])


OPS["Query.ticketKeys"] = ("ticketKeys", q("{ ticketKeys }"))
OPS["Query.notificationDeliveries"] = ("notificationDeliveries", q(
    "{ notificationDeliveries(first: 5) { id status } }"))
OPS["Mutation.updateNotificationPreferences"] = ("updateNotificationPreferences", q(
    """mutation { updateNotificationPreferences(input: {email: true}) {
      notificationPreferences { email } } }"""))


RECEIPT_PAYLOAD = {"payment_id": "p", "booking_id": "b", "amount": 100, "currency": "EUR",
                   "provider": "sandbox", "succeeded_at": "2030-01-01T19:00:00+00:00"}


@op("Mutation.retryNotification", "retryNotification")
async def _retry_notification(w: World, who: str) -> dict[str, Any]:
    # A parked delivery of its own for each caller, as a failing address would leave one.
    event_id = str(uuid.uuid4())
    db = Database(w.stack.settings.database_url("notification"))
    try:
        async with db.writer() as session, session.begin():
            session.add(Delivery(event_id=event_id, channel="EMAIL", kind="RECEIPT",
                                 user_id=w.actors.customer.id, recipient=w.actors.customer.email,
                                 subject="Receipt", payload=json.dumps(RECEIPT_PAYLOAD),
                                 status="PARKED", attempts=8,
                                 last_error="550 no such user"))
    finally:
        await db.dispose()
    return await w.router.run("mutation($id: ID!) { retryNotification(id: $id) { status } }",
                              {"id": f"{event_id}:EMAIL"}, w.tokens[who])


async def _standing_show(w: World) -> tuple[str, str]:
    """A show on sale in a hall with a standing section; its id and the section's."""
    seat_map = {"format": "ticketflow.seatmap/v1", "name": "Matrix Standing",
                "sections": [{"key": "floor", "generalAdmission": {"capacity": 50,
                                                                   "category": "STANDING"}}]}
    organizer = w.actors.organizer.token
    hall = await w.router.data(
        """mutation($v: ID!, $m: JSON!) { createHall(venueId: $v, seatMap: $m) {
          id sections { id } } }""", {"v": w.venue_id, "m": seat_map}, organizer)
    show = await w.router.data(
        "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }",
        {"i": {"hallId": hall["createHall"]["id"], "title": "Standing",
               "startsAt": "2033-01-01T19:00:00+00:00",
               "price": {"amount": 100, "currency": "EUR"}}}, organizer)
    show_id = show["createShow"]["id"]
    await w.router.data("mutation($id: ID!) { publishShow(id: $id) { status } }",
                        {"id": show_id}, organizer)

    async def on_sale() -> bool:
        body = await w.router.run("""query($id: ID!) { show(id: $id) { availability {
          generalAdmission { sectionId } } } }""", {"id": show_id})
        availability = ((body.get("data") or {}).get("show") or {}).get("availability")
        return bool(availability and availability["generalAdmission"])

    await eventually(on_sale)
    return show_id, hall["createHall"]["sections"][0]["id"]


def entity(service: str, typename: str, key: Callable[[World], str], selection: str) -> Op:
    async def run(w: World, who: str) -> dict[str, Any]:
        query = (f"query($r: [_Any!]!) {{ _entities(representations: $r) "
                 f"{{ ... on {typename} {{ {selection} }} }} }}")
        return await w.stack.client(service).run(
            query, {"r": [{"__typename": typename, "id": key(w)}]}, w.tokens[who])
    return run


OPS["User.email"] = ("_entities", entity("auth", "User", lambda w: w.actors.customer.id, "email"))
OPS["User.notificationPreferences"] = ("_entities", entity(
    "auth", "User", lambda w: w.actors.customer.id, "notificationPreferences { email sms }"))
OPS["User.bookings"] = ("_entities", entity("booking", "User", lambda w: w.actors.customer.id,
                                            "bookings { id }"))
OPS["Booking.payment"] = ("_entities", entity("payment", "Booking", lambda w: w.booking_id,
                                              "payment { id }"))


QUEUE = """mutation($show: ID!, $i: QueueInput!) { configureQueue(showId: $show, input: $i) {
  paused } }"""
QUEUE_CHALLENGE = "query($show: ID!) { queueChallenge(showId: $show) { nonce difficulty } }"
JOIN_QUEUE = """mutation($show: ID!, $nonce: String, $solution: String) {
  joinQueue(showId: $show, nonce: $nonce, solution: $solution) { id state } }"""
QUEUE_OPENS = {"opensAt": "2031-06-01T10:00:00+00:00", "ratePerMinute": 60}


async def _queued_show(w: World) -> str:
    """A show of the organizer's behind a waiting room (opening long after this test)."""
    if not w.queue_show_id:
        show = await show_on_sale(w.router, w.router, w.actors.organizer, via_router=True,
                                  rows=[{"label": "A", "seats": 2}])
        await w.router.data(QUEUE, {"show": show.id, "i": QUEUE_OPENS}, w.actors.organizer.token)
        w.queue_show_id = show.id
    return w.queue_show_id


async def _join(w: World, token: str | None) -> dict[str, Any]:
    show_id = await _queued_show(w)
    answer: dict[str, Any] = {}
    if token is not None:
        challenge = (await w.router.data(QUEUE_CHALLENGE, {"show": show_id},
                                         token))["queueChallenge"]
        if challenge is not None:
            answer = {"nonce": challenge["nonce"],
                      "solution": solve(challenge["nonce"], challenge["difficulty"])}
    return await w.router.run(JOIN_QUEUE, {"show": show_id, **answer}, token)


@op("Mutation.configureQueue", "configureQueue")
async def _configure_queue(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(QUEUE, {"show": await _queued_show(w), "i": QUEUE_OPENS},
                              w.tokens[who])


@op("Mutation.pauseQueue", "pauseQueue")
async def _pause_queue(w: World, who: str) -> dict[str, Any]:
    return await w.router.run("mutation($s: ID!) { pauseQueue(showId: $s) { paused } }",
                              {"s": await _queued_show(w)}, w.tokens[who])


@op("Mutation.resumeQueue", "resumeQueue")
async def _resume_queue(w: World, who: str) -> dict[str, Any]:
    return await w.router.run("mutation($s: ID!) { resumeQueue(showId: $s) { paused } }",
                              {"s": await _queued_show(w)}, w.tokens[who])


@op("Mutation.joinQueue", "joinQueue")
async def _join_queue(w: World, who: str) -> dict[str, Any]:
    return await _join(w, w.tokens[who])


@op("Query.queueChallenge", "queueChallenge")
async def _queue_challenge(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(QUEUE_CHALLENGE, {"show": await _queued_show(w)}, w.tokens[who])


@op("Query.queueStatus", "queueStatus")
async def _queue_status(w: World, who: str) -> dict[str, Any]:
    if not w.queue_ticket_id:  # the customer's ticket, read by everyone
        joined = await _join(w, w.actors.customer.token)
        w.queue_ticket_id = joined["data"]["joinQueue"]["id"]
    return await w.router.run("query($t: ID!) { queueStatus(ticketId: $t) { state } }",
                              {"t": w.queue_ticket_id}, w.tokens[who])


@op("Show.queue", "_entities")
async def _show_queue(w: World, who: str) -> dict[str, Any]:
    await _queued_show(w)
    return await entity("booking", "Show", lambda w: w.queue_show_id,
                        "queue { waiting admitted }")(w, who)


@pytest.fixture(scope="module")
async def world(e2e: tuple[Stack, Processes]) -> World:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    # Callers of its own: rows such as logoutEverywhere end every session of theirs.
    a = await make_actors(stack, lambda _service: stack.router_url)
    # Seat indices 0-44 (rows A-C) serve the booking rows, 45-63 (rows D-E) the payment rows.
    show = await show_on_sale(router, router, a.organizer, via_router=True,
                              rows=[{"label": label, "seats": 15} for label in "ABCDE"])
    people = {"customer": a.customer, "other customer": a.other_customer,
              "organizer": a.organizer, "other organizer": a.other_organizer, "admin": a.admin}
    w = World(stack=stack, router=router, actors=a,
              tokens={"anonymous": None, **{k: v.token for k, v in people.items()}},
              emails={"anonymous": None, **{k: v.email for k, v in people.items()}},
              venue_id=show.venue_id, hall_id="", show_id=show.id,
              seat_ids=[s["id"] for s in show.seats], booking_id="", payment_id="")
    halls = await router.data("query($id: ID!) { venue(id: $id) { halls { id } } }",
                              {"id": show.venue_id})
    w.hall_id = halls["venue"]["halls"][0]["id"]

    # The rest is independent: made side by side (each waits for other subgraphs to hear).
    async def standing() -> None:
        w.ga_show_id, w.ga_section_id = await _standing_show(w)

    async def best() -> None:
        w.best_show_id = (await show_on_sale(router, router, a.organizer, via_router=True,
                                             rows=[{"label": "A", "seats": 12}])).id

    async def booked_and_paid() -> None:
        hold = await w.hold(0)
        booked = await router.data(CHECKOUT, {"hold": hold, "key": uuid.uuid4().hex},
                                   a.customer.token)
        w.booking_id = booked["checkout"]["id"]

        async def paid() -> str | None:
            body = await router.data("query($id: ID!) { booking(id: $id) { payment { id } } }",
                                     {"id": w.booking_id}, a.customer.token)
            payment = body["booking"]["payment"]
            return payment["id"] if payment else None

        w.payment_id = await eventually(paid)

    await asyncio.gather(standing(), best(), booked_and_paid())
    return w


def test_every_root_field_has_a_documented_row_and_every_row_an_operation() -> None:
    rows = documented()
    missing = sorted(root_fields() - rows.keys())
    assert not missing, f"add rows to docs/authorization.md for: {missing}"
    assert sorted(rows.keys() - OPS.keys()) == [], "rows without an operation in this test"
    assert sorted(OPS.keys() - rows.keys()) == [], "operations without a documented row"


# Destructive rows (they end sessions) run last, each on a fresh session of its own.
ORDER = sorted(OPS, key=lambda name: name in ("Mutation.logout", "Mutation.changePassword",
                                             "Mutation.logoutEverywhere"))


@pytest.mark.parametrize("operation", ORDER)
async def test_each_caller_gets_the_documented_answer(world: World, operation: str) -> None:
    expected = documented()[operation]
    field, run = OPS[operation]
    got = {who: answer(await run(world, who), field) for who in COLUMNS}
    assert got == expected
