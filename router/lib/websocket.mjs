// The router's graphql-transport-ws endpoint: the pass-through first, the gateway's graphql-ws server
// for everything else, on the same client connection.
//
// This is graphql-ws's own `useServer` for `ws` (what the hive-gateway CLI runs), with one step added:
// each client message is offered to the connection's ClientSubscriptions before graphql-ws sees it, one
// message after the other (a `subscribe` may wait for the client's token to be checked; what the client
// sent after it waits its turn).
// graphql-ws keeps the protocol's rules - connection_init and its timeout, ping/pong, 4401 before the
// ack, 4400 on garbage - and the gateway's path; keep-alive is WebSocket pings every KEEPALIVE_MS, and a
// client that does not answer within as long again is dropped.

import { getGraphQLWSOptions } from '@graphql-hive/gateway';
import { normalizeNodeRequest } from '@whatwg-node/server';
import { handleProtocols, makeServer } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import { ClientSubscriptions } from './passthrough.mjs';

const KEEPALIVE_MS = 12_000;
// On close, how long clients have to answer the closing handshake before their connection is cut.
const CLOSE_GRACE_MS = 1_000;

/** Serves graphql-transport-ws on `path` of `server`; returns { close() }. */
export function serveWebSockets({ server, path, gateway, planner, pool, jwks, log, caps, proxies, documents, maxBufferedBytes }) {
  const wss = new WebSocketServer({ server, path, handleProtocols, perMessageDeflate: false });
  const connections = new Map(); // socket -> ClientSubscriptions
  const contexts = new WeakMap(); // socket -> graphql-ws ctx
  const options = getGraphQLWSOptions(gateway, (ctx) => ({
    req: ctx.extra.request,
    socket: ctx.extra.socket,
    request: normalizeNodeRequest(ctx.extra.request, gateway.fetchAPI),
  }));
  const graphqlWs = makeServer({
    ...options,
    onConnect(ctx) {
      contexts.set(ctx.extra.socket, ctx); // what the pass-through needs: ack state, params, ids in use
    },
  });

  wss.on('connection', (socket, request) => {
    const mine = new ClientSubscriptions({
      socket, request, planner, pool, jwks, log, caps, proxies, documents, maxBufferedBytes,
      gateway: () => contexts.get(socket),
    });
    connections.set(socket, mine);
    let alive = true;
    socket.on('pong', () => {
      alive = true;
    });
    const pinger = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      return socket.ping();
    }, KEEPALIVE_MS);
    socket.once('error', (err) => {
      log?.warn?.(`[websocket] ${err.message}`);
      socket.close(1011, 'Internal server error');
    });
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        send: (data) => new Promise((resolve, reject) => {
          if (socket.readyState !== socket.OPEN) return resolve();
          return socket.send(data, (err) => (err ? reject(err) : resolve()));
        }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) => {
          let turn = Promise.resolve();
          const receive = async (text) => {
            let msg;
            try {
              msg = JSON.parse(text);
            } catch {
              msg = null; // graphql-ws answers garbage (4400)
            }
            let handled;
            await mine.receive(msg && typeof msg === 'object' ? msg : null, () => {
              handled = handle(text);
            });
            // a subscription's handle() settles when the subscription ends: don't hold the next message
            if (msg?.type === 'subscribe') handled?.catch((err) => fail(err));
            else await handled;
          };
          const fail = (err) => {
            log?.error?.(err);
            socket.close(1011, 'Internal server error');
          };
          socket.on('message', (data) => {
            const text = String(data);
            turn = turn.then(() => receive(text)).catch(fail);
          });
        },
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(pinger);
      connections.delete(socket);
      mine.closed();
      closed(code, String(reason));
    });
  });

  return {
    clients: () => connections.size,
    async close() {
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      // A client that never answers (its network went away, its process is stuck) would hold the
      // shutdown for ws's closing timeout (30 s), and a restart with it: cut such connections.
      const grace = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, CLOSE_GRACE_MS);
      await new Promise((resolve) => wss.close(() => resolve()));
      clearTimeout(grace);
    },
  };
}
