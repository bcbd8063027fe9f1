"""Demo data for ``make dev``: an organizer, a customer, a cinema and tonight's show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from subgraphs.auth import service as auth_service
from subgraphs.auth.models import User
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.tokens import rotate_key
from subgraphs.kernel.app import Runtime, Service
from subgraphs.kernel.auth import Caller
from subgraphs.kernel.settings import Settings
from subgraphs.registry import spec
from subgraphs.venue import service as venue_service
from subgraphs.venue.models import Show

ORGANIZER = ("organizer@ticketflow.dev", "organizer-demo-pass", "Olive Organizer")
CUSTOMER = ("customer@ticketflow.dev", "customer-demo-pass", "Casey Customer")
CINEMA_ROWS = [venue_service.RowSpec(label, 12, "PREMIUM" if label in "GH" else "STANDARD")
               for label in "ABCDEFGH"]


@dataclass
class Demo:
    organizer_email: str
    customer_email: str
    show_id: str
    created: bool

    def describe(self) -> str:
        head = "Demo data loaded." if self.created else "Demo data already present."
        return (
            f"{head}\n"
            f"  organizer: {ORGANIZER[0]} / {ORGANIZER[1]}\n"
            f"  customer:  {CUSTOMER[0]} / {CUSTOMER[1]}\n"
            f"  show id:   {self.show_id}"
        )


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
        return key.kid
    finally:
        await auth.db.dispose()
        await runtime.close()


def _tonight() -> datetime:
    now = datetime.now(UTC)
    start = now.replace(hour=20, minute=0, second=0, microsecond=0)
    return start if start > now + timedelta(hours=1) else now + timedelta(hours=3)


async def seed_demo(settings: Settings) -> Demo:
    """Load the demo data once; later runs find it and change nothing."""
    runtime = Runtime(settings)
    auth, venue = Service(spec("auth"), runtime), Service(spec("venue"), runtime)
    try:
        async with auth.db.session() as session:
            organizer = await session.scalar(select(User).where(User.email == ORGANIZER[0]))
        if organizer is not None:
            async with venue.db.session() as session:
                show = await session.scalar(select(Show).order_by(Show.created_at).limit(1))
            return Demo(ORGANIZER[0], CUSTOMER[0], show.id if show else "", created=False)
        passwords = Passwords(settings)
        organizer = await auth_service.create_account(auth, passwords, *ORGANIZER,
                                                      role="ORGANIZER")
        await auth_service.create_account(auth, passwords, *CUSTOMER)
        who = Caller(organizer.id, frozenset({"ORGANIZER"}))
        cinema = await venue_service.create_venue(venue, who, "TicketFlow Cinema", CINEMA_ROWS)
        show = await venue_service.create_show(venue, who, venue_service.ShowSpec(
            venue_id=cinema.id, title="The Grand Premiere", starts_at=_tonight(), ends_at=None,
            price_amount=1250, currency="EUR"))
        return Demo(ORGANIZER[0], CUSTOMER[0], show.id, created=True)
    finally:
        await auth.db.dispose()
        await venue.db.dispose()
        await runtime.close()
