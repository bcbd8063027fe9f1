// TicketFlow router - Hive Gateway configuration. Each concern is a module of lib/: the settings
// (settings.mjs, every environment variable), token checks (access.mjs, tokens.mjs), how subgraphs are
// reached (transport.mjs), error masking (errors.mjs), operation limits (limits.mjs), rate limits
// (ratelimit.mjs), waiting-room passes (queue.mjs), subscription caps (subscriptions.mjs), trusted documents (trusted.mjs), subgraph faults
// (faults.mjs), the IDE's examples (examples.mjs), metrics and traces (observability.mjs) and logs (logs.mjs).
//
//   node router/server.mjs   what make dev, the tests and the image run: this config behind the router's
//                            own server, with the subscription pass-through (server.mjs)
// It is also a plain Hive Gateway config, which the gateway's CLI runs without the pass-through:
//   router/node_modules/.bin/hive-gateway supergraph --config-path router/gateway.config.mjs

import { defineConfig } from '@graphql-hive/gateway';
import { useAccessTokens } from './lib/access.mjs';
import { errorOptions, useRequestScope } from './lib/errors.mjs';
import { graphiqlOption } from './lib/examples.mjs';
import { useSubgraphFaults } from './lib/faults.mjs';
import { OperationLimits, useOperationLimits } from './lib/limits.mjs';
import { routerLogger, useAccessLog } from './lib/logs.mjs';
import { observabilityConfig, tracingConfigured } from './lib/observability.mjs';
import { QueuedShows, queueSettings, useQueuePasses } from './lib/queue.mjs';
import { RateLimits, useRateLimits } from './lib/ratelimit.mjs';
import { corsOption, routerSettings } from './lib/settings.mjs';
import { RemoteJwks } from './lib/tokens.mjs';
import { TrustedDocuments, persistedDocumentsOption, useTrustedDocuments } from './lib/trusted.mjs';
import { propagateHeaders, transportEntries, useClientContext } from './lib/transport.mjs';

export const settings = routerSettings();
/** What server.mjs shares with the gateway: the JWKS, the limits, the rate limits, the breakers. */
export const jwks = new RemoteJwks(settings.jwksUrl);
export const limits = new OperationLimits(settings.edge);
export const rateLimits = new RateLimits(settings.rateLimits);
export const breakers = new Map();
/** The waiting rooms: which shows are queued (booking's list) and the pass secret (lib/queue.mjs). */
export const queue = queueSettings(process.env, settings.subgraphUrls.booking);
export const queuedShows = new QueuedShows(queue);
/** The router's logger: the subgraphs' format, and trace ids when tracing is on (lib/logs.mjs). */
export const log = await routerLogger(settings, tracingConfigured());
/** The trusted documents, when only those are run (else null). */
export const documents = settings.trustedDocuments.enabled ? TrustedDocuments.load(settings.trustedDocuments.file) : null;
/** The subgraph's URL as TICKETFLOW_<NAME>_URL sets it (undefined: the supergraph's routing URL). */
export const subgraphUrl = (name) => settings.subgraphUrls[name];

const unifiedGraphHandler = settings.queryPlanner === 'rust'
  ? (await import('@graphql-hive/router-runtime')).unifiedGraphHandler
  : undefined;

export const gatewayConfig = defineConfig({
  supergraph: settings.supergraph,
  host: settings.host,
  port: settings.port,
  graphqlEndpoint: '/graphql',
  healthCheckEndpoint: '/healthcheck',
  readinessCheckEndpoint: '/readiness',
  logging: log,
  transportEntries: transportEntries(settings.subgraphUrls, settings.wsSharing),
  propagateHeaders,
  // Each root field is its own request to its subgraph: merged, `{ ticketKeys notificationDeliveries { id } }`
  // from an anonymous caller came back as `data: null` and the gateway answered INTERNAL in place of the
  // subgraph's UNAUTHENTICATED (tests/e2e/test_fuzz_graph.py found it). Entity fetches are still batched.
  __experimental__batchExecution: false,
  ...(unifiedGraphHandler ? { unifiedGraphHandler } : {}),
  cors: corsOption(settings.corsOrigins),
  graphiql: graphiqlOption(settings.graphiql),
  landingPage: false,
  ...errorOptions,
  ...(await observabilityConfig(process.env, log)), // /metrics and OpenTelemetry traces (lib/observability.mjs)
  ...(documents ? { persistedDocuments: persistedDocumentsOption(documents) } : {}),
  // Plugins rather than the gateway's jwt / upstreamTimeout / maxDepth… options: their modules say why.
  // Batching (a JSON array of operations per request) stays off: Yoga refuses it with BAD_REQUEST.
  plugins: (ctx) => [
    ...(documents ? [useTrustedDocuments(documents)] : []),
    useOperationLimits(limits),
    useAccessTokens(jwks),
    useClientContext(settings.wsSharing),
    useRateLimits(rateLimits),
    useQueuePasses(queuedShows, queue),
    useRequestScope(),
    ...(settings.accessLog ? [useAccessLog()] : []),
    ...useSubgraphFaults({ settings: settings.faults, log: ctx?.log, breakers }),
  ],
});
