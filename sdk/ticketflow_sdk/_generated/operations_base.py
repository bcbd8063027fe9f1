"""The base of the generated ``Operations`` (ariadne-codegen's ``base_client_file_path``;
``make sdk`` copies this file into ticketflow_sdk/_generated/).

Instead of a transport of its own it hands each operation to the SDK: queries and
mutations to ``run`` (``AsyncClient.execute``: retries, tokens, errors raised as
:mod:`ticketflow_sdk.errors`; it returns the answer's ``data``), subscriptions to
``subscribe`` (each ``data``). Keyword arguments of a generated method (``idempotent=``,
``anonymous=``) go to ``run`` as they are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from pydantic import BaseModel as PydanticBaseModel

from .base_model import UNSET

Run = Callable[..., Awaitable[dict[str, Any]]]
Subscribe = Callable[[str, Mapping[str, Any], str | None], AsyncIterator[dict[str, Any]]]


def plain(value: Any) -> Any:
    """A variable's JSON value: models by their GraphQL names, unset fields left out."""
    if isinstance(value, PydanticBaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def variables_of(variables: Mapping[str, Any] | None) -> dict[str, Any]:
    return {name: plain(value) for name, value in (variables or {}).items()
            if value is not UNSET}


class OperationsBase:
    def __init__(self, run: Run, subscribe: Subscribe) -> None:
        self._run = run
        self._subscribe = subscribe

    async def execute(self, query: str, operation_name: str | None = None,
                      variables: dict[str, Any] | None = None,
                      **kwargs: Any) -> dict[str, Any]:
        return await self._run(query, variables_of(variables), **kwargs)

    def get_data(self, response: dict[str, Any]) -> dict[str, Any]:
        return response  # run gave the data and raised any error

    async def execute_ws(self, query: str, operation_name: str | None = None,
                         variables: dict[str, Any] | None = None,
                         **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        async for data in self._subscribe(query, variables_of(variables), operation_name):
            yield data
