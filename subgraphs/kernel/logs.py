"""Logs: one human line per record (``text``, the default) or one JSON object
(``TICKETFLOW_LOG_FORMAT=json``), both carrying the request id and, when tracing is on,
the trace id; the request id itself (:class:`RequestIds`), and the access line a request
leaves with ``TICKETFLOW_ACCESS_LOG``."""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from subgraphs.kernel import tracing
from subgraphs.kernel.db import new_id

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# What the GraphQL operation of the current request was ("mutation holdSeats"), filled in
# by kernel/metrics.py's extension for the access line.
operation: ContextVar[list[str] | None] = ContextVar("operation", default=None)
access = logging.getLogger("ticketflow.access")

LogFormat = Literal["text", "json"]


def _ids() -> dict[str, str]:
    ids = {}
    rid = request_id.get()
    if rid:
        ids["request_id"] = rid
    tid = tracing.trace_id()
    if tid:
        ids["trace_id"] = tid
    return ids


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and trace ids,
    the access line's fields (``http``), exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **_ids(),
        }
        for key in ("service", "http"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class TextFormatter(logging.Formatter):
    """``13:20:46 INFO  ticketflow.access  booking POST /graphql … [request_id=… trace_id=…]``"""

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{k}={v}" for k, v in _ids().items())
        line = (f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<5} "
                f"{record.name}  {record.getMessage()}")
        if ids:
            line += f"  [{ids}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str = "INFO", fmt: LogFormat = "text") -> None:
    """Send logs to stderr in ``fmt``; called once per process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our own access line (RequestIds) replaces uvicorn's.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def log_access(service: str, method: str, path: str, status: int, seconds: float,
               what: str | None) -> None:
    """The one line a request leaves: ``booking POST /graphql mutation holdSeats 200 4.1 ms``."""
    ms = round(seconds * 1000, 1)
    access.info("%s %s %s%s %s %.1f ms", service, method, path, f" {what}" if what else "",
                status, ms, extra={"http": {
                    "service": service, "method": method, "path": path, "status": status,
                    "duration_ms": ms, **({"operation": what} if what else {})}})


# Probes and scrapes, every few seconds: no access line.
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestIds:
    """Gives every HTTP request an id (the client's ``X-Request-Id``, or a new one) for the
    logs, and returns it in the response's ``X-Request-Id``; with ``access_log``, logs one
    line per request once it is answered (kernel/logs.py).

    A plain ASGI wrapper: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware``) costs a
    task and a body stream per request, which shows on the hold's hot path.
    """

    def __init__(self, app: ASGIApp, service: str = "", access_log: bool = False) -> None:
        self.app = app
        self.service = service
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id")
        rid = given.decode("latin-1") if given else new_id()
        header = (b"x-request-id", rid.encode("latin-1"))
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
                status[0] = message["status"]
            await send(message)

        token = request_id.set(rid)
        if not self.access_log or scope["path"] in QUIET:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                request_id.reset(token)
            return
        what: list[str] = []
        described = operation.set(what)
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log_access(self.service, scope["method"], scope["path"], status[0],
                       time.perf_counter() - start, what[0] if what else None)
            operation.reset(described)
            request_id.reset(token)
