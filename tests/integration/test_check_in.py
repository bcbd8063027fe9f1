"""Check-in at the door: door staff per venue (granted in venue, replicated to booking by
events), checkIn with signed tickets, the offline check-in list, uploaded offline scans and
the live counters — for every kind of caller, with bad input, and under concurrency."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from subgraphs.booking import backoffice
from subgraphs.booking.models import TABLES as BOOKING_TABLES
from subgraphs.booking.models import CheckIn, CheckInCount, DoorStaff
from subgraphs.kernel.db import Database
from subgraphs.kernel.keys import load_private_key, new_ed25519_key
from subgraphs.notification import tickets as notification_tickets
from subgraphs.venue.models import TABLES as VENUE_TABLES
from subgraphs.venue.models import VenueStaff
from tests.flows import CREATE_VENUE, Actors, ShowOnSale, User, seat_ids, show_on_sale
from tests.harness import Stack, error_codes, eventually
from tests.integration.support import count, customer, refusal
from tests.integration.test_general_admission import HOLD_GA, standing_show
from tests.payments import CANCEL_BOOKING, pay, pending_booking, wait_booking

GRANT = """mutation($v: ID!, $u: ID!) { grantVenueStaff(venueId: $v, userId: $u) {
  id staff { id } } }"""
REVOKE = """mutation($v: ID!, $u: ID!) { revokeVenueStaff(venueId: $v, userId: $u) { id } }"""
STAFF = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Venue { staff { id } } } }"""
CHECK_IN = """mutation($t: String!, $g: String!, $s: Int) {
  checkIn(ticketToken: $t, gate: $g, stop: $s) {
    __typename
    ... on CheckedIn { ticketId seat at gate }
    ... on AlreadyCheckedIn { ticketId at gate }
    ... on TicketRefused { code reason } } }"""
COUNTS = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { checkIn { admitted expected } } } }"""
LIST = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { checkInList { showId admitted expected ticketKeys
    tickets { ticketId seat bookingId holder { id } checkedIn { at gate } }
    scans { ticketId at gate } } } } }"""
UPLOAD = """mutation($show: ID!, $scans: [CheckInScanInput!]!) {
  uploadCheckIns(showId: $show, scans: $scans) {
    recorded unchanged admitted
    conflicts { ticketId winner { at gate } loser { at gate } }
    refused { ticketId code reason } } }"""


# --- helpers -------------------------------------------------------------------------------


async def confirmed_booking(stack: Stack, who: User, show_id: str, seats: list[str],
                            segment: dict[str, int] | None = None) -> str:
    """A booking of ``seats`` that ``who`` paid for, once CONFIRMED: its id."""
    booking = stack.client("booking")
    if segment is None:
        booking_id = (await pending_booking(booking, who, show_id, seats))["id"]
    else:
        held = await booking.data(
            """mutation($show: ID!, $seats: [ID!]!, $seg: SegmentInput) {
              holdSeats(showId: $show, seatIds: $seats, segment: $seg) {
                ... on SeatHold { id } } }""",
            {"show": show_id, "seats": seats, "seg": segment}, who.token)
        out = await booking.data(
            """mutation($h: ID!, $k: String!) { checkout(holdId: $h, idempotencyKey: $k) {
              ... on Booking { id } } }""",
            {"h": held["holdSeats"]["id"], "k": uuid.uuid4().hex}, who.token)
        booking_id = out["checkout"]["id"]
    await pay(stack.client("payment"), who, booking_id)
    await wait_booking(booking, who, booking_id, "CONFIRMED")
    return str(booking_id)


async def confirmed_payload(dbs: dict[str, Database], booking_id: str) -> dict[str, Any]:
    """The BookingConfirmed payload booking wrote for the booking (what notification signs)."""
    outbox = BOOKING_TABLES.outbox
    async with dbs["booking"].reader() as session:
        bodies = (await session.execute(select(outbox.c.body).where(
            outbox.c.type == "BookingConfirmed"))).scalars().all()
    [payload] = [p for p in (json.loads(b)["payload"] for b in bodies)
                 if p["booking_id"] == booking_id]
    return dict(payload)


async def tickets_of(dbs: dict[str, Database], booking_id: str) -> list[Any]:
    """The booking's e-tickets, signed by notification's own code with its own key, exactly
    as the confirmation mail carries them."""
    payload = await confirmed_payload(dbs, booking_id)
    async with dbs["notification"].writer() as session, session.begin():
        key = notification_tickets.SigningKey.of(
            await notification_tickets.signing_key(session))
    return notification_tickets.sign_tickets(key, payload)


def forged(claims: dict[str, Any]) -> str:
    """A ticket signed with a key notification never had."""
    pair = new_ed25519_key()
    return jwt.encode({"iat": int(datetime.now(UTC).timestamp()),
                       "iss": notification_tickets.ISSUER, **claims},
                      load_private_key(pair.private_pem), algorithm="EdDSA",
                      headers={"kid": pair.kid})


async def signed(dbs: dict[str, Database], claims: dict[str, Any]) -> str:
    """A ticket with these claims signed by notification's real key (what a bug or a
    leaked key could make: the checks after the signature must still hold)."""
    async with dbs["notification"].writer() as session, session.begin():
        key = notification_tickets.SigningKey.of(
            await notification_tickets.signing_key(session))
    return jwt.encode({"iat": int(datetime.now(UTC).timestamp()),
                       "iss": notification_tickets.ISSUER, **claims}, key.private,
                      algorithm="EdDSA", headers={"kid": key.kid})


async def grant(stack: Stack, token: str, venue_id: str, user_id: str) -> dict[str, Any]:
    return await stack.client("venue").run(GRANT, {"v": venue_id, "u": user_id}, token)


async def replicated(dbs: dict[str, Database], venue_id: str, user_id: str,
                     present: bool = True) -> None:
    """Wait until booking's replica of the grant is as venue's."""
    async def matches() -> bool:
        async with dbs["booking"].reader() as session:
            found = await session.get(DoorStaff, (venue_id, user_id))
        return (found is not None) == present

    await eventually(matches)


async def check_in(stack: Stack, token: str | None, ticket: str, gate: str = "north",
                   stop: int | None = None) -> dict[str, Any]:
    return await stack.client("booking").run(CHECK_IN, {"t": ticket, "g": gate, "s": stop},
                                             token)


async def show_entity(stack: Stack, query: str, show_id: str,
                      token: str | None) -> dict[str, Any]:
    return await stack.client("booking").run(
        query, {"r": [{"__typename": "Show", "id": show_id}]}, token)


async def scans(dbs: dict[str, Database], show_id: str) -> dict[str, tuple[datetime, str]]:
    async with dbs["booking"].reader() as session:
        rows = await session.execute(select(CheckIn.ticket_id, CheckIn.at, CheckIn.gate)
                                     .where(CheckIn.show_id == show_id))
        return {t: (at, gate) for t, at, gate in rows}


async def counters(dbs: dict[str, Database], show_id: str) -> tuple[int, int]:
    async with dbs["booking"].reader() as session:
        row = await session.get(CheckInCount, show_id)
    return (0, 0) if row is None else (row.expected, row.admitted)


class Door:
    """A show on sale with door staff: ``staff`` may check in at its venue, ``elsewhere``
    at another organizer's venue only."""

    def __init__(self, show: ShowOnSale, staff: User, elsewhere: User,
                 other_venue: str) -> None:
        self.show, self.staff, self.elsewhere, self.other_venue = (show, staff, elsewhere,
                                                                   other_venue)

    def callers(self, actors: Actors) -> dict[str, str | None]:
        return {"anonymous": None, "customer": actors.customer.token,
                "other organizer": actors.other_organizer.token,
                "staff of another venue": self.elsewhere.token, "staff": self.staff.token,
                "owner": actors.organizer.token, "admin": actors.admin.token}


@pytest.fixture
async def door(stack: Stack, actors: Actors, dbs: dict[str, Database]) -> Door:
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), actors.organizer)
    staff, elsewhere = await customer(stack), await customer(stack)
    venue = stack.client("venue")
    other = await venue.data(CREATE_VENUE, {"i": {
        "name": f"Other {uuid.uuid4().hex[:6]}", "timeZone": "UTC",
        "rows": [{"label": "A", "seats": 2}]}}, actors.other_organizer.token)
    other_venue = other["createVenue"]["id"]
    assert "errors" not in await grant(stack, actors.organizer.token, show.venue_id, staff.id)
    assert "errors" not in await grant(stack, actors.other_organizer.token, other_venue,
                                       elsewhere.id)
    await replicated(dbs, show.venue_id, staff.id)
    await replicated(dbs, other_venue, elsewhere.id)
    return Door(show, staff, elsewhere, other_venue)


EVERYONE = ["anonymous", "customer", "other organizer", "staff of another venue", "staff",
            "owner", "admin"]
DOOR_ANSWERS = {"anonymous": "UNAUTHENTICATED", "customer": "FORBIDDEN",
                "other organizer": "FORBIDDEN", "staff of another venue": "FORBIDDEN",
                "staff": "ok", "owner": "ok", "admin": "ok"}


def answer(body: dict[str, Any]) -> str:
    codes = error_codes(body)
    return codes[0] if codes else "ok"


# --- door staff (venue) --------------------------------------------------------------------


async def test_a_grant_reaches_booking_and_a_revoke_takes_it_back(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    venue_id = door.show.venue_id
    body = await stack.client("venue").run(
        STAFF, {"r": [{"__typename": "Venue", "id": venue_id}]}, actors.organizer.token)
    assert body["data"]["_entities"][0]["staff"] == [{"id": door.staff.id}]

    again = await grant(stack, actors.organizer.token, venue_id, door.staff.id)
    assert again["data"]["grantVenueStaff"]["staff"] == [{"id": door.staff.id}]
    assert await count(dbs["venue"], VENUE_TABLES.outbox,
                       VENUE_TABLES.outbox.c.type == "VenueStaffGranted",
                       VENUE_TABLES.outbox.c.body.contains(door.staff.id)) == 1

    revoked = await stack.client("venue").run(REVOKE, {"v": venue_id, "u": door.staff.id},
                                              actors.admin.token)
    assert "errors" not in revoked, revoked
    await replicated(dbs, venue_id, door.staff.id, present=False)
    assert await count(dbs["venue"], VenueStaff, VenueStaff.venue_id == venue_id) == 0
    # Revoking again changes nothing and tells nobody.
    await stack.client("venue").data(REVOKE, {"v": venue_id, "u": door.staff.id},
                                     actors.organizer.token)
    assert await count(dbs["venue"], VENUE_TABLES.outbox,
                       VENUE_TABLES.outbox.c.type == "VenueStaffRevoked",
                       VENUE_TABLES.outbox.c.body.contains(door.staff.id)) == 1
    # A revoked door keeper lets nobody in any more.
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 0))
    [ticket] = await tickets_of(dbs, booking_id)
    assert error_codes(await check_in(stack, door.staff.token, ticket.token)) == ["FORBIDDEN"]


async def test_grants_and_revokes_in_quick_succession_reach_booking_in_order(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    venue = stack.client("venue")
    user = str(uuid.uuid4())
    for _ in range(3):
        await venue.data(GRANT, {"v": door.show.venue_id, "u": user}, actors.organizer.token)
        await venue.data(REVOKE, {"v": door.show.venue_id, "u": user}, actors.organizer.token)
    await venue.data(GRANT, {"v": door.show.venue_id, "u": user}, actors.organizer.token)
    marker = str(uuid.uuid4())  # granted last: once booking has it, it has all before it
    await venue.data(GRANT, {"v": door.show.venue_id, "u": marker}, actors.organizer.token)
    await replicated(dbs, door.show.venue_id, marker)
    async with dbs["booking"].reader() as session:
        assert await session.get(DoorStaff, (door.show.venue_id, user)) is not None


async def test_granting_and_revoking_staff_answer_each_caller(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    callers = door.callers(actors)
    expected = {"anonymous": "UNAUTHENTICATED", "customer": "FORBIDDEN",
                "other organizer": "FORBIDDEN", "staff of another venue": "FORBIDDEN",
                "staff": "FORBIDDEN", "owner": "ok", "admin": "ok"}
    venue = stack.client("venue")
    got_grant, got_revoke, got_staff = {}, {}, {}
    for who in EVERYONE:
        target = str(uuid.uuid4())
        got_grant[who] = answer(await grant(stack, callers[who], door.show.venue_id, target))
        got_revoke[who] = answer(await venue.run(REVOKE, {"v": door.show.venue_id,
                                                          "u": target}, callers[who]))
        got_staff[who] = answer(await venue.run(
            STAFF, {"r": [{"__typename": "Venue", "id": door.show.venue_id}]}, callers[who]))
    assert got_grant == expected
    assert got_revoke == expected
    assert got_staff == expected
    # Only the owner's and the admin's grants were stored (and revoked again).
    assert await count(dbs["venue"], VenueStaff,
                       VenueStaff.venue_id == door.show.venue_id) == 1


async def test_bad_grants_are_refused_and_change_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    before = (await count(dbs["venue"], VenueStaff),
              await count(dbs["venue"], VENUE_TABLES.outbox))
    token = actors.organizer.token
    venue_id = door.show.venue_id
    assert refusal(await grant(stack, token, venue_id, "not-a-user")) == (
        "BAD_USER_INPUT", "userId")
    assert refusal(await grant(stack, token, venue_id, actors.organizer.id)) == (
        "BAD_USER_INPUT", "userId")
    assert refusal(await grant(stack, token, str(uuid.uuid4()), door.staff.id)) == (
        "NOT_FOUND", "venueId")
    assert refusal(await stack.client("venue").run(
        REVOKE, {"v": venue_id, "u": "x" * 300}, token))[0] == "BAD_USER_INPUT"
    assert (await count(dbs["venue"], VenueStaff),
            await count(dbs["venue"], VENUE_TABLES.outbox)) == before


# --- checkIn -------------------------------------------------------------------------------


async def test_a_ticket_is_let_in_once_and_the_counters_follow(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 0, 1))
    first, second = await tickets_of(dbs, booking_id)
    assert await counters(dbs, door.show.id) == (2, 0)

    body = await check_in(stack, door.staff.token, first.token, " north ")
    admitted = body["data"]["checkIn"]
    assert admitted["__typename"] == "CheckedIn", body
    assert (admitted["ticketId"], admitted["seat"], admitted["gate"]) == (
        first.tid, first.label, "north")

    again = (await check_in(stack, actors.organizer.token, first.token, "south"))["data"]
    assert again["checkIn"] == {"__typename": "AlreadyCheckedIn", "ticketId": first.tid,
                                "at": admitted["at"], "gate": "north"}
    counts = await show_entity(stack, COUNTS, door.show.id, door.staff.token)
    assert counts["data"]["_entities"][0]["checkIn"] == {"admitted": 1, "expected": 2}
    assert list(await scans(dbs, door.show.id)) == [first.tid]

    # Cancelling the booking: its other ticket lets nobody in, and is expected no more.
    await stack.client("booking").data(CANCEL_BOOKING, {"id": booking_id},
                                       actors.customer.token)
    refused = (await check_in(stack, door.staff.token, second.token))["data"]["checkIn"]
    assert (refused["__typename"], refused["code"]) == ("TicketRefused", "NOT_CONFIRMED")
    assert await counters(dbs, door.show.id) == (0, 1)
    assert list(await scans(dbs, door.show.id)) == [first.tid]


async def test_tickets_that_let_nobody_in_are_refused_and_recorded_nowhere(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 2))
    [ticket] = await tickets_of(dbs, booking_id)
    other = await show_on_sale(stack.client("venue"), stack.client("booking"),
                               actors.organizer)
    claims = jwt.decode(ticket.token, options={"verify_signature": False})
    header, payload, signature = ticket.token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    cases = {
        "garbage": ("not a ticket", "BAD_SIGNATURE"),
        "tampered": (tampered, "BAD_SIGNATURE"),
        "unknown key": (forged(claims), "BAD_SIGNATURE"),
        "unknown seat": (await signed(dbs, {**claims, "tid": f"{booking_id}:{uuid.uuid4()}"}),
                         "UNKNOWN_TICKET"),
        "unknown booking": (await signed(dbs, {**claims, "bid": str(uuid.uuid4()),
                                               "tid": f"{uuid.uuid4()}:x"}),
                            "UNKNOWN_TICKET"),
        "wrong show": (await signed(dbs, {**claims, "sid": other.id}), "WRONG_SHOW"),
        "standing place out of range": (await signed(dbs, {
            **claims, "tid": f"{booking_id}:{uuid.uuid4()}:1"}), "UNKNOWN_TICKET"),
        "no such standing place": (await signed(dbs, {**claims, "tid": f"{booking_id}:x:01"}),
                                   "UNKNOWN_TICKET"),
    }
    got = {}
    for name, (token, _) in cases.items():
        body = await check_in(stack, actors.organizer.token, token)
        result = body["data"]["checkIn"]
        assert result["__typename"] == "TicketRefused" and result["reason"], body
        got[name] = result["code"]
    assert got == {name: code for name, (_, code) in cases.items()}
    assert await scans(dbs, door.show.id) == {}
    assert await scans(dbs, other.id) == {}


async def test_bad_input_to_check_in_is_refused_and_changes_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 3))
    [ticket] = await tickets_of(dbs, booking_id)
    token = door.staff.token
    assert refusal(await check_in(stack, token, ticket.token, "  ")) == ("BAD_USER_INPUT",
                                                                         "gate")
    assert refusal(await check_in(stack, token, ticket.token, "g" * 65)) == ("BAD_USER_INPUT",
                                                                            "gate")
    assert refusal(await check_in(stack, token, ticket.token, stop=-1)) == ("BAD_USER_INPUT",
                                                                            "stop")
    assert refusal(await check_in(stack, token, ticket.token, stop=0)) == ("BAD_USER_INPUT",
                                                                           "stop")
    assert refusal(await check_in(stack, token, "t" * 5000))[0] == "BAD_USER_INPUT"
    assert await scans(dbs, door.show.id) == {}
    assert await counters(dbs, door.show.id) == (1, 0)


async def test_check_in_answers_each_caller(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 4))
    [ticket] = await tickets_of(dbs, booking_id)
    callers = door.callers(actors)
    got = {who: answer(await check_in(stack, callers[who], ticket.token)) for who in EVERYONE}
    assert got == DOOR_ANSWERS
    assert await counters(dbs, door.show.id) == (1, 1)
    for query in (COUNTS, LIST):
        got = {who: answer(await show_entity(stack, query, door.show.id, callers[who]))
               for who in EVERYONE}
        assert got == DOOR_ANSWERS, query


async def test_a_journey_ticket_boards_at_its_first_stop(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    journey = await show_on_sale(stack.client("venue"), stack.client("booking"),
                                 actors.organizer, stops=["A", "B", "C", "D"])
    booking_id = await confirmed_booking(stack, actors.customer, journey.id,
                                         seat_ids(journey, 0), segment={"from": 1, "to": 3})
    [ticket] = await tickets_of(dbs, booking_id)
    wrong = (await check_in(stack, actors.organizer.token, ticket.token, stop=0))["data"]
    assert wrong["checkIn"]["code"] == "WRONG_STOP"
    assert "stop 1" in wrong["checkIn"]["reason"]
    assert await scans(dbs, journey.id) == {}
    boarded = (await check_in(stack, actors.organizer.token, ticket.token, stop=1))["data"]
    assert boarded["checkIn"]["__typename"] == "CheckedIn"


async def test_twenty_gates_scanning_one_ticket_at_once_let_it_in_once(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 5))
    [ticket] = await tickets_of(dbs, booking_id)
    bodies = await asyncio.gather(*[check_in(stack, door.staff.token, ticket.token, f"g{n}")
                                    for n in range(20)])
    kinds = sorted(b["data"]["checkIn"]["__typename"] for b in bodies)
    assert kinds == ["AlreadyCheckedIn"] * 19 + ["CheckedIn"]
    [winner] = [b["data"]["checkIn"] for b in bodies
                if b["data"]["checkIn"]["__typename"] == "CheckedIn"]
    assert {(b["data"]["checkIn"]["gate"]) for b in bodies} == {winner["gate"]}
    assert await count(dbs["booking"], CheckIn, CheckIn.ticket_id == ticket.tid) == 1
    assert await counters(dbs, door.show.id) == (1, 1)


# --- offline: the list and uploads ---------------------------------------------------------


async def test_the_check_in_list_lets_a_gate_verify_and_admit_offline(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 6, 7))
    first, second = await tickets_of(dbs, booking_id)
    await check_in(stack, door.staff.token, first.token, "east")
    body = await show_entity(stack, LIST, door.show.id, door.staff.token)
    found = body["data"]["_entities"][0]["checkInList"]
    assert found["showId"] == door.show.id
    assert (found["expected"], found["admitted"]) == (2, 1)
    assert [(t["ticketId"], t["seat"], t["bookingId"], t["holder"]["id"])
            for t in found["tickets"]] == [(t.tid, t.label, booking_id, actors.customer.id)
                                           for t in (first, second)]
    assert found["tickets"][0]["checkedIn"]["gate"] == "east"
    assert found["tickets"][1]["checkedIn"] is None
    assert [s["ticketId"] for s in found["scans"]] == [first.tid]
    # A gate holding the list verifies a ticket with nothing else.
    claims = notification_tickets.verify_ticket(second.token, found["ticketKeys"])
    assert claims["tid"] in {t["ticketId"] for t in found["tickets"]}


async def test_uploaded_scans_keep_the_earliest_and_report_conflicts(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 8, 9))
    a, b = await tickets_of(dbs, booking_id)
    online = (await check_in(stack, door.staff.token, b.token, "west"))["data"]["checkIn"]
    now = datetime.now(UTC).replace(microsecond=0)
    early = (now - timedelta(minutes=30)).isoformat()
    later = (now - timedelta(minutes=10)).isoformat()
    very_early = (now - timedelta(hours=1)).isoformat()
    scans_sent = [{"ticketId": a.tid, "at": later, "gate": "g1"},
                  {"ticketId": a.tid, "at": early, "gate": "g2"},
                  {"ticketId": a.tid, "at": early, "gate": "g3"},  # a tie: g2 came first
                  {"ticketId": b.tid, "at": very_early, "gate": "g4"},
                  {"ticketId": f"{uuid.uuid4()}:seat", "at": early, "gate": "g1"}]
    upload = stack.client("booking")
    done = (await upload.data(UPLOAD, {"show": door.show.id, "scans": scans_sent},
                              door.staff.token))["uploadCheckIns"]
    assert (done["recorded"], done["unchanged"], done["admitted"]) == (1, 0, 2)
    assert sorted((c["ticketId"], c["winner"]["gate"], c["loser"]["gate"])
                  for c in done["conflicts"]) == sorted([(a.tid, "g2", "g1"),
                                                         (a.tid, "g2", "g3"),
                                                         (b.tid, "g4", "west")])
    assert [(r["code"]) for r in done["refused"]] == ["UNKNOWN_TICKET"]
    stored = await scans(dbs, door.show.id)
    assert {t: gate for t, (_, gate) in stored.items()} == {a.tid: "g2", b.tid: "g4"}
    assert stored[a.tid][0] == datetime.fromisoformat(early)
    assert online["gate"] == "west"
    assert await counters(dbs, door.show.id) == (2, 2)

    # The same upload again: nothing changes.
    again = (await upload.data(UPLOAD, {"show": door.show.id, "scans": scans_sent},
                               door.staff.token))["uploadCheckIns"]
    assert (again["recorded"], again["admitted"]) == (0, 2)
    assert again["unchanged"] == 2  # g2's and g4's scans are the stored ones
    assert await scans(dbs, door.show.id) == stored
    assert await counters(dbs, door.show.id) == (2, 2)


async def test_bad_uploads_are_refused_and_change_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 0))
    [ticket] = await tickets_of(dbs, booking_id)
    now = datetime.now(UTC)
    good = {"ticketId": ticket.tid, "at": now.isoformat(), "gate": "g"}
    client = stack.client("booking")

    async def refused(scans_sent: list[dict[str, Any]], show: str | None = None
                      ) -> tuple[str | None, str | None]:
        return refusal(await client.run(UPLOAD, {"show": show or door.show.id,
                                                 "scans": scans_sent}, door.staff.token))

    assert await refused([good] * 1001) == ("BAD_USER_INPUT", "scans")
    assert await refused([good, {**good, "gate": ""}]) == ("BAD_USER_INPUT", "scans[1].gate")
    assert await refused([good, {**good, "ticketId": "nonsense"}]) == (
        "BAD_USER_INPUT", "scans[1].ticketId")
    assert await refused([good, {**good, "at": (now + timedelta(hours=1)).isoformat()}]) == (
        "BAD_USER_INPUT", "scans[1].at")
    assert await refused([good, {**good, "at": "0001-01-01T00:00:00+05:00"}]) == (
        "BAD_USER_INPUT", "scans[1].at")
    assert await refused([good], str(uuid.uuid4())) == ("NOT_FOUND", "showId")
    assert await scans(dbs, door.show.id) == {}
    assert await counters(dbs, door.show.id) == (1, 0)

    callers = door.callers(actors)
    got = {who: answer(await client.run(UPLOAD, {"show": door.show.id, "scans": [good]},
                                        callers[who])) for who in EVERYONE}
    assert got == DOOR_ANSWERS
    assert await counters(dbs, door.show.id) == (1, 1)


async def test_standing_places_are_tickets_of_their_own(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    standing = await standing_show(stack, actors.organizer, capacity=10)
    booking = stack.client("booking")
    held = await booking.data(HOLD_GA, {"show": standing.show_id,
                                        "section": standing.section_id, "n": 2},
                              actors.customer.token)
    out = await booking.data(
        """mutation($h: ID!, $k: String!) { checkout(holdId: $h, idempotencyKey: $k) {
          ... on Booking { id } } }""",
        {"h": held["holdGeneralAdmission"]["id"], "k": uuid.uuid4().hex},
        actors.customer.token)
    booking_id = out["checkout"]["id"]
    await pay(stack.client("payment"), actors.customer, booking_id)
    await wait_booking(booking, actors.customer, booking_id, "CONFIRMED")
    first, second = await tickets_of(dbs, booking_id)
    assert second.tid == f"{booking_id}:{standing.section_id}:2"
    assert await counters(dbs, standing.show_id) == (2, 0)
    body = await check_in(stack, actors.organizer.token, second.token)
    assert body["data"]["checkIn"]["__typename"] == "CheckedIn", body
    assert body["data"]["checkIn"]["seat"] == second.label
    listed = await show_entity(stack, LIST, standing.show_id, actors.organizer.token)
    tickets = listed["data"]["_entities"][0]["checkInList"]["tickets"]
    assert [(t["ticketId"], t["seat"], t["checkedIn"] is not None) for t in tickets] == [
        (first.tid, first.label, False), (second.tid, second.label, True)]


async def test_gates_uploading_the_same_tickets_at_once_agree_on_the_earliest(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 0, 1, 2))
    tickets = [t.tid for t in await tickets_of(dbs, booking_id)]
    now = datetime.now(UTC).replace(microsecond=0)
    # Gate n scanned every ticket n minutes ago: gate 5's scans are the earliest.
    uploads = [[{"ticketId": tid, "gate": f"gate-{n}",
                 "at": (now - timedelta(minutes=n)).isoformat()}
                for tid in (tickets if n % 2 else list(reversed(tickets)))]
               for n in range(1, 6)]
    client = stack.client("booking")
    bodies = await asyncio.gather(*[client.run(UPLOAD, {"show": door.show.id, "scans": u},
                                               door.staff.token) for u in uploads])
    assert all("errors" not in b for b in bodies), bodies
    assert sum(b["data"]["uploadCheckIns"]["recorded"] for b in bodies) == 3
    stored = await scans(dbs, door.show.id)
    assert {t: gate for t, (_, gate) in stored.items()} == {t: "gate-5" for t in tickets}
    assert await counters(dbs, door.show.id) == (3, 3)


# --- gate devices that sync: pages and deltas ----------------------------------------------

PAGE = """query($r: [_Any!]!, $first: Int, $after: String) { _entities(representations: $r) {
  ... on Show { checkInList { ticketsPage(first: $first, after: $after) {
    nodes { ticketId seat bookingId holder { id } checkedIn { at gate } }
    pageInfo { hasNextPage endCursor } } } } } }"""
CHANGES = """query($r: [_Any!]!, $first: Int, $after: String) { _entities(representations: $r) {
  ... on Show { checkInList { ticketChanges(first: $first, after: $after) {
    nodes { admits ticket { ticketId bookingId } } pageInfo { hasNextPage endCursor } } } } }
  }"""
SCANS_AFTER = """query($r: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $r) { ... on Show { checkInList {
    scansAfter(first: $first, after: $after) { nodes { ticketId at gate }
      pageInfo { hasNextPage endCursor } } } } } }"""
START = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { checkInList { changesCursor } } } }"""


async def door_page(stack: Stack, query: str, show_id: str, token: str | None,
                    first: int | None = None, after: str | None = None) -> dict[str, Any]:
    return await stack.client("booking").run(query, {
        "r": [{"__typename": "Show", "id": show_id}], "first": first, "after": after}, token)


def connection(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    found = body["data"]["_entities"][0]["checkInList"]
    [value] = found.values()
    return dict(value)


async def every_page(stack: Stack, query: str, show_id: str, token: str, first: int,
                     after: str | None = None) -> tuple[list[list[Any]], str | None]:
    """Every page from ``after`` on, and the last page's endCursor."""
    pages: list[list[Any]] = []
    while True:
        got = connection(await door_page(stack, query, show_id, token, first, after))
        pages.append(got["nodes"])
        after = got["pageInfo"]["endCursor"]
        if not got["pageInfo"]["hasNextPage"]:
            return pages, after


async def test_pages_cover_every_ticket_once_in_order(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    made = [await confirmed_booking(stack, actors.customer, door.show.id,
                                    seat_ids(door.show, *seats))
            for seats in ((0, 1, 2), (3,), (4, 5), (6, 7, 8))]
    tickets = {b: await tickets_of(dbs, b) for b in made}
    await check_in(stack, door.staff.token, tickets[made[0]][1].token, "east")
    whole = (await show_entity(stack, LIST, door.show.id, door.staff.token)
             )["data"]["_entities"][0]["checkInList"]["tickets"]
    assert [t["bookingId"] for t in whole] == [b for b in made for _ in tickets[b]]
    for first in (1, 2, 4, 9, 10, 5000):
        pages, _ = await every_page(stack, PAGE, door.show.id, door.staff.token, first)
        # Pages of `first` (the last one may be shorter, or empty when nine divide evenly),
        # together exactly the whole list, in its order, each ticket once.
        assert all(len(p) == first for p in pages[:-1]), first
        assert [t for p in pages for t in p] == whole, first
    pages, _ = await every_page(stack, PAGE, door.show.id, door.staff.token, 2)
    # The first booking's three tickets straddle the first two pages.
    assert [t["bookingId"] for t in pages[0]] == [made[0]] * 2
    assert pages[1][0]["bookingId"] == made[0] and pages[1][1]["bookingId"] == made[1]
    assert pages[0][1]["checkedIn"]["gate"] == "east"

    # A booking confirmed while a device pages comes after the pages already read.
    got = connection(await door_page(stack, PAGE, door.show.id, door.staff.token, 4))
    late = await confirmed_booking(stack, actors.customer, door.show.id, seat_ids(door.show, 9))
    rest, _ = await every_page(stack, PAGE, door.show.id, door.staff.token, 4,
                               got["pageInfo"]["endCursor"])
    assert [t["ticketId"] for t in got["nodes"] + [t for p in rest for t in p]] == [
        t["ticketId"] for t in whole] + [f"{late}:{seat_ids(door.show, 9)[0]}"]


async def test_bad_page_arguments_are_refused_and_change_nothing(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 0, 1))
    token = door.staff.token
    ticket_cursor = connection(await door_page(stack, PAGE, door.show.id, token, 1)
                               )["pageInfo"]["endCursor"]
    scan_cursor = backoffice.encode_cursor([3, f"{booking_id}:x"])
    before = (await counters(dbs, door.show.id), await scans(dbs, door.show.id))
    for query in (PAGE, CHANGES, SCANS_AFTER):
        for first in (0, -1, 5001, 10**6):
            assert refusal(await door_page(stack, query, door.show.id, token, first)) == (
                "BAD_USER_INPUT", "first"), (query, first)
        for after in ("", "%%%", "not a cursor", backoffice.encode_cursor({"a": 1}),
                      backoffice.encode_cursor([1, 2, 3, 4]),
                      backoffice.encode_cursor(["yesterday", booking_id, 0]),
                      backoffice.encode_cursor([-1, booking_id, 0]),
                      backoffice.encode_cursor([1, "not-an-id", 0]),
                      backoffice.encode_cursor([1, booking_id, -2])):
            assert refusal(await door_page(stack, query, door.show.id, token, 10, after)) == (
                "BAD_USER_INPUT", "after"), (query, after)
    # Each list's cursors are its own.
    for query, cursor in ((PAGE, scan_cursor), (SCANS_AFTER, ticket_cursor),
                          (CHANGES, ticket_cursor), (PAGE, backoffice.encode_cursor(
                              [1, booking_id, 0]))):
        assert refusal(await door_page(stack, query, door.show.id, token, 10, cursor)) == (
            "BAD_USER_INPUT", "after"), query
    assert (await counters(dbs, door.show.id), await scans(dbs, door.show.id)) == before


async def test_the_scan_delta_brings_a_late_upload_with_an_earlier_time(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 0, 1, 2))
    a, b, c = await tickets_of(dbs, booking_id)
    token = door.staff.token
    await check_in(stack, token, a.token, "online")
    seen, cursor = await every_page(stack, SCANS_AFTER, door.show.id, token, 1000)
    assert [s["ticketId"] for p in seen for s in p] == [a.tid]
    online_at = datetime.fromisoformat(seen[0][0]["at"])
    # A gate that was offline uploads, later, scans made an hour before a's.
    earlier = (online_at - timedelta(hours=1)).isoformat()
    uploaded = await stack.client("booking").data(UPLOAD, {"show": door.show.id, "scans": [
        {"ticketId": c.tid, "at": earlier, "gate": "offline"},
        {"ticketId": b.tid, "at": earlier, "gate": "offline"}]}, token)
    assert uploaded["uploadCheckIns"]["recorded"] == 2
    new, cursor2 = await every_page(stack, SCANS_AFTER, door.show.id, token, 1, cursor)
    assert [(s["ticketId"], s["gate"]) for p in new for s in p] == sorted(
        [(b.tid, "offline"), (c.tid, "offline")])  # one upload: by ticket id
    assert all(datetime.fromisoformat(s["at"]) < online_at for p in new for s in p)
    # Nothing new: an empty page that keeps the device's place.
    nothing = connection(await door_page(stack, SCANS_AFTER, door.show.id, token, 10, cursor2))
    assert nothing == {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": cursor2}}
    # An earlier scan of a, uploaded now, replaces its scan: a comes again, changed.
    await stack.client("booking").data(UPLOAD, {"show": door.show.id, "scans": [
        {"ticketId": a.tid, "at": earlier, "gate": "side"}]}, token)
    again, _ = await every_page(stack, SCANS_AFTER, door.show.id, token, 10, cursor2)
    assert [(s["ticketId"], s["gate"]) for p in again for s in p] == [(a.tid, "side")]
    # From the start: every scan once.
    everything, _ = await every_page(stack, SCANS_AFTER, door.show.id, token, 2)
    assert sorted(s["ticketId"] for p in everything for s in p) == sorted(
        [a.tid, b.tid, c.tid])


async def test_confirmations_and_cancellations_reach_the_device_by_the_delta(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    token = door.staff.token
    kept = await confirmed_booking(stack, actors.customer, door.show.id,
                                   seat_ids(door.show, 0))
    doomed = await confirmed_booking(stack, actors.customer, door.show.id,
                                     seat_ids(door.show, 1, 2))
    # The device: the changes cursor first, then the pages.
    start = (await door_page(stack, START, door.show.id, token)
             )["data"]["_entities"][0]["checkInList"]["changesCursor"]
    pages, _ = await every_page(stack, PAGE, door.show.id, token, 2)
    assert {t["bookingId"] for p in pages for t in p} == {kept, doomed}
    nothing, cursor = await every_page(stack, CHANGES, door.show.id, token, 10, start)
    assert nothing == [[]] and cursor == start

    await stack.client("booking").data(CANCEL_BOOKING, {"id": doomed}, actors.customer.token)
    added = await confirmed_booking(stack, actors.customer, door.show.id,
                                    seat_ids(door.show, 3))
    changes, cursor = await every_page(stack, CHANGES, door.show.id, token, 1, start)
    got = [(c["ticket"]["bookingId"], c["admits"]) for p in changes for c in p]
    # In the order committed: the cancellation's two tickets, then the new booking's.
    assert got == [(doomed, False), (doomed, False), (added, True)]
    assert {c["ticket"]["ticketId"] for p in changes for c in p if not c["admits"]} == {
        f"{doomed}:{s}" for s in seat_ids(door.show, 1, 2)}
    # The cancelled booking's tickets left the list, and a synced device hears nothing more.
    pages, _ = await every_page(stack, PAGE, door.show.id, token, 100)
    assert {t["bookingId"] for p in pages for t in p} == {kept, added}
    assert (await every_page(stack, CHANGES, door.show.id, token, 10, cursor))[0] == [[]]
    # With no cursor: every confirmed booking, and the numbered cancellation.
    everything, _ = await every_page(stack, CHANGES, door.show.id, token, 5000)
    assert sorted({(c["ticket"]["bookingId"], c["admits"]) for p in everything for c in p}
                  ) == sorted({(kept, True), (doomed, False), (added, True)})


async def test_the_pages_and_deltas_answer_each_caller(
        stack: Stack, actors: Actors, dbs: dict[str, Database], door: Door) -> None:
    booking_id = await confirmed_booking(stack, actors.customer, door.show.id,
                                         seat_ids(door.show, 4))
    [ticket] = await tickets_of(dbs, booking_id)
    await check_in(stack, door.staff.token, ticket.token)
    callers = door.callers(actors)
    for query in (PAGE, CHANGES, SCANS_AFTER, START):
        bodies = {who: await door_page(stack, query, door.show.id, callers[who],
                                       *(() if query is START else (10,)))
                  for who in EVERYONE}
        assert {who: answer(b) for who, b in bodies.items()} == DOOR_ANSWERS, query
        for who in ("anonymous", "customer", "staff of another venue"):
            assert bodies[who]["data"]["_entities"][0] is None or (
                bodies[who]["data"]["_entities"][0]["checkInList"] is None), query
        if query is not START:
            assert len(connection(bodies["staff"])["nodes"]) == 1, query
