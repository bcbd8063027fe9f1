// Waiting rooms at the router (docs/waiting-room.md): a hold of a show behind a waiting room must carry a
// valid queue pass of the caller for that show, or it is refused before any subgraph is called:
//   {"message": "This show has a waiting room: ...", "extensions": {"code": "QUEUED", "showId": "...",
//    "reason": "MISSING" | "INVALID" | "OTHER_USER" | "OTHER_SHOW"}}
//
// Which shows are queued: booking's GET /queue/shows (TICKETFLOW_ROUTER_QUEUE_URL, default beside booking's
// GraphQL URL), read again when the copy is older than
// TICKETFLOW_ROUTER_QUEUE_REFRESH_MS (default 2000; one fetch shared by everyone waiting). While booking does
// not answer the last list stays in force (booking checks every hold again, and spends the pass: a pass
// admits one purchase session, which only booking's database can know).
//
// The pass: the header TicketFlow-Queue-Pass, a JWT (HS256 with TICKETFLOW_QUEUE_PASS_SECRET, the secret
// booking signs with; iss ticketflow-booking, aud ticketflow-queue-pass) whose `sub` is the access token's
// subject and `show` the show held, not expired. The header is forwarded to the subgraphs (transport.mjs).
//
// Which operations: the mutation fields holdSeats, holdBestAvailable and holdGeneralAdmission, at the root of
// the operation (through fragments too), their showId a literal or a variable.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { GraphQLError, Kind, getOperationAST } from 'graphql';
import { errors, jwtVerify } from 'jose';
import { envInt } from './env.mjs';

export const QUEUED = 'QUEUED';
export const PASS_HEADER = 'ticketflow-queue-pass';
export const HOLD_FIELDS = new Set(['holdSeats', 'holdBestAvailable', 'holdGeneralAdmission']);
const DEFAULT_SECRET = 'ticketflow-development-queue-pass-secret'; // subgraphs/kernel/settings.py's default
const PASS_ISSUER = 'ticketflow-booking';
const PASS_AUDIENCE = 'ticketflow-queue-pass';
const FETCH_TIMEOUT_MS = 3000;

/** The waiting rooms' settings; the list is booking's (its GraphQL URL without /graphql, + /queue/shows). */
export function queueSettings(env = process.env, bookingUrl = undefined) {
  const base = (bookingUrl ?? 'http://127.0.0.1:4003/graphql').replace(/\/graphql\/?$/, '');
  const url = env.TICKETFLOW_ROUTER_QUEUE_URL?.trim() || `${base}/queue/shows`;
  return {
    secret: env.TICKETFLOW_QUEUE_PASS_SECRET?.trim() || DEFAULT_SECRET,
    refreshMs: envInt('TICKETFLOW_ROUTER_QUEUE_REFRESH_MS', 2000, { min: 50, env }),
    url,
    redisPrefix: env.TICKETFLOW_REDIS_PREFIX?.trim() || 'ticketflow',
  };
}

export function queued(showId, reason, message = undefined) {
  return new GraphQLError(message ?? 'This show has a waiting room: join its queue (joinQueue) and hold with '
    + 'the pass you get when admitted, in the header TicketFlow-Queue-Pass.', {
    extensions: { code: QUEUED, showId, reason },
  });
}

/** The shows behind a waiting room, as booking lists them, read again every `refreshMs`. */
export class QueuedShows {
  constructor({ url, refreshMs }, fetchImpl = globalThis.fetch) {
    this.url = url;
    this.refreshMs = refreshMs;
    this.fetch = fetchImpl;
    this.shows = new Set();
    this.readAt = -Infinity;
    this.pending = null;
  }

  async has(showId) {
    if (Date.now() - this.readAt >= this.refreshMs) {
      this.pending ??= this.refresh().finally(() => { this.pending = null; });
      await this.pending;
    }
    return this.shows.has(showId);
  }

  async refresh() {
    try {
      const response = await this.fetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      if (!Array.isArray(body?.shows)) throw new Error('no list of shows');
      this.shows = new Set(body.shows.filter((s) => typeof s === 'string'));
    } catch {
      // booking is away: the last list stays in force, and booking checks every hold itself
    }
    this.readAt = Date.now();
  }
}

/** The showId of every hold field at the root of the operation (literal or variable). */
export function heldShows(document, operationName, variables) {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (operation?.operation !== 'mutation') return [];
  const fragments = new Map();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const found = [];
  const seen = new Set();
  const walk = (selectionSet) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        if (seen.has(selection.name.value)) continue;
        seen.add(selection.name.value);
        walk(fragments.get(selection.name.value)?.selectionSet);
      } else if (selection.kind === Kind.FIELD && HOLD_FIELDS.has(selection.name.value)) {
        const argument = selection.arguments?.find((a) => a.name.value === 'showId');
        const value = argument?.value;
        if (value?.kind === Kind.STRING) found.push(value.value);
        else if (value?.kind === Kind.VARIABLE) found.push(String(variables?.[value.name.value] ?? ''));
      }
    }
  };
  walk(operation.selectionSet);
  return found;
}

/** Null when `token` is a valid pass of `subject` for `showId`, else the refusal's reason. */
export async function passRefusal(token, subject, showId, secret) {
  if (!token) return 'MISSING';
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'], issuer: PASS_ISSUER, audience: PASS_AUDIENCE, requiredClaims: ['exp', 'sub', 'jti'],
    }));
  } catch (err) {
    if (err instanceof errors.JOSEError) return 'INVALID';
    throw err;
  }
  if (!subject || claims.sub !== subject) return 'OTHER_USER';
  if (claims.show !== showId) return 'OTHER_SHOW';
  return null;
}

/** The gateway plugin: holds of a queued show without the caller's pass are refused (QUEUED). */
export function useQueuePasses(shows, settings) {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const held = heldShows(args.document, args.operationName, args.variableValues);
      if (!held.length) return;
      const context = args.contextValue;
      const token = context?.request?.headers?.get?.(PASS_HEADER) ?? null;
      for (const showId of held) {
        if (!(await shows.has(showId))) continue;
        const reason = await passRefusal(token, context?.tokenSubject ?? null, showId, settings.secret);
        if (reason) {
          setResultAndStopExecution({ errors: [queued(showId, reason)] });
          return;
        }
      }
    },
  };
}

// --- the waiting crowd's poll, answered from Redis -------------------------------------------------------------
// The same arithmetic as booking's (subgraphs/booking/queue_store.py, waiting_room.py): the ticket id's HMAC,
// the keyed shuffle of the pre-queue, position = place - floor(admitted), pollAfterSeconds.

const FEISTEL_ROUNDS = 4;
export const MIN_POLL_SECONDS = 2;
export const MAX_POLL_SECONDS = 120;
const POLL_SHARE = 0.25;
const GOLDEN = 0.6180339887498949;
const QUEUE_FIELDS = ['arrivals', 'pre', 'key', 'admitted', 'opens', 'rate', 'paused'];

/** The ticket `id` names ({showId, index, userId}), or null if it was not signed with `secret`. */
export function readTicket(secret, id) {
  const parts = id.split('.');
  if (parts.length !== 4 || !/^[0-9]+$/.test(parts[1])) return null;
  const body = parts.slice(0, 3).join('.');
  const mac = createHmac('sha256', secret).update(`ticket:${body}`).digest('base64url').slice(0, 24);
  const given = Buffer.from(parts[3]);
  if (given.length !== mac.length || !timingSafeEqual(given, Buffer.from(mac))) return null;
  return { showId: parts[0], index: Number(parts[1]), userId: parts[2] };
}

/** The place (1-based) of pre-queue arrival `index` among `size`: booking's keyed Feistel permutation. */
export function shuffled(index, size, key) {
  if (!(index >= 1 && index <= size)) throw new RangeError('index out of range');
  if (size === 1) return 1;
  let bits = Math.max(2, (size - 1).toString(2).length);
  bits += bits % 2;
  const half = bits / 2;
  const span = 2 ** half;
  let x = index - 1;
  for (;;) {
    let left = Math.floor(x / span);
    let right = x % span;
    for (let r = 0; r < FEISTEL_ROUNDS; r++) {
      const digest = createHmac('sha256', key).update(`${r}:${right}`).digest();
      const low = Number(digest.readBigUInt64BE(0) % BigInt(span));
      [left, right] = [right, Number(BigInt(left) ^ BigInt(low))];
    }
    x = left * span + right;
    if (x < size) return x + 1;
  }
}

/** booking's pollAfterSeconds: a quarter of the time to the front, clamped, with the ticket's fixed jitter. */
export function pollAfter(toFront, index) {
  if (toFront === null) return MAX_POLL_SECONDS;
  const jitter = 0.75 + 0.25 * ((index * GOLDEN) % 1);
  return Math.trunc(Math.max(MIN_POLL_SECONDS, Math.min(MAX_POLL_SECONDS, toFront * POLL_SHARE) * jitter));
}

/**
 * The status of a WAITING ticket from its show's queue hash (the HMGET of QUEUE_FIELDS), or null when booking
 * must answer: the hash has no settings yet, or the ticket is admitted (booking records the pass and signs it).
 */
export function waitingStatus(id, ticket, values, now = Date.now() / 1000) {
  const [arrivals, pre, key, admitted, opens, rate, paused] = values;
  if (rate == null || opens == null || !(Number(rate) > 0)) return null;
  if (ticket.index > Number(arrivals ?? 0)) return null;
  const base = { id, showId: ticket.showId, state: 'WAITING', pass: null, passExpiresAt: null };
  if (pre == null) {
    const wait = Math.max(0, Number(opens) - now);
    return { ...base, position: null, estimatedWaitSeconds: Math.ceil(wait), pollAfterSeconds: pollAfter(wait, ticket.index) };
  }
  const size = Number(pre);
  const place = ticket.index <= size ? shuffled(ticket.index, size, Buffer.from(key ?? '', 'hex')) : ticket.index;
  const position = place - Math.floor(Number(admitted ?? 0));
  if (position <= 0) return null;
  const ahead = position / (Number(rate) / 60);
  return {
    ...base,
    position,
    estimatedWaitSeconds: paused === '1' ? null : Math.ceil(ahead),
    pollAfterSeconds: pollAfter(ahead, ticket.index),
  };
}

function answer(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const STATUS_PATH = /^\/queue\/status\/([^/?#]{1,400})$/;

/**
 * GET /queue/status/<ticket id>: the waiting crowd's poll. With Redis (`redis`, the router's client), the router
 * answers a waiting ticket itself: it checks the id's HMAC (a made-up id is 404 NOT_FOUND) and reads the show's
 * queue hash with one HMGET; booking is not called. Booking answers the rest (an admitted ticket: its pass; a
 * hash without settings; Redis not answering; no Redis, as in embedded mode): the request is passed to its
 * endpoint of the same path as it is (no GraphQL on either side: the signed ticket id is the credential).
 * True when `req` was such a request and has been answered.
 */
export async function serveQueueStatus(req, res, settings, fetchImpl = globalThis.fetch, redis = undefined) {
  if (req.method !== 'GET') return false;
  const path = (req.url ?? '').split('?')[0];
  const match = STATUS_PATH.exec(path);
  if (!match) return false;
  if (redis) {
    let id;
    try {
      id = decodeURIComponent(match[1]);
    } catch {
      id = '';
    }
    const ticket = readTicket(settings.secret, id);
    if (!ticket) {
      answer(res, 404, { code: 'NOT_FOUND', message: 'No such queue ticket.' });
      return true;
    }
    try {
      const values = await redis.hmget(`${settings.redisPrefix}:queue:${ticket.showId}`, ...QUEUE_FIELDS);
      const found = waitingStatus(id, ticket, values);
      if (found) {
        answer(res, 200, found);
        return true;
      }
    } catch {
      // Redis does not answer: booking does
    }
  }
  const base = settings.url.replace(/\/queue\/shows$/, '');
  try {
    const reply = await fetchImpl(`${base}/queue/status/${match[1]}`, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      headers: { 'x-forwarded-for': req.headers['x-forwarded-for'] ?? req.socket?.remoteAddress ?? '' },
    });
    answer(res, reply.status, await reply.text());
  } catch {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'SUBGRAPH_UNAVAILABLE', message: 'The waiting room does not answer now.' }));
  }
  return true;
}
