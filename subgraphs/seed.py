"""Demo data for ``make dev``: an organizer, a customer, a cinema and tonight's show."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from subgraphs.auth import service as auth_service
from subgraphs.auth.models import User
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.tokens import rotate_key
from subgraphs.kernel.auth import Caller
from subgraphs.kernel.service import Runtime, Service
from subgraphs.kernel.settings import Settings
from subgraphs.registry import spec
from subgraphs.venue import service as venue_service
from subgraphs.venue.fares import FareClass, FareSpec, LegAmounts
from subgraphs.venue.models import Show

ORGANIZER = ("organizer@ticketflow.dev", "organizer-demo-pass", "Olive Organizer")
CUSTOMER = ("customer@ticketflow.dev", "customer-demo-pass", "Casey Customer")
SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "seatmaps"


@dataclass(frozen=True)
class SampleShow:
    venue: str
    seat_map: str
    title: str
    kind: str
    starts_in: timedelta
    hours: float
    prices: dict[str, int]
    stops: tuple[str, ...] = ()
    time_zone: str = "Europe/Berlin"  # the venue's; mails give show times in it
    # Fares per leg and fare classes (subgraphs/venue/fares.py).
    fares: FareSpec = field(default_factory=FareSpec)


# The demo train's fare per leg (Hamburg-Hannover, -Kassel, -Frankfurt, -Munich), a saver
# class of at most 20 seats on each leg and a flexible one; the flight's classes.
TRAIN_FARES = FareSpec(
    legs=[LegAmounts("FIRST_CLASS", [2900, 2400, 2100, 4500]),
          LegAmounts("SECOND_CLASS", [1500, 1300, 1100, 2400]),
          LegAmounts("WHEELCHAIR", [1500, 1300, 1100, 2400])],
    classes=[FareClass("SAVER", 75, 20), FareClass("FLEX", 120)])
FLIGHT_FARES = FareSpec(classes=[FareClass("SAVER", 70, 30), FareClass("FLEX", 125)])

# Four verticals, each from its sample seat map (docs/seatmap-format.md), each on sale.
DEMO_SHOWS = (
    SampleShow("TicketFlow Cinema", "cinema.json", "The Grand Premiere", "MOVIE",
               timedelta(0), 2.5, {"STANDARD": 1250, "PREMIUM": 1650, "WHEELCHAIR": 1250}),
    SampleShow("Riverside Arena", "arena.json", "Northern Lights Live", "CONCERT",
               timedelta(days=3), 3, {"STANDING": 4500, "PREMIUM": 9900, "STANDARD": 6900,
                                      "ECONOMY": 3900}, time_zone="Europe/London"),
    SampleShow("TicketFlow Rail", "train.json", "ICE 1042 Hamburg - Munich", "TRAIN",
               timedelta(days=1), 6, {"FIRST_CLASS": 8900, "SECOND_CLASS": 4900,
                                      "WHEELCHAIR": 4900},
               ("Hamburg", "Hannover", "Kassel", "Frankfurt", "Munich"), fares=TRAIN_FARES),
    SampleShow("TicketFlow Air", "aircraft.json", "TF 402 Berlin - Lisbon", "FLIGHT",
               timedelta(days=2), 3.5, {"BUSINESS": 42000, "EXIT_ROW": 16900,
                                        "ECONOMY": 12900}, fares=FLIGHT_FARES),
)


@dataclass
class Demo:
    organizer_email: str
    customer_email: str
    shows: list[tuple[str, str]]  # (id, title)
    created: bool

    def describe(self) -> str:
        head = "Demo data loaded." if self.created else "Demo data already present."
        lines = [head, f"  organizer: {ORGANIZER[0]} / {ORGANIZER[1]}",
                 f"  customer:  {CUSTOMER[0]} / {CUSTOMER[1]}"]
        lines += [f"  show:      {title}  (id {show_id})" for show_id, title in self.shows]
        return "\n".join(lines)


async def create_user(settings: Settings, email: str, password: str, name: str,
                      role: str) -> str:
    """Create a user with any role (the CLI's way to make the first admin); its id."""
    runtime = Runtime(settings)
    auth = Service(spec("auth"), runtime)
    try:
        user = await auth_service.create_account(auth, Passwords(settings), email, password, name,
                                                 role)
        return user.id
    finally:
        await auth.db.dispose()
        await runtime.close()


async def rotate_signing_key(settings: Settings) -> str:
    """Add a new signing key (the CLI's ``rotate-keys``); its key id."""
    runtime = Runtime(settings)
    auth = Service(spec("auth"), runtime)
    try:
        async with auth.uow() as uow:
            key = await rotate_key(uow.session)
            await uow.commit()
        return key.kid
    finally:
        await auth.db.dispose()
        await runtime.close()


# The command line acts as the platform operator (an admin): it reaches the databases anyway.
OPERATOR = Caller("operator", frozenset({"ADMIN"}))


async def import_seat_map(settings: Settings, venue_id: str, document: Any) -> tuple[str, int]:
    """Import a seat-map document as a new hall of a venue (the CLI's ``import-seatmap``)."""
    runtime = Runtime(settings)
    venue = Service(spec("venue"), runtime)
    try:
        hall = await venue_service.create_hall(venue, OPERATOR, venue_id, document)
        return hall.id, venue_service.seatmap.parse(document).seat_count
    finally:
        await venue.db.dispose()
        await runtime.close()


def _tonight(zone: str) -> datetime:
    """20:00 today at the venue (in its zone), or in three hours when that is too soon."""
    now = datetime.now(ZoneInfo(zone))
    start = now.replace(hour=20, minute=0, second=0, microsecond=0)
    return (start if start > now + timedelta(hours=1) else now + timedelta(hours=3)
            ).astimezone(UTC)


async def _sample(venue: Service, who: Caller, sample: SampleShow) -> tuple[str, str]:
    document = json.loads(await asyncio.to_thread((SAMPLES / sample.seat_map).read_text))
    place = await venue_service.create_venue(venue, who, sample.venue, sample.time_zone)
    hall = await venue_service.create_hall(venue, who, place.id, document)
    starts = _tonight(sample.time_zone) + sample.starts_in
    legs = max(1, len(sample.stops) - 1)
    stops: list[tuple[str, datetime | None]] = [
        (name, starts + timedelta(hours=sample.hours * i / legs))
        for i, name in enumerate(sample.stops)]
    show = await venue_service.create_show(venue, who, venue_service.ShowSpec(
        title=sample.title, kind=sample.kind, hall_id=hall.id, starts_at=starts,
        ends_at=starts + timedelta(hours=sample.hours), currency="EUR",
        tiers=sample.prices, stops=stops, fares=sample.fares))
    await venue_service.publish_show(venue, who, show.id)
    return show.id, show.title


async def seed_demo(settings: Settings) -> Demo:
    """Load the demo data once; later runs find it and change nothing."""
    runtime = Runtime(settings)
    auth, venue = Service(spec("auth"), runtime), Service(spec("venue"), runtime)
    try:
        async with auth.db.reader() as session:
            organizer = await session.scalar(select(User).where(User.email == ORGANIZER[0]))
        if organizer is not None:
            async with venue.db.reader() as session:
                found = (await session.execute(select(Show.id, Show.title)
                                               .order_by(Show.created_at))).all()
            return Demo(ORGANIZER[0], CUSTOMER[0], [(str(i), str(t)) for i, t in found],
                        created=False)
        passwords = Passwords(settings)
        organizer = await auth_service.create_account(auth, passwords, *ORGANIZER,
                                                      role="ORGANIZER")
        await auth_service.create_account(auth, passwords, *CUSTOMER)
        who = Caller(organizer.id, frozenset({"ORGANIZER"}))
        shows = [await _sample(venue, who, sample) for sample in DEMO_SHOWS]
        return Demo(ORGANIZER[0], CUSTOMER[0], shows, created=True)
    finally:
        await auth.db.dispose()
        await venue.db.dispose()
        await runtime.close()
