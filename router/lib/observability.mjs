// Router observability (docs/observability.md): Prometheus metrics at GET /metrics, and OpenTelemetry
// traces exported over OTLP/HTTP when the standard variables ask for them.
//
// Both are Hive Gateway's own: its `prometheus` option (@graphql-mesh/plugin-prometheus, prom-client) and
// its `openTelemetry` option (@graphql-hive/plugin-opentelemetry), which server.mjs turns into plugins
// (getBuiltinPluginsFromConfig). The OpenTelemetry SDK is set up here, before the gateway starts, and only
// when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: otherwise nothing of it
// is loaded. Subgraph requests then carry the W3C `traceparent` of the router's span (propagateContext), so
// each subgraph's spans join the router's trace.
//
// Environment:
//   TICKETFLOW_ROUTER_METRICS           "false" turns /metrics off (default on)
//   OTEL_EXPORTER_OTLP_ENDPOINT         the collector's OTLP/HTTP base URL (traces go to <it>/v1/traces);
//   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  or the full traces URL. Unset: no tracing at all.
//   OTEL_SERVICE_NAME                   default ticketflow-router
//   OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER=none
//                                       tracing off even with an endpoint

import { envFlag } from './env.mjs';

/** Whether the standard OpenTelemetry variables ask for traces (the subgraphs read them the same way). */
export function tracingConfigured(env = process.env) {
  if ((env.OTEL_SDK_DISABLED || '').trim().toLowerCase() === 'true') return false;
  if ((env.OTEL_TRACES_EXPORTER || 'otlp').trim().toLowerCase() === 'none') return false;
  return Boolean((env.OTEL_EXPORTER_OTLP_ENDPOINT || '').trim() || (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || '').trim());
}

// Probes and scrapes, every few seconds: no trace, no access line (logs.mjs).
export const QUIET = new Set(['/metrics', '/healthcheck', '/readiness']);

/** Whether a request to the router starts a trace (the `http` span predicate): not probes and scrapes. */
export function tracedRequest({ request }) {
  return !QUIET.has(new URL(request.url).pathname);
}

/** Installs the OpenTelemetry SDK: a batching OTLP/HTTP (protobuf) exporter (it reads the OTEL_EXPORTER_OTLP_* variables). */
async function setupTracing(env, log) {
  const { openTelemetrySetup } = await import('@graphql-hive/gateway/opentelemetry/setup');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  openTelemetrySetup({
    log,
    contextManager: new AsyncLocalStorageContextManager(),
    resource: { serviceName: env.OTEL_SERVICE_NAME?.trim() || 'ticketflow-router' },
    traces: { exporter: new OTLPTraceExporter() },
  });
}

/** The gateway config's `prometheus` option: request counts and latencies by operation, errors, and each
 *  subgraph call's duration and errors, with prom-client's process metrics. */
function prometheusOption() {
  return {
    endpoint: '/metrics',
    metrics: {
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_error_result: true,
      graphql_envelop_phase_parse: true,
      graphql_envelop_phase_validate: true,
      graphql_envelop_phase_execute: true,
      graphql_yoga_http_duration: true,
      graphql_gateway_subgraph_execute_duration: true,
      graphql_gateway_subgraph_execute_errors: true,
      graphql_gateway_fetch_duration: true,
    },
    labels: { operationName: true, operationType: true, subgraphName: true },
  };
}

/**
 * The part of the gateway config observability adds (spread into defineConfig): `prometheus` unless
 * TICKETFLOW_ROUTER_METRICS=false, `openTelemetry` when tracing is configured (the SDK is set up here, and
 * logs through `log`, the router's logger).
 */
export async function observabilityConfig(env = process.env, log = undefined) {
  const config = {};
  if (envFlag('TICKETFLOW_ROUTER_METRICS', true, env)) config.prometheus = prometheusOption();
  if (tracingConfigured(env)) {
    await setupTracing(env, log);
    config.openTelemetry = { traces: { spans: { http: tracedRequest } }, propagateContext: true, inheritContext: true };
  }
  return config;
}
