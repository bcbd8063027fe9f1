"""The error contract of every subgraph: codes, details, masking and the token gate."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from subgraphs.kernel.errors import (
    BadUserInput,
    BrokenInvariant,
    ErrorCode,
    NotFound,
    Unauthenticated,
    classify,
    present,
)
from subgraphs.kernel.graphql import Context, build_schema
from subgraphs.kernel.logs import JsonFormatter, request_id
from subgraphs.kernel.settings import Settings

SECRET = "secret db password"


class Calls:
    """Counts resolver runs, so a test can prove a resolver never ran."""

    count = 0


@strawberry.type
class Query:
    @strawberry.field
    def ping(self) -> int:
        Calls.count += 1
        return Calls.count

    @strawberry.field
    def bad_input(self) -> int:
        raise BadUserInput("Enter a valid email address.", field="input.email")

    @strawberry.field
    def missing(self) -> int:
        raise NotFound("No show with this id.", field="showId")

    @strawberry.field
    def crash(self) -> int:
        raise RuntimeError(SECRET)


SCHEMA = build_schema(Query)


class DummyService:
    """Stands in for a subgraph's Service: these resolvers never touch it."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(env="test")


def context(auth_error: Unauthenticated | None = None,
            settings: Settings | None = None) -> Context:
    return Context(DummyService(settings), None, auth_error)  # type: ignore[arg-type]


async def run(query: str, ctx: Context | None = None) -> ExecutionResult:
    return await SCHEMA.execute(query, context_value=ctx or context())


def only_error(result: ExecutionResult) -> dict[str, Any]:
    assert result.errors is not None and len(result.errors) == 1, result.errors
    return dict(result.errors[0].formatted)  # the JSON the client receives


@pytest.fixture(autouse=True)
def reset_calls() -> None:
    Calls.count = 0


async def test_a_ticketflow_error_carries_its_code_and_field() -> None:
    error = only_error(await run("{ badInput }"))
    assert error["message"] == "Enter a valid email address."
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.email"}
    assert error["path"] == ["badInput"]


async def test_each_error_class_maps_to_its_own_code() -> None:
    error = only_error(await run("{ missing }"))
    assert error["extensions"]["code"] == ErrorCode.NOT_FOUND


async def test_an_unexpected_exception_is_masked_as_internal() -> None:
    result = await run("{ crash }")
    error = only_error(result)
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL"}


async def test_an_unexpected_exception_names_the_request_its_log_line_names(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = request_id.set("req-from-the-router")
    try:
        with caplog.at_level(logging.ERROR, logger="ticketflow.errors"):
            error = only_error(await run("{ crash }"))
        [record] = [r for r in caplog.records if r.name == "ticketflow.errors"]
        logged = json.loads(JsonFormatter().format(record))  # as the handler writes it
    finally:
        request_id.reset(token)
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-from-the-router"}
    assert logged["request_id"] == "req-from-the-router"


async def test_an_unexpected_exception_leaks_nothing_into_the_response() -> None:
    result = await run("{ crash }")
    assert result.errors
    wire = json.dumps({"data": result.data, "errors": [e.formatted for e in result.errors]})
    assert SECRET not in wire
    assert "Traceback" not in wire and "RuntimeError" not in wire
    assert all(e.original_error is None for e in result.errors)


async def test_debug_errors_add_the_exception_repr_but_never_a_traceback() -> None:
    result = await run("{ crash }", context(settings=Settings(env="test", debug_errors=True)))
    error = only_error(result)
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL"
    assert SECRET in error["extensions"]["debug"]
    assert "Traceback" not in json.dumps(error)


async def test_an_unexpected_exception_is_logged_once_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="ticketflow.errors"):
        await run("{ crash }")
    records = [r for r in caplog.records if r.name == "ticketflow.errors"]
    assert len(records) == 1
    assert records[0].exc_info is not None and SECRET in str(records[0].exc_info[1])


async def test_expected_errors_are_not_logged_as_incidents(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        await run("{ badInput }")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_syntax_error_is_graphql_parse_failed() -> None:
    error = only_error(await run("{ ping "))
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_an_unknown_field_is_graphql_validation_failed() -> None:
    error = only_error(await run("{ nope }"))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nope" in error["message"]


async def test_a_bad_token_refuses_the_operation_without_running_it() -> None:
    result = await run("{ ping }", context(Unauthenticated("The access token has expired.")))
    error = only_error(result)
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert error["message"] == "The access token has expired."
    assert result.data is None
    assert Calls.count == 0


async def test_without_a_token_error_the_resolver_runs() -> None:
    result = await run("{ ping }")
    assert result.errors is None
    assert result.data == {"ping": 1}
    assert Calls.count == 1


def test_present_returns_the_value_and_names_a_missing_one() -> None:
    assert present(0, "a count") == 0  # falsy but there
    with pytest.raises(BrokenInvariant, match="a booking's hold is missing"):
        present(None, "a booking's hold")


def test_a_broken_invariant_is_masked_as_internal() -> None:
    error = GraphQLError("x", original_error=BrokenInvariant("a refund is missing"))
    shown = classify(error)
    assert shown.extensions == {"code": "INTERNAL"}
    assert "refund" not in shown.message
