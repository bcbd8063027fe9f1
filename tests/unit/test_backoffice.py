"""The back office's pure rules: cursors and who reads a booking's history."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest

from subgraphs.booking import backoffice
from subgraphs.booking.models import Booking
from subgraphs.kernel.auth import Caller
from subgraphs.kernel.errors import BadUserInput, Forbidden, Unauthenticated


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_cursor_gives_back_the_order_time_and_id_it_was_made_of() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    booking_id = str(uuid.uuid4())
    cursor = backoffice.cursor_of(Booking(id=booking_id, created_at=at))
    assert backoffice._decode(cursor) == (at, booking_id)


# A fixed id: test ids must be the same in every xdist worker.
A_BOOKING = "5b0c3c5e-8f2a-4b51-9d1e-3f6a7c2b9e10"


@pytest.mark.parametrize("cursor", [
    "", "%%%", _cursor({}), _cursor([1, 2]), _cursor(["2026-01-01T00:00:00", A_BOOKING]),
    _cursor(["2026-01-01T00:00:00+00:00", "not-an-id"]), _cursor(["yesterday", A_BOOKING]),
    _cursor(["2026-01-01T00:00:00+00:00", A_BOOKING, 3]), _cursor("ab"),
])
def test_anything_but_a_cursor_the_list_gave_out_is_refused(cursor: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        backoffice._decode(cursor)
    assert refused.value.extensions()["field"] == "after"


def test_the_owner_the_shows_organizer_and_admins_read_the_history() -> None:
    owner, organizer = str(uuid.uuid4()), str(uuid.uuid4())
    for who in (Caller(owner, frozenset({"CUSTOMER"})),
                Caller(organizer, frozenset({"ORGANIZER"})),
                Caller(str(uuid.uuid4()), frozenset({"ADMIN"}))):
        assert backoffice.may_read_history(who, owner, organizer) is who
    for who in (Caller(str(uuid.uuid4()), frozenset({"CUSTOMER"})),
                Caller(str(uuid.uuid4()), frozenset({"ORGANIZER"}))):
        with pytest.raises(Forbidden):
            backoffice.may_read_history(who, owner, organizer)
    with pytest.raises(Forbidden):  # a show booking does not know: nobody is its organizer
        backoffice.may_read_history(Caller(organizer, frozenset({"ORGANIZER"})), owner, None)
    member = Caller(str(uuid.uuid4()), frozenset({"CUSTOMER"}))  # on the venue's team
    assert backoffice.may_read_history(member, owner, organizer, team_member=True) is member
    with pytest.raises(Unauthenticated):
        backoffice.may_read_history(None, owner, organizer)
