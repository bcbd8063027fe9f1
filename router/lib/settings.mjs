// The router's settings: everything it reads from the environment, read once at start-up (a bad value
// stops the router, naming the variable). All are optional; docs/api-edge.md and README tell the rest.
//
//   TICKETFLOW_SUPERGRAPH       supergraph SDL file (default <repository>/schema/supergraph.graphql; a
//                               relative value is resolved against the current directory)
//   TICKETFLOW_ROUTER_PORT      listen port (default 4000)
//   TICKETFLOW_ROUTER_HOST      listen host (default 127.0.0.1)
//   TICKETFLOW_AUTH_URL, TICKETFLOW_VENUE_URL, TICKETFLOW_BOOKING_URL, TICKETFLOW_PAYMENT_URL,
//   TICKETFLOW_NOTIFICATION_URL
//                               subgraph URL overrides (full http(s) URL ending /graphql); they replace the
//                               supergraph's routing_url for HTTP *and* the ws:// subscription connection.
//                               Any TICKETFLOW_<NAME>_URL works for a subgraph named <name> (lower case).
//   TICKETFLOW_CORS_ORIGINS     comma-separated allowed origins (default: any origin, reflected)
//   TICKETFLOW_GRAPHIQL         "false" turns the IDE off (default: on, GET /graphql from a browser, unless
//                               introspection is off)
//   TICKETFLOW_ENV              "production" turns introspection and field suggestions off (limits.mjs)
//   TICKETFLOW_MAX_DOCUMENT_BYTES, TICKETFLOW_MAX_TOKENS, TICKETFLOW_MAX_DEPTH, TICKETFLOW_MAX_ALIASES,
//   TICKETFLOW_MAX_DIRECTIVES, TICKETFLOW_MAX_COST, TICKETFLOW_INTROSPECTION, TICKETFLOW_FIELD_SUGGESTIONS
//                               operation limits and the production switches (limits.mjs)
//   TICKETFLOW_ROUTER_RATE_LIMIT_*, TICKETFLOW_ROUTER_TRUSTED_PROXIES, TICKETFLOW_REDIS_URL,
//   TICKETFLOW_REDIS_PREFIX     rate limits per client (ratelimit.mjs)
//   TICKETFLOW_ROUTER_LOG_LEVEL debug | info | warn | error (default info)
//   TICKETFLOW_LOG_FORMAT       text (default) | json: the log lines' format, as on the subgraphs (logs.mjs)
//   TICKETFLOW_ACCESS_LOG       "true": one log line per HTTP request, as on the subgraphs (default off)
//   TICKETFLOW_MASK_SUBGRAPH_ERRORS
//                               "false" lets subgraph errors that carry no extensions.code through (errors.mjs)
//   TICKETFLOW_SUBGRAPH_WS_SHARING
//                               subscriptions the gateway itself executes (transport.mjs): "client" (default)
//                               or "auth"
//   TICKETFLOW_QUERY_PLANNER    "js" (default): Hive Gateway's JavaScript planner; "rust": the Rust query
//                               planner of @graphql-hive/router-runtime (docs/benchmarks.md)
//   TICKETFLOW_JWKS_URL         the auth service's JWKS document (default: the origin of TICKETFLOW_AUTH_URL +
//                               /.well-known/jwks.json; without it http://127.0.0.1:4001/.well-known/jwks.json)
//   TICKETFLOW_JWT_ISSUER, TICKETFLOW_JWT_AUDIENCE
//                               required `iss` and `aud` of access tokens (tokens.mjs)
//   TICKETFLOW_UPSTREAM_*, TICKETFLOW_<NAME>_UPSTREAM_TIMEOUT_MS, TICKETFLOW_CIRCUIT_BREAKER_*
//                               deadlines, retries and circuit breakers of subgraph calls (faults.mjs)
//   TICKETFLOW_TRUSTED_DOCUMENTS, TICKETFLOW_TRUSTED_DOCUMENTS_FILE
//                               run only the documents TicketFlow ships (trusted.mjs; default off)
//   TICKETFLOW_ROUTER_PASSTHROUGH
//                               "false" sends every subscription through the gateway (default on)
//   TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION, TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CLIENT
//                               concurrent subscriptions per client connection and per client (subscriptions.mjs)
//   TICKETFLOW_ROUTER_DEBUG     "true" serves GET /debug/passthrough (server.mjs; default off)
//   TICKETFLOW_WEB_DIR          the built web app served at / (webapp.mjs; default <repository>/web/dist;
//                               "off" serves none)
//   TICKETFLOW_ROUTER_METRICS, OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables
//                               GET /metrics (default on) and OpenTelemetry traces (observability.mjs)
//
// NB: the hive-gateway CLI also reads PORT / HOST (and -p / -h); when set they win over these.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envFlag, envPort, httpUrl } from './env.mjs';
import { faultSettings } from './faults.mjs';
import { edgeSettings } from './limits.mjs';
import { rateLimitSettings } from './ratelimit.mjs';
import { subscriptionCapSettings } from './subscriptions.mjs';
import { trustedDocumentSettings } from './trusted.mjs';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// Settings that look like TICKETFLOW_<X>_URL but are not subgraph overrides: the *_url fields of
// subgraphs/kernel/settings.py and the router's JWKS URL.
const NOT_SUBGRAPH_URLS = new Set(['TICKETFLOW_JWKS_URL', 'TICKETFLOW_REDIS_URL', 'TICKETFLOW_RAZORPAY_API_URL']);

/** TICKETFLOW_<NAME>_URL -> { <name>: url }, validated. Unknown names are harmless (the gateway ignores them). */
export function subgraphUrls(env = process.env) {
  const out = {};
  for (const [key, value] of Object.entries(env)) {
    const m = /^TICKETFLOW_([A-Z0-9_]+)_URL$/.exec(key);
    if (!m || NOT_SUBGRAPH_URLS.has(key) || value == null || value.trim() === '') continue;
    out[m[1].toLowerCase()] = httpUrl(key, value.trim()).toString();
  }
  return out;
}

/** TICKETFLOW_JWKS_URL, else the auth subgraph's origin + /.well-known/jwks.json, else the local default. */
export function jwksUrl(env = process.env) {
  const explicit = env.TICKETFLOW_JWKS_URL?.trim();
  if (explicit) return httpUrl('TICKETFLOW_JWKS_URL', explicit).toString();
  const auth = env.TICKETFLOW_AUTH_URL?.trim();
  const origin = auth ? httpUrl('TICKETFLOW_AUTH_URL', auth).origin : 'http://127.0.0.1:4001';
  return new URL('/.well-known/jwks.json', origin).toString();
}

/** Where the built web app is (TICKETFLOW_WEB_DIR, default web/dist), or null when it is "off". */
export function webDir(env = process.env) {
  const value = env.TICKETFLOW_WEB_DIR?.trim();
  if (!value) return resolve(REPOSITORY, 'web/dist');
  return value.toLowerCase() === 'off' ? null : resolve(process.cwd(), value);
}

/** One of `allowed` (lower case), `fallback` when unset; anything else throws. */
function choice(env, name, allowed, fallback) {
  const value = (env[name] || fallback).trim().toLowerCase();
  if (!allowed.includes(value)) {
    throw new Error(`${name}=${value}: expected ${allowed.map((a) => `"${a}"`).join(' or ')}`);
  }
  return value;
}

/** Every setting of the router, from `env`. */
export function routerSettings(env = process.env) {
  const edge = edgeSettings(env);
  return {
    supergraph: env.TICKETFLOW_SUPERGRAPH?.trim()
      ? resolve(process.cwd(), env.TICKETFLOW_SUPERGRAPH.trim())
      : resolve(REPOSITORY, 'schema/supergraph.graphql'),
    host: env.TICKETFLOW_ROUTER_HOST?.trim() || '127.0.0.1',
    port: envPort('TICKETFLOW_ROUTER_PORT', 4000, env),
    logLevel: env.TICKETFLOW_ROUTER_LOG_LEVEL?.trim() || 'info',
    logFormat: choice(env, 'TICKETFLOW_LOG_FORMAT', ['text', 'json'], 'text'),
    accessLog: envFlag('TICKETFLOW_ACCESS_LOG', false, env),
    corsOrigins: (env.TICKETFLOW_CORS_ORIGINS || '').split(',').map((s) => s.trim()).filter(Boolean),
    graphiql: envFlag('TICKETFLOW_GRAPHIQL', edge.introspection, env),
    wsSharing: choice(env, 'TICKETFLOW_SUBGRAPH_WS_SHARING', ['client', 'auth'], 'client'),
    queryPlanner: choice(env, 'TICKETFLOW_QUERY_PLANNER', ['js', 'rust'], 'js'),
    subgraphUrls: subgraphUrls(env),
    jwksUrl: jwksUrl(env),
    edge,
    faults: faultSettings(env),
    rateLimits: rateLimitSettings(env),
    passthrough: envFlag('TICKETFLOW_ROUTER_PASSTHROUGH', true, env),
    subscriptionCaps: subscriptionCapSettings(env),
    trustedDocuments: trustedDocumentSettings(env),
    debug: envFlag('TICKETFLOW_ROUTER_DEBUG', false, env),
    webDir: webDir(env),
  };
}

/** The gateway's `cors` option: the listed origins, or any origin (reflected) when none is listed. */
export function corsOption(origins) {
  if (!origins.length) return true;
  return {
    origin: origins,
    credentials: true,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'accept', 'idempotency-key', 'x-request-id', 'ticketflow-queue-pass'],
  };
}
