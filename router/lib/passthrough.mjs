// The subscription pass-through: which subscriptions skip the gateway's executor, and how one client
// connection's pass-through subscriptions are served.
//
// A `subscribe` goes through here when its document is within the operation limits (limits.mjs), valid
// against the router's API schema and its whole selection set is served by one subgraph (ownership.mjs);
// the decision is cached per document text. Any other document goes to the gateway, which answers it
// (OPERATION_LIMIT, GRAPHQL_VALIDATION_FAILED…) by the very same checks. Its variables are coerced as the
// gateway would (so bad ones still get the gateway's answer). The client's tokens are checked exactly as
// for the gateway's own path (access.mjs, verifiedSubject); a bad one gets a `next` with UNAUTHENTICATED
// and a `complete`, and no subgraph hears of it. Then the subscription rides
// a shared upstream connection (upstream.mjs) and each upstream frame reaches the client with only its id
// rewritten (frames.mjs). Everything else - other documents, pings, connection_init - is the gateway's.
// Before either, every `subscribe` on the connection meets the caps on concurrent subscriptions
// (subscriptions.mjs) and, when only trusted documents are run, the list of them (trusted.mjs).

import { getOperationAST, getVariableValues } from 'graphql';
import { verifiedSubject } from './access.mjs';
import { forwardedFor } from './address.mjs';
import { maskSubgraphErrorJSON } from './errors.mjs';
import { UNAVAILABLE } from './faults.mjs';
import { clientHead, message, rewrite } from './frames.mjs';
import { singleSubgraph } from './ownership.mjs';
import { clientOf } from './ratelimit.mjs';
import { clientAuthorization, presentedAuthorizations } from './tokens.mjs';

const PLAN_CACHE_SIZE = 1000;
const OPEN = 1; // WebSocket.OPEN

/** Decides, once per document text, whether a subscription can go straight to one subgraph. */
export class Planner {
  /**
   * @param apiSchema the schema clients see (validation)
   * @param index     supergraphIndex() of the supergraph (ownership)
   * @param urlOf     subgraph name -> its HTTP URL (the router's override, else the supergraph's)
   * @param limits    the gateway's OperationLimits (limits.mjs): its parse and validate are the only ones
   */
  constructor({ apiSchema, index, urlOf, limits, enabled = true }) {
    this.apiSchema = apiSchema;
    this.index = index;
    this.urlOf = urlOf;
    this.limits = limits;
    this.enabled = enabled;
    this.cache = new Map();
  }

  /** {subgraph: {name, url}, operation} for a pass-through subscription; null for the gateway. */
  plan(query, operationName) {
    // a document over the size limit is not kept as a cache key: the gateway refuses it
    if (!this.enabled || typeof query !== 'string' || this.limits.oversized(query)) return null;
    const key = `${operationName ?? ''}\n${query}`;
    let plan = this.cache.get(key);
    if (plan === undefined) {
      plan = this.decide(query, operationName);
      if (this.cache.size >= PLAN_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value);
    } else {
      this.cache.delete(key); // least recently used goes first
    }
    this.cache.set(key, plan);
    return plan;
  }

  decide(query, operationName) {
    let document;
    try {
      document = this.limits.parse(query);
    } catch {
      return null; // the gateway reports the syntax error or the limit
    }
    if (this.limits.validate(this.apiSchema, document).length) return null; // and the validation errors
    const owner = singleSubgraph(this.index, document, operationName);
    if (!owner) return null;
    return {
      subgraph: { name: owner.name, url: this.urlOf(owner.name) ?? owner.url },
      operation: getOperationAST(document, operationName ?? undefined),
    };
  }

  /** Would the gateway accept these variables? (It answers those it would not.) */
  variablesAccepted(plan, variables) {
    const definitions = plan.operation.variableDefinitions ?? [];
    return !getVariableValues(this.apiSchema, definitions, variables ?? {}).errors;
  }
}

/** A header getter over node's IncomingMessage, shaped like the Fetch API's (what tokens.mjs reads). */
function headersOf(request) {
  return { get: (name) => request?.headers?.[name.toLowerCase()] ?? null };
}

/**
 * One client connection's pass-through subscriptions. `receive(msg, forward)` is given every client message
 * (parsed), one at a time, and either handles it here or calls `forward()`, which hands it to the gateway's
 * graphql-ws server. `gateway()` is that server's context for this connection (graphql-ws's ctx, once
 * connection_init came). Every `subscribe` - the pass-through's and the gateway's - meets the subscription
 * caps (subscriptions.mjs) first.
 */
export class ClientSubscriptions {
  constructor({ socket, request, planner, pool, jwks, gateway, caps, proxies, documents, maxBufferedBytes, log }) {
    this.socket = socket;
    this.request = request;
    this.planner = planner;
    this.pool = pool;
    this.jwks = jwks;
    this.gateway = gateway;
    this.caps = caps;
    this.proxies = proxies; // trusted proxies (ratelimit.mjs)
    this.documents = documents; // trusted documents (trusted.mjs), when only those are run
    this.maxBufferedBytes = maxBufferedBytes;
    this.log = log;
    this.subs = new Map(); // client id -> { head, stop }
    this.identity = null; // Promise of the client (clientOf), asked once per connection
    this.ended = false;
  }

  /** The context the token checks and the gateway's plugins read (see transport.mjs). */
  context() {
    return {
      connectionParams: this.gateway()?.connectionParams,
      request: { headers: headersOf(this.request) },
      req: this.request,
    };
  }

  /** The subscriptions this connection holds now: the pass-through's and the gateway's. */
  count() {
    const gateway = this.gateway()?.subscriptions;
    return this.subs.size + (gateway ? Object.keys(gateway).length : 0);
  }

  /** Who the client is (its credentials are fixed once connection_init came); joins the caps' count. */
  client() {
    this.identity ??= (async () => {
      const context = this.context();
      // a bad token is answered per subscription (UNAUTHENTICATED); meanwhile the client is its address
      const subject = await verifiedSubject(presentedAuthorizations(context), this.jwks).catch(() => null);
      const client = clientOf({ ...context, tokenSubject: subject }, this.proxies);
      if (!this.ended) this.caps.join(client, this);
      return client;
    })();
    return this.identity;
  }

  async receive(msg, forward) {
    if (msg?.type === 'complete' && this.stop(msg.id)) return undefined;
    if (msg?.type !== 'subscribe' || typeof msg.id !== 'string') return forward();
    const ctx = this.gateway();
    if (!ctx?.acknowledged) return forward(); // the gateway closes with 4401 Unauthorized
    const { id, payload } = msg;
    if (this.subs.has(id) || id in ctx.subscriptions) return this.socket.close(4409, `Subscriber for ${id} already exists`);
    const client = await this.client();
    // from here on nothing is awaited until the subscription counts (this.subs, or graphql-ws's
    // ctx.subscriptions, which forward() fills at once): two subscribes can't both take the last place
    const refusal = this.caps.refusal(client, this);
    if (refusal) return this.send(message(id, 'error', [refusal]));
    const untrusted = this.documents?.refusal(payload);
    if (untrusted) return this.send(message(id, 'error', [untrusted]));
    const query = this.documents ? this.documents.textOf(payload) : payload?.query;
    const plan = this.planner.plan(query, payload?.operationName);
    if (!plan || !this.planner.variablesAccepted(plan, payload.variables)) return forward();
    return this.start(id, { ...payload, query }, plan);
  }

  async start(id, payload, plan) {
    const sub = { head: clientHead(id), stop: null };
    this.subs.set(id, sub);
    const context = this.context();
    try {
      await verifiedSubject(presentedAuthorizations(context), this.jwks);
    } catch (error) {
      if (this.subs.get(id) !== sub) return;
      this.subs.delete(id);
      const code = error?.extensions?.code;
      const refusal = code === 'UNAUTHENTICATED'
        ? { message: error.message, extensions: { code } }
        : { message: 'Unexpected error.', extensions: { code: 'INTERNAL' } };
      if (code !== 'UNAUTHENTICATED') this.log?.error?.(error);
      this.send(message(id, 'next', { errors: [refusal] }));
      this.send(message(id, 'complete'));
      return;
    }
    if (this.subs.get(id) !== sub) return; // the client left while its token was checked
    const service = plan.subgraph.name;
    sub.stop = this.pool.subscribe({
      subgraph: plan.subgraph,
      authorization: clientAuthorization(context),
      forwardedFor: forwardedFor(context),
      payload: { query: payload.query, variables: payload.variables ?? {}, operationName: payload.operationName },
      sink: {
        frame: (frame, rest) => this.send(rewrite(sub.head, frame, rest)),
        next: (result) => this.send(message(id, 'next', masked(result, service))),
        error: (errors) => this.end(id, sub, message(id, 'error', errors.map((e) => maskSubgraphErrorJSON(e, service)))),
        complete: () => this.end(id, sub, message(id, 'complete')),
        // the upstream connection dropped: an error the client recovers from by subscribing again
        lost: () => this.end(id, sub, message(id, 'error', [{
          message: `The live connection to ${service} was lost; subscribe again.`,
          extensions: { code: UNAVAILABLE, serviceName: service, retryable: true, reason: 'UNREACHABLE' },
        }])),
      },
    });
  }

  end(id, sub, last) {
    if (this.subs.get(id) !== sub) return;
    this.subs.delete(id);
    this.send(last);
  }

  stop(id) {
    const sub = this.subs.get(id);
    if (!sub) return false;
    this.subs.delete(id);
    sub.stop?.();
    return true;
  }

  send(data) {
    if (this.socket.readyState !== OPEN) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      // a client that reads slower than the show changes would hold ever more memory here
      this.socket.close(1013, 'Reading too slowly; reconnect');
      return;
    }
    this.socket.send(data, { binary: false });
  }

  /** The client connection closed: end its subscriptions upstream, leave the caps' count. */
  closed() {
    this.ended = true;
    for (const sub of this.subs.values()) sub.stop?.();
    this.subs.clear();
    this.identity?.then((client) => this.caps.leave(client, this));
  }
}

function masked(result, service) {
  if (!Array.isArray(result?.errors)) return result;
  return { ...result, errors: result.errors.map((e) => maskSubgraphErrorJSON(e, service)) };
}
