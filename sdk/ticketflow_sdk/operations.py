"""Every GraphQL document the SDK sends, by name (``CREATE_HALL``, ``SEAT_MAP``...).

The documents are written in sdk/ticketflow_sdk/graphql/*.graphql; ``make sdk`` turns
each operation into a complete document (with the fragments it uses) in
:mod:`ticketflow_sdk._generated.operations`, and the typed method that sends it in
:class:`ticketflow_sdk._generated.client.Operations`. ``tests/unit/test_sdk_operations.py``
validates each against ``schema/supergraph.graphql``.
"""

from __future__ import annotations

from typing import Any

from ticketflow_sdk._generated import operations as _generated

ALL: dict[str, str] = {name.removesuffix("_GQL"): value
                       for name, value in vars(_generated).items()
                       if name.endswith("_GQL") and isinstance(value, str)}
"""Every operation's document by its name in upper snake case (what the schema test walks)."""


def __getattr__(name: str) -> Any:
    try:
        return ALL[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
