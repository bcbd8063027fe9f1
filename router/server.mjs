// TicketFlow router: Hive Gateway (gateway.config.mjs) behind an HTTP + WebSocket server of our own,
// so that subscriptions one subgraph serves by itself can pass straight through (lib/passthrough.mjs).
//
//   node router/server.mjs            (settings: the environment, see lib/settings.mjs)
//
// What the `hive-gateway supergraph` CLI did is done here the same way (its startNodeHttpServer): the
// gateway runtime from the same config, node's http server with the runtime as request handler (GraphQL
// over HTTP, GraphiQL, CORS, /healthcheck, /readiness), and graphql-ws on /graphql; shutdown on SIGTERM
// and SIGINT closes client connections (1001; cut after a second when a client does not answer),
// upstream connections and the runtime.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import {
  createGatewayRuntime,
  createLoggerFromLogging,
  defaultOptions,
  getBuiltinPluginsFromConfig,
  getCacheInstanceFromConfig,
  MemPubSub,
} from '@graphql-hive/gateway';
import { documents, gatewayConfig, jwks, limits, queue, rateLimits, settings, subgraphUrl } from './gateway.config.mjs';
import { serveQueueStatus } from './lib/queue.mjs';
import { supergraphIndex } from './lib/ownership.mjs';
import { Planner } from './lib/passthrough.mjs';
import { UpstreamPool } from './lib/upstream.mjs';
import { SubscriptionCaps } from './lib/subscriptions.mjs';
import { serveWebSockets } from './lib/websocket.mjs';
import { webApp } from './lib/webapp.mjs';
import { exportsProxy } from './lib/exports.mjs';

const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const SHUTDOWN_MS = 10_000;

async function gatewayRuntime(log) {
  const pubsub = new MemPubSub();
  const cache = await getCacheInstanceFromConfig(gatewayConfig, { pubsub, log, cwd: process.cwd() });
  const builtin = await getBuiltinPluginsFromConfig(gatewayConfig, { log, cache });
  return createGatewayRuntime({
    // the CLI's IDE (Hive Laboratory); the rest of its defaults (fork, polling) are for its own server
    renderGraphiQL: defaultOptions.renderGraphiQL,
    playgroundName: defaultOptions.playgroundName,
    ...gatewayConfig,
    logging: log,
    pubsub,
    cache,
    plugins: (ctx) => [...builtin, ...(gatewayConfig.plugins?.(ctx) ?? [])],
  });
}

async function main() {
  const log = createLoggerFromLogging(gatewayConfig.logging);
  const gateway = await gatewayRuntime(log);
  const apiSchema = await gateway.getSchema();
  const planner = new Planner({
    apiSchema,
    index: supergraphIndex(readFileSync(gatewayConfig.supergraph, 'utf8')),
    urlOf: subgraphUrl,
    limits,
    enabled: settings.passthrough,
  });
  const pool = new UpstreamPool({ log });
  const { debug } = settings;

  const app = webApp(settings.webDir);
  // Organizers' CSV exports, on this origin: GET /exports/* streamed from booking (lib/exports.mjs).
  const exportsRoute = exportsProxy(subgraphUrl('booking'));
  let sockets;
  const server = createServer({ maxHeaderSize: 16384 }, async (req, res) => {
    if (debug && req.method === 'GET' && req.url.startsWith('/debug/passthrough')) {
      // ?gc: collect garbage first when node runs with --expose-gc (the fan-out benchmark's memory readings)
      if (req.url.endsWith('?gc') && typeof globalThis.gc === 'function') globalThis.gc();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ clients: sockets.clients(), upstream: pool.stats(), memory: process.memoryUsage() }));
      return;
    }
    // the waiting crowd's polls (lib/queue.mjs): from Redis when the router has it (the rate limits' client)
    if (await serveQueueStatus(req, res, queue, globalThis.fetch, rateLimits.redis)) return;
    if (exportsRoute(req, res)) return;
    if (app && (await app(req, res))) return;
    gateway(req, res);
  });
  sockets = serveWebSockets({
    server,
    path: gatewayConfig.graphqlEndpoint,
    gateway,
    planner,
    pool,
    jwks,
    log,
    caps: new SubscriptionCaps(settings.subscriptionCaps),
    proxies: settings.rateLimits.trusted,
    documents,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
  });

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    log.info(`Stopping on ${signal}`);
    setTimeout(() => {
      log.warn(`Not stopped within ${SHUTDOWN_MS} ms; exiting`);
      process.exit(0);
    }, SHUTDOWN_MS).unref();
    server.close();
    server.closeIdleConnections();
    pool.close();
    rateLimits.close();
    await sockets.close();
    await gateway.dispose();
    log.info('Stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(gatewayConfig.port, gatewayConfig.host, resolve);
  });
  log.info(`Listening on http://${gatewayConfig.host}:${gatewayConfig.port}${gatewayConfig.graphqlEndpoint}`
    + ` (subscription pass-through ${planner.enabled ? 'on' : 'off'})`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
