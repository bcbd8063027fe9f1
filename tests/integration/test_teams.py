"""Venue teams (subgraphs/venue/teams.py): inviting people to a venue with a role, their
accepting, what each role may do in venue and in booking (which hears the team as events),
taking them off the team, bad input and who may do what.

The organizer's venue gets a MANAGER (an organizer account), a BOX_OFFICE and a
DOOR_STAFF member (customer accounts); a customer has a booking for the venue's show.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from subgraphs.booking.models import DoorStaff, TeamMemberReplica
from subgraphs.kernel.db import Database, utcnow
from subgraphs.venue.models import TeamInvitation, TeamMember, VenueStaff
from tests.flows import Actors, ShowOnSale, User, new_user, seat_id, show_on_sale
from tests.harness import Stack, eventually
from tests.integration.seating import CREATE_HALL, small_map
from tests.integration.support import only_error
from tests.payments import pending_booking

INVITE = """mutation($v: [ID!]!, $e: String!, $r: TeamRole!) {
  inviteTeamMember(venueIds: $v, email: $e, role: $r) { id email role venueIds token } }"""
ACCEPT = "mutation($t: String!) { acceptTeamInvitation(token: $t) { id } }"
REMOVE = """mutation($v: ID!, $u: ID!) { removeTeamMember(venueId: $v, userId: $u) { id } }"""
TEAM = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Venue { team { user { id } role } } } }"""
SHOW_ENTITY = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Show { FIELDS } } }"
SEARCH = """query($s: ID!) { organizerBookings(filter: {showId: $s}) {
  edges { node { id history { kind } } } } }"""
CREATE_SHOW = "mutation($i: CreateShowInput!) { createShow(input: $i) { id } }"
PUBLISH = "mutation($id: ID!) { publishShow(id: $id) { status } }"
CANCEL = "mutation($id: ID!) { cancelShow(id: $id) { status } }"
UPDATE = "mutation($id: ID!, $i: UpdateShowInput!) { updateShow(id: $id, input: $i) { title } }"


@dataclass
class Team:
    show: ShowOnSale
    manager: User
    box_office: User
    door: User
    booking_id: str


async def _invite(stack: Stack, who: User | None, venue_ids: list[str], role: str,
                  email: str = "someone@example.com") -> dict[str, Any]:
    return await stack.client("venue").run(INVITE, {"v": venue_ids, "e": email, "r": role},
                                           who.token if who else None)


async def _join(stack: Stack, owner: User, member: User, venue_id: str, role: str) -> None:
    invited = await _invite(stack, owner, [venue_id], role, f"{role.lower()}@example.com")
    token = invited["data"]["inviteTeamMember"]["token"]
    accepted = await stack.client("venue").data(ACCEPT, {"t": token}, member.token)
    assert [v["id"] for v in accepted["acceptTeamInvitation"]] == [venue_id]


async def _booking_replica(db: Database, venue_id: str, user_id: str) -> str | None:
    async with db.reader() as s:
        row = await s.get(TeamMemberReplica, (venue_id, user_id))
        return None if row is None else row.role


@pytest.fixture(scope="module")
async def team(stack: Stack, actors: Actors, dbs: dict[str, Database]) -> Team:
    a = actors
    auth = stack.url("auth")
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), a.organizer)
    manager = await new_user(stack, auth, "ORGANIZER")
    box_office, door = await new_user(stack, auth), await new_user(stack, auth)
    await _join(stack, a.organizer, manager, show.venue_id, "MANAGER")
    await _join(stack, a.organizer, box_office, show.venue_id, "BOX_OFFICE")
    await _join(stack, a.organizer, door, show.venue_id, "DOOR_STAFF")
    booking = await pending_booking(stack.client("booking"), a.customer, show.id,
                                    [seat_id(show, 0)])

    async def heard() -> bool:
        async with dbs["booking"].reader() as s:
            door_staff = await s.get(DoorStaff, (show.venue_id, door.id))
        return (await _booking_replica(dbs["booking"], show.venue_id, manager.id) == "MANAGER"
                and await _booking_replica(dbs["booking"], show.venue_id,
                                           box_office.id) == "BOX_OFFICE"
                and door_staff is not None)

    await eventually(heard)
    return Team(show, manager, box_office, door, str(booking["id"]))


def _outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    return "ok"


async def test_the_team_lists_each_member_with_their_role(
        stack: Stack, actors: Actors, team: Team) -> None:
    a = actors
    body = await stack.client("venue").data(
        TEAM, {"r": [{"__typename": "Venue", "id": team.show.venue_id}]}, a.organizer.token)
    members = {m["user"]["id"]: m["role"] for m in body["_entities"][0]["team"]}
    assert members == {team.manager.id: "MANAGER", team.box_office.id: "BOX_OFFICE",
                       team.door.id: "DOOR_STAFF"}
    got = {}
    for name, who in [("anonymous", None), ("customer", a.customer),
                      ("other organizer", a.other_organizer), ("box office", team.box_office),
                      ("door", team.door), ("manager", team.manager), ("organizer", a.organizer),
                      ("admin", a.admin)]:
        got[name] = _outcome(await stack.client("venue").run(
            TEAM, {"r": [{"__typename": "Venue", "id": team.show.venue_id}]},
            who.token if who else None))
    assert got == {"anonymous": "UNAUTHENTICATED", "customer": "FORBIDDEN",
                   "other organizer": "FORBIDDEN", "box office": "FORBIDDEN",
                   "door": "FORBIDDEN", "manager": "ok", "organizer": "ok", "admin": "ok"}


async def test_a_manager_runs_the_venues_halls_and_shows_an_unrelated_organizer_may_not(
        stack: Stack, actors: Actors, team: Team) -> None:
    venue = stack.client("venue")
    venue_id = team.show.venue_id
    for who in (actors.other_organizer, team.box_office):
        body = await venue.run(CREATE_HALL, {"venue": venue_id, "map": small_map(
            f"Nope {uuid.uuid4().hex[:6]}")}, who.token)
        assert only_error(body)["extensions"]["code"] == "FORBIDDEN"
    hall = await venue.data(CREATE_HALL, {"venue": venue_id, "map": small_map(
        f"Managed {uuid.uuid4().hex[:6]}")}, team.manager.token)
    show_input = {"i": {"hallId": hall["createHall"]["id"], "title": "Managed",
                        "startsAt": "2031-05-01T19:00:00+00:00",
                        "price": {"amount": 500, "currency": "EUR"}}}
    assert only_error(await venue.run(CREATE_SHOW, show_input, actors.other_organizer.token)
                      )["extensions"]["code"] == "FORBIDDEN"
    show_id = (await venue.data(CREATE_SHOW, show_input, team.manager.token))["createShow"]["id"]
    for mutation in (PUBLISH, CANCEL):
        body = await venue.run(mutation, {"id": show_id}, actors.other_organizer.token)
        assert only_error(body)["extensions"]["code"] == "FORBIDDEN"
    assert (await venue.data(PUBLISH, {"id": show_id}, team.manager.token)
            )["publishShow"]["status"] == "ON_SALE"
    rename = {"id": show_id, "i": {"title": "Managed, renamed"}}
    for who in (actors.other_organizer, team.box_office):
        body = await venue.run(UPDATE, rename, who.token)
        assert only_error(body)["extensions"]["code"] == "FORBIDDEN"
    assert (await venue.data(UPDATE, rename, team.manager.token)
            )["updateShow"]["title"] == "Managed, renamed"
    assert (await venue.data(CANCEL, {"id": show_id}, team.manager.token)
            )["cancelShow"]["status"] == "CANCELLED"


async def test_booking_lets_the_team_search_bookings_check_in_and_the_manager_read_reports(
        stack: Stack, actors: Actors, team: Team) -> None:
    booking = stack.client("booking")
    show_ref = {"r": [{"__typename": "Show", "id": team.show.id}]}

    async def search(who: User | None) -> str:
        body = await booking.run(SEARCH, {"s": team.show.id}, who.token if who else None)
        if body.get("errors"):
            return _outcome(body)
        edges = body["data"]["organizerBookings"]["edges"]
        ids = [e["node"]["id"] for e in edges]
        if ids != [team.booking_id]:
            return f"empty {ids}"
        assert [e["kind"] for e in edges[0]["node"]["history"]] == ["HELD", "CHECKED_OUT"]
        return "found"

    async def entity(who: User, fields: str) -> str:
        return _outcome(await booking.run(SHOW_ENTITY.replace("FIELDS", fields), show_ref,
                                          who.token))

    people = {"manager": team.manager, "box office": team.box_office, "door": team.door,
              "customer": actors.customer, "other organizer": actors.other_organizer}
    assert {k: await search(v) for k, v in people.items()} == {
        "manager": "found", "box office": "found", "door": "FORBIDDEN",
        "customer": "FORBIDDEN", "other organizer": "empty []"}
    assert {k: await entity(v, "salesReport { totals { sold } }")
            for k, v in people.items()} == {
        "manager": "ok", "box office": "FORBIDDEN", "door": "FORBIDDEN",
        "customer": "FORBIDDEN", "other organizer": "FORBIDDEN"}
    export = (f"{stack.url('booking').removesuffix('/graphql')}/exports/shows/"
              f"{team.show.id}/orders.csv")
    async with httpx.AsyncClient(timeout=30) as client:
        statuses = {k: (await client.get(export, headers={
            "authorization": f"Bearer {v.token}"})).status_code for k, v in people.items()}
    assert statuses == {"manager": 200, "box office": 403, "door": 403, "customer": 403,
                        "other organizer": 403}
    assert {k: await entity(v, "checkIn { admitted expected }")
            for k, v in people.items()} == {
        "manager": "ok", "box office": "ok", "door": "ok", "customer": "FORBIDDEN",
        "other organizer": "FORBIDDEN"}


async def test_removing_a_member_takes_their_role_away_everywhere(
        stack: Stack, actors: Actors, dbs: dict[str, Database]) -> None:
    a = actors
    show = await show_on_sale(stack.client("venue"), stack.client("booking"), a.organizer)
    box, door = await new_user(stack, stack.url("auth")), await new_user(stack, stack.url("auth"))
    await _join(stack, a.organizer, box, show.venue_id, "BOX_OFFICE")
    await _join(stack, a.organizer, door, show.venue_id, "DOOR_STAFF")

    async def joined() -> bool:
        async with dbs["booking"].reader() as s:
            staff = await s.get(DoorStaff, (show.venue_id, door.id))
        return (await _booking_replica(dbs["booking"], show.venue_id, box.id) is not None
                and staff is not None)

    await eventually(joined)
    for who in (a.other_organizer, a.customer, box):
        body = await stack.client("venue").run(REMOVE, {"v": show.venue_id, "u": box.id},
                                               who.token)
        assert only_error(body)["extensions"]["code"] == "FORBIDDEN"
    for member in (box, door):
        await stack.client("venue").data(REMOVE, {"v": show.venue_id, "u": member.id},
                                         a.organizer.token)
    async with dbs["venue"].reader() as s:
        assert await s.get(TeamMember, (show.venue_id, box.id)) is None
        assert await s.get(VenueStaff, (show.venue_id, door.id)) is None

    async def gone() -> bool:
        async with dbs["booking"].reader() as s:
            staff = await s.get(DoorStaff, (show.venue_id, door.id))
        return (await _booking_replica(dbs["booking"], show.venue_id, box.id) is None
                and staff is None)

    await eventually(gone)
    body = await stack.client("booking").run(SEARCH, {"s": show.id}, box.token)
    assert only_error(body)["extensions"]["code"] == "FORBIDDEN"
    # Removing someone not on the team changes nothing.
    await stack.client("venue").data(REMOVE, {"v": show.venue_id, "u": str(uuid.uuid4())},
                                     a.admin.token)


async def _invitations(db: Database) -> int:
    async with db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(TeamInvitation)) or 0)


async def test_who_may_invite(stack: Stack, actors: Actors, team: Team,
                              dbs: dict[str, Database]) -> None:
    a = actors
    got = {name: _outcome(await _invite(stack, who, [team.show.venue_id], "BOX_OFFICE"))
           for name, who in [("anonymous", None), ("customer", a.customer),
                             ("other organizer", a.other_organizer),
                             ("manager", team.manager), ("box office", team.box_office),
                             ("organizer", a.organizer), ("admin", a.admin)]}
    assert got == {"anonymous": "UNAUTHENTICATED", "customer": "FORBIDDEN",
                   "other organizer": "FORBIDDEN", "manager": "FORBIDDEN",
                   "box office": "FORBIDDEN", "organizer": "ok", "admin": "ok"}
    accept = await stack.client("venue").run(ACCEPT, {"t": "whatever"})
    assert only_error(accept)["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(("venues", "email", "role", "field", "code"), [
    ([], "a@example.com", "MANAGER", "venueIds", "BAD_USER_INPUT"),
    (["not-an-id"], "a@example.com", "MANAGER", "venueIds", "BAD_USER_INPUT"),
    (["VENUE"], "not an address", "MANAGER", "email", "BAD_USER_INPUT"),
    (["VENUE"], "", "MANAGER", "email", "BAD_USER_INPUT"),
    (["VENUE", "UNKNOWN"], "a@example.com", "MANAGER", "venueIds", "NOT_FOUND"),
])
async def test_bad_invitations_are_refused_and_change_nothing(
        stack: Stack, actors: Actors, team: Team, dbs: dict[str, Database],
        venues: list[str], email: str, role: str, field: str, code: str) -> None:
    before = await _invitations(dbs["venue"])
    ids = [team.show.venue_id if v == "VENUE" else str(uuid.uuid4()) if v == "UNKNOWN" else v
           for v in venues]
    error = only_error(await _invite(stack, actors.organizer, ids, role, email))
    assert (error["extensions"]["code"], error["extensions"].get("field")) == (code, field)
    assert await _invitations(dbs["venue"]) == before


async def test_an_invitation_is_taken_once_before_it_expires(
        stack: Stack, actors: Actors, team: Team, dbs: dict[str, Database]) -> None:
    a = actors
    venue = stack.client("venue")

    async def invitation() -> tuple[str, str]:
        body = await _invite(stack, a.organizer, [team.show.venue_id], "BOX_OFFICE")
        found = body["data"]["inviteTeamMember"]
        return found["id"], found["token"]

    def refused(body: dict[str, Any]) -> None:
        error = only_error(body)
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (
            "BAD_USER_INPUT", "token")

    auth = stack.url("auth")
    joiner, late = await new_user(stack, auth), await new_user(stack, auth)
    refused(await venue.run(ACCEPT, {"t": "no-such-token"}, joiner.token))
    _, token = await invitation()
    refused(await venue.run(ACCEPT, {"t": token}, a.organizer.token))  # the owner needs none
    await venue.data(ACCEPT, {"t": token}, joiner.token)
    refused(await venue.run(ACCEPT, {"t": token}, late.token))  # used
    invitation_id, token = await invitation()
    async with dbs["venue"].writer() as s:
        await s.execute(update(TeamInvitation).where(TeamInvitation.id == invitation_id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
        await s.commit()
    refused(await venue.run(ACCEPT, {"t": token}, late.token))
    async with dbs["venue"].reader() as s:
        assert await s.get(TeamMember, (team.show.venue_id, late.id)) is None
        assert (await s.get(TeamMember, (team.show.venue_id, joiner.id))) is not None
    # Bad user id on removal.
    body = await venue.run(REMOVE, {"v": team.show.venue_id, "u": "nobody"}, a.organizer.token)
    assert only_error(body)["extensions"]["field"] == "userId"
    await venue.data(REMOVE, {"v": team.show.venue_id, "u": joiner.id}, a.organizer.token)
