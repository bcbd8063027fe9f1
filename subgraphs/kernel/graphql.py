"""What every subgraph's GraphQL layer shares: the request context and common types."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, Final, TypeVar

import strawberry
from graphql import DocumentNode, ExecutionResult, GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.fastapi import BaseContext
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from subgraphs.kernel.auth import Caller
from subgraphs.kernel.errors import BadUserInput, ErrorCodes, TicketFlowError
from subgraphs.kernel.inputs import plan_operation
from subgraphs.kernel.metrics import OperationMetrics
from subgraphs.kernel.service import Service

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
BatchFn = Callable[["Context", Sequence[Any]], Awaitable[Sequence[Any]]]


class Context(BaseContext):
    """Per-request context: the subgraph's services, the verified caller, and loaders.

    Loaders live here, never at module level, so their caches die with the request and
    cannot leak one user's data to another.
    """

    def __init__(
        self,
        service: Service,
        caller: Caller | None,
        auth_error: TicketFlowError | None = None,
        client_address: str | None = None,
        user_agent: str | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.caller = caller
        self.auth_error = auth_error
        self.client_address = client_address
        self.user_agent = user_agent
        self._loaders: dict[Any, DataLoader[Any, Any]] = {}

    def loader(self, batch: BatchFn) -> DataLoader[Any, Any]:
        """The request's loader for a module-level ``batch(context, keys)`` function.

        All loads through one loader within a tick become one call of ``batch``: one
        query per entity type per request, not one per entity. A key's value is cached for
        the request, except when the whole batch failed: the next load of it tries again.
        """
        existing = self._loaders.get(batch)
        if existing is None:

            async def load(keys: list[Any]) -> list[Any]:
                try:
                    return list(await batch(self, keys))
                except Exception:
                    for key in keys:
                        loader.cache_map.delete(key)
                    raise

            existing = loader = DataLoader(load)
            self._loaders[batch] = existing
        return existing


Info = strawberry.Info[Context, None]


def session_batch(
    fn: Callable[[AsyncSession, Sequence[Any]], Awaitable[Sequence[Any]]],
) -> BatchFn:
    """A loader batch function running ``fn(session, keys)`` on the subgraph's database.

    Define it once at module level (``_load_x = session_batch(service.x_by_ids)``): the
    loader is keyed by this function, so one request shares one loader per entity type.
    """

    async def batch(ctx: Context, keys: Sequence[Any]) -> Sequence[Any]:
        async with ctx.service.db.reader() as session:
            return await fn(session, keys)

    return batch


@strawberry.federation.type(shareable=True, description="An amount of money in minor units.")
class Money:
    """Integer minor units (cents, paise, fils) and an ISO 4217 currency code; never floats."""

    amount: int = strawberry.field(description=(
        "Minor units as ISO 4217 counts them: 1250 is 12.50 EUR, 1.250 KWD (three "
        "decimals), 1250 JPY (none)."))
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")


class AuthGate(SchemaExtension):
    """Refuses the whole operation when the request carried a bad token."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        error = getattr(context, "auth_error", None)
        subscription = self.execution_context.operation_type is OperationType.SUBSCRIPTION
        if error is not None and subscription:
            # A subscription ignores a preset result; failing this hook is what stops it.
            raise error
        if error is not None:
            self.execution_context.result = ExecutionResult(
                data=None, errors=[GraphQLError(error.message, extensions=error.extensions())]
            )
        yield


class ParsedDocuments:
    """A bounded LRU of parsed and validated documents, shared by one schema's requests.

    Clients send the same few operations; parsing and validating each again was a fifth
    of booking's CPU per hold. Keyed by the query text, not the document: graphql-core's
    nodes hash and compare their whole tree, so a cache keyed by the document (Strawberry's
    ValidationCache) walks it twice a request. Each operation's input plan (which
    arguments hold strings: ``kernel.inputs``) is kept with its document. Only documents
    that parsed are kept, so a syntax error still reaches the error-code handling as the
    parser raised it (Strawberry's ParserCache would raise it past that). Long texts are not
    kept: a made-up document costs its sender, not memory.
    """

    MAX_TEXT = 64 * 1024

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        # query -> [document, the validation rules checked, their errors,
        #           {operation name: InputPlan}]
        self._docs: OrderedDict[str, list[Any]] = OrderedDict()

    def get(self, query: str) -> list[Any] | None:
        """The entry kept for ``query``, if any (marked most recently used)."""
        entry = self._docs.get(query)
        if entry is not None:
            self._docs.move_to_end(query)
        return entry

    def put(self, query: str, doc: DocumentNode) -> list[Any] | None:
        """Keep ``doc`` for ``query``, forgetting the least recently used past ``maxsize``."""
        if len(query) > self.MAX_TEXT:
            return None
        entry: list[Any] = [doc, None, None, {}]
        self._docs[query] = entry
        self._docs.move_to_end(query)
        while len(self._docs) > self.maxsize:
            self._docs.popitem(last=False)
        return entry

    def __len__(self) -> int:
        return len(self._docs)

    def extension(self) -> SchemaExtension:
        """A fresh extension instance (Strawberry makes one per request) using this cache."""
        return _Documents(self)


MAX_PLANS = 8  # input plans kept per document: one per operation it holds, usually one


class _Documents(SchemaExtension):
    def __init__(self, cache: ParsedDocuments) -> None:
        super().__init__()
        self._cache = cache
        self._entry: list[Any] | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        cacheable = bool(query) and context.graphql_document is None \
            and not context.parse_options
        if cacheable:
            self._entry = self._cache.get(query)  # type: ignore[arg-type]
            if self._entry is not None:
                context.graphql_document = self._entry[0]
        yield
        # Strawberry parsed it (a parse error leaves no document): keep it for next time.
        if cacheable and self._entry is None and context.graphql_document is not None:
            self._entry = self._cache.put(query, context.graphql_document)  # type: ignore[arg-type]

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry, document = self._entry, context.graphql_document
        rules = context.validation_rules
        if entry is not None and document is not None and entry[0] is document \
                and context.pre_execution_errors is None:
            if entry[1] != rules:
                entry[2] = validate_document(context.schema._schema, document, rules)
                entry[1] = rules
            context.pre_execution_errors = entry[2]
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        # Nothing is resolved yet: a string that breaks the input rule stops the operation
        # here, so no resolver, and no database, ever sees it. A preset result (AuthGate's)
        # already answers.
        error = None if context.result is not None else self._input_error()
        if error is not None and context.operation_type is OperationType.SUBSCRIPTION:
            raise error  # a subscription ignores a preset result (see AuthGate)
        if error is not None:
            context.result = ExecutionResult(data=None, errors=[
                GraphQLError(error.message, extensions=error.extensions())])
        yield

    def _input_error(self) -> BadUserInput | None:
        context = self.execution_context
        document, name = context.graphql_document, context.operation_name
        if document is None:
            return None
        entry = self._entry
        if entry is None or entry[0] is not document:
            plan = plan_operation(context.schema._schema, document, name)
        else:
            plans = entry[3]
            plan = plans.get(name)
            if plan is None:
                plan = plan_operation(context.schema._schema, document, name)
                if len(plans) < MAX_PLANS:  # made-up operation names are not kept
                    plans[name] = plan
        return plan.error(context.variables)


FEDERATION_VERSION: Final = "2.7"  # composes under both Hive's and Apollo's composers


class _Schema(strawberry.federation.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: Any = None) -> None:
        # Expected errors (bad input, not signed in) are answers, not incidents: only
        # unexpected ones are logged, by the ErrorCodes extension, with their traceback.
        return None


def build_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Sequence[type] = (),
    scalars: Mapping[object, Any] | None = None,
) -> strawberry.federation.Schema:
    """A federation schema with TicketFlow's error handling and token gate; ``scalars``
    maps a subgraph's own scalar types (``NewType``) to their definitions."""
    parsed = ParsedDocuments(maxsize=256)
    return _Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        config=StrawberryConfig(scalar_map=dict(scalars or {})),
        # Clients send the same few operations: each is parsed and validated once.
        extensions=[AuthGate, ErrorCodes, parsed.extension, OperationMetrics],
        federation_version=FEDERATION_VERSION,
    )
