// Shared upstream graphql-transport-ws connections of the subscription pass-through.
//
// One connection per (subgraph, Authorization value): the subgraph still sees and verifies each caller's
// token on its own connection (booking reads it from the upgrade request), and every anonymous client
// shares one. Many client subscriptions ride on it, each under an id of the router's own (base 36
// numbers, so the frame rewriting in frames.mjs can find where an id ends without unescaping). A
// connection opens with its first subscription and closes LINGER_MS after its last one left, so
// clients coming and going do not open and close it each time.
//
// A connection that drops, or never opens, ends every subscription on it (sink.lost): the client is told
// and subscribes again, which opens a new connection. Keep-alive: a WebSocket ping every KEEPALIVE_MS;
// a connection that sent neither a pong nor any frame for MISSED_PINGS of them counts as dropped. Any
// frame counts because a busy subgraph answers pings late (its event loop is fanning out) while its
// frames keep coming, and dropping a connection that many subscriptions share makes them all
// subscribe again at once - the worst moment for it.
//
// The upgrade request carries X-Forwarded-For of the client whose subscription opened the connection
// (the subgraphs only use the address for rate limits of HTTP mutations, never for subscriptions).

import WebSocket from 'ws';
import { fastNext, mayHaveErrors } from './frames.mjs';

const KEEPALIVE_MS = 12_000;
const MISSED_PINGS = 3;
const LINGER_MS = 10_000;
const HANDSHAKE_MS = 10_000;

/** http(s)://host/graphql -> ws(s)://host/graphql */
export function websocketUrl(httpUrl) {
  return httpUrl.replace(/^http/, 'ws');
}

export class UpstreamPool {
  constructor({ log, keepAliveMs = KEEPALIVE_MS, lingerMs = LINGER_MS } = {}) {
    this.log = log;
    this.keepAliveMs = keepAliveMs;
    this.lingerMs = lingerMs;
    this.connections = new Map(); // key -> Upstream
    this.opened = {}; // subgraph -> connections ever opened (for /debug/passthrough and tests)
  }

  /**
   * Subscribes `payload` ({query, variables, operationName}) on `subgraph` ({name, url}) for `sink`;
   * returns a function that ends the subscription upstream.
   */
  subscribe({ subgraph, authorization, forwardedFor, payload, sink }) {
    const key = `${subgraph.name}\n${authorization ?? ''}`;
    let upstream = this.connections.get(key);
    if (!upstream) {
      upstream = new Upstream(this, key, subgraph, authorization, forwardedFor);
      this.connections.set(key, upstream);
      this.opened[subgraph.name] = (this.opened[subgraph.name] ?? 0) + 1;
    }
    return upstream.add(payload, sink);
  }

  forget(upstream) {
    if (this.connections.get(upstream.key) === upstream) this.connections.delete(upstream.key);
  }

  /** Per subgraph: connections ever opened, connections open now (anonymous ones apart), subscriptions. */
  stats() {
    const out = {};
    for (const [name, opened] of Object.entries(this.opened)) {
      out[name] = { opened, connections: 0, anonymousConnections: 0, subscriptions: 0 };
    }
    for (const upstream of this.connections.values()) {
      const s = out[upstream.subgraph.name];
      s.connections++;
      if (!upstream.authorization) s.anonymousConnections++;
      s.subscriptions += upstream.sinks.size;
    }
    return out;
  }

  close() {
    for (const upstream of [...this.connections.values()]) upstream.close(1001, 'Going away');
  }
}

class Upstream {
  constructor(pool, key, subgraph, authorization, forwardedFor) {
    this.pool = pool;
    this.key = key;
    this.subgraph = subgraph;
    this.authorization = authorization;
    this.sinks = new Map(); // upstream id -> sink
    this.serial = 0;
    this.ready = false;
    this.closed = false;
    this.waiting = []; // subscribe frames until connection_ack
    this.linger = null;
    const headers = {};
    if (authorization) headers.authorization = authorization;
    if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
    this.ws = new WebSocket(websocketUrl(subgraph.url), 'graphql-transport-ws', {
      headers,
      perMessageDeflate: false, // compression costs more CPU per frame than loopback or a LAN saves
      handshakeTimeout: HANDSHAKE_MS,
      maxPayload: 0,
    });
    this.ws.on('open', () => {
      const init = authorization ? { Authorization: authorization } : {};
      this.ws.send(JSON.stringify({ type: 'connection_init', payload: init }));
      this.keepAlive();
    });
    this.ws.on('message', (data, isBinary) => this.message(data, isBinary));
    this.ws.on('pong', () => {
      this.missed = 0;
    });
    this.ws.on('error', (err) => pool.log?.warn?.(`[passthrough] ${subgraph.name} websocket: ${err.message}`));
    this.ws.on('close', (code, reason) => this.lost(code, String(reason)));
  }

  keepAlive() {
    this.missed = 0;
    this.pinger = setInterval(() => {
      if (this.missed >= MISSED_PINGS) {
        this.ws.terminate(); // 'close' follows
        return;
      }
      this.missed++;
      this.ws.ping();
    }, this.pool.keepAliveMs);
    this.pinger.unref();
  }

  add(payload, sink) {
    const id = (this.serial++).toString(36);
    this.sinks.set(id, sink);
    if (this.linger) {
      clearTimeout(this.linger);
      this.linger = null;
    }
    const frame = JSON.stringify({ id, type: 'subscribe', payload });
    if (this.ready) this.ws.send(frame);
    else this.waiting.push(frame);
    return () => this.remove(id);
  }

  remove(id) {
    if (!this.sinks.delete(id)) return;
    if (this.ready && !this.closed) this.ws.send(`{"id":"${id}","type":"complete"}`);
    else this.waiting = this.waiting.filter((f) => !f.startsWith(`{"id":"${id}",`));
    this.idle();
  }

  idle() {
    if (this.sinks.size === 0 && !this.closed && !this.linger) {
      this.linger = setTimeout(() => this.close(1000, 'Idle'), this.pool.lingerMs);
      this.linger.unref();
    }
  }

  message(data, isBinary) {
    this.missed = 0;
    if (isBinary) return this.close(4400, 'Binary frame');
    if (this.ready) {
      const fast = fastNext(data);
      if (fast) {
        const sink = this.sinks.get(fast.id);
        if (!sink) return undefined; // a subscription the client left a moment ago
        if (!mayHaveErrors(data, fast.rest)) return sink.frame(data, fast.rest);
      }
    }
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return this.close(4400, 'Invalid message received');
    }
    switch (msg.type) {
      case 'connection_ack':
        this.ready = true;
        for (const frame of this.waiting) this.ws.send(frame);
        this.waiting = [];
        return undefined;
      case 'ping':
        return this.ws.send(msg.payload ? JSON.stringify({ type: 'pong', payload: msg.payload }) : '{"type":"pong"}');
      case 'pong':
        return undefined;
      case 'next':
        return this.sinks.get(msg.id)?.next(msg.payload);
      case 'error':
      case 'complete': {
        const sink = this.sinks.get(msg.id);
        if (!sink) return undefined;
        this.sinks.delete(msg.id);
        if (msg.type === 'error') sink.error(Array.isArray(msg.payload) ? msg.payload : [msg.payload]);
        else sink.complete();
        this.idle();
        return undefined;
      }
      default:
        return this.close(4400, `Unexpected message ${msg.type}`);
    }
  }

  lost(code, reason) {
    if (this.closed && this.sinks.size === 0) return;
    this.closed = true;
    clearInterval(this.pinger);
    clearTimeout(this.linger);
    this.pool.forget(this);
    const sinks = [...this.sinks.values()];
    this.sinks.clear();
    if (sinks.length) {
      this.pool.log?.warn?.(
        `[passthrough] ${this.subgraph.name} connection closed (${code} ${reason}); ${sinks.length} subscriptions ended`,
      );
    }
    for (const sink of sinks) sink.lost();
  }

  close(code, reason) {
    this.pool.forget(this);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      try {
        this.ws.close(code, reason);
      } catch {
        this.ws.terminate(); // close() on a CONNECTING socket may throw: end it at once
      }
    }
    this.lost(code, reason);
  }
}
