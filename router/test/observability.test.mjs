import assert from 'node:assert/strict';
import { test } from 'node:test';
import { observabilityConfig, tracedRequest, tracingConfigured } from '../lib/observability.mjs';

test('tracing is on only when an OTLP endpoint is set and nothing turns it off', () => {
  assert.equal(tracingConfigured({}), false);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }), false);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }), true);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }), false);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }), false);
});

test('without an endpoint the config has /metrics and no openTelemetry option', async () => {
  const config = await observabilityConfig({});
  assert.equal(config.prometheus.endpoint, '/metrics');
  assert.equal(config.prometheus.labels.operationName, true);
  assert.equal(config.openTelemetry, undefined);
});

test('TICKETFLOW_ROUTER_METRICS=false leaves /metrics out', async () => {
  assert.deepEqual(await observabilityConfig({ TICKETFLOW_ROUTER_METRICS: 'false' }), {});
});

test('probes and scrapes start no trace, GraphQL requests do', () => {
  const at = (path) => tracedRequest({ request: new Request(`http://127.0.0.1:4000${path}`) });
  assert.equal(at('/graphql'), true);
  assert.equal(at('/graphql?query={__typename}'), true);
  for (const path of ['/metrics', '/healthcheck', '/readiness']) assert.equal(at(path), false, path);
});
