"""The venue subgraph's GraphQL schema: its root fields (:mod:`.types` holds the object
types, :mod:`.inputs` the inputs)."""


from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from subgraphs.kernel.auth import require_role
from subgraphs.kernel.graphql import Info, build_schema
from subgraphs.kernel.service import SubgraphSpec
from subgraphs.venue import models, service, teams
from subgraphs.venue.inputs import (
    CreateShowInput,
    CreateVenueInput,
    ShowFilter,
    UpdateShowInput,
    show_change,
    show_spec,
)
from subgraphs.venue.types import (
    LOCAL_TIME,
    CreateShowSeriesInput,
    Hall,
    LocalTime,
    Seat,
    Show,
    ShowConnection,
    ShowSeries,
    TeamRole,
    User,
    Venue,
    load_series,
    series_input,
    visible,
)


@strawberry.type(description="An invitation to venues' teams. The token is shown once, "
                 "to the inviter, who hands it to the person invited: acceptTeamInvitation "
                 "takes it (once, within 7 days).")
class TeamInvitation:
    id: strawberry.ID
    email: str
    role: TeamRole
    venue_ids: list[strawberry.ID]
    expires_at: datetime
    token: str


@strawberry.type
class Query:
    @strawberry.field(description="Shows on sale, soonest first, a page at a time.")
    async def shows(self, info: Info, filter: ShowFilter | None = None, first: int = 20,
                    after: str | None = None) -> ShowConnection:
        f = filter or ShowFilter()
        flt = service.ShowFilter(kind=f.kind.value if f.kind else None,
                                 venue_id=str(f.venue_id) if f.venue_id else None,
                                 starts_from=f.starts_from, starts_to=f.starts_to, text=f.text,
                                 series_id=str(f.series_id) if f.series_id else None)
        async with info.context.service.db.reader() as session:
            rows, more = await service.list_shows(session, flt, service.page_size(first), after)
        return ShowConnection.of(rows, more)

    @strawberry.field(description="A show on sale (drafts: their organizer and admins).")
    async def show(self, info: Info, id: strawberry.ID) -> Show | None:
        return await visible(info, await Show.resolve_reference(info, id))

    @strawberry.field(description="A show series (its venue's owner and admins; anyone once "
                      "one of its shows is on sale).")
    async def show_series(self, info: Info, id: strawberry.ID) -> ShowSeries | None:
        return await load_series(info, str(id))

    @strawberry.field
    async def venues(self, info: Info, first: int = 50) -> list[Venue]:
        async with info.context.service.db.reader() as session:
            rows = await service.list_venues(session, service.page_size(first))
        return [Venue.from_model(v) for v in rows]

    @strawberry.field
    async def venue(self, info: Info, id: strawberry.ID) -> Venue | None:
        return await Venue.resolve_reference(info, id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a venue (organizers). A retry with the same "
                         "idempotencyKey returns the first venue.")
    async def create_venue(self, info: Info, input: CreateVenueInput,
                           idempotency_key: str | None = None) -> Venue:
        rows = ([service.RowInput(r.label, r.seats, r.category) for r in input.rows]
                if input.rows is not None else None)
        venue = await service.create_venue(info.context.service, info.context.caller,
                                           input.name, input.time_zone, rows,
                                           idempotency_key)
        return Venue.from_model(venue)

    @strawberry.mutation(description=(
        "Correct your venue's IANA time zone, e.g. Europe/Berlin (venues from before zones "
        "are in UTC): mails and tickets give its show times in it from now on."))
    async def set_venue_time_zone(self, info: Info, venue_id: strawberry.ID,
                                  time_zone: str) -> Venue:
        venue = await service.set_venue_time_zone(info.context.service, info.context.caller,
                                                  str(venue_id), time_zone)
        return Venue.from_model(venue)

    @strawberry.mutation(description=(
        "Make a user door staff of your venue: they may check tickets in for its shows "
        "(checkIn, uploadCheckIns) and read their check-in lists. Granting twice changes "
        "nothing."))
    async def grant_venue_staff(self, info: Info, venue_id: strawberry.ID,
                                user_id: strawberry.ID) -> Venue:
        venue = await service.grant_venue_staff(info.context.service, info.context.caller,
                                                str(venue_id), str(user_id))
        return Venue.from_model(venue)

    @strawberry.mutation(description="A user is door staff of your venue no more. Revoking "
                         "what was never granted changes nothing.")
    async def revoke_venue_staff(self, info: Info, venue_id: strawberry.ID,
                                 user_id: strawberry.ID) -> Venue:
        venue = await service.revoke_venue_staff(info.context.service, info.context.caller,
                                                 str(venue_id), str(user_id))
        return Venue.from_model(venue)

    @strawberry.mutation(description="Invite someone to your venues' team with a role "
                         "(the venues' organizer or an admin). The answer carries the token "
                         "to hand them; email is your note of whom it is for.")
    async def invite_team_member(self, info: Info, venue_ids: list[strawberry.ID],
                                 email: str, role: TeamRole) -> TeamInvitation:
        done = await teams.invite(info.context.service, info.context.caller,
                                  [str(v) for v in venue_ids], email, role.value)
        i = done.invitation
        return TeamInvitation(id=strawberry.ID(i.id), email=i.email, role=TeamRole(i.role),
                              venue_ids=[strawberry.ID(v) for v in i.venue_ids],
                              expires_at=i.expires_at, token=done.token)

    @strawberry.mutation(description="Join the teams an invitation names (signed in as "
                         "yourself): the venues.")
    async def accept_team_invitation(self, info: Info, token: str) -> list[Venue]:
        venues = await teams.accept(info.context.service, info.context.caller, token)
        return [Venue.from_model(v) for v in venues]

    @strawberry.mutation(description="Take a user off your venue's team, any role (the "
                         "venue's organizer or an admin). Removing someone not on it changes "
                         "nothing.")
    async def remove_team_member(self, info: Info, venue_id: strawberry.ID,
                                 user_id: strawberry.ID) -> Venue:
        venue = await teams.remove(info.context.service, info.context.caller, str(venue_id),
                                   str(user_id))
        return Venue.from_model(venue)

    @strawberry.mutation(description="Add a hall to your venue from a seat-map document "
                         "(docs/seatmap-format.md); a 50,000-seat map loads in one call.")
    async def create_hall(self, info: Info, venue_id: strawberry.ID, seat_map: JSON,
                          idempotency_key: str | None = None) -> Hall:
        hall = await service.create_hall(info.context.service, info.context.caller,
                                         str(venue_id), seat_map, idempotency_key)
        return Hall.from_model(hall)

    @strawberry.mutation(description="A draft show in one of your halls; publishShow puts it "
                         "on sale. Shows in one hall may not overlap.")
    async def create_show(self, info: Info, input: CreateShowInput,
                          idempotency_key: str | None = None) -> Show:
        # Who asks comes first: an anonymous caller learns nothing about valid input.
        require_role(info.context.caller, "ORGANIZER")
        spec = show_spec(input)
        show = await service.create_show(info.context.service, info.context.caller, spec,
                                         idempotency_key)
        return Show.from_model(show)

    @strawberry.mutation(description="DRAFT → ON_SALE: booking starts selling it.")
    async def publish_show(self, info: Info, id: strawberry.ID) -> Show:
        show = await service.publish_show(info.context.service, info.context.caller, str(id))
        return Show.from_model(show)

    @strawberry.mutation(description=(
        "Rename or move one of your shows, a draft or one on sale (one date of a series "
        "too: the series' rule stays, the show becomes an edited date of it). A move may "
        "not overlap another show of the hall. Booking, its notices and tickets take the "
        "new title and times of a show on sale. A cancelled or closed show cannot change."))
    async def update_show(self, info: Info, id: strawberry.ID,
                          input: UpdateShowInput) -> Show:
        require_role(info.context.caller, "ORGANIZER")
        show = await service.update_show(info.context.service, info.context.caller, str(id),
                                         show_change(input))
        return Show.from_model(show)

    @strawberry.mutation(description="Cancel a show; booking stops selling it.")
    async def cancel_show(self, info: Info, id: strawberry.ID) -> Show:
        show = await service.cancel_show(info.context.service, info.context.caller, str(id))
        return Show.from_model(show)

    @strawberry.mutation(description=(
        "Many draft shows from one schedule in one of your halls, in one transaction: on "
        "`weekdays` at each of `times` (the venue's wall clock) from `from` to `until`, but "
        "on `exceptions`; at most 500. Any overlap (with each other or another show of the "
        "hall) refuses the whole series. A retry with the same idempotencyKey returns the "
        "first series."))
    async def create_show_series(self, info: Info, input: CreateShowSeriesInput,
                                 idempotency_key: str | None = None) -> ShowSeries:
        require_role(info.context.caller, "ORGANIZER")
        spec, rule = series_input(input)
        series = await service.create_show_series(info.context.service, info.context.caller,
                                                  spec, rule, input.publish, idempotency_key)
        return await ShowSeries.of(info, series)

    @strawberry.mutation(description="Put every draft show of your series on sale, each as "
                         "publishShow does.")
    async def publish_show_series(self, info: Info, id: strawberry.ID) -> ShowSeries:
        series = await service.publish_show_series(info.context.service, info.context.caller,
                                                   str(id))
        return await ShowSeries.of(info, series)

    @strawberry.mutation(description=(
        "Cancel the drafts and shows on sale of your series, each as cancelShow does "
        "(booking cancels their bookings): all of them, or those on `from` (venue-local "
        "date) and after. cancelShow cancels one date."))
    async def cancel_show_series(self, info: Info, id: strawberry.ID,
                                 from_: Annotated[date | None, strawberry.argument(
                                     name="from")] = None) -> ShowSeries:
        series = await service.cancel_show_series(info.context.service, info.context.caller,
                                                  str(id), from_)
        return await ShowSeries.of(info, series)

    @strawberry.mutation(description=(
        "Rename your series and its draft shows; shows on sale keep the title their "
        "tickets were issued with."))
    async def update_show_series(self, info: Info, id: strawberry.ID,
                                 title: str) -> ShowSeries:
        series = await service.rename_show_series(info.context.service, info.context.caller,
                                                  str(id), title)
        return await ShowSeries.of(info, series)


schema = build_schema(Query, Mutation, types=[Venue, Show, Seat, User],
                      scalars={LocalTime: LOCAL_TIME})
SPEC = SubgraphSpec(name="venue", schema=schema, metadata=models.Base.metadata,
                    tables=models.TABLES)
