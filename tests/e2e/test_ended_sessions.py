"""An ended session is refused by every subgraph process, not only by auth."""

from __future__ import annotations

import uuid

from tests.flows import HOLD, PASSWORD, make_actors, show_on_sale
from tests.harness import GraphQL, Processes, Stack, error_codes

REGISTER = """mutation($i: RegisterInput!) { register(input: $i) {
  accessToken refreshToken user { id } } }"""
REFRESH = "mutation($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }"
PAYMENT = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Booking { payment { id } } } }"""


async def signed_up(router: GraphQL) -> dict[str, str]:
    email = f"ended-{uuid.uuid4().hex[:10]}@example.com"
    data = await router.data(REGISTER, {"i": {"email": email, "password": PASSWORD,
                                              "name": "Ended"}})
    return data["register"]  # type: ignore[no-any-return]


async def refused_everywhere(stack: Stack, token: str, show_id: str, seat_id: str) -> list[str]:
    """What auth, booking (through the router) and payment (directly) answer to ``token``."""
    router = GraphQL(stack.router_url)
    me = await router.run("{ me { id } }", token=token)
    hold = await router.run(HOLD, {"show": show_id, "seats": [seat_id]}, token)
    payment = await stack.client("payment").run(
        PAYMENT, {"r": [{"__typename": "Booking", "id": str(uuid.uuid4())}]}, token)
    return [*error_codes(me), *error_codes(hold), *error_codes(payment)]


async def test_logout_ends_the_token_in_every_subgraph_process(
        e2e: tuple[Stack, Processes]) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    actors = await make_actors(stack, lambda _s: stack.router_url)
    show = await show_on_sale(router, router, actors.organizer, via_router=True)
    me = await signed_up(router)
    before = await refused_everywhere(stack, me["accessToken"], show.id, show.seats[0]["id"])
    assert before == []
    assert (await router.data("mutation { logout }", token=me["accessToken"]))["logout"] is True
    after = await refused_everywhere(stack, me["accessToken"], show.id, show.seats[1]["id"])
    assert after == ["UNAUTHENTICATED"] * 3
    held = await router.data("query($id: ID!) { show(id: $id) { availability { held } } }",
                             {"id": show.id})
    assert held["show"]["availability"]["held"] == 1  # only the hold made before logout


async def test_a_reused_refresh_token_ends_the_family_in_every_process(
        e2e: tuple[Stack, Processes]) -> None:
    stack, _ = e2e
    router = GraphQL(stack.router_url)
    actors = await make_actors(stack, lambda _s: stack.router_url)
    show = await show_on_sale(router, router, actors.organizer, via_router=True)
    first = await signed_up(router)
    second = (await router.data(REFRESH, {"t": first["refreshToken"]}))["refresh"]
    stolen = await router.run(REFRESH, {"t": first["refreshToken"]})
    assert error_codes(stolen) == ["UNAUTHENTICATED"]
    after = await refused_everywhere(stack, second["accessToken"], show.id, show.seats[0]["id"])
    assert after == ["UNAUTHENTICATED"] * 3
    assert error_codes(await router.run(REFRESH, {"t": second["refreshToken"]})) == [
        "UNAUTHENTICATED"]
