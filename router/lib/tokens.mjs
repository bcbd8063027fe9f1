// Access tokens: the router checks every token a client presents, before any subgraph hears of it.
//
// Verification is jose's (npm `jose`, jwtVerify + createRemoteJWKSet: EdDSA through WebCrypto, the JWKS
// fetched, cached and shared by concurrent requests). Why not Hive Gateway's built-in `jwt` option (useJWT
// from @graphql-hive/gateway, i.e. @graphql-yoga/plugin-jwt)? It verifies with `jsonwebtoken` 9, which has
// no EdDSA at all: with the auth service's Ed25519 keys it refuses every token, valid ones included
// ('Unknown key type "ed25519"'). Its refusals also carry no extensions.code, and a token naming an unknown
// kid becomes a plain Error (HTTP 500). The rules are those of subgraphs/kernel/auth.py:
//   header     alg exactly "EdDSA" (so no "none", no HS256 keyed with the public key: jose refuses any
//              other alg before a key is looked up), kid a string, no `crit` jose does not know;
//   signature  Ed25519, with the JWKS key named by kid (jose takes only OKP keys for EdDSA, and skips keys
//              whose `use` is not "sig" or whose `alg` is another);
//   claims     exp, iat, sub, iss, aud, jti present; exp in the future; nbf and iat not in the future;
//              iss = TICKETFLOW_JWT_ISSUER; aud (string or list) contains TICKETFLOW_JWT_AUDIENCE (jose);
//              iat not in the future, sub, jti and sid strings, roles, when present, a list (here).
// Not checked here: whether the token's session (sid) was revoked (logout) - only the subgraphs see the
// shared revocation list, so such a token passes the router and is refused by the subgraph.
// JWKS (RemoteJwks: jose's remote set, plus two rules of the subgraphs' TokenVerifier jose lacks):
//   - a kid never seen is fetched at once (after a rotation the new key works on first sight): jose's
//     cooldownDuration is 0, and jose shares one fetch between everyone waiting;
//   - a kid the JWKS did not have is looked up again at most once per JWKS_MISSING_RETRY_MS (remembered for
//     at most JWKS_MAX_MISSING kids) - a token naming a made-up kid costs no fetch meanwhile;
//   - the document is refetched when older than JWKS_MAX_AGE_MS (jose's cacheMaxAge), so retired keys stop
//     verifying;
//   - when the JWKS can't be fetched, the keys of the last document fetched keep verifying and tokens naming
//     any other kid are refused ("The token's signing key cannot be checked now."); jose alone would refuse
//     every token while its copy is stale.

import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
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

export function unauthenticated(message) {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      // internal: HTTP status and headers for Yoga (not serialised); the Bearer scheme's answer to a bad token
      http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } },
    },
  });
}

/** The auth service's public keys by kid: jose's remote JWKS set, with the rules above. */
export class RemoteJwks {
  constructor(url) {
    this.url = url;
    this.remote = createRemoteJWKSet(new URL(url), {
      cacheMaxAge: JWKS_MAX_AGE_MS,
      cooldownDuration: 0,
      timeoutDuration: JWKS_TIMEOUT_MS,
    });
    this.missing = new Map(); // kid -> when the JWKS was found without it (Date.now(), as jose's clock)
    this.last = { document: undefined, keys: undefined }; // the last document fetched, as a local set
  }

  /** jose's key lookup for a token's protected header; throws UNAUTHENTICATED when there is no key. */
  async getKey(header, token) {
    const { kid } = header;
    if (typeof kid !== 'string' || header.crit !== undefined) throw unauthenticated(WRONG_ALGORITHM);
    const missed = this.missing.get(kid);
    if (missed !== undefined && Date.now() - missed < JWKS_MISSING_RETRY_MS) throw unauthenticated(UNKNOWN_KEY);
    try {
      return await this.remote(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) {
        if (this.missing.size >= JWKS_MAX_MISSING) this.missing.clear();
        this.missing.set(kid, Date.now());
        throw unauthenticated(UNKNOWN_KEY);
      }
      warn(`[ticketflow] JWKS ${this.url} gave no key for kid ${kid}: ${err?.message ?? err}`);
      return this.lastKey(header, token);
    }
  }

  /** The key from the last document fetched (the JWKS can't be fetched now). */
  async lastKey(header, token) {
    const document = this.remote.jwks();
    if (document && document !== this.last.document) this.last = { document, keys: createLocalJWKSet(document) };
    try {
      if (this.last.keys) return await this.last.keys(header, token);
    } catch {
      // no such key in it either
    }
    throw unauthenticated("The token's signing key cannot be checked now.");
  }
}

const WRONG_ALGORITHM = 'The access token uses an algorithm TicketFlow does not accept.';
const UNKNOWN_KEY = 'The token is signed with an unknown key.';
const INVALID = 'The access token is invalid.';

/** The UNAUTHENTICATED answer to what jose refused (or the one getKey threw). */
function refusal(err) {
  if (err instanceof GraphQLError) return err;
  if (err instanceof errors.JWTExpired) return unauthenticated('The access token has expired.');
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthenticated(WRONG_ALGORITHM);
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return unauthenticated('The access token is malformed.');
  }
  if (err instanceof errors.JOSEError) return unauthenticated(INVALID);
  return err; // a bug: masked as INTERNAL
}

const VERIFY_OPTIONS = {
  algorithms: [JWT_ALGORITHM],
  issuer: JWT_ISSUER,
  audience: JWT_AUDIENCE,
  requiredClaims: JWT_REQUIRED_CLAIMS,
};

/** The claims of a valid access token; throws UNAUTHENTICATED for anything else. */
export async function verifyAccessToken(token, jwks) {
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(token, (header, t) => jwks.getKey(header, t), VERIFY_OPTIONS));
  } catch (err) {
    throw refusal(err);
  }
  if (
    claims.iat > Date.now() / 1000 ||
    typeof claims.sub !== 'string' ||
    typeof claims.jti !== 'string' ||
    (claims.roles !== undefined && !Array.isArray(claims.roles)) ||
    typeof claims.sid !== 'string'
  ) {
    throw unauthenticated(INVALID);
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

/**
 * Every Authorization the client presented, in the order the router believes them:
 *  - graphql-transport-ws `connection_init` payload {"Authorization": "..."} (any key casing), the only
 *    place a browser can put it;
 *  - the HTTP request header `Authorization` (queries, mutations, SSE subscriptions), or a header on the
 *    WebSocket upgrade request (non-browser clients).
 * All of them are checked (verifyAuthorization); the first non-empty one is forwarded (clientAuthorization).
 */
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

/** The client's Authorization: the first non-empty one it presented (see presentedAuthorizations). */
export function clientAuthorization(context) {
  return presentedAuthorizations(context).find((value) => typeof value === 'string' && value !== '');
}
