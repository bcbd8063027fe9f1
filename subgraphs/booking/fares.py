"""What a seat costs on a segment, in a fare class, and the fare classes' quotas.

Pricing is one function, :func:`unit_price`, for every seat of every show: the segment's
fare in the seat's category (origin-destination amount, else the sum of the per-leg
amounts, else the category's price tier); on a show with ticket types, that fare scaled by
the seat's type price over the tier price (the type's price itself when there are no
segment fares), rounded half up; then the fare class's percent of it, rounded half up. The
document comes from venue's ``ShowPublished`` (``subgraphs/venue/fares.py`` checks it) and
never changes once the show is on sale.

A hold of a journey with fares, or with a fare class, stores its unit prices per category
in ``hold_fares`` when it is made (:func:`take`); a typed hold's lines
(:func:`.ticket_types.freeze`) store each seat's price from :func:`unit_price` with its
type, and win over ``hold_fares`` (:func:`.reads.typed_price`). Either way what a hold and
its booking cost never moves afterwards.

A fare class with a quota counts its seats per leg in ``fare_quotas`` (invariant 15):
:func:`take` is one conditional ``UPDATE … SET used = used + n WHERE used + n <= quota``
over every leg of the segment, in the hold's transaction, and the hold is refused unless it
changed every leg's row; :func:`give_back` returns them once, when the hold ends
(released, expired, its booking cancelled), guarded by ``hold_fares.returned_at``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.booking.models import FareQuota, Hold, HoldFare, ShowSeat
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.errors import BadUserInput, Conflict
from subgraphs.kernel.events import ShowPublished

Doc = dict[str, Any]
QUOTAS = cast(Table, FareQuota.__table__)


class FareClassSoldOut(Conflict):
    """The fare class has no seats left on some leg of the segment (``CONFLICT``)."""


def classes(doc: Doc | None) -> dict[str, Doc]:
    """The show's fare classes by name."""
    return {c["name"]: c for c in (doc or {}).get("classes", [])}


def check_class(doc: Doc | None, fare_class: str | None, field: str = "fareClass") -> None:
    """``BAD_USER_INPUT`` unless ``fare_class`` is none or one of the show's classes."""
    if fare_class is not None and fare_class not in classes(doc):
        known = sorted(classes(doc))
        raise BadUserInput(
            f"This show has no fare class {fare_class}"
            + (f"; it has {', '.join(known)}." if known else "."), field=field,
            fareClasses=known)


def priced(doc: Doc | None, fare_class: str | None) -> bool:
    """Whether a hold needs its own prices (a journey with fares, or a fare class)."""
    return fare_class is not None or bool(doc and (doc.get("legs") or doc.get("od")))


def segment_fare(doc: Doc | None, category: str, base: int, legs: range) -> int:
    """The fare of ``category`` over ``legs`` (stops ``legs.start`` to ``legs.stop``): the
    origin-destination amount, else the sum of the per-leg amounts, else ``base``."""
    doc = doc or {}
    od = doc.get("od", {}).get(category, {})
    pair = f"{legs.start}-{legs.stop}"
    if pair in od:
        return int(od[pair])
    per_leg = doc.get("legs", {}).get(category)
    if per_leg is not None:
        return sum(int(a) for a in per_leg[legs.start:legs.stop])
    return base


def unit_price(doc: Doc | None, category: str, base: int, legs: range,
               fare_class: str | None, type_price: int | None = None) -> int:
    """The pricing rule, in one place: what one seat of ``category`` (price tier ``base``)
    costs over ``legs`` in ``fare_class``, sold as a ticket type priced ``type_price`` for
    the category (``None``: a show without ticket types).

    1. The segment's fare (:func:`segment_fare`; ``base`` without segment fares).
    2. With a ticket type, the fare times ``type_price / base``, rounded half up to the
       minor unit: without segment fares that is exactly ``type_price``; on a journey an
       Adult/Child ratio carries over to every segment. A free tier (``base`` 0) has no
       ratio: the type's price is the fare.
    3. With a fare class, its percent of that, rounded half up.
    """
    fare = segment_fare(doc, category, base, legs)
    if type_price is not None:
        fare = type_price if base <= 0 else (2 * fare * type_price + base) // (2 * base)
    if fare_class is None:
        return fare
    percent = int(classes(doc)[fare_class]["percent"])
    return (fare * percent + 50) // 100


def pricing(doc: Doc | None, tiers: dict[str, int], legs: range,
            fare_class: str | None) -> Callable[[str, int], int]:
    """:func:`unit_price` of a hold's seats as a ticket type: (category, type price) to
    the seat's unit price, ``tiers`` the categories' price tiers."""
    return lambda category, type_price: unit_price(doc, category, tiers[category], legs,
                                                   fare_class, type_price)


async def apply_published(session: AsyncSession, p: ShowPublished, legs: int) -> None:
    """A quota row per fare class with a quota and leg of a show just published."""
    rows = [{"show_id": p.show_id, "fare_class": c["name"], "leg": leg, "quota": c["quota"],
             "used": 0}
            for c in (p.fares or {}).get("classes", []) if c.get("quota") is not None
            for leg in range(legs)]
    if rows:
        await session.execute(insert(FareQuota), rows)


_TAKE_QUOTA = (
    update(QUOTAS)
    .where(QUOTAS.c.show_id == bindparam("q_show"),
           QUOTAS.c.fare_class == bindparam("q_class"),
           QUOTAS.c.leg >= bindparam("q_from"), QUOTAS.c.leg < bindparam("q_to"),
           QUOTAS.c.used + bindparam("q_n") <= QUOTAS.c.quota)
    .values(used=QUOTAS.c.used + bindparam("q_n")))


async def take(session: AsyncSession, doc: Doc | None, hold: Hold,
               seats: Iterable[tuple[str, int]], fare_class: str | None) -> dict[str, int]:
    """Price a hold just stored (its seats as ``(category, price tier)``, one per seat) and
    take its fare class's quota on every leg; the unit price per category.
    :class:`FareClassSoldOut` when a leg has too few left (the caller rolls back)."""
    legs = range(hold.leg_from, hold.leg_to)
    wanted = list(seats)
    prices = {category: unit_price(doc, category, base, legs, fare_class)
              for category, base in wanted}
    quota = None if fare_class is None else classes(doc)[fare_class].get("quota")
    if quota is not None:
        moved = await session.execute(_TAKE_QUOTA, {
            "q_show": hold.show_id, "q_class": fare_class, "q_from": legs.start,
            "q_to": legs.stop, "q_n": len(wanted)})
        if moved.rowcount != len(legs):  # type: ignore[attr-defined]
            raise FareClassSoldOut(
                f"No {fare_class} fare left for {len(wanted)} seats on this segment.",
                field="fareClass", fareClass=fare_class)
    await session.execute(insert(HoldFare).values(
        hold_id=hold.id, show_id=hold.show_id, fare_class=fare_class, seats=len(wanted),
        prices=prices))
    return prices


async def give_back(session: AsyncSession, hold: Hold) -> None:
    """Give the hold's fare-class seats back to the quota of each of its legs, once: only
    the first call finds ``returned_at`` empty (the hold's row is locked by the caller)."""
    returned = (await session.execute(
        update(HoldFare).where(HoldFare.hold_id == hold.id, HoldFare.returned_at.is_(None))
        .values(returned_at=utcnow())
        .returning(HoldFare.fare_class, HoldFare.seats)
        .execution_options(synchronize_session=False))).first()
    if returned is None or returned.fare_class is None:
        return
    await session.execute(
        update(FareQuota).where(FareQuota.show_id == hold.show_id,
                                FareQuota.fare_class == returned.fare_class,
                                FareQuota.leg >= hold.leg_from, FareQuota.leg < hold.leg_to)
        .values(used=FareQuota.used - returned.seats)
        .execution_options(synchronize_session=False))


async def prices_of(session: AsyncSession, hold_ids: Sequence[str]
                    ) -> dict[str, tuple[str | None, dict[str, int]]]:
    """The fare class and unit prices stored with each of these holds that has them."""
    rows = await session.execute(select(HoldFare.hold_id, HoldFare.fare_class, HoldFare.prices)
                                 .where(HoldFare.hold_id.in_(set(hold_ids))))
    return {h: (c, {k: int(v) for k, v in p.items()}) for h, c, p in rows}


async def show_fares(session: AsyncSession, show_id: str, doc: Doc | None,
                     legs: range) -> list[tuple[str, str | None, int, int | None]]:
    """Each category's fare over ``legs``, without a class and in each class, with the
    class's seats left (the fewest over the legs; ``None``: no quota), as
    ``(category, class, amount, left)``."""
    tiers = dict((await session.execute(
        select(ShowSeat.category, ShowSeat.price_amount).distinct()
        .where(ShowSeat.show_id == show_id, ShowSeat.leg == 0))).all())
    left: dict[str, int] = {}
    for name, quota, used in await session.execute(
            select(FareQuota.fare_class, FareQuota.quota, FareQuota.used)
            .where(FareQuota.show_id == show_id, FareQuota.leg >= legs.start,
                   FareQuota.leg < legs.stop)):
        left[name] = min(left.get(name, quota - used), quota - used)
    found: list[tuple[str, str | None, int, int | None]] = []
    for category in sorted(tiers):
        found.append((category, None, unit_price(doc, category, tiers[category], legs, None),
                      None))
        for name in classes(doc):
            found.append((category, name,
                          unit_price(doc, category, tiers[category], legs, name),
                          left.get(name)))
    return found
