"""The waiting room in a real browser (docs/waiting-room.md, docs/web.md), both modes.

``web/e2e/queue.mjs`` drives the organizer and two verified customers through the app the
router serves (through a second router that runs trusted documents only), and stops at
checkpoints where this test acts on the queue:

0. The organizer, on the show's page, puts it behind a waiting room that opens now and admits
   one person a minute (a rate of 0 is refused in words first) (checkpoint: the test waits
   until booking's admitter opened it).
1. A tries to hold a seat, is sent to the waiting room, which answers the proof of work,
   joins and says "number 1, about 1 minute"; the organizer's panel counts one waiting and
   the organizer pauses the queue there (checkpoint: the test sees it paused).
2. B joins behind A: number 2, admissions paused; A's page says paused too (checkpoint: the
   test resumes the queue, waits until one person is admitted, and pauses it again).
3. A's page sees ADMITTED, goes back to the show with the pass, and A holds the seat; a
   second hold of A is refused in words (the pass admitted one purchase), on the show page.
4. B is still in the waiting room, without a pass; the organizer's panel, reading the queue
   again by itself, shows one waiting and one admitted.

No wait depends on the machine's speed: admission goes by the clock at one a minute, so A is
admitted about a minute after the resume, and B, a minute further back, only a minute after
that, long after the test has paused the queue again. Then the graph and booking's database:
the hold is A's, the pass was spent on it, and a second hold with the same pass is refused.
Screenshots: ``test-artifacts/web/<mode>/queue/``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select

from subgraphs.booking.models import Hold, QueuePassUse
from subgraphs.kernel.db import Database
from tests.e2e.browser import (
    artifacts_of,
    customer,
    organizer_sign_in,
    require_browser,
    run_browser,
)
from tests.flows import Actors, show_on_sale
from tests.harness import GraphQL, Processes, Stack, another_router, error_codes, eventually, http

PAUSE = "mutation($show: ID!) { pauseQueue(showId: $show) { paused } }"
RESUME = "mutation($show: ID!) { resumeQueue(showId: $show) { paused } }"
QUEUE = """query($show: ID!) { show(id: $show) { queue {
  opened paused waiting admitted ratePerMinute } } }"""
HOLD = """mutation($show: ID!, $seats: [ID!]!, $key: String) {
  holdSeats(showId: $show, seatIds: $seats, idempotencyKey: $key) {
  __typename ... on SeatHold { id } } }"""
SEE_HOLD = "query($id: ID!) { hold(id: $id) { id status seatIds show { id } } }"
AVAILABILITY = "query($id: ID!) { show(id: $id) { availability { available held } } }"


async def test_the_waiting_room_in_a_browser(
    e2e: tuple[Stack, Processes], e2e_actors: Actors, mode: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    require_browser()
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    organizer = e2e_actors.organizer
    show = await show_on_sale(router, router, organizer, via_router=True,
                              starts_at="2031-06-21T19:00:00+00:00")

    async def queue() -> dict[str, Any]:
        return (await router.data(QUEUE, {"show": show.id}, organizer.token))["show"]["queue"]  # type: ignore[no-any-return]

    # no waiting room yet: the organizer's page puts the show behind one
    assert (await router.data(QUEUE, {"show": show.id}, organizer.token))["show"]["queue"] is None

    first = await customer(stack, router, "Ada Queue")
    second = await customer(stack, router, "Bob Queue")
    seats = [{"id": s["id"], "label": s["label"]} for s in show.seats[:2]]
    data = {"show": {"id": show.id, "title": "Test Show", "seats": seats},
            "first": first, "second": second,
            "organizer": organizer_sign_in(e2e_actors)}
    checked: dict[str, dict[str, Any]] = {}

    async def at(name: str, _data: dict[str, Any]) -> None:
        if name == "configured":  # one a minute, open from now: booking's admitter opens it
            await eventually(lambda: _opened(queue))
            checked[name] = await queue()
        elif name == "a-waiting":  # A waits alone, and the organizer's page paused admitting
            checked[name] = await queue()
        elif name == "both-waiting":  # admit one person (A, at the front), then stop again
            checked[name] = await queue()
            await router.data(RESUME, {"show": show.id}, organizer.token)

            async def one_admitted() -> bool:
                return bool((await queue())["admitted"] >= 1)

            await eventually(one_admitted, timeout=180, interval=0.2)  # about a minute
            await router.data(PAUSE, {"show": show.id}, organizer.token)
            checked["admitted"] = await queue()
        else:
            raise AssertionError(f"unknown checkpoint {name}")

    work = tmp_path_factory.mktemp("web-queue")
    async with another_router(stack, work, {"TICKETFLOW_TRUSTED_DOCUMENTS": "true"}) as url:
        status, printed, seen = await run_browser("queue.mjs", url, artifacts_of(mode, "queue"),
                                                  data, work, at)
    assert status == 0, f"the browser failed:\n{printed}\n{json.dumps(seen, indent=2)}"
    assert not seen.get("pageErrors"), seen["pageErrors"]

    # (0) the organizer's page configured the queue (after refusing a rate of 0 in words)
    assert seen["badRate"] == ("Give the rate as a whole number of people per minute, or leave "
                               "it empty for auto.")
    assert checked["configured"] == {"opened": True, "paused": False, "waiting": 0,
                                     "admitted": 0, "ratePerMinute": 1}
    # (the panel answers at once: booking's admitter may not have opened the queue yet)
    configured = seen["configured"]
    assert configured.pop("state") in ("Open · admitting 1 a minute",
                                       f"Opens {seen['opensShown']} · admitting 1 a minute")
    assert configured == {"waiting": "0", "admitted": "0", "sold": "0", "abandoned": "0"}
    # (1) A joined alone: number 1, a minute at one a minute, in a polite live region
    assert seen["aWaiting"] == {
        "words": "You are number 1 in the queue for Test Show. Estimated wait: about 1 minute. "
                 "Keep this page open.", "live": "polite"}
    assert seen["beforePause"] == {"state": "Open · admitting 1 a minute", "waiting": "1",
                                   "admitted": "0", "sold": "0", "abandoned": "0"}
    assert seen["paused"]["state"] == "Paused · admitting 1 a minute"
    assert checked["a-waiting"] == {"opened": True, "paused": True, "waiting": 1,
                                    "admitted": 0, "ratePerMinute": 1}
    # (2) paused: B behind A, both told so
    paused = "Admissions are paused for now; you keep your place. Keep this page open."
    assert seen["bPaused"] == {
        "words": f"You are number 2 in the queue for Test Show. {paused}", "live": "polite"}
    assert seen["aPaused"]["words"] == f"You are number 1 in the queue for Test Show. {paused}"
    assert checked["both-waiting"] == {"opened": True, "paused": True, "waiting": 2,
                                       "admitted": 0, "ratePerMinute": 1}
    assert checked["admitted"] == {"opened": True, "paused": True, "waiting": 1, "admitted": 1,
                                   "ratePerMinute": 1}
    # ... and another hold is refused in words (the pass admitted one purchase)
    assert seen["spentWords"] == ("Your turn from the waiting room has been used: it admits one "
                                  "purchase, the hold you made with it.")
    # (4) B is still waiting, first in line now, and holds no pass
    assert seen["bStill"]["words"] == f"You are number 1 in the queue for Test Show. {paused}"
    assert seen["bPasses"] == {}
    # ... and the organizer's panel followed by itself: one waiting, one admitted
    assert seen["afterAdmission"] == {"state": "Paused · admitting 1 a minute", "waiting": "1",
                                      "admitted": "1", "sold": "0", "abandoned": "0"}

    # (3) the pass the page kept is A's, for this show
    claims = jwt.decode(seen["aPass"], stack.settings.queue_pass_secret, algorithms=["HS256"],
                        audience="ticketflow-queue-pass", issuer="ticketflow-booking")
    assert (claims["sub"], claims["show"]) == (first["id"], show.id)
    # ... and A's hold is in the graph: A's, active, the seat clicked
    hold = (await router.data(SEE_HOLD, {"id": seen["holdA"]}, first["token"]))["hold"]
    assert hold == {"id": seen["holdA"], "status": "ACTIVE", "seatIds": [seats[0]["id"]],
                    "show": {"id": show.id}}
    # ... and in booking's database: A's hold, the pass spent on it (once: the only use)
    booking_db = Database(stack.settings.database_url("booking"), pool_size=1)
    try:
        async with booking_db.reader() as session:
            row = await session.get(Hold, seen["holdA"])
            uses = (await session.scalars(
                select(QueuePassUse).where(QueuePassUse.show_id == show.id))).all()
    finally:
        await booking_db.dispose()
    assert row is not None and (row.user_id, row.show_id) == (first["id"], show.id)
    assert [(u.jti, u.user_id, u.hold_id) for u in uses] == [
        (claims["jti"], first["id"], seen["holdA"])]

    # a second hold with the same pass: refused (a pass admits one purchase), nothing held
    again = await _hold(stack.router_url, show.id, seats[1]["id"], first["token"], seen["aPass"])
    assert error_codes(again.json()) == ["QUEUED"], again.json()
    availability = (await router.data(AVAILABILITY, {"id": show.id}))["show"]["availability"]
    assert availability == {"available": 9, "held": 1}

    shots = sorted(p.name for p in artifacts_of(mode, "queue").glob("*.png"))
    assert shots[0] == "01-a-signed-in.png" and len(shots) == len(seen["steps"])


async def _opened(queue: Any) -> bool:
    return bool((await queue())["opened"])


async def _hold(url: str, show_id: str, seat_id: str, token: str, queue_pass: str
                ) -> httpx.Response:
    return await http().post(url, json={"query": HOLD, "variables": {
        "show": show_id, "seats": [seat_id], "key": f"again-{seat_id}"}},
        headers={"authorization": f"Bearer {token}", "ticketflow-queue-pass": queue_pass})
