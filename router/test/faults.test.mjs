import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphQLError, parse } from 'graphql';
import {
  CircuitBreaker,
  DEFAULTS,
  faultSettings,
  failureReason,
  isRepeatable,
  resultFailure,
  retryWorthy,
  timeoutOf,
  unavailableError,
} from '../lib/faults.mjs';

const request = (source, variables = {}) => {
  const document = parse(source);
  return { document, variables, operationType: document.definitions[0].operation };
};

test('queries may be repeated, subscriptions never', () => {
  assert.equal(isRepeatable(request('{ shows { nodes { id } } }')), true);
  assert.equal(isRepeatable(request('query Q($id: ID!) { _entities(representations: []) { __typename } }')), true);
  assert.equal(isRepeatable(request('subscription { seatAvailability(showId: "1") { version } }')), false);
});

test('a mutation may be repeated only when every root field carries a non-null idempotencyKey', () => {
  const keyed = 'mutation($k: String) { checkout(holdId: "h", idempotencyKey: $k) { __typename } }';
  assert.equal(isRepeatable(request(keyed, { k: 'key-1' })), true);
  assert.equal(isRepeatable(request(keyed, { k: null })), false);
  assert.equal(isRepeatable(request(keyed, {})), false);
  assert.equal(isRepeatable(request('mutation { checkout(holdId: "h", idempotencyKey: "k") { __typename } }')), true);
  assert.equal(isRepeatable(request('mutation { checkout(holdId: "h", idempotencyKey: null) { __typename } }')), false);
  assert.equal(isRepeatable(request('mutation { releaseHold(holdId: "h") { id } }')), false);
  assert.equal(isRepeatable(request(
    'mutation { a: checkout(holdId: "h", idempotencyKey: "k") { id } b: releaseHold(holdId: "h") { id } }')), false);
  assert.equal(isRepeatable(request('mutation { __typename checkout(holdId: "h", idempotencyKey: "k") { id } }')), true);
  assert.equal(isRepeatable(request('mutation { __typename }')), false);
  assert.equal(isRepeatable(request(
    'mutation { ...F } fragment F on Mutation { checkout(holdId: "h", idempotencyKey: "k") { id } }')), false);
  assert.equal(isRepeatable(undefined), false);
});

test('what counts as a subgraph that did not answer', () => {
  assert.equal(failureReason(new GraphQLError('x', { extensions: { code: 'GATEWAY_TIMEOUT' } })), 'TIMEOUT');
  assert.equal(failureReason(new GraphQLError('x', { extensions: { code: 'TIMEOUT_ERROR' } })), 'TIMEOUT');
  assert.equal(failureReason(new GraphQLError('x', { extensions: { code: 'SUBREQUEST_HTTP_ERROR' } })), 'UNREACHABLE');
  const page = (status) => new GraphQLError('Unexpected response', {
    extensions: { code: 'RESPONSE_VALIDATION_FAILED', response: { status } } });
  assert.equal(failureReason(page(503)), 'BAD_GATEWAY');
  assert.equal(failureReason(page(500)), null); // a subgraph that answered 500 without GraphQL: a bug, not an outage
  const fetchFailed = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
  assert.equal(failureReason(fetchFailed), 'UNREACHABLE');
  assert.equal(failureReason(new GraphQLError('nope', { extensions: { code: 'INTERNAL' } })), null);
  assert.equal(failureReason(new Error('a bug')), null);
  assert.equal(failureReason(null), null);
});

test('a result fails only when it has no data and an error says the subgraph did not answer', () => {
  const down = new GraphQLError('x', { extensions: { code: 'SUBREQUEST_HTTP_ERROR' } });
  assert.equal(resultFailure({ errors: [down] }), 'UNREACHABLE');
  assert.equal(resultFailure({ data: { a: 1 }, errors: [down] }), null);
  assert.equal(resultFailure({ data: null, errors: [new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } })] }), null);
  assert.equal(resultFailure({ data: { a: 1 } }), null);
  assert.equal(resultFailure({ [Symbol.asyncIterator]() {} }), null);
});

test('SUBGRAPH_UNAVAILABLE says who, why, and that trying again makes sense', () => {
  const error = unavailableError('booking', 'TIMEOUT', { timeoutMs: 1000 }).toJSON();
  assert.deepEqual(error, {
    message: 'booking did not answer within 1000 ms.',
    extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'booking', retryable: true, reason: 'TIMEOUT' },
  });
  const open = unavailableError('booking', 'CIRCUIT_OPEN', { retryAfter: 3 }).toJSON();
  assert.equal(open.extensions.retryAfter, 3);
  assert.match(open.message, /circuit open/);
});

test("retries follow SUBGRAPH_UNAVAILABLE answers, but not the breaker's", () => {
  assert.equal(retryWorthy({ data: null, errors: [unavailableError('booking', 'TIMEOUT', { timeoutMs: 1 })] }), true);
  assert.equal(retryWorthy({ data: null, errors: [unavailableError('booking', 'CIRCUIT_OPEN', { retryAfter: 1 })] }), false);
  assert.equal(retryWorthy({ data: null, errors: [new GraphQLError('x', { extensions: { code: 'INTERNAL' } })] }), false);
  assert.equal(retryWorthy({ data: {} }), false);
  assert.equal(retryWorthy(undefined), false);
});

function clock() {
  let t = 1_000;
  const now = () => t;
  now.advance = (ms) => { t += ms; };
  return now;
}

test('the breaker opens after the set number of failures in a row, and only then', () => {
  const now = clock();
  const changes = [];
  const b = new CircuitBreaker({ failures: 3, resetMs: 5_000, now, onChange: (s) => changes.push(s) });
  b.failure();
  b.failure();
  b.success(); // a success in between starts the count again
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
  assert.equal(b.admit(), true);
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.admit(), false);
  assert.equal(b.retryAfter(), 5);
  assert.deepEqual(changes, ['open']);
});

test('an open breaker lets one trial call through after the pause; its outcome closes or reopens it', () => {
  const now = clock();
  const b = new CircuitBreaker({ failures: 1, resetMs: 5_000, now });
  b.failure();
  now.advance(4_999);
  assert.equal(b.admit(), false);
  now.advance(1);
  assert.equal(b.admit(), true); // the trial
  assert.equal(b.state, 'half-open');
  assert.equal(b.admit(), false); // everyone else waits for it
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.admit(), false);
  now.advance(5_000);
  assert.equal(b.admit(), true);
  b.release(); // the trial's client left: another may go
  assert.equal(b.admit(), true);
  b.success();
  assert.equal(b.state, 'closed');
  assert.equal(b.admit(), true);
  assert.equal(b.admit(), true);
});

test('a breaker set to 0 failures never opens', () => {
  const b = new CircuitBreaker({ failures: 0, resetMs: 1, now: clock() });
  for (let i = 0; i < 100; i += 1) b.failure();
  assert.equal(b.state, 'closed');
  assert.equal(b.admit(), true);
});

test('the settings: defaults, overrides, a per-subgraph timeout, and refusals that name the variable', () => {
  assert.deepEqual(faultSettings({}), { ...DEFAULTS, timeouts: {} });
  const s = faultSettings({
    TICKETFLOW_UPSTREAM_TIMEOUT_MS: '2500',
    TICKETFLOW_BOOKING_UPSTREAM_TIMEOUT_MS: ' 800 ',
    TICKETFLOW_UPSTREAM_RETRIES: '0',
    TICKETFLOW_CIRCUIT_BREAKER_FAILURES: '0',
    TICKETFLOW_CIRCUIT_BREAKER_RESET_MS: '',
  });
  assert.equal(timeoutOf(s, 'booking'), 800);
  assert.equal(timeoutOf(s, 'venue'), 2500);
  assert.equal(s.retries, 0);
  assert.equal(s.breakerFailures, 0);
  assert.equal(s.breakerResetMs, DEFAULTS.breakerResetMs);
  for (const [name, value] of [['TICKETFLOW_UPSTREAM_TIMEOUT_MS', '0'], ['TICKETFLOW_UPSTREAM_TIMEOUT_MS', '1.5'],
    ['TICKETFLOW_VENUE_UPSTREAM_TIMEOUT_MS', 'soon'], ['TICKETFLOW_UPSTREAM_RETRIES', '-1'],
    ['TICKETFLOW_UPSTREAM_RETRIES', '11'], ['TICKETFLOW_CIRCUIT_BREAKER_RESET_MS', '10s']]) {
    assert.throws(() => faultSettings({ [name]: value }), new RegExp(`^Error: ${name}=${value} is not a whole number`));
  }
});
