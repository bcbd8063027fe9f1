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
//   TICKETFLOW_AUTH_URL, TICKETFLOW_VENUE_URL, TICKETFLOW_BOOKING_URL, TICKETFLOW_PAYMENT_URL,
//   TICKETFLOW_NOTIFICATION_URL
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
//   TICKETFLOW_JWKS_URL         the auth service's JWKS document (default: the origin of TICKETFLOW_AUTH_URL +
//                               /.well-known/jwks.json; without TICKETFLOW_AUTH_URL
//                               http://127.0.0.1:4001/.well-known/jwks.json)
//   TICKETFLOW_JWT_ISSUER       required `iss` of access tokens (default ticketflow-auth)
//   TICKETFLOW_JWT_AUDIENCE     required `aud` of access tokens (default ticketflow)
//
// Access tokens: the router verifies every presented token (EdDSA only, see "access tokens" below) and
// refuses a bad one with UNAUTHENTICATED (HTTP 401) before any subgraph is called; a request without a
// token goes through (anonymous access is legal; subgraphs decide per field). It still forwards the
// Authorization header: every subgraph verifies the token again.
// Client address: subgraph requests carry X-Forwarded-For = the client's X-Forwarded-For (if any) + the
// address of the peer that connected to the router. The right-most entry is the one the router vouches for.
//
// NB: the hive-gateway CLI also reads PORT / HOST (and -p / -h); when set they WIN over this file.

import { createPublicKey, randomUUID, verify as verifySignature } from 'node:crypto';
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
// access tokens
//
// Why not Hive Gateway's built-in `jwt` option (useJWT from @graphql-hive/gateway, i.e.
// @graphql-yoga/plugin-jwt)? It verifies with `jsonwebtoken` 9, which has no EdDSA at all: with the auth
// service's Ed25519 keys it refuses every token, valid ones included ('Unknown key type "ed25519"', or
// '"EdDSA" is not a valid algorithm' with allowInvalidAsymmetricKeyTypes). Its refusals also carry no
// extensions.code, and a token naming an unknown kid becomes a plain Error (HTTP 500). So the router makes
// the checks of subgraphs/kernel/auth.py itself, with node:crypto (Ed25519 is built into Node), and no
// extra package:
//   header     alg exactly "EdDSA" (so no "none", no HS256 keyed with the public key), kid a string,
//              no `crit`;
//   signature  Ed25519, with the JWKS key named by kid (only OKP/Ed25519 signing keys are taken);
//   claims     exp, iat, sub, iss, aud, jti present; exp in the future; nbf and iat not in the future;
//              iss = TICKETFLOW_JWT_ISSUER; aud (string or list) contains TICKETFLOW_JWT_AUDIENCE;
//              sub, jti and sid strings; roles, when present, a list.
// Not checked here: whether the token's session (sid) was revoked (logout) - only the subgraphs see the
// shared revocation list, so such a token passes the router and is refused by the subgraph.
// JWKS: fetched on first use and cached, by the same rules as the subgraphs' TokenVerifier:
//   - a kid never seen is fetched at once (after a rotation the new key works on first sight), unless a
//     fetch that began after the token arrived has answered already; one fetch at a time, everyone waiting
//     shares the next one;
//   - a kid the JWKS did not have is looked up again at most once per JWKS_MISSING_RETRY_MS (remembered for
//     at most JWKS_MAX_MISSING kids);
//   - the document is refetched when older than JWKS_MAX_AGE_MS, so retired keys stop verifying;
//   - when the JWKS can't be fetched, cached keys keep verifying and tokens naming any other kid are refused
//     ("The token's signing key cannot be checked now.").
// (Hive's createRemoteJwksSigningKeyProvider, jwks-rsa, caches each kid for 10 minutes, but without its
// `rateLimit` option refetches on every unknown kid, concurrently, and has no EdDSA verifier to feed.)

const JWT_ALGORITHM = 'EdDSA';
const JWT_REQUIRED_CLAIMS = ['exp', 'iat', 'sub', 'iss', 'aud', 'jti'];
const JWKS_MISSING_RETRY_MS = 10 * 1000;
const JWKS_MAX_MISSING = 1024;
const JWKS_MAX_AGE_MS = 10 * 60 * 1000;
const JWKS_TIMEOUT_MS = 5000;

let warn = (...args) => console.warn(...args); // replaced by the gateway's logger at start-up

function envHttpUrl(name, value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name}=${value} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name}=${value} must be http(s)`);
  return url;
}

/** TICKETFLOW_JWKS_URL, else the auth subgraph's origin + /.well-known/jwks.json, else the local default. */
function jwksUrl() {
  const explicit = env.TICKETFLOW_JWKS_URL?.trim();
  if (explicit) return envHttpUrl('TICKETFLOW_JWKS_URL', explicit).toString();
  const auth = env.TICKETFLOW_AUTH_URL?.trim();
  const origin = auth ? envHttpUrl('TICKETFLOW_AUTH_URL', auth).origin : 'http://127.0.0.1:4001';
  return new URL('/.well-known/jwks.json', origin).toString();
}

function unauthenticated(message) {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      // internal: HTTP status and headers for Yoga (not serialised); RFC 6750 section 3.1
      http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } },
    },
  });
}

/** The auth service's public keys by kid: cached, refetched for a kid not seen before. */
class RemoteJwks {
  constructor(url) {
    this.url = url;
    this.keys = new Map();
    this.fetchedAt = -Infinity; // when the last successful fetch began (performance.now())
    this.missing = new Map(); // kid -> when the fetch that did not find it began
    this.inflight = null; // the fetch under way: { started, settled }
  }

  /** The public key for kid; throws UNAUTHENTICATED when there is none (or the JWKS can't be read). */
  async keyFor(kid) {
    const asked = performance.now();
    const cached = this.keys.get(kid);
    if (cached && asked - this.fetchedAt < JWKS_MAX_AGE_MS) return cached;
    let failed = false;
    try {
      await this.refresh(kid, asked);
    } catch (err) {
      failed = true;
      warn(`[ticketflow] JWKS ${this.url} could not be fetched: ${err?.message ?? err}`);
    }
    const key = this.keys.get(kid); // a stale key still verifies when the refetch failed
    if (key) return key;
    throw unauthenticated(
      failed ? "The token's signing key cannot be checked now." : 'The token is signed with an unknown key.',
    );
  }

  async refresh(kid, asked) {
    // wait for the fetch under way; it answers this token only if it began after the token arrived
    while (this.inflight) {
      const { started, settled } = this.inflight;
      const ok = await settled;
      if (started >= asked) {
        if (!ok) throw new Error('the fetch under way failed');
        return;
      }
    }
    if (this.fetchedAt >= asked) return;
    const missed = this.missing.get(kid);
    if (!this.keys.has(kid) && missed !== undefined && asked - missed < JWKS_MISSING_RETRY_MS) return;
    const started = performance.now();
    const done = this.fetchKeys().then((keys) => {
      this.keys = keys;
      this.fetchedAt = started;
      if (!keys.has(kid)) {
        if (this.missing.size >= JWKS_MAX_MISSING) this.missing.clear();
        this.missing.set(kid, started);
      }
    });
    const inflight = { started, settled: done.then(() => true, () => false) };
    this.inflight = inflight;
    try {
      await done;
    } finally {
      if (this.inflight === inflight) this.inflight = null;
    }
  }

  async fetchKeys() {
    const response = await fetch(this.url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const document = await response.json();
    const keys = new Map();
    for (const jwk of Array.isArray(document?.keys) ? document.keys : []) {
      if (!jwk || typeof jwk.kid !== 'string' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') continue;
      if ((jwk.use != null && jwk.use !== 'sig') || (jwk.alg != null && jwk.alg !== JWT_ALGORITHM)) continue;
      try {
        keys.set(jwk.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }));
      } catch {
        warn(`[ticketflow] skipping unreadable JWKS key ${jwk.kid}`); // the others keep verifying
      }
    }
    return keys;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function jsonSegment(segment) {
  if (BASE64URL.test(segment)) {
    try {
      const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // fall through
    }
  }
  throw unauthenticated('The access token is malformed.');
}

const isNumericDate = (v) => typeof v === 'number' && Number.isFinite(v);

/** The claims of a valid access token; throws UNAUTHENTICATED for anything else. */
async function verifyAccessToken(token, jwks) {
  const parts = token.split('.');
  if (parts.length !== 3) throw unauthenticated('The access token is malformed.');
  const [encodedHeader, encodedClaims, encodedSignature] = parts;
  const header = jsonSegment(encodedHeader);
  const claims = jsonSegment(encodedClaims);
  if (header.alg !== JWT_ALGORITHM || typeof header.kid !== 'string' || header.crit !== undefined) {
    throw unauthenticated('The access token uses an algorithm TicketFlow does not accept.');
  }
  const signature = BASE64URL.test(encodedSignature) ? Buffer.from(encodedSignature, 'base64url') : null;
  if (!signature || signature.length !== 64) throw unauthenticated('The access token is invalid.');
  const key = await jwks.keyFor(header.kid);
  const signed = Buffer.from(`${encodedHeader}.${encodedClaims}`, 'ascii');
  if (!verifySignature(null, signed, key, signature)) throw unauthenticated('The access token is invalid.');

  const now = Date.now() / 1000;
  if (JWT_REQUIRED_CLAIMS.some((name) => claims[name] === undefined)) {
    throw unauthenticated('The access token is invalid.');
  }
  if (!isNumericDate(claims.exp) || !isNumericDate(claims.iat)) throw unauthenticated('The access token is invalid.');
  if (claims.exp <= now) throw unauthenticated('The access token has expired.');
  if (claims.iat > now) throw unauthenticated('The access token is invalid.');
  if (claims.nbf !== undefined && (!isNumericDate(claims.nbf) || claims.nbf > now)) {
    throw unauthenticated('The access token is invalid.');
  }
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  if (
    claims.iss !== JWT_ISSUER ||
    !Array.isArray(audiences) ||
    !audiences.includes(JWT_AUDIENCE) ||
    typeof claims.sub !== 'string' ||
    typeof claims.jti !== 'string' ||
    (claims.roles !== undefined && !Array.isArray(claims.roles)) ||
    typeof claims.sid !== 'string'
  ) {
    throw unauthenticated('The access token is invalid.');
  }
  return claims;
}

/** Verifies one Authorization value ("Bearer <token>"); an absent or empty value is anonymous. */
async function verifyAuthorization(value, jwks) {
  if (value == null || value === '') return null;
  if (typeof value !== 'string') throw unauthenticated("Use 'Authorization: Bearer <access token>'.");
  const space = value.indexOf(' ');
  const scheme = space < 0 ? value : value.slice(0, space);
  const token = space < 0 ? '' : value.slice(space + 1).trim();
  if (scheme.toLowerCase() !== 'bearer' || !token) {
    throw unauthenticated("Use 'Authorization: Bearer <access token>'.");
  }
  return verifyAccessToken(token, jwks);
}

/** Every Authorization the client presented: upgrade/HTTP header and connection_init payload keys. */
function presentedAuthorizations(context) {
  const values = [];
  const params = context?.connectionParams;
  if (params && typeof params === 'object') {
    for (const key of Object.keys(params)) {
      if (key.toLowerCase() === 'authorization') values.push(params[key]);
    }
  }
  const header = context?.request?.headers?.get?.('authorization');
  if (header != null) values.push(header);
  return values;
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
      if (logger && typeof logger.warn === 'function') warn = (...args) => logger.warn(...args);
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
// client address

/** "::ffff:1.2.3.4" (an IPv4 client of a dual-stack socket) -> "1.2.3.4"; other addresses unchanged. */
function normaliseAddress(address) {
  if (typeof address !== 'string' || !address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/**
 * X-Forwarded-For for subgraph requests: what the client sent, then the address of the peer connected to
 * the router (node's socket; for WebSockets the upgrade request's socket). Only the last entry is the
 * router's word - the others are whatever the client claimed. If the peer is unknown, "unknown" is
 * appended rather than letting the client's own last entry pass for the router's.
 */
function forwardedFor(context) {
  const incoming = context?.request?.headers?.get?.('x-forwarded-for');
  const hops = incoming ? incoming.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const peer = normaliseAddress(context?.req?.socket?.remoteAddress ?? context?.socket?._socket?.remoteAddress);
  hops.push(peer ?? 'unknown');
  return hops.join(', ');
}

// ---------------------------------------------------------------------------------------------------
// config

const supergraph = env.TICKETFLOW_SUPERGRAPH?.trim()
  ? resolve(process.cwd(), env.TICKETFLOW_SUPERGRAPH.trim())
  : resolve(routerDir, '../schema/supergraph.graphql');

const JWT_ISSUER = env.TICKETFLOW_JWT_ISSUER?.trim() || 'ticketflow-auth';
const JWT_AUDIENCE = env.TICKETFLOW_JWT_AUDIENCE?.trim() || 'ticketflow';
const jwks = new RemoteJwks(jwksUrl());

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

  graphiql: envFlag('TICKETFLOW_GRAPHIQL', true)
    ? { title: 'TicketFlow', subscriptionsProtocol: 'WS', defaultCollections: EXAMPLE_COLLECTIONS }
    : false,
  landingPage: false,

  // Unexpected errors are masked ("Unexpected error.", code INTERNAL, no stack traces, logged server-side);
  // GraphQL errors from subgraphs that carry an extensions.code keep their message and code.
  maskedErrors: { errorMessage: 'Unexpected error.', maskError },

  // Hive Gateway's own `jwt` option is not used: it can't verify EdDSA (see "access tokens" above).
  plugins: () => [useTicketflowAccessTokens(jwks), useTicketflowContext()],
});
