// The router's logs (docs/observability.md): Hive Gateway's own logger (@graphql-hive/logger, the config's
// `logging` option) with writers of TicketFlow's, so that its lines read like the subgraphs'
// (subgraphs/kernel/logs.py):
//   - TICKETFLOW_LOG_FORMAT=text (default): one human line per record, `… [request_id=… trace_id=…]`;
//   - TICKETFLOW_LOG_FORMAT=json: one JSON object per line, with the subgraphs' field names (`ts`,
//     `level`, `logger`, `msg`, `request_id`, `trace_id`, `exc`, `http`) and `span_id`;
//   both on stderr, as the subgraphs'. Hive's own writers are not used: their fields (`timestamp`,
//   `requestId`, lower-case levels, an attribute per line) differ from the subgraphs';
//   - when tracing is on (observability.mjs), every line written inside a span carries its `trace_id` and
//     `span_id`: the OpenTelemetry plugin runs each request, operation and subgraph call in its span's
//     context (an AsyncLocalStorage context manager), and a writer is called synchronously by the log call,
//     so the span active there is the one of the request the line is about. With tracing off the writer
//     is not wrapped and @opentelemetry/api is not even loaded.
//   - TICKETFLOW_ACCESS_LOG=true (as on the subgraphs; `make dev` sets it): one line per HTTP request once
//     answered, `router POST /graphql mutation TracedHold 200 12.3 ms` (useAccessLog).

import { getOperationAST } from 'graphql';
import { Logger, jsonStringify } from '@graphql-hive/gateway';
import { QUIET } from './observability.mjs';

// The subgraphs' level names (Python's logging).
const LEVELS = { trace: 'DEBUG', debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

/** A line's attributes as an object (the logger also takes arrays). */
function attributes(attrs) {
  if (attrs == null) return {};
  return Array.isArray(attrs) ? { attrs } : attrs;
}

/**
 * A line as the subgraphs' formatters see a record: `level` (Python's names), `logger` (the line's `logger`
 * attribute, else ticketflow.router), `msg`, `ids` (`request_id` from the gateway's `requestId`, `trace_id`,
 * `span_id`), `exc` (a logged error's stack) and the line's other attributes (`http`…).
 */
function record(level, attrs, msg) {
  const { logger, requestId, trace_id: traceId, span_id: spanId, stack, ...rest } = attributes(attrs);
  const ids = {
    ...(requestId ? { request_id: requestId } : {}),
    ...(traceId ? { trace_id: traceId, span_id: spanId } : {}),
  };
  return {
    level: LEVELS[level] ?? String(level).toUpperCase(),
    logger: logger ?? 'ticketflow.router',
    msg: msg || (typeof rest.message === 'string' ? rest.message : ''),
    ids,
    exc: stack ? String(stack) : undefined,
    rest,
  };
}

/** One JSON object per line on `out`, the subgraphs' JsonFormatter's fields first, then the other attributes. */
export class JsonLineWriter {
  constructor(out = process.stderr) {
    this.out = out;
  }

  write(level, attrs, msg) {
    const { level: name, logger, msg: text, ids, exc, rest } = record(level, attrs, msg);
    const entry = { ts: new Date().toISOString(), level: name, logger, msg: text, ...ids, ...(exc ? { exc } : {}), ...rest };
    this.out.write(`${jsonStringify(entry)}\n`);
  }
}

/**
 * One human line per record on `out`, as the subgraphs' TextFormatter writes it:
 * `13:20:46 INFO  ticketflow.access  router POST /graphql … 200 4.1 ms  [request_id=… trace_id=… span_id=…]`;
 * other attributes follow as JSON (not the access line's `http`, which its message says), a stack on the
 * next lines.
 */
export class TextLineWriter {
  constructor(out = process.stderr) {
    this.out = out;
  }

  write(level, attrs, msg) {
    const { level: name, logger, msg: text, ids, exc, rest } = record(level, attrs, msg);
    const { http: _http, message: _message, ...others } = rest;
    let line = `${new Date().toTimeString().slice(0, 8)} ${name.padEnd(5)} ${logger}  ${text}`;
    if (Object.keys(others).length) line += ` ${jsonStringify(others)}`;
    const tags = Object.entries(ids).map(([key, value]) => `${key}=${value}`).join(' ');
    if (tags) line += `  [${tags}]`;
    if (exc) line += `\n${exc}`;
    this.out.write(`${line}\n`);
  }
}

/**
 * Wraps a writer: a line written while a span is active (`api.trace.getActiveSpan()`) gets the span's
 * `trace_id` and `span_id`; any other line goes through unchanged. `api` is @opentelemetry/api (its
 * `trace` and `isSpanContextValid`).
 */
export class TraceIdWriter {
  constructor(writer, api) {
    this.writer = writer;
    this.api = api;
  }

  write(level, attrs, msg) {
    const ids = this.api.trace.getActiveSpan()?.spanContext();
    if (!ids || !this.api.isSpanContextValid(ids)) return this.writer.write(level, attrs, msg);
    return this.writer.write(level, { ...attributes(attrs), trace_id: ids.traceId, span_id: ids.spanId }, msg);
  }

  flush() {
    return this.writer.flush?.();
  }
}

/** The gateway's `logging` option: a Logger at `logLevel` in `logFormat` to `out`, with trace ids when `tracing`. */
export async function routerLogger({ logLevel, logFormat }, tracing, out = process.stderr) {
  let writer = logFormat === 'json' ? new JsonLineWriter(out) : new TextLineWriter(out);
  if (tracing) writer = new TraceIdWriter(writer, await import('@graphql-hive/gateway/opentelemetry/api'));
  return new Logger({ level: logLevel, writers: [writer] });
}

/** `mutation TracedHold` (`query` for an anonymous query): the operation a GraphQL request ran. */
function describe(document, operationName) {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  return operation.name ? `${operation.operation} ${operation.name.value}` : operation.operation;
}

/**
 * The plugin behind TICKETFLOW_ACCESS_LOG: one INFO line per HTTP request (not probes and scrapes) once
 * answered, through the request's logger (its `requestId`), as the subgraphs' access line
 * (`logger` ticketflow.access, `http`: service, method, path, status, duration_ms, operation).
 */
export function useAccessLog() {
  const requests = new WeakMap(); // request -> { start, operation }
  const noteOperation = ({ args }) => {
    const seen = requests.get(args.contextValue?.request);
    if (seen) seen.operation = describe(args.document, args.operationName);
  };
  return {
    onRequest({ request }) {
      requests.set(request, { start: performance.now(), operation: undefined });
    },
    onExecute: noteOperation,
    onSubscribe: noteOperation,
    onResponse({ request, response, serverContext }) {
      const seen = requests.get(request);
      const log = serverContext?.log;
      if (!seen || typeof log?.info !== 'function') return;
      const path = new URL(request.url).pathname;
      if (QUIET.has(path)) return;
      const ms = Math.round((performance.now() - seen.start) * 10) / 10;
      const { operation } = seen;
      log.info({
        logger: 'ticketflow.access',
        http: {
          service: 'router', method: request.method, path, status: response.status, duration_ms: ms,
          ...(operation ? { operation } : {}),
        },
      }, `router ${request.method} ${path}${operation ? ` ${operation}` : ''} ${response.status} ${ms.toFixed(1)} ms`);
    },
  };
}
