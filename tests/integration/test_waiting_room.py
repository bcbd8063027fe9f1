"""The waiting room (docs/waiting-room.md), in both modes: the pre-queue placed in random
order at opening and later arrivals in order, admission never beyond the rate, a pass that
admits one purchase session of its own user and show, pause and resume, and each new
mutation's bad input and authorization.

Admission rounds are run by the test at chosen times (``admit_round(now=...)``) on queues
that open a day from now, so the deployment's own admitter (which runs on the clock) never
opens them: nothing here depends on the machine's speed.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from ticketflow_sdk.queue import solve_proof_of_work

from subgraphs.booking import waiting_room
from subgraphs.booking.models import CANCELLED, BookableShow, Hold, QueuePassUse, ShowQueue
from subgraphs.booking.queue_security import TicketId, read_pass
from subgraphs.booking.queue_store import shuffled
from subgraphs.kernel.db import Database
from tests.flows import HOLD, Actors, ShowOnSale, User, new_user, seat_ids, show_on_sale
from tests.harness import GraphQL, Stack, http
from tests.integration.support import refusal

CONFIGURE = """mutation($show: ID!, $i: QueueInput!) { configureQueue(showId: $show, input: $i) {
  opensAt ratePerMinute auto paused opened waiting admitted sold abandoned } }"""
PAUSE = "mutation($show: ID!) { pauseQueue(showId: $show) { paused admitted waiting } }"
RESUME = "mutation($show: ID!) { resumeQueue(showId: $show) { paused admitted waiting } }"
CHALLENGE = "query($show: ID!) { queueChallenge(showId: $show) { kind nonce difficulty } }"
JOIN = """mutation($show: ID!, $nonce: String, $solution: String) {
  joinQueue(showId: $show, nonce: $nonce, solution: $solution) {
    id showId state position estimatedWaitSeconds pollAfterSeconds pass passExpiresAt } }"""
STATUS = """query($t: ID!) { queueStatus(ticketId: $t) {
  id state position estimatedWaitSeconds pollAfterSeconds pass passExpiresAt } }"""
SHOW_QUEUE = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Show {
  queue { ratePerMinute paused opened waiting admitted sold abandoned } } } }"""


def opening() -> datetime:
    """A day from now: only the test's own admission rounds open such a queue."""
    return (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)


async def configure(booking: GraphQL, show_id: str, who: User, opens: datetime,
                    rate: int | None) -> dict[str, Any]:
    body = await booking.data(CONFIGURE, {"show": show_id, "i": {
        "opensAt": opens.isoformat(), "ratePerMinute": rate}}, who.token)
    return body["configureQueue"]  # type: ignore[no-any-return]


async def join(booking: GraphQL, show_id: str, who: User) -> dict[str, Any]:
    """Answer the challenge (proof of work, as the SDK does) and join."""
    challenge = (await booking.data(CHALLENGE, {"show": show_id}, who.token))["queueChallenge"]
    answer: dict[str, Any] = {}
    if challenge is not None:
        assert challenge["kind"] == "pow"
        answer = {"nonce": challenge["nonce"],
                  "solution": solve_proof_of_work("pow", challenge["nonce"],
                                                  challenge["difficulty"])}
    body = await booking.data(JOIN, {"show": show_id, **answer}, who.token)
    return body["joinQueue"]  # type: ignore[no-any-return]


async def status(booking: GraphQL, ticket: dict[str, Any], who: User) -> dict[str, Any]:
    return (await booking.data(STATUS, {"t": ticket["id"]}, who.token))["queueStatus"]  # type: ignore[no-any-return]


async def customers(stack: Stack, n: int) -> list[User]:
    return [await new_user(stack, stack.url("auth")) for _ in range(n)]


async def test_the_pre_queue_is_placed_at_random_and_later_arrivals_in_order(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    booking = stack.client("booking")
    service = stack.services["booking"]
    opens = opening()
    await configure(booking, show.id, actors.organizer, opens, 60)
    early = await customers(stack, 8)
    tickets = [await join(booking, show.id, who) for who in early]
    for ticket in tickets:  # not placed yet: the order is drawn at opening
        assert ticket["state"] == "WAITING" and ticket["position"] is None
        assert ticket["estimatedWaitSeconds"] > 0
    # joining again is the same ticket (one place per account)
    assert (await join(booking, show.id, early[0]))["id"] == tickets[0]["id"]

    await waiting_room.admit_round(service, now=opens.timestamp())
    state = await waiting_room.store(service).state(show.id)
    assert state.pre == 8
    places = [(await status(booking, t, who))["position"] for t, who in zip(tickets, early,
                                                                              strict=True)]
    assert sorted(places) == list(range(1, 9))
    # each place is the opening's draw for that arrival, not the order of arrival
    assert places == [shuffled(i, 8, state.key) for i in range(1, 9)]

    late = await customers(stack, 3)
    late_tickets = [await join(booking, show.id, who) for who in late]
    assert [t["position"] for t in late_tickets] == [9, 10, 11]
    assert all(t["estimatedWaitSeconds"] == t["position"] for t in late_tickets)  # 1 a second


def test_the_shuffle_is_a_permutation_that_favours_no_arrival() -> None:
    size, keys = 8, 4000
    first = [0] * size  # how often arrival i+1 got the first place
    for k in range(keys):
        key = uuid.UUID(int=k).bytes
        perm = [shuffled(i, size, key) for i in range(1, size + 1)]
        assert sorted(perm) == list(range(1, size + 1))
        first[perm.index(1)] += 1
    # 500 each on average; a fixed set of keys, so the counts are always the same
    assert all(350 < count < 650 for count in first), first


async def test_admission_never_outruns_the_rate_and_a_pass_admits_one_purchase(
        stack: Stack, actors: Actors, show: ShowOnSale, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    service = stack.services["booking"]
    opens = opening()
    await configure(booking, show.id, actors.organizer, opens, 60)  # one a second
    people = await customers(stack, 6)
    tickets = [await join(booking, show.id, who) for who in people]
    t0 = opens.timestamp()
    await waiting_room.admit_round(service, now=t0)
    await waiting_room.admit_round(service, now=t0 + 3.5)
    seen = [await status(booking, t, who) for t, who in zip(tickets, people, strict=True)]
    admitted = [s for s in seen if s["state"] == "ADMITTED"]
    assert len(admitted) == 3  # 3.5 s at one a second: three whole admissions, no more
    assert sorted(s["position"] for s in seen if s["state"] == "WAITING") == [1, 2, 3]
    assert all(s["pass"] and s["passExpiresAt"] for s in admitted)
    queue = (await booking.data(SHOW_QUEUE, {"r": [{"__typename": "Show", "id": show.id}]},
                                actors.organizer.token))["_entities"][0]["queue"]
    assert (queue["admitted"], queue["waiting"], queue["opened"]) == (3, 3, True)
    # a later round admits what the time allows, never more people than came
    await waiting_room.admit_round(service, now=t0 + 600)
    assert (await waiting_room.store(service).state(show.id)).admitted_places == 6

    i = next(n for n, s in enumerate(seen) if s["state"] == "ADMITTED")
    who, pass_ = people[i], seen[i]["pass"]
    other = people[next(n for n, s in enumerate(seen) if n != i)]
    plain = replace(booking, token=who.token)
    with_pass = replace(booking, token=who.token, headers={"ticketflow-queue-pass": pass_})

    # no pass, a made-up pass, another user's pass: QUEUED, nothing held
    for client, token in ((plain, who.token), (replace(booking, headers={
            "ticketflow-queue-pass": "x.y.z"}), who.token), (replace(booking, headers={
                "ticketflow-queue-pass": pass_}), other.token)):
        body = await client.run(HOLD, {"show": show.id, "seats": seat_ids(show, 0)}, token)
        assert refusal(body)[0] == "QUEUED", body
    # the pass's first successful hold spends it; a refusal before gives it back
    first = await with_pass.run(HOLD_KEYED, {"show": show.id, "seats": seat_ids(show, 1),
                                             "key": "k1"})
    assert first["data"]["holdSeats"]["__typename"] == "SeatHold", first
    hold_id = first["data"]["holdSeats"]["id"]
    again = await with_pass.run(HOLD_KEYED, {"show": show.id, "seats": seat_ids(show, 1),
                                             "key": "k1"})
    assert again["data"]["holdSeats"]["id"] == hold_id  # a retry is the same hold
    second = await with_pass.run(HOLD_KEYED, {"show": show.id, "seats": seat_ids(show, 2),
                                              "key": "k2"})
    assert refusal(second)[0] == "QUEUED"
    assert second["errors"][0]["extensions"]["reason"] == "USED"  # clients stop asking for it
    async with dbs["booking"].reader() as session:
        uses = (await session.scalars(select(QueuePassUse)
                                      .where(QueuePassUse.show_id == show.id))).all()
        holds = (await session.scalars(select(Hold).where(Hold.show_id == show.id))).all()
    assert [(u.user_id, u.hold_id) for u in uses] == [(who.id, hold_id)]
    assert [h.id for h in holds] == [hold_id]


HOLD_KEYED = """mutation($show: ID!, $seats: [ID!]!, $key: String) {
  holdSeats(showId: $show, seatIds: $seats, idempotencyKey: $key) {
  __typename ... on SeatHold { id } ... on SeatsUnavailable { seatIds } } }"""


async def test_a_pass_for_one_show_does_not_open_another(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:

    booking = stack.client("booking")
    service = stack.services["booking"]
    other_show = await show_on_sale(stack.client("venue"), booking, actors.organizer)
    opens = opening()
    for s in (show.id, other_show.id):
        await configure(booking, s, actors.organizer, opens, 600)
    who = actors.customer
    ticket = await join(booking, show.id, who)
    await waiting_room.admit_round(service, now=opens.timestamp())
    await waiting_room.admit_round(service, now=opens.timestamp() + 60)
    seen = await status(booking, ticket, who)
    assert seen["state"] == "ADMITTED"
    client = replace(booking, token=who.token, headers={"ticketflow-queue-pass": seen["pass"]})
    body = await client.run(HOLD, {"show": other_show.id, "seats": seat_ids(other_show, 0)})
    assert refusal(body)[0] == "QUEUED"
    body = await client.run(HOLD, {"show": show.id, "seats": seat_ids(show, 0)})
    assert body["data"]["holdSeats"]["__typename"] == "SeatHold", body


async def test_a_paused_queue_admits_nobody_until_resumed(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    booking = stack.client("booking")
    service = stack.services["booking"]
    opens = opening()
    await configure(booking, show.id, actors.organizer, opens, 6)  # one every 10 s
    people = await customers(stack, 4)
    tickets = [await join(booking, show.id, who) for who in people]
    t0 = opens.timestamp()
    await waiting_room.admit_round(service, now=t0)
    paused = (await booking.data(PAUSE, {"show": show.id}, actors.organizer.token))["pauseQueue"]
    assert paused["paused"] is True
    await waiting_room.admit_round(service, now=t0 + 100)
    seen = (await booking.data(SHOW_QUEUE, {"r": [{"__typename": "Show", "id": show.id}]},
                               actors.organizer.token))["_entities"][0]["queue"]
    assert (seen["paused"], seen["admitted"], seen["waiting"]) == (True, 0, 4)
    assert (await waiting_room.store(service).state(show.id)).admitted_places == 0
    waiting = await status(booking, tickets[0], people[0])
    assert waiting["state"] == "WAITING" and waiting["estimatedWaitSeconds"] is None
    resumed = (await booking.data(RESUME, {"show": show.id}, actors.admin.token))["resumeQueue"]
    assert resumed["paused"] is False
    await waiting_room.admit_round(service, now=t0 + 125)  # 25 s since the paused round
    assert (await waiting_room.store(service).state(show.id)).admitted_places == 2


async def test_one_round_admits_in_every_queue_but_a_cancelled_shows(
        stack: Stack, actors: Actors, show: ShowOnSale, dbs: dict[str, Database]) -> None:
    """An admission round serves every queue at once (one Redis pipeline), each at its own
    rate and opening time; the line of a show that was cancelled stands still."""
    booking = stack.client("booking")
    service = stack.services["booking"]
    venue = stack.client("venue")
    second, cancelled = [await show_on_sale(venue, booking, actors.organizer) for _ in range(2)]
    opens = opening()
    for show_id, rate in ((show.id, 60), (second.id, 120), (cancelled.id, 60)):
        await configure(booking, show_id, actors.organizer, opens, rate)
    later = opens + timedelta(seconds=10)
    await configure(booking, second.id, actors.organizer, later, 120)
    people = await customers(stack, 5)
    for show_id in (show.id, second.id, cancelled.id):
        for who in people:
            await join(booking, show_id, who)
    async with dbs["booking"].writer() as session:
        await session.execute(update(BookableShow).where(BookableShow.id == cancelled.id)
                              .values(status=CANCELLED))
        await session.commit()
    t0 = opens.timestamp()
    await waiting_room.admit_round(service, now=t0)
    await waiting_room.admit_round(service, now=t0 + 2.5)
    st = waiting_room.store(service)
    first_state, second_state = await st.state(show.id), await st.state(second.id)
    assert (first_state.pre, first_state.admitted_places) == (5, 2)  # 2.5 s at one a second
    assert second_state.pre is None  # its opening time has not come
    await waiting_room.admit_round(service, now=t0 + 10)
    await waiting_room.admit_round(service, now=t0 + 11)
    second_state = await st.state(second.id)
    assert (second_state.pre, second_state.admitted_places) == (5, 2)  # 1 s at two a second
    assert (await st.state(show.id)).admitted_places == 5  # never more than came
    gone = await st.state(cancelled.id)
    assert (gone.pre, gone.admitted_places) == (None, 0)


async def test_who_may_configure_pause_and_resume_a_queue(
        stack: Stack, actors: Actors, show: ShowOnSale, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    opens = opening()
    variables = {"show": show.id, "i": {"opensAt": opens.isoformat(), "ratePerMinute": 60}}
    for token, code in ((None, "UNAUTHENTICATED"), (actors.customer.token, "FORBIDDEN"),
                        (actors.other_organizer.token, "FORBIDDEN")):
        for document, args in ((CONFIGURE, variables), (PAUSE, {"show": show.id}),
                               (RESUME, {"show": show.id})):
            body = await booking.run(document, args, token)
            assert refusal(body)[0] == code, body
    assert await _queue_row(dbs, show.id) is None
    # no queue yet: nothing to pause
    assert refusal(await booking.run(PAUSE, {"show": show.id}, actors.organizer.token)) == (
        "NOT_FOUND", "showId")
    owned = await configure(booking, show.id, actors.organizer, opens, 60)
    assert (owned["ratePerMinute"], owned["auto"], owned["opened"]) == (60, False, False)
    auto = await configure(booking, show.id, actors.admin, opens, None)
    assert auto["auto"] is True and auto["ratePerMinute"] == round(
        0.75 * stack.settings.queue_capacity_holds_per_second * 60)
    for token in (actors.organizer.token, actors.admin.token):
        assert (await booking.data(PAUSE, {"show": show.id}, token))["pauseQueue"]["paused"]
        assert not (await booking.data(RESUME, {"show": show.id},
                                       token))["resumeQueue"]["paused"]
    # operators only see the queue's numbers
    body = await booking.run(SHOW_QUEUE, {"r": [{"__typename": "Show", "id": show.id}]},
                             actors.customer.token)
    assert refusal(body)[0] == "FORBIDDEN"


async def test_bad_queue_input_is_refused_and_changes_nothing(
        stack: Stack, actors: Actors, show: ShowOnSale, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    opens = opening()
    for rate in (0, -5, 1_000_001):
        body = await booking.run(CONFIGURE, {"show": show.id, "i": {
            "opensAt": opens.isoformat(), "ratePerMinute": rate}}, actors.organizer.token)
        assert refusal(body) == ("BAD_USER_INPUT", "input.ratePerMinute"), body
    body = await booking.run(CONFIGURE, {"show": show.id, "i": {"opensAt": "tomorrow"}},
                             actors.organizer.token)
    assert refusal(body)[0] == "BAD_USER_INPUT"
    assert await _queue_row(dbs, show.id) is None
    missing = str(uuid.uuid4())
    body = await booking.run(CONFIGURE, {"show": missing, "i": {"opensAt": opens.isoformat()}},
                             actors.organizer.token)
    assert refusal(body) == ("NOT_FOUND", "showId")
    # joining: only signed-in callers, only a show with a queue, only with the right answer
    assert refusal(await booking.run(JOIN, {"show": show.id}))[0] == "UNAUTHENTICATED"
    assert refusal(await booking.run(JOIN, {"show": show.id}, actors.customer.token)) == (
        "NOT_FOUND", "showId")
    await configure(booking, show.id, actors.organizer, opens, 60)
    challenge = (await booking.data(CHALLENGE, {"show": show.id},
                                    actors.customer.token))["queueChallenge"]
    for answer in ({}, {"nonce": challenge["nonce"], "solution": "not-it"},
                   {"nonce": "1.2.3", "solution": "0"}):
        body = await booking.run(JOIN, {"show": show.id, **answer}, actors.customer.token)
        assert refusal(body) == ("BAD_USER_INPUT", "solution"), body
    # another customer's answer is not this one's
    body = await booking.run(JOIN, {"show": show.id, "nonce": challenge["nonce"], "solution":
                                    solve_proof_of_work("pow", challenge["nonce"],
                                                        challenge["difficulty"])},
                             actors.other_customer.token)
    assert refusal(body) == ("BAD_USER_INPUT", "solution")
    assert (await waiting_room.store(stack.services["booking"]).state(show.id)).arrivals == 0
    # a ticket is its holder's alone
    ticket = await join(booking, show.id, actors.customer)
    for t in (ticket["id"], ticket["id"].replace(".", "-"), "nope"):
        body = await booking.run(STATUS, {"t": t}, actors.other_customer.token)
        assert refusal(body) == ("NOT_FOUND", "ticketId")


async def _queue_row(dbs: dict[str, Database], show_id: str) -> ShowQueue | None:
    async with dbs["booking"].reader() as session:
        return await session.get(ShowQueue, show_id)


async def test_the_plain_status_endpoint_answers_what_queue_status_does(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    booking = stack.client("booking")
    service = stack.services["booking"]
    base = stack.url("booking").removesuffix("/graphql")
    opens = opening()
    await configure(booking, show.id, actors.organizer, opens, 60)
    people = await customers(stack, 3)
    tickets = [await join(booking, show.id, who) for who in people]
    await waiting_room.admit_round(service, now=opens.timestamp())
    await waiting_room.admit_round(service, now=opens.timestamp() + 1.5)
    for t, who in zip(tickets, people, strict=True):
        plain = await http().get(f"{base}/queue/status/{t['id']}")
        assert plain.status_code == 200, plain.text
        body = plain.json()
        graphql = await status(booking, t, who)
        assert (body["state"], body["position"], body["pollAfterSeconds"]) == (
            graphql["state"], graphql["position"], graphql["pollAfterSeconds"])
        # the same pass (signed anew at each read: the same holder, show, place and expiry)
        assert _pass_claims(stack, body["pass"]) == _pass_claims(stack, graphql["pass"])
        assert body["passExpiresAt"] == graphql["passExpiresAt"]
    assert sorted(s["state"] for s in [(await http().get(
        f"{base}/queue/status/{t['id']}")).json() for t in tickets]) == [
            "ADMITTED", "WAITING", "WAITING"]
    # an id not signed here, or another show's made-up one, is not found
    forged = tickets[0]["id"].rsplit(".", 1)[0] + ".forged"
    for bad in (forged, "nope"):
        answer = await http().get(f"{base}/queue/status/{bad}")
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"


async def test_an_opened_queue_keeps_its_opening_time_but_may_change_its_rate(
        stack: Stack, actors: Actors, show: ShowOnSale, dbs: dict[str, Database]) -> None:
    booking = stack.client("booking")
    service = stack.services["booking"]
    opens = opening()
    await configure(booking, show.id, actors.organizer, opens, 60)
    await waiting_room.admit_round(service, now=opens.timestamp())  # opened
    later = opens + timedelta(hours=1)
    body = await booking.run(CONFIGURE, {"show": show.id, "i": {
        "opensAt": later.isoformat(), "ratePerMinute": 60}}, actors.organizer.token)
    assert refusal(body) == ("CONFLICT", "input.opensAt"), body
    row = await _queue_row(dbs, show.id)
    assert row is not None and row.opens_at == opens
    changed = await configure(booking, show.id, actors.organizer, opens, 120)
    assert (changed["ratePerMinute"], changed["opened"]) == (120, True)


async def test_the_poll_interval_grows_with_the_distance_to_the_front(
        stack: Stack, actors: Actors, show: ShowOnSale) -> None:
    """pollAfterSeconds is a quarter of the time to the front (position / rate), between 2
    and 120 s, times a fixed jitter per ticket in [0.75, 1): the whole line asks about as
    often as those near the front do, however long it is."""
    booking = stack.client("booking")
    service = stack.services["booking"]
    opens = opening()
    await configure(booking, show.id, actors.organizer, opens, 60)  # one a second
    st = waiting_room.store(service)
    n = 3000
    indexes = [(await st.join(show.id, f"made-up-{uuid.uuid4()}")) for _ in range(n)]
    await waiting_room.admit_round(service, now=opens.timestamp())
    state = await st.state(show.id)
    polls_per_second = 0.0
    seen = []
    for index, _new in indexes:
        user = f"u{index}"
        view = await waiting_room.status_of(service, TicketId(show.id, index, user))
        position = state.place(index)
        assert position is not None and view.position == position
        quarter = min(120.0, position / 4)
        assert max(2, int(0.75 * quarter)) <= view.poll_after_seconds <= max(2, quarter)
        polls_per_second += 1 / view.poll_after_seconds
        seen.append((position, view.poll_after_seconds))
    near = [p for pos, p in seen if pos <= 8]
    far = [p for pos, p in seen if pos >= 640]
    assert near and set(near) == {2}
    assert far and min(far) >= 90
    # the front (position <= 8 r) asks at most 4 r times a second; each doubling of the
    # distance beyond it adds at most 4 r / 0.75 more; past 480 r, at most 1 / 90 each
    assert polls_per_second < 4 + (4 / 0.75) * 6 + n / 90
    assert polls_per_second < n / 30  # the old fixed 30 s at the back asked for more


def _pass_claims(stack: Stack, token: str | None) -> tuple[str, str, str, int] | None:
    """What a queue pass grants (None: no pass), checked with the deployment's secret."""
    found = read_pass(stack.settings.queue_pass_secret, token) if token else None
    assert found is not None or token is None, token
    return None if found is None else (found.user_id, found.show_id, found.jti, found.expires)
