"""The request's loaders: loads of one tick batch into one call, values are cached for the
request, and a batch that failed as a whole is not (the next load tries again)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from subgraphs.kernel.graphql import Context

calls: list[list[str]] = []
failing: set[str] = set()


async def double(_ctx: Context, keys: Sequence[Any]) -> list[Any]:
    calls.append(list(keys))
    if failing & set(keys):
        raise RuntimeError("database gone")
    return [key * 2 if key != "bad" else LookupError(key) for key in keys]


@pytest.fixture(autouse=True)
def reset() -> None:
    calls.clear()
    failing.clear()


def context() -> Context:
    return Context(service=None, caller=None)  # type: ignore[arg-type] - unused by loaders


async def test_loads_of_one_tick_are_one_batch_and_cached_for_the_request() -> None:
    ctx = context()
    loader = ctx.loader(double)
    assert ctx.loader(double) is loader
    assert await asyncio.gather(loader.load("a"), loader.load("b"), loader.load("a")) == [
        "aa", "bb", "aa"]
    assert await loader.load_many(["b", "c"]) == ["bb", "cc"]
    assert calls == [["a", "b"], ["c"]]
    assert await context().loader(double).load("a") == "aa"
    assert calls[-1] == ["a"]


async def test_a_primed_value_is_not_loaded() -> None:
    loader = context().loader(double)
    loader.prime("p", "primed")
    assert await loader.load("p") == "primed"
    assert calls == []


async def test_an_exception_for_one_key_fails_that_key_only() -> None:
    loader = context().loader(double)
    bad, good = await asyncio.gather(loader.load("bad"), loader.load("x"),
                                     return_exceptions=True)
    assert isinstance(bad, LookupError)
    assert good == "xx"


async def test_a_batch_that_failed_is_tried_again_on_the_next_load() -> None:
    loader = context().loader(double)
    failing.add("a")
    with pytest.raises(RuntimeError):
        await loader.load("a")
    failing.clear()
    assert await loader.load("a") == "aa"
    assert calls == [["a"], ["a"]]
