"""A real webhook receiver for the tests: an HTTP server on a loopback port, in a thread of
its own, that records every request and answers with the status it is told to. It can be
stopped (the port refuses connections) and started again on the same port."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True  # started again on the same port
    daemon_threads = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """Records requests; answers ``status`` (200 unless told otherwise)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.status = 200
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with owner._lock:
                    owner.received.append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status = owner.status
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def of_booking(self, booking_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received
                    if r.event.get("data", {}).get("booking_id") == booking_id]
