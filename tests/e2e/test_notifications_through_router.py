"""A booking paid through the router brings its mails, in both modes: the deployment has no
SMTP host, so the notification service writes them into ``<data dir>/mail`` (as ``make dev``
does), and the tickets in the confirmation verify with the keys the graph publishes and are
the ones the graph serves (``me { bookings { tickets } }``)."""

from __future__ import annotations

import email
import uuid
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from subgraphs.notification.tickets import verify_ticket
from subgraphs.seed import create_user
from tests.flows import CHECKOUT, HOLD, PASSWORD, User, show_on_sale
from tests.harness import GraphQL, Processes, Stack, eventually
from tests.integration.mailbox import images, tokens
from tests.payments import CONFIRM, START, SUCCEEDS

REGISTER = """mutation($i: RegisterInput!) { register(input: $i) {
  accessToken user { id } } }"""


def mails_to(folder: Path, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(message, EmailMessage)
        if message["To"] == address:
            found.append(message)
    return found


async def test_a_booking_paid_through_the_router_brings_tickets_and_a_receipt(
        e2e: tuple[Stack, Processes]) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    address = f"mailed-{uuid.uuid4().hex[:10]}@example.com"
    made = await router.data(REGISTER, {"i": {"email": address, "password": PASSWORD,
                                              "name": "Mia Mailed"}})
    buyer = User(made["register"]["user"]["id"], address, made["register"]["accessToken"])
    organizer_email = f"org-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(stack.settings, organizer_email, PASSWORD, "Org", "ORGANIZER")
    login = await router.data("""mutation($i: LoginInput!) { login(input: $i) {
      accessToken user { id } } }""", {"i": {"email": organizer_email, "password": PASSWORD}})
    organizer = User(login["login"]["user"]["id"], organizer_email, login["login"]["accessToken"])
    show = await show_on_sale(router, router, organizer, via_router=True)
    seats = [show.seats[0]["id"], show.seats[1]["id"], show.seats[2]["id"]]
    held = await router.data(HOLD, {"show": show.id, "seats": seats}, buyer.token)
    booked = await router.data(CHECKOUT, {"hold": held["holdSeats"]["id"],
                                          "key": uuid.uuid4().hex}, buyer.token)
    booking_id = booked["checkout"]["id"]
    started = await eventually(lambda: _start(router, buyer, booking_id))
    paid = await router.data(CONFIRM, {"id": started, "card": SUCCEEDS}, buyer.token)
    assert paid["confirmPayment"]["__typename"] == "Payment"

    folder = Path(stack.env["TICKETFLOW_DATA_DIR"]) / "mail"

    async def all_three() -> list[EmailMessage]:
        # The registration's verification mail, then the confirmation and the receipt.
        found = mails_to(folder, address) if folder.exists() else []
        return found if len(found) >= 3 else []

    await eventually(all_three, timeout=30)
    subjects = sorted(str(m["Subject"]) for m in mails_to(folder, address))
    assert subjects == ["Confirm your email address for TicketFlow",
                        "Receipt: 30.00 EUR paid", "Your tickets for Test Show"]
    (confirmation,) = [m for m in mails_to(folder, address)
                       if str(m["Subject"]).startswith("Your tickets")]
    inline, attached = images(confirmation)
    assert len(inline) == 3 and len(attached) == 3
    keys = (await router.data("{ ticketKeys }"))["ticketKeys"]
    claims = [verify_ticket(t, keys) for t in tokens(confirmation)]
    assert sorted(c["tid"] for c in claims) == sorted(f"{booking_id}:{s}" for s in seats)
    # The same tickets through the graph: booking's bookings joined with notification's.
    mine = await router.data("{ me { bookings { id status tickets { id label token } } } }",
                             token=buyer.token)
    (booking,) = mine["me"]["bookings"]
    assert (booking["id"], booking["status"]) == (booking_id, "CONFIRMED")
    assert [t["token"] for t in booking["tickets"]] == tokens(confirmation)
    assert [t["id"] for t in booking["tickets"]] == [c["tid"] for c in claims]


async def _start(router: GraphQL, buyer: User, booking_id: str) -> str | None:
    # Payment hears of the booking through an event: startPayment waits a little for it.
    body = await router.run(START, {"booking": booking_id}, buyer.token)
    payment = (body.get("data") or {}).get("startPayment")
    return payment["id"] if payment else None
