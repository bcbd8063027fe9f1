"""A unit of work the database aborted to break a deadlock is run again; nothing else is."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from subgraphs.kernel.uow import retrying


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failure(sqlstate: str) -> DBAPIError:
    return DBAPIError("UPDATE ...", {}, DriverError(sqlstate))


async def test_a_deadlock_victim_runs_again_until_it_succeeds() -> None:
    calls = []

    async def attempt() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise failure("40P01")
        return "done"

    assert await retrying(attempt) == "done"
    assert len(calls) == 3


async def test_a_serialization_failure_runs_again() -> None:
    calls = []

    async def attempt() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise failure("40001")
        return len(calls)

    assert await retrying(attempt) == 2


async def test_other_database_errors_are_not_retried() -> None:
    calls = []

    async def attempt() -> None:
        calls.append(1)
        raise failure("23505")  # a unique violation is an answer, not bad luck

    with pytest.raises(DBAPIError):
        await retrying(attempt)
    assert len(calls) == 1


async def test_it_gives_up_after_the_last_attempt() -> None:
    calls = []

    async def attempt() -> None:
        calls.append(1)
        raise failure("40P01")

    with pytest.raises(DBAPIError):
        await retrying(attempt, attempts=3)
    assert len(calls) == 3
