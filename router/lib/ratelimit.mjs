// Rate limits per client at the router: queries and mutations (subscriptions are capped instead,
// subscriptions.mjs), counted per client before any subgraph is called. The client is the token's subject
// (`sub`, the user) when the request carries a valid access token, else the client's address (below). Past
// the limit the operation gets
//   {"message": "Too many requests. Try again in 12 s.", "extensions": {"code": "RATE_LIMITED", "retryAfter": 12}}
// and no data (HTTP 429 with Retry-After).
//
// The counting is rate-limiter-flexible's (fixed windows): in Redis when TICKETFLOW_REDIS_URL is set, so
// that every router replica shares the counts (keys <TICKETFLOW_REDIS_PREFIX>:router:rate:<kind>:<client>, the
// client "user:<sub>" or "address:<address>"),
// with a memory count per router standing in while Redis does not answer; in memory otherwise.
//
//   TICKETFLOW_ROUTER_RATE_LIMIT_QUERIES       queries per client per window (default 600; 0: no limit)
//   TICKETFLOW_ROUTER_RATE_LIMIT_MUTATIONS     mutations per client per window (default 120; 0: no limit)
//   TICKETFLOW_ROUTER_RATE_LIMIT_WINDOW_SECONDS the window (default 60)
//   TICKETFLOW_ROUTER_TRUSTED_PROXIES          addresses or CIDR ranges of proxies in front of the router
//                                              whose X-Forwarded-For is believed (default: none - the client
//                                              is the peer connected to the router)

import { BlockList, isIP } from 'node:net';
import { GraphQLError, getOperationAST } from 'graphql';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { forwardedFor } from './address.mjs';
import { envInt } from './env.mjs';

export const RATE_LIMITED = 'RATE_LIMITED';
const KINDS = ['query', 'mutation'];

/** A BlockList of the trusted proxies ("10.0.0.1, 10.1.0.0/16, ::1"); throws on a bad entry. */
export function trustedProxies(value = '') {
  const list = new BlockList();
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [address, bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : isIP(address) === 4 ? 'ipv4' : null;
    const prefix = bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits);
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv6' ? 128 : 32)) {
      throw new Error(`TICKETFLOW_ROUTER_TRUSTED_PROXIES: ${entry} is not an address or CIDR range`);
    }
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/**
 * The client's address: the right-most X-Forwarded-For hop (the peer connected to the router coming last,
 * see address.mjs) that is not a trusted proxy. With no trusted proxies, the peer.
 */
export function clientAddress(hops, trusted) {
  for (let i = hops.length - 1; i > 0; i--) {
    const hop = hops[i];
    const family = isIP(hop) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(hop) || !trusted.check(hop, family)) return hop;
  }
  return hops[0];
}

export function rateLimitSettings(env = process.env) {
  return {
    query: envInt('TICKETFLOW_ROUTER_RATE_LIMIT_QUERIES', 600, { env }),
    mutation: envInt('TICKETFLOW_ROUTER_RATE_LIMIT_MUTATIONS', 120, { env }),
    windowSeconds: envInt('TICKETFLOW_ROUTER_RATE_LIMIT_WINDOW_SECONDS', 60, { min: 1, env }),
    trusted: trustedProxies(env.TICKETFLOW_ROUTER_TRUSTED_PROXIES ?? ''),
    redisUrl: env.TICKETFLOW_REDIS_URL?.trim() || undefined,
    redisPrefix: env.TICKETFLOW_REDIS_PREFIX?.trim() || 'ticketflow',
  };
}

export function rateLimited(retryAfter) {
  return new GraphQLError(`Too many requests. Try again in ${retryAfter} s.`, {
    extensions: {
      code: RATE_LIMITED,
      retryAfter,
      // internal: HTTP status and headers for Yoga (not serialised)
      http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
    },
  });
}

/**
 * Who a client is, for rate limits and subscription caps: "user:<sub>" for a valid token's subject (access.mjs
 * puts it on the context as tokenSubject), else "address:<client address>".
 */
export function clientOf(context, trusted) {
  const subject = context?.tokenSubject;
  if (typeof subject === 'string' && subject) return `user:${subject}`;
  return `address:${clientAddress(forwardedFor(context).split(', '), trusted)}`;
}

/** The limiters of one router: `take(kind, client)` -> null, or the RATE_LIMITED error to answer. */
export class RateLimits {
  constructor(settings = rateLimitSettings(), { redis } = {}) {
    this.settings = settings;
    this.redis = redis ?? (settings.redisUrl
      ? new Redis(settings.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false })
      : undefined);
    this.redis?.on?.('error', () => {}); // the memory limiter stands in; ioredis reconnects by itself
    this.limiters = {};
    for (const kind of KINDS) {
      const points = settings[kind];
      if (!points) continue;
      const options = { points, duration: settings.windowSeconds, keyPrefix: `${settings.redisPrefix}:router:rate:${kind}` };
      this.limiters[kind] = this.redis
        ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
    }
  }

  async take(kind, client) {
    const limiter = this.limiters[kind];
    if (!limiter) return null;
    try {
      await limiter.consume(client);
      return null;
    } catch (result) {
      if (!(result instanceof RateLimiterRes)) throw result;
      return rateLimited(Math.max(1, Math.ceil(result.msBeforeNext / 1000)));
    }
  }

  close() {
    this.redis?.disconnect?.();
  }
}

/** The gateway plugin: each query or mutation is counted for its client (clientOf) before it is executed. */
export function useRateLimits(limits) {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const kind = getOperationAST(args.document, args.operationName ?? undefined)?.operation;
      if (!KINDS.includes(kind)) return;
      const refusal = await limits.take(kind, clientOf(args.contextValue, limits.settings.trusted));
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
  };
}
