"""Shared subscriptions: execute a selection set once, write the same bytes to everyone.

A root subscription field registered as a :class:`SharedSubscription` (booking's
``seatAvailability``) is not run as one async generator per subscriber. Its subscribers
are grouped by ``(field, subscription document text, operationName, variables)``; the
field's arguments name a *feed* (a show), and one :class:`Feed` per key and process runs
one task for all of its groups. For each message the feed executes each group's selection
set once (graphql-core, the message as root value), serialises the payload once
(orjson) and hands every subscriber of the group a frame whose only own part is its
operation id::

    {"id":"<id>","type":"next","payload":<the group's bytes>}

``"id"`` comes first and ``"type":"next"`` second, always in this layout: a proxy in
front (the router) may rewrite the prefix without parsing the payload.

Writes go through one bounded :class:`~subgraphs.kernel.sendqueue.SendQueue` per connection,
so a slow client never slows the others down: a frame the connection can take at once is
written at once (the fan-out does not switch tasks per subscriber), the rest waits in the
send queue. A subscriber whose frame does not fit is *lagging*: it gets nothing more until
its connection has written everything queued, and then starts over from the feed's
current state (:meth:`Feed.join` again, which sends a fresh snapshot).

Only fields whose messages are the same for every subscriber may be shared: nothing in
their selection set may depend on the caller.

A little over 300 lines: the feed, its groups, its subscribers and the registry are one
mechanism (the connection's queue is :mod:`.sendqueue`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
)
from graphql.execution import Executor, execute_subscription_event
from graphql.execution.values import get_argument_values
from strawberry.schema.schema import validate_document

from subgraphs.kernel import metrics
from subgraphs.kernel.errors import classify, present
from subgraphs.kernel.inputs import input_error
from subgraphs.kernel.sendqueue import SendQueue

log = logging.getLogger("ticketflow.feeds")

# (document text, operationName, variables as sorted JSON): they name the field and its
# arguments, and so the feed too.
GroupKey = tuple[str, str | None, bytes]
DOCUMENT_CACHE = 256
# The subgraph's service the feeds serve (kernel.service.Service): a type parameter, so that
# this module needs nothing of the service's.
S = TypeVar("S")


@dataclass(frozen=True)
class SharedSubscription(Generic[S]):
    """A root subscription field served by per-key feeds instead of one generator each.

    ``key`` turns the field's coerced arguments into the feed's key (a show id);
    ``feed`` builds the feed of a key, started when its first subscriber arrives.
    """

    field: str
    key: Callable[[dict[str, Any]], str]
    feed: Callable[[FeedRegistry[S], str], Feed[S]]


class Group:
    """Subscribers of one feed with the same document, operation and variables."""

    __slots__ = ("executor", "feed", "key", "members", "snapshot")

    def __init__(self, key: GroupKey, feed: Feed[Any], executor: Executor) -> None:
        self.key = key
        self.feed = feed
        self.executor = executor
        self.members: set[Subscriber] = set()
        self.snapshot: tuple[int, bytes] | None = None  # (version, payload) of the last one

    def render(self, event: object) -> bytes:
        """The ``payload`` of a ``next`` message for ``event``: executed and serialised once."""
        result = execute_subscription_event(self.executor.build_per_event_executor(event))
        if isinstance(result, Awaitable):  # shared fields resolve synchronously
            raise TypeError("a shared subscription must resolve synchronously")
        self.feed.registry.stats["executions"] += 1
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [classify(e).formatted for e in result.errors]
        return orjson.dumps(payload)

    def send(self, payload: bytes) -> None:
        """The same payload to every member that is ready for it."""
        for subscriber in self.members:
            subscriber.send(payload)


class Feed(Generic[S]):
    """One key's (a show's) subscribers in this process, served by one task.

    Subclasses implement :meth:`run` (follow the source, send to ``groups``) and
    :meth:`join` (give a new or lagging subscriber its first message).
    """

    def __init__(self, registry: FeedRegistry[S], key: str) -> None:
        self.registry = registry
        self.service: S = registry.service
        self.key = key
        self.groups: dict[GroupKey, Group] = {}
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the feed's task."""
        self.task = asyncio.create_task(self.run(), name=f"feed {self.key}")

    async def run(self) -> None:
        """Follow the source until cancelled."""
        raise NotImplementedError

    def join(self, subscriber: Subscriber) -> None:
        """Send ``subscriber`` (a member of one of ``groups``) its first message."""
        raise NotImplementedError

    def subscribers(self) -> list[Subscriber]:
        """Every member of every group."""
        return [s for g in self.groups.values() for s in g.members]

    def refuse_all(self) -> None:
        """Hand every subscriber back to the ordinary path (the key names nothing)."""
        for subscriber in self.subscribers():
            self.registry.leave(subscriber)
            subscriber.refuse()


@dataclass
class Route:
    """Where a subscribe message goes: an existing group, or the parts of a new one."""

    spec: SharedSubscription[Any]
    group_key: GroupKey
    feed_key: str
    executor: Executor


class FeedRegistry(Generic[S]):
    """Every shared feed of one subgraph in this process.

    ``stats`` counts what the feeds did (``executions`` of a selection set, snapshot
    ``snapshot_reads`` and ``snapshot_renders``, ``deltas`` sent, ``resyncs``...).
    """

    def __init__(self, service: S, schema: GraphQLSchema,
                 specs: Sequence[SharedSubscription[S]]) -> None:
        self.service = service
        self.specs = {s.field: s for s in specs}
        self.schema = schema
        self.feeds: dict[str, Feed[S]] = {}
        self.groups: dict[GroupKey, Group] = {}
        self.stats: Counter[str] = Counter()
        self._documents: OrderedDict[str, DocumentNode | None] = OrderedDict()

    def _document(self, query: str) -> DocumentNode | None:
        """The parsed document if it is valid (cached by text); None otherwise."""
        if query in self._documents:
            self._documents.move_to_end(query)
            return self._documents[query]
        found: DocumentNode | None
        try:
            found = parse(query)
        except GraphQLError:
            found = None
        # The rules Strawberry applies (it adds its own to these).
        if found is not None and validate_document(self.schema, found, tuple(specified_rules)):
            found = None
        self._documents[query] = found
        if len(self._documents) > DOCUMENT_CACHE:
            self._documents.popitem(last=False)
        return found

    def group_of(self, payload: dict[str, Any]) -> Group | Route | None:
        """The group a subscribe payload joins (or how to make it); None when the
        operation is not a shared one, or is invalid: the ordinary path answers it."""
        query, name = payload.get("query"), payload.get("operationName")
        variables = payload.get("variables") or {}
        if not self.specs or not isinstance(query, str) or not isinstance(variables, dict):
            return None
        try:
            key: GroupKey = (query, name, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS))
        except TypeError:
            return None
        found = self.groups.get(key)
        return found if found is not None else self._route(key, query, name, variables)

    def _route(self, key: GroupKey, query: str, name: str | None,
               variables: dict[str, Any]) -> Route | None:
        document = self._document(query)
        operation = None if document is None else get_operation_ast(document, name)
        if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
            return None
        [node] = operation.selection_set.selections  # validation: exactly one root field
        if not isinstance(node, FieldNode) or node.directives or \
                node.name.value not in self.specs:
            return None
        if document is None:  # operation was None then
            return None
        executor = Executor.build(self.schema, document, raw_variable_values=variables,
                                  operation_name=name)
        if isinstance(executor, list):  # variables that do not fit: the ordinary answer
            return None
        if input_error(self.schema, document, name, variables) is not None:
            return None  # a string breaking the input rule: the ordinary answer refuses it
        spec = self.specs[node.name.value]
        field = present(self.schema.subscription_type, "the subscription type") \
            .fields[node.name.value]
        args = get_argument_values(field, node, executor.variable_values)
        return Route(spec, key, spec.key(args), executor)

    def join(self, found: Group | Route, make: Callable[[Group], Subscriber]) -> Subscriber:
        """Add a subscriber (made by ``make`` for its group) and send it its first message."""
        group = found if isinstance(found, Group) else self._new_group(found)
        subscriber = make(group)
        group.members.add(subscriber)
        metrics.subscriber_joined(group.feed.key)
        group.feed.join(subscriber)
        return subscriber

    def _new_group(self, route: Route) -> Group:
        feed = self.feeds.get(route.feed_key)
        if feed is None:
            feed = self.feeds[route.feed_key] = route.spec.feed(self, route.feed_key)
            feed.start()
        group = Group(route.group_key, feed, route.executor)
        feed.groups[group.key] = group
        self.groups[group.key] = group
        return group

    def leave(self, subscriber: Subscriber) -> None:
        """Remove a subscriber; a feed without subscribers stops."""
        subscriber.active = False
        group = subscriber.group
        if subscriber in group.members:
            group.members.remove(subscriber)
            metrics.subscriber_left(group.feed.key)
        if group.members:
            return
        self.groups.pop(group.key, None)
        feed = group.feed
        feed.groups.pop(group.key, None)
        if not feed.groups and self.feeds.get(feed.key) is feed:
            del self.feeds[feed.key]
            if feed.task is not None:
                feed.task.cancel()


class Subscriber:
    """One shared subscription of one connection."""

    __slots__ = (
        "active",
        "feed",
        "group",
        "id",
        "prefix",
        "queue",
        "queued",
        "ready",
        "refuse",
        "registry",
    )

    def __init__(self, operation_id: str, queue: SendQueue, group: Group,
                 registry: FeedRegistry[Any],
                 refuse: Callable[[], None]) -> None:
        self.id = operation_id
        self.queue = queue
        self.group = group
        self.feed = group.feed
        self.registry = registry
        # Called when the feed cannot serve it (no such show): the ordinary
        # subscription path then answers as it always did.
        self.refuse = refuse
        self.prefix = b'{"id":' + orjson.dumps(operation_id) + b',"type":"next","payload":'
        self.active = True
        self.ready = False  # has its first message: a snapshot, or a fresh start
        self.queued = 0  # bytes of its frames waiting in the queue

    def start(self, payload: bytes) -> None:
        """Send the subscriber's first message (a snapshot); later ones follow it."""
        self.ready = True
        self.send(payload)

    def send(self, payload: bytes) -> None:
        """Send one ``next`` frame; a subscriber whose frame does not fit lags behind."""
        if self.ready and not self.queue.offer(self, self.prefix + payload + b"}"):
            self.ready = False

    def restart(self) -> None:
        """Start over from the feed's current state (it lagged behind, and caught up)."""
        self.registry.stats["lagging_restarts"] += 1
        self.feed.join(self)
