// Caps on concurrent subscriptions: per client connection and per client, over every subscription a
// connection holds (the pass-through's and the gateway's alike). A `subscribe` past a cap gets
//   {"id": "...", "type": "error", "payload": [{"message": "At most 3 subscriptions per client.",
//     "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS", "limit": "client", "max": 3}}]}
// and reaches no subgraph; the connection stays open and its other subscriptions go on. A subscription
// frees its place when it ends: the client completes it, the subgraph completes or fails it, or the
// connection closes.
//
//   TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION  per client connection (default 100)
//   TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CLIENT      per client, over all its connections to this router
//                                                       (default 500; 0: no cap)
// The client is the one the rate limits count (ratelimit.mjs, clientOf): the subject of the connection's
// valid token, else its address. Counted per router, in memory: a subscription lives on one router's
// connection, and a count in Redis would outlive a router that stopped without cleaning up.

import { envInt } from './env.mjs';

export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS';

export function subscriptionCapSettings(env = process.env) {
  return {
    perConnection: envInt('TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, { min: 1, env }),
    perClient: envInt('TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CLIENT', 500, { min: 0, env }),
  };
}

/** The error a subscribe past the `limit` ("connection" or "client") cap of `max` gets (JSON, as sent). */
export function tooManySubscriptions(limit, max) {
  return {
    message: `At most ${max} subscriptions per ${limit}.`,
    extensions: { code: TOO_MANY_SUBSCRIPTIONS, limit, max },
  };
}

/**
 * The caps of one router. A connection is anything with `count()`, the subscriptions it holds now; it
 * joins its client once the client is known and leaves when it closes.
 */
export class SubscriptionCaps {
  constructor({ perConnection, perClient } = subscriptionCapSettings()) {
    this.perConnection = perConnection;
    this.perClient = perClient;
    this.clients = new Map(); // client -> Set of its connections
  }

  join(client, connection) {
    let connections = this.clients.get(client);
    if (!connections) {
      connections = new Set();
      this.clients.set(client, connections);
    }
    connections.add(connection);
  }

  leave(client, connection) {
    const connections = this.clients.get(client);
    if (!connections) return;
    connections.delete(connection);
    if (connections.size === 0) this.clients.delete(client);
  }

  /** The subscriptions `client` holds now, over all its connections. */
  held(client) {
    let n = 0;
    for (const connection of this.clients.get(client) ?? []) n += connection.count();
    return n;
  }

  /** null when `connection` of `client` may start one more subscription, else the error to answer. */
  refusal(client, connection) {
    if (connection.count() >= this.perConnection) return tooManySubscriptions('connection', this.perConnection);
    if (this.perClient && this.held(client) >= this.perClient) return tooManySubscriptions('client', this.perClient);
    return null;
  }
}
