"""The one documented list of error codes, and the extension that applies it.

Expected domain outcomes (seats taken, sold out) are typed union results in the schema.
Everything here is for GraphQL ``errors``: authentication, validation and the unexpected.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, TypeVar

from graphql import GraphQLError, VariableDefinitionNode
from strawberry.extensions import SchemaExtension

from subgraphs.kernel.logs import request_id

log = logging.getLogger("ticketflow.errors")
T = TypeVar("T")


class BrokenInvariant(RuntimeError):
    """Something the code relies on did not hold (a row that is never deleted was missing):
    a bug, answered as ``INTERNAL``. Raised where an ``assert`` would vanish under
    ``python -O``."""


def present(value: T | None, what: str) -> T:
    """``value``, which the invariants say cannot be ``None``; :class:`BrokenInvariant`
    naming ``what`` when it is."""
    if value is None:
        raise BrokenInvariant(f"{what} is missing")
    return value


class ErrorCode(StrEnum):
    """Values of ``errors[].extensions.code`` (README, "Error codes")."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    SEATS_UNAVAILABLE = "SEATS_UNAVAILABLE"
    SOLD_OUT = "SOLD_OUT"
    HOLD_EXPIRED = "HOLD_EXPIRED"
    PROMO_CODE_REJECTED = "PROMO_CODE_REJECTED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    QUEUED = "QUEUED"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    # A part the request needs (a subgraph, or a subgraph's database or Redis) is down, too
    # slow or refused: nothing is wrong with the request; retry it shortly.
    SUBGRAPH_UNAVAILABLE = "SUBGRAPH_UNAVAILABLE"
    INTERNAL = "INTERNAL"
    # Protocol-level codes, as every GraphQL server names them.
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class TicketFlowError(Exception):
    """An error the client is meant to see, with its code and optional details."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def extensions(self) -> dict[str, Any]:
        """The ``extensions`` object of the GraphQL error."""
        return {"code": str(self.code), **self.details}


class Unauthenticated(TicketFlowError):
    """No valid credentials were presented."""

    code = ErrorCode.UNAUTHENTICATED


class Forbidden(TicketFlowError):
    """The caller is known but may not do this."""

    code = ErrorCode.FORBIDDEN


class BadUserInput(TicketFlowError):
    """The input is invalid; ``field`` names the offending argument path."""

    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(message, field=field, **details)


class NotFound(TicketFlowError):
    """The referenced object does not exist (or the caller may not know it does)."""

    code = ErrorCode.NOT_FOUND


class EmailNotVerified(TicketFlowError):
    """The caller's account has not confirmed its email address (or the access token
    predates the confirmation: refresh it)."""

    code = ErrorCode.EMAIL_NOT_VERIFIED


class Conflict(TicketFlowError):
    """The request conflicts with existing state (a duplicate, a stale version)."""

    code = ErrorCode.CONFLICT


# SQLSTATE classes of a database that is down or refusing: connection exceptions (08),
# operator intervention (57: a cancelled statement, e.g. statement_timeout, or a shutdown),
# insufficient resources (53: too many connections, out of memory, disk full).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57")
_NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED,
                             errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH,
                             errno.EPIPE})


def unavailable_cause(error: BaseException | None) -> bool:
    """True if ``error`` (or what caused it) says a database or Redis could not answer: the
    request may succeed when retried."""
    import redis.exceptions
    from sqlalchemy import exc as sa

    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, (ConnectionError, TimeoutError, socket.gaierror, sa.TimeoutError,
                              sa.DisconnectionError, redis.exceptions.ConnectionError,
                              redis.exceptions.TimeoutError)):
            return True
        if isinstance(error, OSError) and (error.errno in _NETWORK_ERRNOS or str(error)
                                           .startswith("Multiple exceptions")):
            return True  # asyncio's connect to every address of a name failed
        if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
            return True
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        if type(error).__name__ == "ConnectionDoesNotExistError":  # asyncpg: no SQLSTATE
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
        seen += 1
    return False


def unavailable(service: str | None, nodes: Any = None, path: Any = None) -> GraphQLError:
    """The error of a request whose subgraph could not reach its database or Redis."""
    where = f"The {service} service" if service else "A service"
    return GraphQLError(
        f"{where} cannot reach its database or Redis right now; retry shortly.",
        nodes=nodes, path=path,
        extensions={"code": str(ErrorCode.SUBGRAPH_UNAVAILABLE), "retryable": True,
                    **({"serviceName": service} if service else {})})


# graphql-core: "Variable '$f' has invalid value at .rows[1].label: <why>"
_IN_VARIABLE = re.compile(r"has invalid (?:default )?value at ((?:\.\w+|\[\d+\])+): ")


def _variable_field(error: GraphQLError) -> str | None:
    """The variable a request error is about, and where in its value (``i.rows[1].seats``),
    when coercing the request's variables failed: such an error has no path, points at the
    variable's definition and was caused by the GraphQLError of the type that refused the
    value (a scalar such as DateTime, an enum, non-null)."""
    if error.path is not None or not isinstance(error.original_error, GraphQLError):
        return None
    node = error.nodes[0] if error.nodes else None
    if not isinstance(node, VariableDefinitionNode):
        return None
    inside = _IN_VARIABLE.search(error.message)
    return node.variable.name.value + (inside.group(1) if inside else "")


def classify(error: GraphQLError, debug: bool = False, service: str | None = None
             ) -> GraphQLError:
    """``error`` as clients see it: with its ``extensions.code``, the unexpected masked."""
    original = error.original_error
    if isinstance(original, TicketFlowError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            path=error.path,
            extensions=original.extensions(),
        )
    if original is None:
        if error.extensions and "code" in error.extensions:
            return error
        code = (
            ErrorCode.GRAPHQL_PARSE_FAILED
            if error.message.startswith("Syntax Error")
            else ErrorCode.GRAPHQL_VALIDATION_FAILED
            if error.path is None
            else ErrorCode.BAD_USER_INPUT
        )
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(error.extensions or {}), "code": str(code)},
        )
    variable = _variable_field(error)
    if variable is not None:
        # A variable's value its type refuses (graphql-core 3.3 says why in an original
        # error of its own): the client's input, not a bug.
        return GraphQLError(
            error.message, nodes=error.nodes, source=error.source, positions=error.positions,
            extensions={"code": str(ErrorCode.BAD_USER_INPUT), "field": variable})
    if unavailable_cause(original):
        log.warning("unavailable at %s: %r", error.path, original)
        return unavailable(service, error.nodes, error.path)
    log.error("unexpected error at %s", error.path, exc_info=original)
    extensions: dict[str, Any] = {"code": str(ErrorCode.INTERNAL)}
    # The id the log line above carries (the router's, which it sends as X-Request-Id).
    rid = request_id.get()
    if rid:
        extensions["requestId"] = rid
    if debug:
        extensions["debug"] = repr(original)
    return GraphQLError("Internal server error", nodes=error.nodes, path=error.path,
                        extensions=extensions)


class ErrorCodes(SchemaExtension):
    """Gives every error an ``extensions.code`` and masks the unexpected (no stack traces)."""

    # id(original) -> (original, classified); keeping the original keeps its id unique.
    _done: dict[int, tuple[GraphQLError, GraphQLError]] | None = None

    def _classify_once(self, error: GraphQLError) -> GraphQLError:
        # Strawberry puts the same errors in both the result and pre_execution_errors:
        # classify each once, or every unexpected error is logged twice.
        if self._done is None:
            self._done = {}
        if id(error) not in self._done:
            context = self.execution_context.context
            service = getattr(context, "service", None)
            # Only a development deployment may show an unexpected error's repr (never a trace).
            debug = bool(getattr(getattr(service, "settings", None), "debug_errors", False))
            name = getattr(getattr(service, "spec", None), "name", None)
            self._done[id(error)] = (error, classify(error, debug, name))
        return self._done[id(error)][1]

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [self._classify_once(e) for e in errors]
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = [self._classify_once(e) for e in pre]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Each subscription message is sent before on_operation ends: classify it here.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [self._classify_once(e) for e in errors]
        yield
