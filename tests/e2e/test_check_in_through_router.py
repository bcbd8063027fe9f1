"""Check-in through the router, in both modes: the organizer makes a customer door staff,
the tickets of the confirmation mail let their holder in once at the staff's gate, and the
door's list names each ticket's holder (auth's User, joined by the router)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from pathlib import Path

from subgraphs.notification.tickets import verify_ticket
from subgraphs.seed import create_user
from tests.e2e.test_notifications_through_router import _start, mails_to
from tests.flows import CHECKOUT, HOLD, PASSWORD, User, login, show_on_sale
from tests.harness import GraphQL, Processes, Stack, eventually
from tests.integration.mailbox import tokens
from tests.payments import CONFIRM, SUCCEEDS

REGISTER = """mutation($i: RegisterInput!) { register(input: $i) {
  accessToken user { id } } }"""
CHECK_IN = """mutation($t: String!, $g: String!) { checkIn(ticketToken: $t, gate: $g) {
  __typename ... on CheckedIn { ticketId seat gate } ... on AlreadyCheckedIn { gate }
  ... on TicketRefused { code } } }"""
DOOR = """query($id: ID!) { show(id: $id) { checkIn { admitted expected }
  checkInList { ticketKeys tickets { ticketId seat holder { id name } checkedIn { gate } } }
} }"""
PAGE = """query($id: ID!, $after: String) { show(id: $id) { checkInList {
  ticketsPage(first: 1, after: $after) { nodes { ticketId holder { name } checkedIn { gate } }
    pageInfo { hasNextPage endCursor } }
  scansAfter { nodes { ticketId gate } pageInfo { endCursor } } } } }"""
CHANGES = """query($id: ID!, $after: String) { show(id: $id) { checkInList {
  ticketChanges(after: $after) { nodes { admits ticket { ticketId } } } } } }"""


async def registered(router: GraphQL, name: str) -> User:
    address = f"door-{uuid.uuid4().hex[:10]}@example.com"
    made = await router.data(REGISTER, {"i": {"email": address, "password": PASSWORD,
                                              "name": name}})
    return User(made["register"]["user"]["id"], address, made["register"]["accessToken"])


async def test_door_staff_let_a_mailed_ticket_in_once_through_the_router(
        e2e: tuple[Stack, Processes]) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    buyer = await registered(router, "Dora Door")
    staff = await registered(router, "Sam Staff")
    organizer_email = f"org-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(stack.settings, organizer_email, PASSWORD, "Org", "ORGANIZER")
    organizer = await login(router, organizer_email)
    show = await show_on_sale(router, router, organizer, via_router=True)
    granted = await router.data(
        """mutation($v: ID!, $u: ID!) { grantVenueStaff(venueId: $v, userId: $u) {
          staff { id name } } }""", {"v": show.venue_id, "u": staff.id}, organizer.token)
    assert granted["grantVenueStaff"]["staff"] == [{"id": staff.id, "name": "Sam Staff"}]

    seats = [show.seats[0]["id"], show.seats[1]["id"]]
    held = await router.data(HOLD, {"show": show.id, "seats": seats}, buyer.token)
    booked = await router.data(CHECKOUT, {"hold": held["holdSeats"]["id"],
                                          "key": uuid.uuid4().hex}, buyer.token)
    booking_id = booked["checkout"]["id"]
    started = await eventually(lambda: _start(router, buyer, booking_id))
    paid = await router.data(CONFIRM, {"id": started, "card": SUCCEEDS}, buyer.token)
    assert paid["confirmPayment"]["__typename"] == "Payment"
    folder = Path(stack.env["TICKETFLOW_DATA_DIR"]) / "mail"

    async def tickets_mail() -> list[EmailMessage]:
        found = mails_to(folder, buyer.email) if folder.exists() else []
        return [m for m in found if str(m["Subject"]).startswith("Your tickets")]

    [confirmation] = await eventually(tickets_mail, timeout=30)
    first, second = tokens(confirmation)

    async def door_open() -> dict[str, object] | None:  # booking has heard of the grant
        body = await router.run(DOOR, {"id": show.id}, staff.token)
        return None if body.get("errors") else body["data"]["show"]

    door = await eventually(door_open)
    assert door["checkIn"] == {"admitted": 0, "expected": 2}
    listed = door["checkInList"]
    assert {t["holder"]["name"] for t in listed["tickets"]} == {"Dora Door"}
    assert {verify_ticket(first, listed["ticketKeys"])["tid"],
            verify_ticket(second, listed["ticketKeys"])["tid"]} == {
        t["ticketId"] for t in listed["tickets"]}

    let_in = await router.data(CHECK_IN, {"t": first, "g": "main"}, staff.token)
    assert let_in["checkIn"]["__typename"] == "CheckedIn"
    again = await router.data(CHECK_IN, {"t": first, "g": "side"}, organizer.token)
    assert again["checkIn"] == {"__typename": "AlreadyCheckedIn", "gate": "main"}
    refused = await router.run(CHECK_IN, {"t": second, "g": "main"}, buyer.token)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    after = (await router.data(DOOR, {"id": show.id}, staff.token))["show"]
    assert after["checkIn"] == {"admitted": 1, "expected": 2}
    assert sorted((t["checkedIn"] or {}).get("gate", "") for t in
                  after["checkInList"]["tickets"]) == ["", "main"]

    # A device of a large show pages the list, one ticket a page here, and follows scans.
    one = (await router.data(PAGE, {"id": show.id}, staff.token))["show"]["checkInList"]
    two = (await router.data(PAGE, {"id": show.id,
                                    "after": one["ticketsPage"]["pageInfo"]["endCursor"]},
                             staff.token))["show"]["checkInList"]
    assert one["ticketsPage"]["pageInfo"]["hasNextPage"] is True
    assert two["ticketsPage"]["pageInfo"]["hasNextPage"] is False
    paged = one["ticketsPage"]["nodes"] + two["ticketsPage"]["nodes"]
    assert [(t["ticketId"], t["holder"]["name"], t["checkedIn"]) for t in paged] == [
        (t["ticketId"], "Dora Door", t["checkedIn"]) for t in after["checkInList"]["tickets"]]
    assert one["scansAfter"]["nodes"] == [{"ticketId": verify_ticket(
        first, listed["ticketKeys"])["tid"], "gate": "main"}]
    # Both tickets arrived by the delta too; refused for anyone else.
    changes = (await router.data(CHANGES, {"id": show.id}, organizer.token)
               )["show"]["checkInList"]["ticketChanges"]["nodes"]
    assert sorted(c["ticket"]["ticketId"] for c in changes if c["admits"]) == sorted(
        t["ticketId"] for t in paged)
    stranger = await router.run(PAGE, {"id": show.id}, buyer.token)
    assert [e["extensions"]["code"] for e in stranger["errors"]] == ["FORBIDDEN"]
