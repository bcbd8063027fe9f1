// TicketFlow router - Hive Gateway configuration.
//
// Run (from router/ the CLI finds ./gateway.config.mjs by itself; from anywhere else pass --config-path,
// the CLI has no --config option):
//   cd router && npx hive-gateway supergraph                       # supergraph from TICKETFLOW_SUPERGRAPH
//   cd router && npx hive-gateway supergraph ../schema/supergraph.graphql   # a CLI path wins over the env
//   router/node_modules/.bin/hive-gateway supergraph --config-path router/gateway.config.mjs
//
// Environment (all optional):
//   TICKETFLOW_SUPERGRAPH       supergraph SDL file (default <router>/../schema/supergraph.graphql;
//                               a relative value is resolved against the current directory)
//   TICKETFLOW_ROUTER_PORT      listen port (default 4000)
//   TICKETFLOW_ROUTER_HOST      listen host (default 127.0.0.1)
//   TICKETFLOW_AUTH_URL, TICKETFLOW_VENUE_URL, TICKETFLOW_BOOKING_URL, TICKETFLOW_PAYMENT_URL
//                               subgraph URL overrides (full http(s) URL ending /graphql); they replace the
//                               supergraph's routing_url for HTTP *and* the ws:// subscription connection.
//                               Any TICKETFLOW_<NAME>_URL works for a subgraph named <name> (lower case).
//   TICKETFLOW_CORS_ORIGINS     comma-separated allowed origins (default: any origin, reflected)
//   TICKETFLOW_GRAPHIQL         "false" turns GraphiQL off (default on, GET /graphql from a browser)
//   TICKETFLOW_ROUTER_LOG_LEVEL debug | info | warn | error (default info)
//   TICKETFLOW_MASK_SUBGRAPH_ERRORS
//                               "false" lets subgraph errors that carry no extensions.code through verbatim
//                               (default: they become {"message":"Unexpected error.","extensions":{"code":"INTERNAL"}}
//                               and the original is logged) - defence in depth for invariant 6.
//   TICKETFLOW_SUBGRAPH_WS_SHARING
//                               "client" (default): one upstream WebSocket per client connection (and per
//                               token), so Strawberry's per-connection subscription limit (100) applies
//                               per client; "auth": share one upstream WebSocket between all clients that
//                               present the same Authorization (Hive Gateway's native behaviour; all
//                               anonymous subscribers then share ONE connection and the 101st fails).
//
// NB: the hive-gateway CLI also reads PORT / HOST (and -p / -h); when set they WIN over this file.

import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@graphql-hive/gateway';
import { GraphQLError } from 'graphql';

const env = process.env;

// What a newcomer finds in GraphiQL (Hive Laboratory): a collection of ready operations,
// the same journey `make dev` prints. Sign in first, then paste the token into headers.
const TOKEN_HEADERS = JSON.stringify({ Authorization: 'Bearer <paste accessToken from Sign in>' }, null, 2);
const EXAMPLES = [
  {
    name: '1. Sign in as the demo customer',
    query: `mutation SignIn {
  login(input: {email: "customer@ticketflow.dev", password: "customer-demo-pass"}) {
    accessToken expiresAt user { id name }
  }
}`,
  },
  {
    name: '2. Tonight: one query across all four subgraphs',
    headers: TOKEN_HEADERS,
    query: `query Tonight {
  shows { id title startsAt venue { name } price { amount currency }
          availability { total available held sold } }
  me { name bookings { id status total { amount currency } payment { status } } }
}`,
  },
  {
    name: '3. Hold seats (ids from venue { seats { id label } })',
    headers: TOKEN_HEADERS,
    variables: JSON.stringify({ showId: '<show id>', seatIds: ['<seat id>'] }, null, 2),
    query: `mutation Hold($showId: ID!, $seatIds: [ID!]!) {
  holdSeats(showId: $showId, seatIds: $seatIds) {
    __typename
    ... on SeatHold { id expiresAt seatIds }
    ... on SeatsUnavailable { code message seatIds }
  }
}`,
  },
  {
    name: '4. Watch a seat map live',
    variables: JSON.stringify({ showId: '<show id>' }, null, 2),
    query: `subscription Watch($showId: ID!) {
  seatAvailability(showId: $showId) {
    kind version seats { seatId state } availability { available held sold }
  }
}`,
  },
];
const EXAMPLE_COLLECTIONS = [
  {
    id: 'ticketflow-getting-started',
    name: 'TicketFlow: getting started',
    createdAt: '2026-01-01T00:00:00.000Z',
    operations: EXAMPLES.map((op, i) => ({
      id: `ticketflow-example-${i + 1}`,
      description: '',
      createdAt: '2026-01-01T00:00:00.000Z',
      variables: '{}',
      headers: '{}',
      extensions: '{}',
      ...op,
    })),
  },
];
const routerDir = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------------
// helpers

function envFlag(name, fallback) {
  const v = env[name];
  if (v == null || v.trim() === '') return fallback;
  return !['0', 'false', 'no', 'off', 'disabled'].includes(v.trim().toLowerCase());
}

function envPort(name, fallback) {
  const v = env[name];
  if (v == null || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${v} is not a port number`);
  return n;
}

// Router-level variables that look like TICKETFLOW_<X>_URL but are not subgraph overrides.
const NOT_SUBGRAPH_URL_VARS = new Set(['TICKETFLOW_JWKS_URL', 'TICKETFLOW_DATABASE_URL', 'TICKETFLOW_REDIS_URL']);

/** TICKETFLOW_<NAME>_URL -> { <name>: url }, validated. Unknown names are harmless (ignored by the gateway). */
function subgraphUrlOverrides() {
  const out = {};
  for (const [key, value] of Object.entries(env)) {
    const m = /^TICKETFLOW_([A-Z0-9_]+)_URL$/.exec(key);
    if (!m || NOT_SUBGRAPH_URL_VARS.has(key) || value == null || value.trim() === '') continue;
    let url;
    try {
      url = new URL(value.trim());
    } catch {
      throw new Error(`${key}=${value} is not a URL (expected e.g. http://127.0.0.1:4001/graphql)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`${key}=${value} must be an http(s) URL; the ws(s):// subscription URL is derived from it`);
    }
    out[m[1].toLowerCase()] = url.toString();
  }
  return out;
}

/**
 * The client's Authorization, from wherever the client could put it:
 *  - HTTP request header `Authorization` (queries, mutations, SSE subscriptions);
 *  - graphql-transport-ws `connection_init` payload {"Authorization": "..."} (any key casing),
 *    which is the only place a browser can put it;
 *  - a header on the WebSocket upgrade request (non-browser clients).
 */
function clientAuthorization(context) {
  const params = context?.connectionParams;
  if (params && typeof params === 'object') {
    for (const key of Object.keys(params)) {
      if (key.toLowerCase() === 'authorization' && typeof params[key] === 'string' && params[key]) {
        return params[key];
      }
    }
  }
  return context?.request?.headers?.get?.('authorization') || undefined;
}

// one random key per client WebSocket connection (or per HTTP request) - see TICKETFLOW_SUBGRAPH_WS_SHARING
const clientKeys = new WeakMap();
function clientConnectionKey(context) {
  const holder = context?.socket ?? context?.request;
  if (!holder || typeof holder !== 'object') return randomUUID();
  let key = clientKeys.get(holder);
  if (!key) {
    key = randomUUID();
    clientKeys.set(holder, key);
  }
  return key;
}

// ---------------------------------------------------------------------------------------------------
// error masking
//
// Out of the box Hive Gateway (Yoga) already gives request errors a code and the GraphQL-over-HTTP status:
// GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT (bad variables), BAD_REQUEST,
// OPERATION_RESOLUTION_FAILURE; subgraph errors keep their own extensions.code (+ extensions.serviceName).
// What it lets through and we close here:
//   * unexpected router errors -> "Unexpected error." with code INTERNAL_SERVER_ERROR  => we use INTERNAL
//     (the one code DESIGN.md documents for unexpected failures);
//   * subgraph errors without a code get DOWNSTREAM_SERVICE_ERROR but keep the subgraph's message,
//     e.g. a Python exception text                                                     => masked, INTERNAL;
//   * errors with no code at all, e.g. "connect ECONNREFUSED 127.0.0.1:4003" when a subgraph's
//     WebSocket is down, or a non-null violation                                       => masked, INTERNAL.
// Left alone on purpose: "POST body sent invalid JSON." (BAD_REQUEST) carries extensions.originalError
// {name, message} of the JSON parser (the client's own input, no stack); Yoga keys the spec's HTTP 400 for
// application/json off that field, so removing it would turn the 400 into a 200.

const INTERNAL_CODE = 'INTERNAL';
const maskSubgraphErrors = envFlag('TICKETFLOW_MASK_SUBGRAPH_ERRORS', true);

function isOriginalGraphQLError(error) {
  if (!(error instanceof GraphQLError)) return false;
  return error.originalError == null ? true : isOriginalGraphQLError(error.originalError);
}

function maskedCopy(error, message, extra = {}) {
  const ext = error?.extensions ?? {};
  return new GraphQLError(message, {
    nodes: error?.nodes,
    source: error?.source,
    positions: error?.positions,
    path: error?.path,
    extensions: {
      code: INTERNAL_CODE,
      ...(typeof ext.serviceName === 'string' ? { serviceName: ext.serviceName } : {}),
      ...(ext.http ? { http: ext.http } : {}), // internal: tells Yoga which HTTP status to use; not serialised
      ...extra,
    },
  });
}

function maskError(error, message) {
  // a thrown (non-GraphQL) Error: never leak it; `unexpected` keeps Yoga's HTTP 500 when there is no data
  if (!isOriginalGraphQLError(error)) return maskedCopy(error, message, { unexpected: true });
  const ext = error.extensions ?? {};
  const code = ext.code;
  if (!code || (maskSubgraphErrors && code === 'DOWNSTREAM_SERVICE_ERROR')) return maskedCopy(error, message);
  return error;
}

// ---------------------------------------------------------------------------------------------------
// config

const supergraph = env.TICKETFLOW_SUPERGRAPH?.trim()
  ? resolve(process.cwd(), env.TICKETFLOW_SUPERGRAPH.trim())
  : resolve(routerDir, '../schema/supergraph.graphql');

const wsSharing = (env.TICKETFLOW_SUBGRAPH_WS_SHARING || 'client').trim().toLowerCase();
if (!['client', 'auth'].includes(wsSharing)) {
  throw new Error(`TICKETFLOW_SUBGRAPH_WS_SHARING=${wsSharing}: expected "client" or "auth"`);
}

const corsOrigins = (env.TICKETFLOW_CORS_ORIGINS || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

// Per-subgraph: location override (HTTP; the ws transport derives ws:// from the same location).
const transportEntries = {};
for (const [name, url] of Object.entries(subgraphUrlOverrides())) {
  transportEntries[name] = { location: url };
}

// Every subgraph: subscriptions over WebSocket graphql-transport-ws at the subgraph's own URL
// (http -> ws, https -> wss), carrying the client's Authorization both as an upgrade-request header and
// in the connection_init payload. Hive Gateway pools upstream WebSockets by (url, interpolated
// connectionParams, interpolated headers), so what goes into these templates decides the sharing.
const wsHeaders = [['authorization', '{context.ticketflow.authorization}']];
if (wsSharing === 'client') wsHeaders.push(['x-ticketflow-client-connection', '{context.ticketflow.clientKey}']);
transportEntries['*.http'] = {
  options: {
    subscriptions: {
      kind: 'ws',
      headers: wsHeaders,
      options: {
        connectionParams: { Authorization: '{context.ticketflow.authorization}' },
      },
    },
  },
};

/** Puts the normalised client Authorization (and a per-connection key) on the context for the templates above. */
const useTicketflowContext = () => ({
  onContextBuilding({ context, extendContext }) {
    extendContext({
      ticketflow: {
        authorization: clientAuthorization(context),
        clientKey: wsSharing === 'client' ? clientConnectionKey(context) : undefined,
      },
    });
  },
});

export const gatewayConfig = defineConfig({
  supergraph,
  host: env.TICKETFLOW_ROUTER_HOST?.trim() || '127.0.0.1',
  port: envPort('TICKETFLOW_ROUTER_PORT', 4000),
  graphqlEndpoint: '/graphql',
  healthCheckEndpoint: '/healthcheck',
  readinessCheckEndpoint: '/readiness',
  logging: env.TICKETFLOW_ROUTER_LOG_LEVEL?.trim() || 'info',

  transportEntries,

  // HTTP requests to subgraphs (queries, mutations, entity fetches - also those made while resolving a
  // WebSocket subscription's events) carry the client's Authorization.
  propagateHeaders: {
    fromClientToSubgraphs({ context }) {
      const authorization = context?.ticketflow?.authorization ?? clientAuthorization(context);
      return authorization ? { authorization } : {};
    },
  },

  cors: corsOrigins.length
    ? {
        origin: corsOrigins,
        credentials: true,
        methods: ['GET', 'POST', 'OPTIONS'],
        allowedHeaders: ['authorization', 'content-type', 'accept', 'idempotency-key', 'x-request-id'],
      }
    : true,

  graphiql: envFlag('TICKETFLOW_GRAPHIQL', true)
    ? { title: 'TicketFlow', subscriptionsProtocol: 'WS', defaultCollections: EXAMPLE_COLLECTIONS }
    : false,
  landingPage: false,

  // Unexpected errors are masked ("Unexpected error.", code INTERNAL, no stack traces, logged server-side);
  // GraphQL errors from subgraphs that carry an extensions.code keep their message and code.
  maskedErrors: { errorMessage: 'Unexpected error.', maskError },

  plugins: () => [useTicketflowContext()],
});
