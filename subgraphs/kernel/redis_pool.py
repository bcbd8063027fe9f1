"""The one way the kernel connects to Redis."""

from __future__ import annotations

import redis.asyncio as aioredis

# Connections per process and per client (guards, bus, live bus).
MAX_CONNECTIONS = 100
# How long a command waits for a free connection before it fails.
WAIT_SECONDS = 20


def redis_client(url: str, name: str | None = None, timeout: float = 2.0) -> aioredis.Redis:
    """A Redis client whose commands wait for a free pooled connection.

    redis-py's default pool refuses the 101st concurrent command ("Too many connections"),
    which turned a burst of requests into 500s; a blocking pool queues them instead.
    ``name`` names its connections (``CLIENT LIST``). Connecting and every reply have
    ``timeout`` seconds: a server that stopped answering fails the command (the caller
    decides what that means) instead of hanging it. Close it with
    ``aclose(close_connection_pool=True)``.
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=WAIT_SECONDS, client_name=name,
        socket_connect_timeout=timeout, socket_timeout=timeout)
    return aioredis.Redis(connection_pool=pool)
