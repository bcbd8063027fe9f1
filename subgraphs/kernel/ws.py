"""graphql-transport-ws with shared subscriptions (see :mod:`subgraphs.kernel.feeds`).

Strawberry runs the protocol: connection_init and its timeout, ping/pong, queries and
ordinary subscriptions. Only a ``subscribe`` whose operation is a valid shared
subscription, sent on a connection whose token was good, goes to the subgraph's feeds
instead; anything else (a syntax or validation error, bad variables, a bad token, a show
the feed does not know) is answered by Strawberry exactly as before.

On uvicorn's websockets-sansio connections a shared frame the connection can take at
once is written to it directly, not through a task switch and the ASGI ``send`` chain:
that is most of what a subscriber costs per message. :class:`KeepServerSend` keeps the
server's own ``send`` in the websocket's scope for that; on any other server every frame
goes through ``send`` as usual.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLError
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    SubscribeMessage,
)
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

from subgraphs.kernel.feeds import FeedRegistry, Group, Subscriber
from subgraphs.kernel.graphql import Context
from subgraphs.kernel.sendqueue import SendQueue, WriteNow

SERVER_SEND = "ticketflow.server_send"


class KeepServerSend:
    """ASGI middleware: keeps a websocket's ``send`` as the server gave it in its scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


def write_now(scope: Scope) -> WriteNow | None:
    """A writer of text frames straight to the connection, when uvicorn's websockets-sansio
    connection serves ``scope``; None on any other server."""
    connection = getattr(scope.get(SERVER_SEND), "__self__", None)
    if not isinstance(connection, WebSocketsSansIOProtocol):
        return None

    def write(frame: bytes) -> bool:
        # What the connection's own send does for a text message, minus the waiting: a
        # connection whose transport asked for a pause, or that is closing, takes nothing.
        if (not connection.writable.is_set() or connection.close_sent
                or connection.disconnected or not connection.handshake_complete
                or connection.transport.is_closing()):
            return False
        try:
            connection.conn.send_text(frame)
        except InvalidState:
            return False
        connection.transport.write(b"".join(connection.conn.data_to_send()))
        return True

    return write


class SharedFeedsHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Routes subscribes of shared subscriptions to feeds; the rest to Strawberry."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shared: dict[str, Subscriber] = {}
        self._queue: SendQueue | None = None
        self._handing_back: set[asyncio.Task[None]] = set()

    def _shared_group(self, message: SubscribeMessage) -> tuple[FeedRegistry[Any], Any] | None:
        if getattr(self.context, "auth_error", None) is not None:
            return None  # the token gate answers, as for every operation
        registry = self.context.service.feeds()
        payload = message.get("payload")
        if registry is None or not isinstance(payload, dict):
            return None
        found = registry.group_of(dict(payload))
        return None if found is None else (registry, found)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        operation_id = message["id"]
        if not self.connection_acknowledged or operation_id in self.operations:
            await super().handle_subscribe(message)  # closes with 4401 / 4409
            return
        if operation_id in self.shared:
            await self.websocket.close(code=4409,
                                       reason=f"Subscriber for {operation_id} already exists")
            return
        routed = self._shared_group(message)
        if routed is None:
            await super().handle_subscribe(message)
            return
        limit = self.max_subscriptions_per_connection
        if limit is not None and len(self.operations) + len(self.shared) >= limit:
            error = GraphQLError("Subscription limit reached")  # as Strawberry says it
            await self.send_message({"id": operation_id, "type": "error",
                                     "payload": [error.formatted]})
            return
        registry, found = routed

        def make(group: Group) -> Subscriber:
            return Subscriber(operation_id, self._queue_of_connection(), group, registry,
                              lambda: self._hand_back(message))

        self.shared[operation_id] = registry.join(found, make)

    def _queue_of_connection(self) -> SendQueue:
        if self._queue is None:
            if not isinstance(self.websocket, ASGIWebSocketAdapter):
                raise TypeError("shared feeds need uvicorn's ASGI websocket")
            ws = self.websocket.ws
            self._queue = SendQueue(ws.send_text, write_now(ws.scope))
        return self._queue

    def _hand_back(self, message: SubscribeMessage) -> None:
        """The feed cannot serve this subscription: Strawberry answers it as it always did."""
        subscriber = self.shared.get(message["id"])
        if subscriber is None or subscriber.active:
            return
        del self.shared[message["id"]]
        task = asyncio.create_task(super().handle_subscribe(message))
        self._handing_back.add(task)
        task.add_done_callback(self._handing_back.discard)

    async def handle_complete(self, message: CompleteMessage) -> None:
        subscriber = self.shared.pop(message["id"], None)
        if subscriber is None:
            await super().handle_complete(message)
            return
        subscriber.registry.leave(subscriber)

    async def shutdown(self) -> None:
        for subscriber in self.shared.values():
            subscriber.registry.leave(subscriber)
        self.shared.clear()
        if self._queue is not None:
            await self._queue.close()
        for task in list(self._handing_back):
            task.cancel()
        await super().shutdown()
