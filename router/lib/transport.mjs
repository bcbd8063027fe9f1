// How the gateway reaches the subgraphs: where (TICKETFLOW_<NAME>_URL), over which WebSockets for the
// subscriptions it executes itself, and with which of the client's headers.
//
// Every subgraph: subscriptions over WebSocket graphql-transport-ws at the subgraph's own URL (http -> ws,
// https -> wss), carrying the client's Authorization both as an upgrade-request header and in the
// connection_init payload. Hive Gateway pools upstream WebSockets by (url, interpolated connectionParams,
// interpolated headers), so what goes into these templates decides the sharing (TICKETFLOW_SUBGRAPH_WS_SHARING):
//   "client" (default): one upstream WebSocket per client connection (and per token), so it can carry that
//            client's address too;
//   "auth":   one upstream WebSocket for all clients that present the same Authorization (Hive Gateway's
//            native behaviour).
// (The pass-through's subscriptions always share per Authorization, see upstream.mjs.)
//
// HTTP requests to subgraphs (queries, mutations, entity fetches - also those made while resolving a
// WebSocket subscription's events) carry the client's Authorization (already verified by access.mjs; the
// subgraph verifies it again) and X-Forwarded-For: what the client sent, then the peer's address
// (address.mjs) - the right-most entry is the one the router vouches for.

import { randomUUID } from 'node:crypto';
import { forwardedFor } from './address.mjs';
import { clientAuthorization } from './tokens.mjs';

/** The gateway's `transportEntries`: URL overrides ({name: url}) and the WebSocket templates. */
export function transportEntries(urls, wsSharing) {
  const entries = {};
  for (const [name, url] of Object.entries(urls)) entries[name] = { location: url };
  const headers = [['authorization', '{context.ticketflow.authorization}']];
  if (wsSharing === 'client') {
    headers.push(['x-ticketflow-client-connection', '{context.ticketflow.clientKey}']);
    headers.push(['x-forwarded-for', '{context.ticketflow.forwardedFor}']);
  }
  entries['*.http'] = {
    options: {
      subscriptions: {
        kind: 'ws',
        headers,
        options: { connectionParams: { Authorization: '{context.ticketflow.authorization}' } },
      },
    },
  };
  return entries;
}

// one random key per client WebSocket connection (or per HTTP request)
const clientKeys = new WeakMap();
export function clientConnectionKey(context) {
  const holder = context?.socket ?? context?.request;
  if (!holder || typeof holder !== 'object') return randomUUID();
  let key = clientKeys.get(holder);
  if (!key) {
    key = randomUUID();
    clientKeys.set(holder, key);
  }
  return key;
}

/** Puts the client's Authorization, X-Forwarded-For (and a per-connection key) on the context as `ticketflow`. */
export function useClientContext(wsSharing) {
  return {
    onContextBuilding({ context, extendContext }) {
      extendContext({
        ticketflow: {
          authorization: clientAuthorization(context),
          forwardedFor: forwardedFor(context),
          clientKey: wsSharing === 'client' ? clientConnectionKey(context) : undefined,
        },
      });
    },
  };
}

/** The gateway's `propagateHeaders`: Authorization and X-Forwarded-For to every subgraph request. */
export const propagateHeaders = {
  fromClientToSubgraphs({ context }) {
    const authorization = context?.ticketflow?.authorization ?? clientAuthorization(context);
    const headers = { 'x-forwarded-for': context?.ticketflow?.forwardedFor ?? forwardedFor(context) };
    if (authorization) headers.authorization = authorization;
    // a hold's waiting-room pass (queue.mjs checked it); booking spends it
    const pass = context?.request?.headers?.get?.('ticketflow-queue-pass');
    if (pass) headers['ticketflow-queue-pass'] = pass;
    return headers;
  },
};
