// TicketFlow router - Hive Gateway configuration.
//
// Run:
//   node router/server.mjs        # what make dev, the tests and the image run: this config behind the
//                                 # router's own server, with the subscription pass-through (server.mjs)
// The config is also a plain Hive Gateway config; the gateway's CLI runs it without the pass-through
// (from router/ the CLI finds ./gateway.config.mjs by itself; from anywhere else pass --config-path):
//   router/node_modules/.bin/hive-gateway supergraph --config-path router/gateway.config.mjs
//
// Environment (all optional):
//   TICKETFLOW_SUPERGRAPH       supergraph SDL file (default <router>/../schema/supergraph.graphql;
//                               a relative value is resolved against the current directory)
//   TICKETFLOW_ROUTER_PORT      listen port (default 4000)
//   TICKETFLOW_ROUTER_HOST      listen host (default 127.0.0.1)
//   TICKETFLOW_AUTH_URL, TICKETFLOW_VENUE_URL, TICKETFLOW_BOOKING_URL, TICKETFLOW_PAYMENT_URL,
//   TICKETFLOW_NOTIFICATION_URL
//                               subgraph URL overrides (full http(s) URL ending /graphql); they replace the
//                               supergraph's routing_url for HTTP *and* the ws:// subscription connection.
//                               Any TICKETFLOW_<NAME>_URL works for a subgraph named <name> (lower case).
//   TICKETFLOW_CORS_ORIGINS     comma-separated allowed origins (default: any origin, reflected)
//   TICKETFLOW_GRAPHIQL         "false" turns GraphiQL off (default: on, GET /graphql from a browser, unless
//                               TICKETFLOW_ENV=production, where introspection is off too)
//   TICKETFLOW_ENV              "production" turns introspection and field suggestions off (lib/limits.mjs)
//   TICKETFLOW_MAX_DOCUMENT_BYTES, TICKETFLOW_MAX_TOKENS, TICKETFLOW_MAX_DEPTH, TICKETFLOW_MAX_ALIASES,
//   TICKETFLOW_MAX_DIRECTIVES, TICKETFLOW_MAX_COST
//                               operation limits, refused with OPERATION_LIMIT before any subgraph is called;
//                               the defaults and why: lib/limits.mjs, docs/api-edge.md. Batches (a JSON
//                               array of operations) are refused (BAD_REQUEST): batching is off.
//   TICKETFLOW_INTROSPECTION, TICKETFLOW_FIELD_SUGGESTIONS
//                               "true"/"false" override what TICKETFLOW_ENV decides
//   TICKETFLOW_ROUTER_RATE_LIMIT_QUERIES, TICKETFLOW_ROUTER_RATE_LIMIT_MUTATIONS,
//   TICKETFLOW_ROUTER_RATE_LIMIT_WINDOW_SECONDS, TICKETFLOW_ROUTER_TRUSTED_PROXIES, TICKETFLOW_REDIS_URL,
//   TICKETFLOW_REDIS_PREFIX
//                               rate limits per client (RATE_LIMITED, retryAfter): lib/ratelimit.mjs
//   TICKETFLOW_ROUTER_LOG_LEVEL debug | info | warn | error (default info)
//   TICKETFLOW_MASK_SUBGRAPH_ERRORS
//                               "false" lets subgraph errors that carry no extensions.code through verbatim
//                               (default: they become {"message":"Unexpected error.","extensions":{"code":"INTERNAL"}}
//                               and the original is logged) - defence in depth (docs/architecture.md, invariant 6).
//   TICKETFLOW_SUBGRAPH_WS_SHARING
//                               subscriptions the gateway itself executes (not the pass-through's, which
//                               always share per Authorization, see lib/upstream.mjs):
//                               "client" (default): one upstream WebSocket per client connection (and per
//                               token); "auth": share one upstream WebSocket between all clients that
//                               present the same Authorization (Hive Gateway's native behaviour). The
//                               subgraphs set no per-connection subscription limit; the router caps
//                               subscriptions per client connection (server.mjs).
//   TICKETFLOW_QUERY_PLANNER    "js" (default): Hive Gateway's JavaScript planner; "rust": the Rust query
//                               planner of @graphql-hive/router-runtime (measured for live fan-out in
//                               docs/benchmarks.md)
//   TICKETFLOW_JWKS_URL         the auth service's JWKS document (default: the origin of TICKETFLOW_AUTH_URL +
//                               /.well-known/jwks.json; without TICKETFLOW_AUTH_URL
//                               http://127.0.0.1:4001/.well-known/jwks.json)
//   TICKETFLOW_JWT_ISSUER       required `iss` of access tokens (default ticketflow-auth)
//   TICKETFLOW_JWT_AUDIENCE     required `aud` of access tokens (default ticketflow)
//   TICKETFLOW_UPSTREAM_TIMEOUT_MS, TICKETFLOW_<NAME>_UPSTREAM_TIMEOUT_MS, TICKETFLOW_UPSTREAM_RETRIES,
//   TICKETFLOW_UPSTREAM_RETRY_DELAY_MS, TICKETFLOW_CIRCUIT_BREAKER_FAILURES, TICKETFLOW_CIRCUIT_BREAKER_RESET_MS
//                               deadlines, retries and circuit breakers of subgraph calls (lib/faults.mjs,
//                               docs/failures.md); a subgraph that does not answer is SUBGRAPH_UNAVAILABLE
//
// Access tokens: the router verifies every presented token (EdDSA only, see "access tokens" below) and
// refuses a bad one with UNAUTHENTICATED (HTTP 401) before any subgraph is called; a request without a
// token goes through (anonymous access is legal; subgraphs decide per field). It still forwards the
// Authorization header: every subgraph verifies the token again.
// Client address: subgraph requests carry X-Forwarded-For = the client's X-Forwarded-For (if any) + the
// address of the peer that connected to the router. The right-most entry is the one the router vouches for.
//
// NB: the hive-gateway CLI also reads PORT / HOST (and -p / -h); when set they WIN over this file.

import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@graphql-hive/gateway';
import { GraphQLError } from 'graphql';
import { forwardedFor } from './lib/address.mjs';
import { envFlag, envPort } from './lib/env.mjs';
import { generateRequestId, maskError, useRequestScope } from './lib/errors.mjs';
import { faultSettings, useSubgraphFaults } from './lib/faults.mjs';
import { OperationLimits, edgeSettings, useOperationLimits } from './lib/limits.mjs';
import { observabilityConfig } from './lib/observability.mjs';
import { RateLimits, useRateLimits } from './lib/ratelimit.mjs';
import {
  RemoteJwks,
  clientAuthorization,
  jwksUrl,
  presentedAuthorizations,
  setWarn,
  verifyAuthorization,
} from './lib/tokens.mjs';

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
  shows { nodes { id title kind startsAt venue { name } price { amount currency }
                  availability { total available held sold } } }
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
    name: '4. Check out, then pay with a sandbox test card (docs/payments.md)',
    headers: TOKEN_HEADERS,
    variables: JSON.stringify({ holdId: '<hold id>', key: 'checkout-1', card: '4242 4242 4242 4242' }, null, 2),
    query: `mutation Checkout($holdId: ID!, $key: String!) {
  checkout(holdId: $holdId, idempotencyKey: $key) {
    __typename
    ... on Booking { id status total { amount currency } }
    ... on HoldExpired { code message }
  }
}

mutation StartPayment($bookingId: ID!) {
  startPayment(bookingId: $bookingId) { id status amount { amount currency } }
}

mutation Confirm($paymentId: ID!, $card: String!) {
  confirmPayment(paymentId: $paymentId, card: $card) {
    __typename
    ... on Payment { id status captured { amount currency } booking { id status } }
    ... on PaymentDeclined { code reason message }
    ... on PaymentWindowClosed { code message }
  }
}`,
  },
  {
    name: '5. Watch a seat map live',
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

// Settings that look like TICKETFLOW_<X>_URL but are not subgraph overrides: the *_URL fields of
// subgraphs/kernel/settings.py (the database is TICKETFLOW_POSTGRES_DSN, which does not match).
const NOT_SUBGRAPH_URL_VARS = new Set([
  'TICKETFLOW_JWKS_URL', 'TICKETFLOW_REDIS_URL', 'TICKETFLOW_RAZORPAY_API_URL',
]);

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

/**
 * Refuses a request whose token (any of them) is bad, before anything is executed:
 *  - HTTP (queries, mutations, GET, SSE): in onRequestParse, before the body is even parsed;
 *  - graphql-transport-ws: Hive Gateway acks every connection_init and builds a context per `subscribe`
 *    (onRequestParse does not run), so the connection's credentials (connection_init payload and upgrade
 *    header) are checked in onContextBuilding; the client gets a `next` with the UNAUTHENTICATED error,
 *    then `complete`, and no subgraph hears of it.
 */
function useTicketflowAccessTokens(jwks) {
  const checked = new WeakSet();
  const check = async (values) => {
    for (const value of values) await verifyAuthorization(value, jwks);
  };
  return {
    onYogaInit({ yoga }) {
      const logger = yoga?.logger;
      if (logger && typeof logger.warn === 'function') setWarn((...args) => logger.warn(...args));
    },
    onRequestParse({ request }) {
      checked.add(request);
      return check(presentedAuthorizations({ request }));
    },
    onContextBuilding({ context }) {
      if (context?.request && checked.has(context.request)) return undefined;
      // over WebSocket Yoga would serialise extensions.http into the message: leave it out there
      return check(presentedAuthorizations(context)).catch((error) => {
        throw error instanceof GraphQLError && error.extensions?.code === 'UNAUTHENTICATED'
          ? new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED' } })
          : error;
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// config

const supergraph = env.TICKETFLOW_SUPERGRAPH?.trim()
  ? resolve(process.cwd(), env.TICKETFLOW_SUPERGRAPH.trim())
  : resolve(routerDir, '../schema/supergraph.graphql');

export const jwks = new RemoteJwks(jwksUrl());

const edge = edgeSettings();
/** The operation limits, shared with the subscription pass-through (server.mjs). */
export const limits = new OperationLimits(edge);
/** Queries and mutations per client (closed by server.mjs on shutdown). */
export const rateLimits = new RateLimits();

const wsSharing = (env.TICKETFLOW_SUBGRAPH_WS_SHARING || 'client').trim().toLowerCase();
if (!['client', 'auth'].includes(wsSharing)) {
  throw new Error(`TICKETFLOW_SUBGRAPH_WS_SHARING=${wsSharing}: expected "client" or "auth"`);
}

const queryPlanner = (env.TICKETFLOW_QUERY_PLANNER || 'js').trim().toLowerCase();
if (!['js', 'rust'].includes(queryPlanner)) {
  throw new Error(`TICKETFLOW_QUERY_PLANNER=${queryPlanner}: expected "js" or "rust"`);
}
const unifiedGraphHandler =
  queryPlanner === 'rust' ? (await import('@graphql-hive/router-runtime')).unifiedGraphHandler : undefined;

const faults = faultSettings();
/** Each subgraph's circuit breaker (name -> CircuitBreaker), made on its first call. */
export const breakers = new Map();

const corsOrigins = (env.TICKETFLOW_CORS_ORIGINS || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

// Per-subgraph: location override (HTTP; the ws transport derives ws:// from the same location).
const urlOverrides = subgraphUrlOverrides();
/** The subgraph's URL as TICKETFLOW_<NAME>_URL sets it (undefined: the supergraph's routing URL). */
export const subgraphUrl = (name) => urlOverrides[name];
const transportEntries = {};
for (const [name, url] of Object.entries(urlOverrides)) {
  transportEntries[name] = { location: url };
}

// Every subgraph: subscriptions over WebSocket graphql-transport-ws at the subgraph's own URL
// (http -> ws, https -> wss), carrying the client's Authorization both as an upgrade-request header and
// in the connection_init payload. Hive Gateway pools upstream WebSockets by (url, interpolated
// connectionParams, interpolated headers), so what goes into these templates decides the sharing.
const wsHeaders = [['authorization', '{context.ticketflow.authorization}']];
if (wsSharing === 'client') {
  // one upstream connection per client connection, so it can carry that client's address too
  wsHeaders.push(['x-ticketflow-client-connection', '{context.ticketflow.clientKey}']);
  wsHeaders.push(['x-forwarded-for', '{context.ticketflow.forwardedFor}']);
}
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

/** Puts the normalised client Authorization, X-Forwarded-For (and a per-connection key) on the context. */
const useTicketflowContext = () => ({
  onContextBuilding({ context, extendContext }) {
    extendContext({
      ticketflow: {
        authorization: clientAuthorization(context),
        forwardedFor: forwardedFor(context),
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
  // Each root field is its own request to its subgraph: no merging of the requests of one tick into one
  // document. Merged, `{ ticketKeys notificationDeliveries { id } }` from an anonymous caller came back
  // from the notification subgraph as `data: null` (its non-null notificationDeliveries refused), the
  // gateway read that null as ticketKeys' value too and answered INTERNAL ("Cannot return null for
  // non-nullable field") in place of the UNAUTHENTICATED the subgraph gave (tests/e2e/test_fuzz_graph.py
  // found it; tests/e2e/test_walking_skeleton.py keeps it fixed). Entity fetches are still batched: the
  // representations of every parent of a field go in one `_entities` request (batch delegation, another layer).
  __experimental__batchExecution: false,
  ...(unifiedGraphHandler ? { unifiedGraphHandler } : {}),

  // HTTP requests to subgraphs (queries, mutations, entity fetches - also those made while resolving a
  // WebSocket subscription's events) carry the client's Authorization (already verified by
  // useTicketflowAccessTokens; the subgraph verifies it again) and X-Forwarded-For.
  propagateHeaders: {
    fromClientToSubgraphs({ context }) {
      const authorization = context?.ticketflow?.authorization ?? clientAuthorization(context);
      const headers = { 'x-forwarded-for': context?.ticketflow?.forwardedFor ?? forwardedFor(context) };
      if (authorization) headers.authorization = authorization;
      return headers;
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

  graphiql: envFlag('TICKETFLOW_GRAPHIQL', edge.introspection)
    ? { title: 'TicketFlow', subscriptionsProtocol: 'WS', defaultCollections: EXAMPLE_COLLECTIONS }
    : false,
  landingPage: false,

  // Unexpected errors are masked ("Unexpected error.", code INTERNAL, no stack traces, logged server-side);
  // GraphQL errors from subgraphs that carry an extensions.code keep their message and code.
  maskedErrors: { errorMessage: 'Unexpected error.', maskError },
  // X-Request-Id: the client's, or a new one; sent to every subgraph and back in the response; masked
  // errors carry it as extensions.requestId (lib/errors.mjs).
  requestId: { headerName: 'x-request-id', generateRequestId },

  // Hive Gateway's own `jwt` option is not used: it can't verify EdDSA (see "access tokens" above).
  // Upstream deadlines, retries and breakers are plugins here, not the upstreamTimeout/upstreamRetry
  // options: lib/faults.mjs needs them in its own order around the breaker.
  // Operation limits, introspection and suggestions: lib/limits.mjs (GraphQL Armor's rules with our error
  // code) instead of the maxTokens / maxDepth / blockFieldSuggestions / disableIntrospection options, which
  // load the same Armor plugins but give no code, and whose suggestion filter misses enum values.
  // Batching (a JSON array of operations per request) stays off: Yoga refuses it with BAD_REQUEST.
  ...(await observabilityConfig()), // /metrics and OpenTelemetry traces (lib/observability.mjs)

  plugins: (ctx) => [
    useOperationLimits(limits, edge),
    useTicketflowAccessTokens(jwks),
    useTicketflowContext(),
    useRateLimits(rateLimits),
    useRequestScope(),
    ...useSubgraphFaults({ settings: faults, log: ctx?.log, breakers }),
  ],
});
