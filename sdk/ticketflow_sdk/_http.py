"""GraphQL over HTTP with retries: one POST per operation, failures retried.

Which failures are retried depends on whether repeating the operation is harmless:

* a refused connection (the request never left): always;
* a timeout, a dropped connection, or HTTP 502/503/504 (the server may have acted):
  only for operations that are safe to repeat (queries, and mutations the server makes
  idempotent, mostly through an idempotency key the caller reuses on every attempt);
* an answer whose error says ``retryable: true`` (``SUBGRAPH_UNAVAILABLE``: a subgraph
  behind the router did not answer, and may have acted): the same, only operations that
  are safe to repeat.

Attempts are at most ``retries + 1``; between them the wait grows exponentially from
``backoff`` seconds (doubling, capped at ``max_backoff``) plus a random jitter of up to
``backoff`` seconds, so clients that failed together do not come back together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from ticketflow_sdk.errors import TicketFlowError, TransportError, error_from_graphql

USER_AGENT = "ticketflow-sdk/0.1.0"
_GATEWAY_FAILURES = {502, 503, 504}
# Nothing was sent: safe to retry whatever the operation is.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _transport_error(exc: httpx.TransportError) -> TransportError:
    sent = not isinstance(exc, _NOT_SENT)
    return TransportError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                          sent=sent)


def should_retry(error: BaseException, *, idempotent: bool) -> bool:
    """Whether an attempt that failed with ``error`` may be made again."""
    if not isinstance(error, TicketFlowError) or not error.retryable:
        return False
    if isinstance(error, TransportError):
        return idempotent or not error.sent
    return idempotent  # answered, retryable: the server may have acted


def backoff_wait(backoff: float, max_backoff: float) -> wait_exponential_jitter:
    """The wait before the n-th retry: ``backoff * 2**(n-1)`` plus up to ``backoff`` of
    random jitter, at most ``max_backoff`` seconds."""
    return wait_exponential_jitter(initial=backoff, max=max_backoff, jitter=backoff)


def retryable_error(body: Mapping[str, Any]) -> TicketFlowError | None:
    """The first error of an answer that says trying again may work, if any."""
    for entry in body.get("errors") or ():
        if isinstance(entry, Mapping) and (entry.get("extensions") or {}).get("retryable") is True:
            return error_from_graphql(entry)
    return None


class GraphQLHttp:
    """Posts GraphQL documents to one URL and returns the response body (data and errors)."""

    def __init__(self, url: str, *, timeout: float, retries: int, backoff: float,
                 max_backoff: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport, headers={
            "user-agent": USER_AGENT,
            "accept": "application/graphql-response+json, application/json"})

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def get_json(self, url: str) -> tuple[int, Any]:
        """A plain GET beside the GraphQL endpoint (the waiting room's status): the status code
        and the JSON body (None when it is not JSON); a transport failure raises."""
        try:
            response = await self._client.get(url)
        except httpx.TransportError as exc:
            raise _transport_error(exc) from exc
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    async def post(self, document: str, variables: Mapping[str, Any], *,
                   token: str | None, idempotent: bool,
                   headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The JSON body of the answer, after as many attempts as the operation allows.

        Raises :class:`TransportError` when no attempt got a GraphQL answer, and the
        retryable error (``SubgraphUnavailable``) of the last answer when every attempt got
        one (or the operation may not be repeated).
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=backoff_wait(self.backoff, self.max_backoff),
            retry=retry_if_exception(lambda e: should_retry(e, idempotent=idempotent)),
            reraise=True)
        async for attempt in retrying:
            with attempt:
                body = await self._post_once(document, variables, token, headers)
                error = retryable_error(body)
                if error is not None:
                    raise error
                return body
        raise AssertionError("unreachable: tenacity reraises the last failure")

    async def _post_once(self, document: str, variables: Mapping[str, Any],
                         token: str | None,
                         extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        headers = {**(extra or {}), **({"authorization": f"Bearer {token}"} if token else {})}
        try:
            response = await self._client.post(
                self.url, json={"query": document, "variables": dict(variables)},
                headers=headers)
        except httpx.TransportError as exc:
            raise _transport_error(exc) from exc
        return _body(response)


def _body(response: httpx.Response) -> dict[str, Any]:
    """The GraphQL body of a response; a TransportError for anything that is not one.

    502/503/504 are a gateway's "try again", whatever their body says.
    """
    status = response.status_code
    if status in _GATEWAY_FAILURES:
        raise TransportError(f"HTTP {status} from {response.url}", status=status)
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and ("data" in body or "errors" in body):
        return body
    raise TransportError(f"HTTP {status} without a GraphQL answer from {response.url}",
                         status=status, retryable=False)
