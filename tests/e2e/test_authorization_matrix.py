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

import httpx
import pytest
from graphql import build_schema
from sqlalchemy import select
from ticketflow_sdk.queue import solve_proof_of_work

from subgraphs.auth.models import TABLES as AUTH_TABLES
from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.booking.models import DoorStaff, TeamMemberReplica
from subgraphs.kernel.db import Database, utcnow
from subgraphs.notification import tickets as notification_tickets
from subgraphs.notification.models import Delivery, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.flows import CHECKOUT, HOLD, PASSWORD, Actors, make_actors, new_user, show_on_sale
from tests.harness import GraphQL, Processes, Stack, eventually
from tests.payments import CONFIRM, REFUND, START, SUCCEEDS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "authorization.md"
COLUMNS = ["anonymous", "customer", "other customer", "organizer", "other organizer", "admin"]
# The door-staff table adds door staff of the organizer's venue and of another venue.
DOOR_COLUMNS = [*COLUMNS, "staff", "other staff"]
# The teams table adds members of the organizer's venue's team, one per role.
TEAM_COLUMNS = [*COLUMNS, "manager", "box office", "door staff"]
ROW = re.compile(r"^\| `(\w+)\.(\w+)` \|(.+)\|\s*$")
HTTP_ROW = re.compile(r"^\| `GET (/\S+)` \|(.+)\|\s*$")

LOGIN = """mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }"""


def documented() -> dict[str, dict[str, str]]:
    """operation -> column -> expected answer, from docs/authorization.md."""
    table: dict[str, dict[str, str]] = {}
    for line in DOC.read_text().splitlines():
        m = ROW.match(line)
        if m:
            cells = [c.strip() for c in m.group(3).split("|")]
            columns = {len(DOOR_COLUMNS): DOOR_COLUMNS,
                       len(TEAM_COLUMNS): TEAM_COLUMNS}.get(len(cells), COLUMNS)
            assert len(cells) == len(columns), line
            table[f"{m.group(1)}.{m.group(2)}"] = dict(zip(columns, cells, strict=True))
    return table


def documented_http() -> dict[str, dict[str, str]]:
    """path -> column -> expected HTTP status, from the document's table of endpoints."""
    table: dict[str, dict[str, str]] = {}
    for line in DOC.read_text().splitlines():
        m = HTTP_ROW.match(line)
        if m:
            cells = [c.strip() for c in m.group(2).split("|")]
            assert len(cells) == len(COLUMNS), line
            table[m.group(1)] = dict(zip(COLUMNS, cells, strict=True))
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
    sold_out_show_id: str = ""
    ticketed_booking_id: str = ""
    promo_code: str = ""
    other_venue_id: str = ""
    door_ticket: Any = None  # a ticket of the customer's confirmed booking (check-in rows)
    team_venue_id: str = ""  # another venue of the organizer's, for acceptTeamInvitation
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
        return (await self.confirmed_booking(seat_index))[1]

    async def confirmed_booking(self, seat_index: int) -> tuple[str, str]:
        """A new booking the customer paid for, once CONFIRMED: its id and its payment's."""
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
        return booking_id, payment_id


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


@op("Mutation.verifyEmail", "verifyEmail")
async def _verify_email(w: World, who: str) -> dict[str, Any]:
    # The token is the credential, whoever presents it: a new account's, read from the
    # EmailVerificationRequested event auth wrote to its outbox.
    email = f"matrix-{uuid.uuid4().hex[:10]}@example.com"
    made = await w.router.data(
        "mutation($i: RegisterInput!) { register(input: $i) { user { id } } }",
        {"i": {"email": email, "password": PASSWORD, "name": "Matrix"}})
    user_id = made["register"]["user"]["id"]
    outbox = AUTH_TABLES.outbox
    auth_db = Database(w.stack.settings.database_url("auth"), pool_size=1)
    try:
        async with auth_db.reader() as session:
            bodies = (await session.execute(select(outbox.c.body).where(
                outbox.c.type == "EmailVerificationRequested"))).scalars().all()
    finally:
        await auth_db.dispose()
    (token,) = [p["token"] for p in (json.loads(b)["payload"] for b in bodies)
                if p["user_id"] == user_id]
    return await w.router.run(
        "mutation($t: String!) { verifyEmail(token: $t) { emailVerified } }", {"t": token},
        w.tokens[who])


@op("Mutation.resendVerificationEmail", "resendVerificationEmail")
async def _resend_verification_email(w: World, who: str) -> dict[str, Any]:
    # Every signed-in caller here is operator-made, so verified: the answer is false.
    return await w.router.run("mutation { resendVerificationEmail }", None, w.tokens[who])


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


@op("Mutation.updateShow", "updateShow")
async def _update(w: World, who: str) -> dict[str, Any]:
    show_id = await _draft(w, 3, who)
    return await w.router.run(
        "mutation($id: ID!, $i: UpdateShowInput!) { updateShow(id: $id, input: $i) { title } }",
        {"id": show_id, "i": {"title": f"Renamed by {who}"}}, w.tokens[who])


SERIES = "mutation($i: CreateShowSeriesInput!) { createShowSeries(input: $i) { id } }"


def _series_input(w: World, month: int, who: str) -> dict[str, Any]:
    """One show a day for a week, in a year (2034 on, one per caller) and month no other
    row uses."""
    year = 2034 + COLUMNS.index(who)
    return {"hallId": w.hall_id, "title": "Series", "price": {"amount": 100, "currency": "EUR"},
            "weekdays": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], "times": ["19:00"],
            "from": f"{year}-{month:02d}-01", "until": f"{year}-{month:02d}-07"}


async def _draft_series(w: World, month: int, who: str) -> str:
    """A series of drafts of the organizer's."""
    data = await w.router.data(SERIES, {"i": _series_input(w, month, who)},
                               w.actors.organizer.token)
    return str(data["createShowSeries"]["id"])


@op("Mutation.createShowSeries", "createShowSeries")
async def _create_series(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(SERIES, {"i": _series_input(w, 1, who)}, w.tokens[who])


@op("Mutation.publishShowSeries", "publishShowSeries")
async def _publish_series(w: World, who: str) -> dict[str, Any]:
    series_id = await _draft_series(w, 2, who)
    return await w.router.run("mutation($id: ID!) { publishShowSeries(id: $id) { id } }",
                              {"id": series_id}, w.tokens[who])


@op("Mutation.cancelShowSeries", "cancelShowSeries")
async def _cancel_series(w: World, who: str) -> dict[str, Any]:
    series_id = await _draft_series(w, 3, who)
    return await w.router.run("mutation($id: ID!) { cancelShowSeries(id: $id) { id } }",
                              {"id": series_id}, w.tokens[who])


@op("Mutation.updateShowSeries", "updateShowSeries")
async def _update_series(w: World, who: str) -> dict[str, Any]:
    series_id = await _draft_series(w, 4, who)
    return await w.router.run(
        "mutation($id: ID!) { updateShowSeries(id: $id, title: \"Renamed\") { id } }",
        {"id": series_id}, w.tokens[who])


@op("Query.showSeries", "showSeries")
async def _show_series(w: World, who: str) -> dict[str, Any]:
    # Drafts only: the organizer's business until a show of it goes on sale.
    series_id = await _draft_series(w, 5, who)
    return await w.router.run("query($id: ID!) { showSeries(id: $id) { id count } }",
                              {"id": series_id}, w.tokens[who])


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


JOIN_WAITING_LIST = """mutation($show: ID!) { joinWaitingList(showId: $show, quantity: 1) {
  __typename ... on WaitingListEntry { id status } ... on PlacesAvailable { available } } }"""
LEAVE_WAITING_LIST = "mutation($id: ID!) { leaveWaitingList(entryId: $id) { id status } }"


@op("Mutation.joinWaitingList", "joinWaitingList")
async def _join_waiting_list(w: World, who: str) -> dict[str, Any]:
    # The show has seats left: everyone signed in is told to buy them (nothing stored).
    return await w.router.run(JOIN_WAITING_LIST, {"show": w.show_id}, w.tokens[who])


@op("Mutation.leaveWaitingList", "leaveWaitingList")
async def _leave_waiting_list(w: World, who: str) -> dict[str, Any]:
    if not w.sold_out_show_id:  # two seats, both held by the other customer
        show = await show_on_sale(w.router, w.router, w.actors.organizer, via_router=True,
                                  rows=[{"label": "W", "seats": 2}])
        await w.router.data(HOLD, {"show": show.id, "seats": [s["id"] for s in show.seats]},
                            w.actors.other_customer.token)
        w.sold_out_show_id = show.id
    customer = w.actors.customer.token
    joined = await w.router.data(JOIN_WAITING_LIST, {"show": w.sold_out_show_id}, customer)
    entry = joined["joinWaitingList"]["id"]
    body = await w.router.run(LEAVE_WAITING_LIST, {"id": entry}, w.tokens[who])
    if "errors" in body:  # the customer leaves, to join again for the next caller
        await w.router.data(LEAVE_WAITING_LIST, {"id": entry}, customer)
    return body


OPS["Query.myWaitingLists"] = ("myWaitingLists", q("{ myWaitingLists { id status } }"))


CREATE_PROMO_CODE = """mutation($i: CreatePromoCodeInput!) { createPromoCode(input: $i) {
  id code } }"""


def _promo_input(w: World) -> dict[str, Any]:
    return {"code": f"M-{uuid.uuid4().hex[:10]}", "kind": "PERCENT", "percent": 10,
            "showIds": [w.show_id]}


@op("Mutation.createPromoCode", "createPromoCode")
async def _create_promo_code(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(CREATE_PROMO_CODE, {"i": _promo_input(w)}, w.tokens[who])


@op("Mutation.deactivatePromoCode", "deactivatePromoCode")
async def _deactivate_promo_code(w: World, who: str) -> dict[str, Any]:
    made = await w.router.data(CREATE_PROMO_CODE, {"i": _promo_input(w)},
                               w.actors.organizer.token)
    return await w.router.run("mutation($id: ID!) { deactivatePromoCode(id: $id) { active } }",
                              {"id": made["createPromoCode"]["id"]}, w.tokens[who])


@op("Mutation.applyPromoCode", "applyPromoCode")
async def _apply_promo_code(w: World, who: str) -> dict[str, Any]:
    # Seat indices 75-89 (row F) serve the promo-code rows.
    if not w.promo_code:
        made = await w.router.data(CREATE_PROMO_CODE, {"i": _promo_input(w)},
                                   w.actors.organizer.token)
        w.promo_code = made["createPromoCode"]["code"]
    hold = await w.hold(75 + COLUMNS.index(who))
    return await w.router.run(
        """mutation($h: ID!, $c: String!) { applyPromoCode(holdId: $h, code: $c) {
          __typename ... on SeatHold { id total { amount } }
          ... on PromoCodeRejected { reason } } }""",
        {"h": hold, "c": w.promo_code}, w.tokens[who])


@op("Mutation.removePromoCode", "removePromoCode")
async def _remove_promo_code(w: World, who: str) -> dict[str, Any]:
    hold = await w.hold(81 + COLUMNS.index(who))
    return await w.router.run("mutation($h: ID!) { removePromoCode(holdId: $h) { id } }",
                              {"h": hold}, w.tokens[who])


OPS["Query.promoCodes"] = ("promoCodes", q("{ promoCodes { id code redeemed } }"))
OPS["Query.organizerBookings"] = ("organizerBookings", q(
    """query($s: ID!) { organizerBookings(filter: {showId: $s}, first: 5) {
      edges { node { id history { kind } } } } }""",
    lambda w: {"s": w.show_id}))  # type: ignore[arg-type]
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


async def _webhook_endpoint(w: World) -> tuple[str, str]:
    """A disabled endpoint of the organizer's (nothing is sent) with one delivery of a
    booking's event: their ids."""
    endpoint_id, event_id, delivery_id = (str(uuid.uuid4()) for _ in range(3))
    db = Database(w.stack.settings.database_url("notification"))
    try:
        async with db.writer() as session, session.begin():
            session.add(WebhookEndpoint(id=endpoint_id, organizer_id=w.actors.organizer.id,
                                        url="http://127.0.0.1:9/hooks",
                                        events='["BookingCreated"]', enabled=False,
                                        secret="whsec_matrix"))
            session.add(WebhookEvent(id=event_id, type="BookingCreated",
                                     booking_id=w.booking_id,
                                     organizer_id=w.actors.organizer.id,
                                     occurred_at=utcnow(), data="{}"))
            session.add(WebhookDelivery(id=delivery_id, endpoint_id=endpoint_id,
                                        event_id=event_id, event_type="BookingCreated",
                                        status="PARKED", series_attempts=0))
    finally:
        await db.dispose()
    return endpoint_id, delivery_id


OPS["Query.webhookEndpoints"] = ("webhookEndpoints", q("{ webhookEndpoints { id url } }"))


@op("Mutation.createWebhookEndpoint", "createWebhookEndpoint")
async def _create_webhook_endpoint(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(
        """mutation { createWebhookEndpoint(url: "http://127.0.0.1:9/hooks",
          events: ["BookingConfirmed"]) { endpoint { id } secret } }""", None, w.tokens[who])


@op("Mutation.updateWebhookEndpoint", "updateWebhookEndpoint")
async def _update_webhook_endpoint(w: World, who: str) -> dict[str, Any]:
    endpoint_id, _ = await _webhook_endpoint(w)
    return await w.router.run(
        """mutation($id: ID!) { updateWebhookEndpoint(id: $id, description: "box office") {
          id description } }""", {"id": endpoint_id}, w.tokens[who])


@op("Mutation.deleteWebhookEndpoint", "deleteWebhookEndpoint")
async def _delete_webhook_endpoint(w: World, who: str) -> dict[str, Any]:
    endpoint_id, _ = await _webhook_endpoint(w)
    return await w.router.run("mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }",
                              {"id": endpoint_id}, w.tokens[who])


@op("Mutation.rotateWebhookSecret", "rotateWebhookSecret")
async def _rotate_webhook_secret(w: World, who: str) -> dict[str, Any]:
    endpoint_id, _ = await _webhook_endpoint(w)
    return await w.router.run(
        "mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } secret } }",
        {"id": endpoint_id}, w.tokens[who])


@op("Mutation.replayWebhookDelivery", "replayWebhookDelivery")
async def _replay_webhook_delivery(w: World, who: str) -> dict[str, Any]:
    _, delivery_id = await _webhook_endpoint(w)
    return await w.router.run(
        "mutation($id: ID!) { replayWebhookDelivery(id: $id) { id status } }",
        {"id": delivery_id}, w.tokens[who])


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


GRANT = """mutation($v: ID!, $u: ID!) { grantVenueStaff(venueId: $v, userId: $u) { id } }"""


@op("Mutation.grantVenueStaff", "grantVenueStaff")
async def _grant_staff(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(GRANT, {"v": w.venue_id, "u": str(uuid.uuid4())}, w.tokens[who])


@op("Mutation.revokeVenueStaff", "revokeVenueStaff")
async def _revoke_staff(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(
        "mutation($v: ID!, $u: ID!) { revokeVenueStaff(venueId: $v, userId: $u) { id } }",
        {"v": w.venue_id, "u": str(uuid.uuid4())}, w.tokens[who])


async def _door_ticket(w: World) -> Any:
    """One ticket of a booking the customer paid for, signed by notification's own code
    and key from the BookingConfirmed event booking wrote (what the confirmation carries)."""
    if w.door_ticket is None:
        booking_id, payment_id = await w.started_payment(64)
        paid = await w.router.data(CONFIRM, {"id": payment_id, "card": SUCCEEDS},
                                   w.actors.customer.token)
        assert paid["confirmPayment"]["__typename"] == "Payment", paid
        outbox = BOOKING_TABLES.outbox
        booking_db = Database(w.stack.settings.database_url("booking"), pool_size=1)
        notification_db = Database(w.stack.settings.database_url("notification"), pool_size=1)
        try:
            async def confirmed() -> dict[str, Any] | None:
                async with booking_db.reader() as session:
                    bodies = (await session.execute(select(outbox.c.body).where(
                        outbox.c.type == "BookingConfirmed"))).scalars().all()
                found = [p for p in (json.loads(b)["payload"] for b in bodies)
                         if p["booking_id"] == booking_id]
                return found[0] if found else None

            payload = await eventually(confirmed)
            async with notification_db.writer() as session, session.begin():
                key = notification_tickets.SigningKey.of(
                    await notification_tickets.signing_key(session))
        finally:
            await booking_db.dispose()
            await notification_db.dispose()
        [w.door_ticket] = notification_tickets.sign_tickets(key, payload)
    return w.door_ticket


@op("Mutation.checkIn", "checkIn")
async def _check_in(w: World, who: str) -> dict[str, Any]:
    ticket = await _door_ticket(w)
    return await w.router.run(
        """mutation($t: String!) { checkIn(ticketToken: $t, gate: "matrix") {
          __typename ... on CheckedIn { ticketId } ... on AlreadyCheckedIn { at }
          ... on TicketRefused { code } } }""", {"t": ticket.token}, w.tokens[who])


@op("Mutation.uploadCheckIns", "uploadCheckIns")
async def _upload_check_ins(w: World, who: str) -> dict[str, Any]:
    ticket = await _door_ticket(w)
    return await w.router.run(
        """mutation($s: ID!, $scans: [CheckInScanInput!]!) {
          uploadCheckIns(showId: $s, scans: $scans) { recorded admitted } }""",
        {"s": w.show_id, "scans": [{"ticketId": ticket.tid, "gate": "matrix",
                                    "at": "2026-01-01T18:30:00+00:00"}]}, w.tokens[who])


INVITE = """mutation($v: [ID!]!, $r: TeamRole!) {
  inviteTeamMember(venueIds: $v, email: "matrix@example.com", role: $r) { id token } }"""


async def _join_team(w: World, venue_id: str, role: str, token: str) -> None:
    """``token``'s user joins the venue's team with ``role`` (invited by the organizer)."""
    invited = await w.router.data(INVITE, {"v": [venue_id], "r": role},
                                  w.actors.organizer.token)
    await w.router.data("mutation($t: String!) { acceptTeamInvitation(token: $t) { id } }",
                        {"t": invited["inviteTeamMember"]["token"]}, token)


@op("Mutation.inviteTeamMember", "inviteTeamMember")
async def _invite_team_member(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(INVITE, {"v": [w.venue_id], "r": "BOX_OFFICE"}, w.tokens[who])


@op("Mutation.acceptTeamInvitation", "acceptTeamInvitation")
async def _accept_team_invitation(w: World, who: str) -> dict[str, Any]:
    # A fresh invitation to another venue of the organizer's (one without shows) for each,
    # as door staff: no other row's answer changes (door staff of another venue are refused
    # at this venue's doors, as "other staff" is).
    invited = await w.router.data(INVITE, {"v": [w.team_venue_id], "r": "DOOR_STAFF"},
                                  w.actors.organizer.token)
    return await w.router.run(
        "mutation($t: String!) { acceptTeamInvitation(token: $t) { id } }",
        {"t": invited["inviteTeamMember"]["token"]}, w.tokens[who])


@op("Mutation.removeTeamMember", "removeTeamMember")
async def _remove_team_member(w: World, who: str) -> dict[str, Any]:
    return await w.router.run(
        "mutation($v: ID!, $u: ID!) { removeTeamMember(venueId: $v, userId: $u) { id } }",
        {"v": w.venue_id, "u": str(uuid.uuid4())}, w.tokens[who])


def entity(service: str, typename: str, key: Callable[[World], str], selection: str) -> Op:
    async def run(w: World, who: str) -> dict[str, Any]:
        query = (f"query($r: [_Any!]!) {{ _entities(representations: $r) "
                 f"{{ ... on {typename} {{ {selection} }} }} }}")
        return await w.stack.client(service).run(
            query, {"r": [{"__typename": typename, "id": key(w)}]}, w.tokens[who])
    return run


OPS["User.email"] = ("_entities", entity("auth", "User", lambda w: w.actors.customer.id, "email"))
OPS["User.emailVerified"] = ("_entities", entity("auth", "User", lambda w: w.actors.customer.id,
                                                "emailVerified"))
OPS["User.notificationPreferences"] = ("_entities", entity(
    "auth", "User", lambda w: w.actors.customer.id, "notificationPreferences { email sms }"))
OPS["User.bookings"] = ("_entities", entity("booking", "User", lambda w: w.actors.customer.id,
                                            "bookings { id }"))
OPS["Booking.payment"] = ("_entities", entity("payment", "Booking", lambda w: w.booking_id,
                                              "payment { id }"))
OPS["Show.waitingList"] = ("_entities", entity("booking", "Show", lambda w: w.show_id,
                                               "waitingList { waiting offered }"))
OPS["Venue.shows"] = ("_entities", entity("venue", "Venue", lambda w: w.venue_id,
                                          "shows(status: DRAFT) { nodes { id } }"))
_tickets_of = entity("notification", "Booking", lambda w: w.ticketed_booking_id,
                     "tickets { id token }")


@op("Booking.tickets", "_entities")
async def _booking_tickets(w: World, who: str) -> dict[str, Any]:
    if not w.ticketed_booking_id:  # one confirmed booking, its tickets issued, read by everyone
        w.ticketed_booking_id, _ = await w.confirmed_booking(65)

        async def issued() -> bool:
            body = await _tickets_of(w, "customer")
            return bool(body["data"]["_entities"][0]["tickets"])

        await eventually(issued)
    return await _tickets_of(w, who)


OPS["Booking.history"] = ("_entities", entity("booking", "Booking", lambda w: w.booking_id,
                                              "history { kind at }"))
OPS["Show.salesReport"] = ("_entities", entity("booking", "Show", lambda w: w.show_id,
                                               "salesReport { totals { sold } }"))
OPS["Venue.staff"] = ("_entities", entity("venue", "Venue", lambda w: w.venue_id,
                                          "staff { id }"))
OPS["Venue.team"] = ("_entities", entity("venue", "Venue", lambda w: w.venue_id,
                                         "team { role }"))
OPS["Show.checkInList"] = ("_entities", entity("booking", "Show", lambda w: w.show_id,
                                               "checkInList { expected tickets { ticketId } }"))
OPS["Show.checkIn"] = ("_entities", entity("booking", "Show", lambda w: w.show_id,
                                           "checkIn { admitted expected }"))
OPS["CheckInList.ticketsPage"] = ("_entities", entity(
    "booking", "Show", lambda w: w.show_id,
    "checkInList { ticketsPage(first: 10) { nodes { ticketId } pageInfo { endCursor } } }"))
OPS["CheckInList.ticketChanges"] = ("_entities", entity(
    "booking", "Show", lambda w: w.show_id,
    "checkInList { ticketChanges(first: 10) { nodes { admits } pageInfo { endCursor } } }"))
OPS["CheckInList.scansAfter"] = ("_entities", entity(
    "booking", "Show", lambda w: w.show_id,
    "checkInList { scansAfter(first: 10) { nodes { ticketId } pageInfo { endCursor } } }"))


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
                      "solution": solve_proof_of_work("pow", challenge["nonce"],
                                                      challenge["difficulty"])}
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
    # Seat indices 0-44 (rows A-C) serve the booking rows, 45-63 (rows D-E) the payment rows,
    # 75-89 (row F) the promo-code rows.
    show = await show_on_sale(router, router, a.organizer, via_router=True,
                              rows=[{"label": label, "seats": 15} for label in "ABCDEF"])
     # Door staff: customers granted a venue each, the organizer's and another organizer's.
    staff = await new_user(stack, stack.router_url)
    other_staff = await new_user(stack, stack.router_url)
    manager = await new_user(stack, stack.router_url, "ORGANIZER")
    box_office = await new_user(stack, stack.router_url)
    people = {"customer": a.customer, "other customer": a.other_customer,
              "organizer": a.organizer, "other organizer": a.other_organizer, "admin": a.admin,
              "staff": staff, "other staff": other_staff, "manager": manager,
              "box office": box_office, "door staff": staff}
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

    async def door_staff() -> None:
        other = await router.data(
            "mutation($i: CreateVenueInput!) { createVenue(input: $i) { id } }",
            {"i": {"name": "Matrix Elsewhere", "timeZone": "UTC",
                   "rows": [{"label": "A", "seats": 2}]}}, a.other_organizer.token)
        w.other_venue_id = other["createVenue"]["id"]
        await router.data(GRANT, {"v": show.venue_id, "u": staff.id}, a.organizer.token)
        await router.data(GRANT, {"v": w.other_venue_id, "u": other_staff.id},
                          a.other_organizer.token)
        booking_db = Database(stack.settings.database_url("booking"), pool_size=1)
        try:
            async def replicated() -> bool:
                async with booking_db.reader() as session:
                    return (await session.get(DoorStaff, (show.venue_id, staff.id)) is not None
                            and await session.get(DoorStaff, (w.other_venue_id,
                                                              other_staff.id)) is not None)

            await eventually(replicated)
        finally:
            await booking_db.dispose()

    async def team() -> None:
        extra = await router.data(
            "mutation($i: CreateVenueInput!) { createVenue(input: $i) { id } }",
            {"i": {"name": "Matrix Team Extra", "timeZone": "UTC",
                   "rows": [{"label": "A", "seats": 2}]}}, a.organizer.token)
        w.team_venue_id = extra["createVenue"]["id"]
        await _join_team(w, show.venue_id, "MANAGER", manager.token)
        await _join_team(w, show.venue_id, "BOX_OFFICE", box_office.token)
        booking_db = Database(stack.settings.database_url("booking"), pool_size=1)
        try:
            async def replicated() -> bool:
                async with booking_db.reader() as session:
                    return len((await session.scalars(select(TeamMemberReplica).where(
                        TeamMemberReplica.venue_id == show.venue_id))).all()) == 2

            await eventually(replicated)
        finally:
            await booking_db.dispose()

    await asyncio.gather(standing(), best(), booked_and_paid(), door_staff(), team())
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
    got = {who: answer(await run(world, who), field) for who in expected}
    assert got == expected


def test_the_document_has_rows_for_the_exports() -> None:
    assert sorted(documented_http()) == ["/exports/shows/{showId}/attendees.csv",
                                         "/exports/shows/{showId}/orders.csv"]


@pytest.mark.parametrize("path", sorted(documented_http()))
async def test_each_caller_gets_the_documented_http_status(world: World, path: str) -> None:
    """Through the router's origin, as the web app links to them (router/lib/exports.mjs)."""
    url = world.stack.router_url.removesuffix("/graphql") + path.replace("{showId}",
                                                                         world.show_id)
    got = {}
    # Fresh sessions: the rows that end sessions (logoutEverywhere, changePassword) run first.
    tokens = {who: (await world.fresh_session(who))[0] for who in COLUMNS}
    async with httpx.AsyncClient(timeout=30) as client:
        for who in COLUMNS:
            token = tokens[who]
            response = await client.get(
                url, headers={"authorization": f"Bearer {token}"} if token else {})
            got[who] = str(response.status_code)
            if response.status_code == 200:  # the CSV itself, streamed through
                assert response.headers["content-type"] == "text/csv; charset=utf-8"
                assert response.headers["transfer-encoding"] == "chunked"
                assert response.text.startswith(("booking_id,status,", "booking_id,ticket_id,"))
        unknown = await client.get(url.replace(world.show_id, str(uuid.uuid4())),
                                   headers={"authorization": f"Bearer {tokens['admin']}"})
    assert got == documented_http()[path]
    assert unknown.status_code == 404
