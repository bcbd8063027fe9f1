import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Logger } from '@graphql-hive/gateway';
import * as api from '@graphql-hive/gateway/opentelemetry/api';
import { parse } from 'graphql';
import { JsonLineWriter, TextLineWriter, TraceIdWriter, routerLogger, useAccessLog } from '../lib/logs.mjs';

// What the router's setup registers (observability.mjs): spans are active through AsyncLocalStorage.
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** Runs `fn` inside a (sampled) span of TRACE_ID / SPAN_ID, awaiting in between as a request would. */
function inSpan(fn) {
  const span = api.trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: api.TraceFlags.SAMPLED });
  return api.context.with(api.trace.setSpan(api.context.active(), span), async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return fn();
  });
}

function sink() {
  const lines = [];
  return { lines, write: (chunk) => lines.push(...chunk.split('\n').filter(Boolean)) };
}

function jsonLogger(out, { tracing = true } = {}) {
  const writer = new JsonLineWriter(out);
  return new Logger({ level: 'debug', writers: [tracing ? new TraceIdWriter(writer, api) : writer] });
}

test('a line written inside an active span carries its trace and span ids; outside, none', async () => {
  const out = sink();
  const log = jsonLogger(out).child({ requestId: 'r-1' });
  await inSpan(() => log.info({ subgraph: 'booking' }, 'inside'));
  log.info('outside');
  const [inside, outside] = out.lines.map((line) => JSON.parse(line));
  assert.equal(inside.msg, 'inside');
  assert.equal(inside.trace_id, TRACE_ID);
  assert.equal(inside.span_id, SPAN_ID);
  assert.equal(inside.request_id, 'r-1');
  assert.equal(inside.subgraph, 'booking');
  assert.equal(outside.msg, 'outside');
  assert.equal('trace_id' in outside, false);
  assert.equal('span_id' in outside, false);
});

test('a span that is not valid (no trace) adds nothing', async () => {
  const out = sink();
  const log = jsonLogger(out);
  const invalid = api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT);
  api.context.with(api.trace.setSpan(api.context.active(), invalid), () => log.warn('no trace'));
  assert.equal('trace_id' in JSON.parse(out.lines[0]), false);
});

test('JSON lines use the subgraphs\' field names', async () => {
  const out = sink();
  const log = jsonLogger(out, { tracing: false }).child({ requestId: 'r-2' });
  log.warn('careful');
  log.error(new Error('boom'));
  const [warn, error] = out.lines.map((line) => JSON.parse(line));
  assert.deepEqual(Object.keys(warn), ['ts', 'level', 'logger', 'msg', 'request_id']);
  assert.deepEqual([warn.level, warn.logger, warn.msg], ['WARNING', 'ticketflow.router', 'careful']);
  assert.equal(error.level, 'ERROR');
  assert.equal(error.msg, 'boom');
  assert.match(error.exc, /^Error: boom\n\s+at /);
});

test('text lines are the subgraphs\' one human line, ids in brackets', async () => {
  const out = sink();
  const log = new Logger({ writers: [new TraceIdWriter(new TextLineWriter(out), api)] }).child({ requestId: 'r-3' });
  await inSpan(() => log.info({ logger: 'ticketflow.access', http: { status: 200 } }, 'router POST /graphql 200 1.0 ms'));
  log.info({ subgraph: 'venue' }, 'plain');
  assert.match(out.lines[0], new RegExp(
    `^\\d\\d:\\d\\d:\\d\\d INFO  ticketflow\\.access  router POST /graphql 200 1\\.0 ms  \\[request_id=r-3 trace_id=${TRACE_ID} span_id=${SPAN_ID}\\]$`));
  assert.match(out.lines[1], /^\d\d:\d\d:\d\d INFO  ticketflow\.router  plain \{"subgraph":"venue"\}  \[request_id=r-3\]$/);
});

test('with tracing off the logger adds no ids, even inside a span', async () => {
  const out = sink();
  const log = await routerLogger({ logLevel: 'info', logFormat: 'json' }, false, out);
  await inSpan(() => log.info('inside'));
  assert.equal('trace_id' in JSON.parse(out.lines[0]), false);
  const traced = await routerLogger({ logLevel: 'info', logFormat: 'json' }, true, out);
  await inSpan(() => traced.info('inside'));
  assert.equal(JSON.parse(out.lines[1]).trace_id, TRACE_ID);
  await inSpan(() => traced.debug('below the level'));
  assert.equal(out.lines.length, 2);
});

test('the access line: one per request once answered, with the operation; none for probes', async () => {
  const out = sink();
  const plugin = useAccessLog();
  const serve = async (url, { document, operationName, status = 200 } = {}) => {
    const request = new Request(url, { method: 'POST' });
    const serverContext = { log: jsonLogger(out).child({ requestId: 'r-4' }) };
    await inSpan(() => {
      plugin.onRequest({ request });
      if (document) plugin.onExecute({ args: { contextValue: { request }, document: parse(document), operationName } });
      plugin.onResponse({ request, response: new Response('', { status }), serverContext });
    });
  };
  await serve('http://127.0.0.1:4000/graphql', {
    document: 'query Other { a } mutation TracedHold { holdSeats }', operationName: 'TracedHold' });
  await serve('http://127.0.0.1:4000/graphql', { status: 400 });
  await serve('http://127.0.0.1:4000/readiness');
  await serve('http://127.0.0.1:4000/metrics');
  assert.equal(out.lines.length, 2);
  const [hold, bad] = out.lines.map((line) => JSON.parse(line));
  assert.equal(hold.logger, 'ticketflow.access');
  assert.match(hold.msg, /^router POST \/graphql mutation TracedHold 200 \d+\.\d ms$/);
  assert.equal(hold.request_id, 'r-4');
  assert.equal(hold.trace_id, TRACE_ID);
  assert.deepEqual({ ...hold.http, duration_ms: 0 }, {
    service: 'router', method: 'POST', path: '/graphql', status: 200, duration_ms: 0, operation: 'mutation TracedHold' });
  assert.match(bad.msg, /^router POST \/graphql 400 \d+\.\d ms$/);
  assert.equal('operation' in bad.http, false);
});
