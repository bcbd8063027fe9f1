"""Each operation text is parsed and validated once per schema, and errors stay typed."""

from __future__ import annotations

from typing import Any

import graphql.language.parser
import pytest
import strawberry
import strawberry.schema.schema as strawberry_schema

from subgraphs.kernel.graphql import Context, ParsedDocuments, build_schema
from subgraphs.kernel.settings import Settings


@strawberry.type
class Query:
    @strawberry.field
    def ping(self, word: str = "pong") -> str:
        return word


class DummyService:
    """Stands in for a subgraph's Service: this resolver never touches it."""

    settings = Settings(env="test")


def context() -> Context:
    return Context(DummyService(), None)  # type: ignore[arg-type]


class Counted:
    """Wraps a function and counts its calls."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.fn(*args, **kwargs)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counted:
    counted = Counted(strawberry_schema.parse)
    monkeypatch.setattr(strawberry_schema, "parse", counted)
    return counted


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Counted:
    import subgraphs.kernel.graphql as kernel_graphql

    counted = Counted(kernel_graphql.validate_document)
    monkeypatch.setattr(kernel_graphql, "validate_document", counted)
    return counted


async def test_the_same_text_is_parsed_and_validated_once(
        parses: Counted, validations: Counted) -> None:
    schema = build_schema(Query)
    for word in ("a", "b", "c"):
        result = await schema.execute("query P($w: String!) { ping(word: $w) }",
                                      variable_values={"w": word}, context_value=context())
        assert result.errors is None and result.data == {"ping": word}
    assert parses.calls == 1
    assert validations.calls == 1


async def test_another_text_is_parsed_on_its_own(parses: Counted) -> None:
    schema = build_schema(Query)
    assert (await schema.execute("{ ping }", context_value=context())).data == {"ping": "pong"}
    result = await schema.execute('{ ping(word: "x") }', context_value=context())
    assert result.data == {"ping": "x"}
    assert parses.calls == 2


async def test_a_syntax_error_is_not_kept_and_stays_graphql_parse_failed(
        parses: Counted) -> None:
    schema = build_schema(Query)
    for _ in range(2):
        result = await schema.execute("{ ping ", context_value=context())
        assert result.errors is not None and len(result.errors) == 1
        assert result.errors[0].extensions["code"] == "GRAPHQL_PARSE_FAILED"
    assert parses.calls == 2  # nothing kept: each try is parsed (and fails) again


async def test_a_validation_error_is_the_same_from_the_cache(validations: Counted) -> None:
    schema = build_schema(Query)
    codes = []
    for _ in range(2):
        result = await schema.execute("{ nope }", context_value=context())
        assert result.errors is not None and len(result.errors) == 1
        assert "nope" in result.errors[0].message
        codes.append(result.errors[0].extensions["code"])
    assert codes == ["GRAPHQL_VALIDATION_FAILED"] * 2
    assert validations.calls == 1


def test_the_cache_forgets_the_least_recently_used_past_its_size() -> None:
    cache = ParsedDocuments(maxsize=2)
    docs = {q: graphql.language.parser.parse(q) for q in ("{ a }", "{ b }", "{ c }")}
    cache.put("{ a }", docs["{ a }"])
    cache.put("{ b }", docs["{ b }"])
    assert cache.get("{ a }") is not None  # a is now the most recently used
    cache.put("{ c }", docs["{ c }"])
    assert len(cache) == 2
    assert cache.get("{ b }") is None
    assert cache.get("{ a }") is not None and cache.get("{ c }") is not None


def test_a_very_long_text_is_not_kept() -> None:
    cache = ParsedDocuments(maxsize=2)
    query = "{ a }" + " " * ParsedDocuments.MAX_TEXT
    cache.put(query, graphql.language.parser.parse(query))
    assert len(cache) == 0
