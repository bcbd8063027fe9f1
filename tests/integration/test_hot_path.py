"""The hold is the hot path of an on-sale: what one costs in SQL statements is fixed.

A hold of seats is the conditional UPDATE of the seats, one statement storing the hold and
the customer's places, one storing the outbox row and the show's change (settled by
PostgreSQL at COMMIT: the show's version and counts), then, after the commit, taking the
settled change back for the live message: four statements on PostgreSQL, none of them
locking the show's row, and no read of the show's seats besides the UPDATE itself. Answering with
the hold's seats and prices costs nothing more (the mutation knows them), and a show's fixed
facts are read once per process. Statements are counted per request as in
``test_batching``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, text

from subgraphs.booking.ledger import CHANGES, STALE_CHANGE, forget_stale_changes
from subgraphs.kernel.db import utcnow
from tests.flows import Actors, ShowOnSale
from tests.harness import GraphQL, Stack
from tests.integration.test_batching import statements_of

HOLD_PRICED = """mutation($show: ID!, $seats: [ID!]!) { holdSeats(showId: $show, seatIds: $seats) {
  __typename ... on SeatHold { id expiresAt seatIds seats { seatId label price { amount } }
                               lines { label price { amount } } total { amount } } } }"""
# PostgreSQL runs the hold's four statements (three in the transaction); SQLite (embedded,
# one writer at a time) has no data-modifying CTEs, so it runs the hold and the customer's
# places, and the counts' update and reads, one by one.
STATEMENTS = {"postgresql": 4, "sqlite": 11}


async def test_a_hold_of_seats_costs_a_fixed_handful_of_statements(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    seats = [str(show.seats[0]["id"]), str(show.seats[1]["id"])]
    # The first hold of a show in a process reads the show's fixed facts (once): warm up.
    warm = await stack.client("booking").data(
        HOLD_PRICED, {"show": show.id, "seats": [str(show.seats[9]["id"])]},
        actors.other_customer.token)
    assert warm["holdSeats"]["__typename"] == "SeatHold"
    rid = f"hot-{uuid.uuid4().hex}"
    client = GraphQL(stack.url("booking"), headers={"x-request-id": rid})
    with statements_of(rid) as seen:
        body = await client.data(HOLD_PRICED, {"show": show.id, "seats": seats},
                                 actors.customer.token)
    hold = body["holdSeats"]
    assert hold["__typename"] == "SeatHold"
    assert hold["seatIds"] == seats
    assert hold["total"]["amount"] == sum(line["price"]["amount"] for line in hold["lines"])
    dialect = stack.services["booking"].db.engine.dialect.name
    assert len(seen) == STATEMENTS[dialect], seen
    assert sum("show_seats" in s and s.lstrip().upper().startswith("UPDATE")
               for s in seen) == 1
    if dialect == "postgresql":
        # The show's row is locked by the commit's trigger only, never by a statement the
        # process sends and then waits on; and the settled change was taken back.
        assert not [s for s in seen if s.lstrip().upper().startswith("UPDATE SHOWS")], seen
        async with stack.services["booking"].db.reader() as session:
            assert (await session.scalar(text("SELECT count(*) FROM show_changes"))) == 0


async def test_a_settled_change_nobody_took_back_is_swept(stack: Stack) -> None:
    """A process that died between its commit and taking its change back leaves a row;
    the sweeper removes it once it is stale, and leaves fresh ones alone."""
    service = stack.services["booking"]
    if service.db.is_sqlite:
        assert await forget_stale_changes(service) == 0  # SQLite settles in the process
        return
    old, fresh = f"old-{uuid.uuid4().hex[:20]}", f"new-{uuid.uuid4().hex[:20]}"
    async with service.db.autocommit.connect() as conn:
        for ident, at in ((old, utcnow() - STALE_CHANGE * 2), (fresh, utcnow())):
            # Committed without settling: no show has this id, the trigger finds none.
            await conn.execute(insert(CHANGES).values(id=ident, show_id="none", deltas=[],
                                                      at=at))
    assert await forget_stale_changes(service) >= 1
    async with service.db.reader() as session:
        left = set(await session.scalars(select(CHANGES.c.id).where(
            CHANGES.c.id.in_([old, fresh]))))
    assert left == {fresh}


async def test_the_same_hold_answers_alike_whatever_it_was_asked(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    """What the mutation answers from memory equals what a read of the stored hold says."""
    seats = [str(show.seats[2]["id"])]
    booking = stack.client("booking")
    made = (await booking.data(HOLD_PRICED, {"show": show.id, "seats": seats},
                               actors.customer.token))["holdSeats"]
    read = (await booking.data("""query($id: ID!) { hold(id: $id) { id expiresAt seatIds
      seats { seatId label price { amount } } lines { label price { amount } }
      total { amount } } }""", {"id": made["id"]}, actors.customer.token))["hold"]
    assert {k: v for k, v in made.items() if k != "__typename"} == read
