// Error masking: what a client may see of an error.
//
// Out of the box Hive Gateway (Yoga) already gives request errors a code and the GraphQL-over-HTTP status:
// GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT (bad variables), BAD_REQUEST,
// OPERATION_RESOLUTION_FAILURE; subgraph errors keep their own extensions.code (+ extensions.serviceName).
// What it lets through and we close here:
//   * unexpected router errors -> "Unexpected error." with code INTERNAL_SERVER_ERROR  => we use INTERNAL
//     (the one code docs/architecture.md, invariant 6, gives unexpected failures);
//   * subgraph errors without a code get DOWNSTREAM_SERVICE_ERROR but keep the subgraph's message,
//     e.g. a Python exception text                                                     => masked, INTERNAL;
//   * errors with no code at all, e.g. "connect ECONNREFUSED 127.0.0.1:4003" when a subgraph's
//     WebSocket is down, or a non-null violation                                       => masked, INTERNAL.
// Every masked error carries extensions.requestId, the id of the request it answers (the response's
// X-Request-Id, which the gateway also sends to each subgraph, whose logs carry it too), and is logged with
// it: useRequestScope (below) keeps the request's id and logger while its operation runs.
// Left alone on purpose: "POST body sent invalid JSON." (BAD_REQUEST) carries extensions.originalError
// {name, message} of the JSON parser (the client's own input, no stack); Yoga keys the spec's HTTP 400 for
// application/json off that field, so removing it would turn the 400 into a 200.

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { envFlag } from './env.mjs';

const INTERNAL_CODE = 'INTERNAL';
const maskSubgraphErrors = envFlag('TICKETFLOW_MASK_SUBGRAPH_ERRORS', true);

export function isOriginalGraphQLError(error) {
  if (!(error instanceof GraphQLError)) return false;
  return error.originalError == null ? true : isOriginalGraphQLError(error.originalError);
}

// ---------------------------------------------------------------------------------------------------
// request ids

const REQUEST_ID_HEADER = 'x-request-id';
const generatedIds = new WeakMap(); // request -> the id the gateway made for it
const requestScope = new AsyncLocalStorage(); // { requestId, log } of the operation running

/** For the gateway's `requestId` option: a new id for a request that brought none, remembered. */
export function generateRequestId({ request }) {
  const id = randomUUID();
  if (request) generatedIds.set(request, id);
  return id;
}

/** The id of `request`: the client's X-Request-Id, or the one the gateway made. */
export function requestIdOf(request) {
  return request?.headers?.get?.(REQUEST_ID_HEADER) || generatedIds.get(request);
}

/** Runs each operation with its request's id and logger at hand, for maskError. */
export function useRequestScope() {
  return {
    instrumentation: {
      operation({ context, request }, wrapped) {
        const requestId = requestIdOf(request ?? context?.request);
        return requestId ? requestScope.run({ requestId, log: context?.log }, wrapped) : wrapped();
      },
    },
  };
}

function logMasked(error, requestId) {
  const log = requestScope.getStore()?.log;
  if (typeof log?.error !== 'function') return;
  const path = error?.path?.join('.');
  log.error({ requestId, path, error: String(error?.originalError?.stack ?? error?.stack ?? error) },
    `INTERNAL answered to request ${requestId}`);
}

// ---------------------------------------------------------------------------------------------------

function maskedCopy(error, message, extra = {}) {
  const ext = error?.extensions ?? {};
  const requestId = requestScope.getStore()?.requestId;
  if (requestId) logMasked(error, requestId);
  return new GraphQLError(message, {
    nodes: error?.nodes,
    source: error?.source,
    positions: error?.positions,
    path: error?.path,
    extensions: {
      code: INTERNAL_CODE,
      ...(typeof ext.serviceName === 'string' ? { serviceName: ext.serviceName } : {}),
      ...(ext.http ? { http: ext.http } : {}), // internal: tells Yoga which HTTP status to use; not serialised
      ...(requestId ? { requestId } : {}),
      ...extra,
    },
  });
}

export function maskError(error, message) {
  // a thrown (non-GraphQL) Error: never leak it; `unexpected` keeps Yoga's HTTP 500 when there is no data
  if (!isOriginalGraphQLError(error)) return maskedCopy(error, message, { unexpected: true });
  const ext = error.extensions ?? {};
  const code = ext.code;
  if (!code || (maskSubgraphErrors && code === 'DOWNSTREAM_SERVICE_ERROR')) return maskedCopy(error, message);
  return error;
}

/**
 * The same rules for a subgraph's errors as JSON (the pass-through never builds GraphQLErrors): what the
 * gateway's subgraph-error plugin adds (a code when there is none, serviceName), then maskError's verdict.
 */
export function maskSubgraphErrorJSON(error, serviceName) {
  const ext = { ...(error?.extensions ?? {}) };
  ext.code ||= 'DOWNSTREAM_SERVICE_ERROR';
  ext.serviceName ||= serviceName;
  if (maskSubgraphErrors && ext.code === 'DOWNSTREAM_SERVICE_ERROR') {
    return {
      message: 'Unexpected error.',
      ...(error?.path ? { path: error.path } : {}),
      extensions: { code: INTERNAL_CODE, serviceName: ext.serviceName },
    };
  }
  return { ...error, extensions: ext };
}

/**
 * The gateway's error options: unexpected errors are masked ("Unexpected error.", code INTERNAL, no stack
 * traces, logged server-side), GraphQL errors that carry an extensions.code keep their message and code;
 * X-Request-Id is the client's, or a new one, sent to every subgraph and back in the response.
 */
export const errorOptions = {
  maskedErrors: { errorMessage: 'Unexpected error.', maskError },
  requestId: { headerName: REQUEST_ID_HEADER, generateRequestId },
};
