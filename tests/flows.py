"""Multi-step flows tests share: users with roles, a venue with a show on sale, its seats'
ids, and the documents every level of tests sends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from subgraphs.seed import create_user
from tests.harness import GraphQL, Stack, eventually

LOGIN = """mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }"""
CREATE_VENUE = """mutation($i: CreateVenueInput!) {
  createVenue(input: $i) { id name seats { id label category } } }"""
CREATE_SHOW = """mutation($i: CreateShowInput!) {
  createShow(input: $i) { id title status price { amount currency } } }"""
PUBLISH_SHOW = """mutation($id: ID!) { publishShow(id: $id) { id status } }"""
AVAILABILITY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Show { availability { total available held sold } } } }"""
SHOW_AVAILABILITY = """query($id: ID!) { show(id: $id) { availability {
  total available held sold } } }"""
HOLD = """mutation($show: ID!, $seats: [ID!]!) { holdSeats(showId: $show, seatIds: $seats) {
  __typename
  ... on SeatHold { id expiresAt seatIds }
  ... on SeatsUnavailable { code message seatIds } } }"""
CHECKOUT = """mutation($hold: ID!, $key: String!) { checkout(holdId: $hold, idempotencyKey: $key) {
  __typename
  ... on Booking { id status total { amount currency } lines { seatId label } }
  ... on HoldExpired { code holdId } } }"""
# Booking's live seat map, as a client that checks fromVersion follows it.
SEAT_AVAILABILITY = """subscription($show: ID!) { seatAvailability(showId: $show) {
  showId kind version fromVersion seats { seatId state }
  availability { total available held sold } } }"""
PASSWORD = "correct horse battery"


@dataclass
class User:
    id: str
    email: str
    token: str


@dataclass
class Actors:
    customer: User
    other_customer: User
    organizer: User
    other_organizer: User
    admin: User


async def login(client: GraphQL, email: str, password: str = PASSWORD) -> User:
    data = await client.data(LOGIN, {"i": {"email": email, "password": password}})
    return User(data["login"]["user"]["id"], email, data["login"]["accessToken"])


async def new_user(stack: Stack, auth_url: str, role: str = "CUSTOMER") -> User:
    """A user with ``role`` made by the admin CLI's code path, signed in over HTTP."""
    email = f"{role.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(stack.settings, email, PASSWORD, f"Test {role.title()}", role)
    return await login(GraphQL(auth_url), email)


async def make_actors(stack: Stack, url_of: Callable[[str], str]) -> Actors:
    auth = url_of("auth")
    return Actors(
        customer=await new_user(stack, auth),
        other_customer=await new_user(stack, auth),
        organizer=await new_user(stack, auth, "ORGANIZER"),
        other_organizer=await new_user(stack, auth, "ORGANIZER"),
        admin=await new_user(stack, auth, "ADMIN"),
    )


@dataclass
class ShowOnSale:
    id: str
    venue_id: str
    seats: list[dict[str, Any]]


async def show_on_sale(venue: GraphQL, booking: GraphQL, organizer: User,
                       rows: list[dict[str, Any]] | None = None,
                       price: int = 1000, via_router: bool = False,
                       stops: list[str] | None = None, currency: str = "EUR",
                       time_zone: str = "UTC",
                       starts_at: str = "2030-01-01T19:00:00+00:00") -> ShowOnSale:
    """Create a venue (in ``time_zone``) and a show as ``organizer``, then wait until
    booking can sell it."""
    rows = rows or [{"label": "A", "seats": 5}, {"label": "B", "seats": 5}]
    v = await venue.data(CREATE_VENUE, {"i": {"name": f"Hall {uuid.uuid4().hex[:6]}",
                                              "timeZone": time_zone, "rows": rows}},
                         organizer.token)
    venue_id = v["createVenue"]["id"]
    s = await venue.data(CREATE_SHOW, {"i": {
        "venueId": venue_id, "title": "Test Show", "startsAt": starts_at,
        "price": {"amount": price, "currency": currency},
        **({"stops": [{"name": n} for n in stops]} if stops else {})}}, organizer.token)
    show_id = s["createShow"]["id"]
    await venue.data(PUBLISH_SHOW, {"id": show_id}, organizer.token)

    async def inventory_ready() -> bool:
        if via_router:
            body = await booking.run(SHOW_AVAILABILITY, {"id": show_id})
            show = (body.get("data") or {}).get("show") or {}
            return bool(show.get("availability"))
        body = await booking.run(AVAILABILITY, {"r": [{"__typename": "Show", "id": show_id}]})
        ents = (body.get("data") or {}).get("_entities") or [None]
        return bool(ents[0] and ents[0]["availability"])

    await eventually(inventory_ready)
    return ShowOnSale(show_id, venue_id, v["createVenue"]["seats"])


def seat_ids(show: ShowOnSale, *positions: int) -> list[str]:
    """The ids of the show's seats at these positions (seat-map order, from 0)."""
    return [str(show.seats[p]["id"]) for p in positions]


def seat_id(show: ShowOnSale, position: int) -> str:
    """The id of the show's seat at ``position``."""
    [found] = seat_ids(show, position)
    return found
