// Access tokens: the router checks every token a client presents, before any subgraph hears of it.
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


import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { GraphQLError } from 'graphql';

const env = process.env;
const JWT_ISSUER = env.TICKETFLOW_JWT_ISSUER?.trim() || 'ticketflow-auth';
const JWT_AUDIENCE = env.TICKETFLOW_JWT_AUDIENCE?.trim() || 'ticketflow';

const JWT_ALGORITHM = 'EdDSA';
const JWT_REQUIRED_CLAIMS = ['exp', 'iat', 'sub', 'iss', 'aud', 'jti'];
const JWKS_MISSING_RETRY_MS = 10 * 1000;
const JWKS_MAX_MISSING = 1024;
const JWKS_MAX_AGE_MS = 10 * 60 * 1000;
const JWKS_TIMEOUT_MS = 5000;

let warn = (...args) => console.warn(...args); // replaced by the gateway's logger at start-up

/** Where JWKS warnings go (the gateway's logger, once it runs). */
export function setWarn(fn) {
  warn = fn;
}

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
export function jwksUrl() {
  const explicit = env.TICKETFLOW_JWKS_URL?.trim();
  if (explicit) return envHttpUrl('TICKETFLOW_JWKS_URL', explicit).toString();
  const auth = env.TICKETFLOW_AUTH_URL?.trim();
  const origin = auth ? envHttpUrl('TICKETFLOW_AUTH_URL', auth).origin : 'http://127.0.0.1:4001';
  return new URL('/.well-known/jwks.json', origin).toString();
}

export function unauthenticated(message) {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      // internal: HTTP status and headers for Yoga (not serialised); RFC 6750 section 3.1
      http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } },
    },
  });
}

/** The auth service's public keys by kid: cached, refetched for a kid not seen before. */
export class RemoteJwks {
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
export async function verifyAccessToken(token, jwks) {
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
export async function verifyAuthorization(value, jwks) {
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
export function presentedAuthorizations(context) {
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
 * The client's Authorization, from wherever the client could put it:
 *  - HTTP request header `Authorization` (queries, mutations, SSE subscriptions);
 *  - graphql-transport-ws `connection_init` payload {"Authorization": "..."} (any key casing),
 *    which is the only place a browser can put it;
 *  - a header on the WebSocket upgrade request (non-browser clients).
 */
export function clientAuthorization(context) {
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
