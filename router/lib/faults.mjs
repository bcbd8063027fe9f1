// Subgraph faults: upstream deadlines, retries where repeating is safe, a circuit breaker per subgraph, and
// one error code for "that subgraph did not answer" (docs/failures.md).
//
// The gateway calls a subgraph through a chain of executors; the plugins here wrap it, innermost first:
//   1. deadline   Hive Gateway's useUpstreamTimeout: each attempt at a query or mutation ends after the
//                 subgraph's timeout (subscriptions get none: they live as long as the client wants);
//   2. breaker    ours: an open breaker answers at once without calling the subgraph; otherwise the attempt
//                 is made and a failure to answer (refused or reset connection, deadline, a proxy's 502/503/
//                 504) becomes SUBGRAPH_UNAVAILABLE and counts against the breaker;
//   3. retries    Hive Gateway's useUpstreamRetry, only for what is safe to repeat: queries, and mutations
//                 whose every root field carries an idempotencyKey; only SUBGRAPH_UNAVAILABLE answers are
//                 retried, and never one the breaker gave.
// The plugins are listed in this order in the config's `plugins` (not through the config's upstreamTimeout
// and upstreamRetry options, which would put the retries inside the breaker).
//
// Every SUBGRAPH_UNAVAILABLE error carries extensions { code, serviceName, retryable: true, reason } with
// reason TIMEOUT, UNREACHABLE, BAD_GATEWAY or CIRCUIT_OPEN (then also retryAfter, in seconds). The rest of
// the response is unaffected: other subgraphs' data comes back, null where the subgraph's fields were.

import { useUpstreamRetry, useUpstreamTimeout } from '@graphql-hive/gateway';
import { GraphQLError, Kind } from 'graphql';
import { envInt } from './env.mjs';

export const UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE';

export const DEFAULTS = Object.freeze({
  timeoutMs: 15_000,
  retries: 1,
  retryDelayMs: 100,
  breakerFailures: 5,
  breakerResetMs: 10_000,
});

/**
 * The fault settings from the environment (throws on a value that is not a whole number in range):
 *   TICKETFLOW_UPSTREAM_TIMEOUT_MS          each attempt at a subgraph query or mutation (default 15000)
 *   TICKETFLOW_<NAME>_UPSTREAM_TIMEOUT_MS   the same for one subgraph, e.g. TICKETFLOW_BOOKING_UPSTREAM_TIMEOUT_MS
 *   TICKETFLOW_UPSTREAM_RETRIES             retries of what is safe to repeat (default 1; 0 turns them off)
 *   TICKETFLOW_UPSTREAM_RETRY_DELAY_MS      the first retry waits 2x this, each next one twice as long (default 100)
 *   TICKETFLOW_CIRCUIT_BREAKER_FAILURES     failed attempts in a row that open a subgraph's breaker (default 5;
 *                                           0 turns the breaker off)
 *   TICKETFLOW_CIRCUIT_BREAKER_RESET_MS     how long an open breaker refuses before one trial call (default 10000)
 */
export function faultSettings(env = process.env) {
  const timeouts = {};
  for (const [key, value] of Object.entries(env)) {
    const m = /^TICKETFLOW_([A-Z0-9_]+)_UPSTREAM_TIMEOUT_MS$/.exec(key);
    if (m && value?.trim()) timeouts[m[1].toLowerCase()] = envInt(key, 0, { min: 1, env });
  }
  return {
    timeoutMs: envInt('TICKETFLOW_UPSTREAM_TIMEOUT_MS', DEFAULTS.timeoutMs, { min: 1, env }),
    timeouts,
    retries: envInt('TICKETFLOW_UPSTREAM_RETRIES', DEFAULTS.retries, { min: 0, max: 10, env }),
    retryDelayMs: envInt('TICKETFLOW_UPSTREAM_RETRY_DELAY_MS', DEFAULTS.retryDelayMs, { min: 0, env }),
    breakerFailures: envInt('TICKETFLOW_CIRCUIT_BREAKER_FAILURES', DEFAULTS.breakerFailures, { min: 0, env }),
    breakerResetMs: envInt('TICKETFLOW_CIRCUIT_BREAKER_RESET_MS', DEFAULTS.breakerResetMs, { min: 1, env }),
  };
}

/** The deadline of one attempt at `subgraph` (ms). */
export function timeoutOf(settings, subgraph) {
  return settings.timeouts[subgraph] ?? settings.timeoutMs;
}

// ---------------------------------------------------------------------------------------------------
// what may be repeated

function argumentValue(arg, variables) {
  const value = arg.value;
  if (value.kind === Kind.VARIABLE) return variables?.[value.name.value] ?? null;
  return value.kind === Kind.NULL ? null : value;
}

/**
 * Whether sending `request` (a subgraph execution request) again is harmless: a query, or a mutation
 * whose every root field carries a non-null idempotencyKey (the subgraph answers a repeat with the first
 * result). Never a subscription, never another mutation.
 */
export function isRepeatable(request) {
  const operation = request?.document?.definitions?.find((d) => d.kind === Kind.OPERATION_DEFINITION
    && (!request.operationName || d.name?.value === request.operationName));
  const type = request?.operationType ?? operation?.operation;
  if (type === 'query') return true;
  if (type !== 'mutation' || !operation) return false;
  const roots = operation.selectionSet.selections;
  if (roots.some((s) => s.kind !== Kind.FIELD)) return false; // fragments at the root: don't guess
  const fields = roots.filter((s) => s.name.value !== '__typename');
  return fields.length > 0 && fields.every((field) => {
    const key = field.arguments?.find((a) => a.name.value === 'idempotencyKey');
    return key != null && argumentValue(key, request.variables) != null;
  });
}

// ---------------------------------------------------------------------------------------------------
// what counts as "did not answer"

const TIMEOUT_CODES = new Set(['GATEWAY_TIMEOUT', 'TIMEOUT_ERROR']);
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** The reason a subgraph did not answer, from one of the errors the executor produced; null if it did. */
export function failureReason(error) {
  if (error == null) return null;
  const ext = error.extensions ?? {};
  if (TIMEOUT_CODES.has(ext.code) || error.name === 'TimeoutError' || error.originalError?.name === 'TimeoutError') {
    return 'TIMEOUT';
  }
  // executor-http: the fetch itself failed (refused, reset, DNS...)
  if (ext.code === 'SUBREQUEST_HTTP_ERROR') return 'UNREACHABLE';
  // executor-http: an answer that is not GraphQL, e.g. a proxy's error page
  if (ext.code === 'RESPONSE_VALIDATION_FAILED' && GATEWAY_STATUSES.has(ext.response?.status)) return 'BAD_GATEWAY';
  // a thrown fetch failure (undici: TypeError "fetch failed" with the socket error as cause)
  const cause = error.cause ?? error.originalError?.cause;
  if (error instanceof TypeError && /fetch failed/i.test(error.message) && cause) return 'UNREACHABLE';
  return null;
}

/** The failure reason of an execution result (not of a stream), or null when the subgraph answered. */
export function resultFailure(result) {
  if (!result || typeof result !== 'object' || Symbol.asyncIterator in result) return null;
  if (result.data != null || !Array.isArray(result.errors)) return null;
  for (const error of result.errors) {
    const reason = failureReason(error);
    if (reason) return reason;
  }
  return null;
}

const MESSAGES = {
  TIMEOUT: (name, { timeoutMs }) => `${name} did not answer within ${timeoutMs} ms.`,
  UNREACHABLE: (name) => `${name} could not be reached.`,
  BAD_GATEWAY: (name) => `${name} is unavailable.`,
  CIRCUIT_OPEN: (name, { retryAfter }) =>
    `${name} is failing; the router stops calling it for now (circuit open, next try in ${retryAfter} s).`,
};

/** The SUBGRAPH_UNAVAILABLE error for `serviceName` (a GraphQLError; `toJSON()` gives the wire form). */
export function unavailableError(serviceName, reason, details = {}) {
  const message = (MESSAGES[reason] ?? MESSAGES.BAD_GATEWAY)(serviceName, details);
  const extensions = { code: UNAVAILABLE, serviceName, retryable: true, reason };
  if (details.retryAfter != null) extensions.retryAfter = details.retryAfter;
  return new GraphQLError(message, { extensions });
}

/** Whether a result holds a SUBGRAPH_UNAVAILABLE error worth another attempt (not the breaker's). */
export function retryWorthy(result) {
  if (!result || Symbol.asyncIterator in Object(result) || !Array.isArray(result.errors)) return false;
  return result.errors.some((e) => e?.extensions?.code === UNAVAILABLE && e.extensions.reason !== 'CIRCUIT_OPEN');
}

// ---------------------------------------------------------------------------------------------------
// the breaker

/**
 * A circuit breaker for one subgraph. Closed: every call goes through; `failures` failed calls in a row open
 * it. Open: calls are refused for `resetMs`, then one trial call goes through (half open) while the others
 * are still refused; the trial's success closes the breaker, its failure opens it for another `resetMs`.
 * `failures` 0: never opens.
 */
export class CircuitBreaker {
  constructor({ failures, resetMs, now = Date.now, onChange = () => {} }) {
    this.threshold = failures;
    this.resetMs = resetMs;
    this.now = now;
    this.onChange = onChange;
    this.state = 'closed';
    this.failures = 0;
    this.openedAt = 0;
    this.trial = false;
  }

  /** True when a call may go out now (the trial call, when half open). */
  admit() {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && this.now() - this.openedAt >= this.resetMs) {
      this.change('half-open');
    }
    if (this.state === 'half-open' && !this.trial) {
      this.trial = true;
      return true;
    }
    return false;
  }

  /** Seconds until the next trial call may go out (at least 1). */
  retryAfter() {
    const left = this.state === 'open' ? this.resetMs - (this.now() - this.openedAt) : this.resetMs;
    return Math.max(1, Math.ceil(left / 1000));
  }

  /** A call that says nothing about the subgraph (the client left): a trial call may go out again. */
  release() {
    this.trial = false;
  }

  success() {
    this.failures = 0;
    this.trial = false;
    if (this.state !== 'closed') this.change('closed');
  }

  failure() {
    this.failures += 1;
    this.trial = false;
    if (this.threshold > 0 && (this.state === 'half-open' || this.failures >= this.threshold)) {
      this.openedAt = this.now();
      this.change('open');
    }
  }

  change(state) {
    const was = this.state;
    this.state = state;
    if (was !== state) this.onChange(state, was);
  }
}

// ---------------------------------------------------------------------------------------------------
// the plugins

const isStream = (value) => value != null && typeof value === 'object' && Symbol.asyncIterator in value;

/** The breaker layer (2. above): `breakers` maps a subgraph name to its CircuitBreaker. */
export function useSubgraphBreakers({ settings, breakers, log }) {
  const breakerOf = (name) => {
    let breaker = breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker({
        failures: settings.breakerFailures,
        resetMs: settings.breakerResetMs,
        onChange: (state) => log?.warn?.(`circuit breaker of subgraph ${name}: ${state}`),
      });
      breakers.set(name, breaker);
    }
    return breaker;
  };
  return {
    onSubgraphExecute({ subgraphName, executionRequest, executor, setExecutor }) {
      if (executionRequest?.operationType === 'subscription') return;
      const breaker = breakerOf(subgraphName);
      const details = { timeoutMs: timeoutOf(settings, subgraphName) };
      const failed = (reason) => {
        breaker.failure();
        log?.warn?.(`subgraph ${subgraphName} did not answer (${reason})`);
        return { data: null, errors: [unavailableError(subgraphName, reason, details)] };
      };
      setExecutor(async function breakerExecutor(request) {
        if (!breaker.admit()) {
          return { data: null, errors: [unavailableError(subgraphName, 'CIRCUIT_OPEN', { retryAfter: breaker.retryAfter() })] };
        }
        let result;
        try {
          result = await executor(request);
        } catch (error) {
          const reason = failureReason(error);
          const clientLeft = request?.context?.request?.signal?.aborted;
          if (!reason) {
            breaker.success(); // the subgraph is not the problem: a bug of ours, or the client left
            throw error;
          }
          if (clientLeft) {
            breaker.release();
            throw error;
          }
          return failed(reason);
        }
        const reason = isStream(result) ? null : resultFailure(result);
        if (reason) return failed(reason);
        breaker.success();
        return result;
      });
    },
  };
}

/**
 * The three plugins, innermost first (see the top of this file). `breakers` (a Map) lets the caller see
 * the breakers' states.
 */
export function useSubgraphFaults({ settings = faultSettings(), log, breakers = new Map() } = {}) {
  const deadline = useUpstreamTimeout(({ subgraphName, executionRequest }) =>
    !subgraphName || executionRequest?.operationType === 'subscription' ? undefined : timeoutOf(settings, subgraphName));
  const retries = useUpstreamRetry(({ executionRequest }) =>
    settings.retries > 0 && isRepeatable(executionRequest)
      ? {
          maxRetries: settings.retries,
          retryDelay: settings.retryDelayMs,
          retryDelayFactor: 2,
          shouldRetry: ({ executionResult }) => retryWorthy(executionResult),
        }
      : undefined);
  return [deadline, useSubgraphBreakers({ settings, breakers, log }), retries];
}
