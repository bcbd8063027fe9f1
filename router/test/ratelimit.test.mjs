import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'graphql';
import {
  RATE_LIMITED, RateLimits, clientAddress, clientOf, rateLimitSettings, trustedProxies, useRateLimits,
} from '../lib/ratelimit.mjs';

const settings = (changes = {}) => ({ ...rateLimitSettings({}), query: 3, mutation: 1, windowSeconds: 60, ...changes });

test('each client gets its own count per kind; past it RATE_LIMITED with retryAfter and HTTP 429', async () => {
  const limits = new RateLimits(settings());
  for (let i = 0; i < 3; i++) assert.equal(await limits.take('query', '198.51.100.1'), null);
  const refusal = await limits.take('query', '198.51.100.1');
  assert.equal(refusal.extensions.code, RATE_LIMITED);
  assert.ok(refusal.extensions.retryAfter >= 1 && refusal.extensions.retryAfter <= 60, refusal.extensions.retryAfter);
  assert.equal(refusal.extensions.http.status, 429);
  assert.equal(refusal.extensions.http.headers['Retry-After'], String(refusal.extensions.retryAfter));
  assert.equal(refusal.message, `Too many requests. Try again in ${refusal.extensions.retryAfter} s.`);
  assert.equal(await limits.take('query', '198.51.100.2'), null); // someone else
  assert.equal(await limits.take('mutation', '198.51.100.1'), null); // mutations count apart
  assert.equal((await limits.take('mutation', '198.51.100.1'))?.extensions.code, RATE_LIMITED);
  assert.equal(await limits.take('subscription', '198.51.100.1'), null); // not limited here
});

test('0 turns a kind off', async () => {
  const limits = new RateLimits(settings({ query: 0 }));
  for (let i = 0; i < 50; i++) assert.equal(await limits.take('query', 'a'), null);
});

test('a new window starts afresh', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const limits = new RateLimits(settings({ mutation: 1, windowSeconds: 1 }));
  assert.equal(await limits.take('mutation', 'a'), null);
  assert.ok(await limits.take('mutation', 'a'));
  t.mock.timers.tick(1001);
  assert.equal(await limits.take('mutation', 'a'), null);
});

test('with Redis configured but not answering, each router counts in memory meanwhile', async () => {
  const limits = new RateLimits(settings({ redisUrl: 'redis://127.0.0.1:1' }));
  try {
    assert.equal(await limits.take('mutation', 'a'), null);
    assert.equal((await limits.take('mutation', 'a'))?.extensions.code, RATE_LIMITED);
  } finally {
    limits.close();
  }
});

test('the client is the right-most address that is not a trusted proxy', () => {
  const none = trustedProxies('');
  assert.equal(clientAddress(['10.0.0.9', '203.0.113.5'], none), '203.0.113.5'); // the claim is not believed
  const trusted = trustedProxies('203.0.113.5, 10.1.0.0/16, ::1');
  assert.equal(clientAddress(['198.51.100.7', '10.1.2.3', '203.0.113.5'], trusted), '198.51.100.7');
  assert.equal(clientAddress(['evil', '198.51.100.7', '::1'], trusted), '198.51.100.7');
  assert.equal(clientAddress(['10.1.0.1', '203.0.113.5'], trusted), '10.1.0.1'); // all trusted: the first
  assert.equal(clientAddress(['unknown'], trusted), 'unknown');
  for (const bad of ['nonsense', '10.0.0.0/33', '::1/129', '10.0.0.0/x']) {
    assert.throws(() => trustedProxies(bad), /TICKETFLOW_ROUTER_TRUSTED_PROXIES/);
  }
});

test('settings from the environment', () => {
  const s = rateLimitSettings({ TICKETFLOW_ROUTER_RATE_LIMIT_QUERIES: '5', TICKETFLOW_ROUTER_RATE_LIMIT_WINDOW_SECONDS: '2',
    TICKETFLOW_REDIS_URL: 'redis://r:6379/0', TICKETFLOW_REDIS_PREFIX: 'tf' });
  assert.deepEqual([s.query, s.mutation, s.windowSeconds, s.redisUrl, s.redisPrefix], [5, 120, 2, 'redis://r:6379/0', 'tf']);
  assert.deepEqual([rateLimitSettings({}).query, rateLimitSettings({}).windowSeconds], [600, 60]);
  assert.throws(() => rateLimitSettings({ TICKETFLOW_ROUTER_RATE_LIMIT_MUTATIONS: '-1' }), /TICKETFLOW_ROUTER_RATE_LIMIT_MUTATIONS/);
});

test('the plugin stops the operation before it is executed, for its client', async () => {
  const plugin = useRateLimits(new RateLimits(settings({ query: 1 })));
  const run = async (query, address, tokenSubject = null) => {
    let stopped = null;
    await plugin.onExecute({
      args: {
        document: parse(query),
        contextValue: { request: { headers: { get: () => null } }, req: { socket: { remoteAddress: address } }, tokenSubject },
      },
      setResultAndStopExecution: (result) => { stopped = result; },
    });
    return stopped;
  };
  assert.equal(await run('{ a }', '::ffff:198.51.100.1'), null);
  assert.equal((await run('{ a }', '::ffff:198.51.100.1'))?.errors[0].extensions.code, RATE_LIMITED);
  assert.equal(await run('{ a }', '198.51.100.2'), null);
  assert.equal(await run('subscription { a }', '::ffff:198.51.100.1'), null);
  // a signed-in user is counted apart from the address it comes from, and the same at any address
  assert.equal(await run('{ a }', '::ffff:198.51.100.1', 'user-1'), null);
  assert.equal((await run('{ a }', '198.51.100.3', 'user-1'))?.errors[0].extensions.code, RATE_LIMITED);
  assert.equal(await run('{ a }', '198.51.100.3', 'user-2'), null);
});

test('the client: the token\'s subject when there is one, else the address', () => {
  const trusted = trustedProxies('127.0.0.1');
  const context = (tokenSubject, xff) => ({
    tokenSubject, request: { headers: { get: (h) => (h === 'x-forwarded-for' ? xff : null) } },
    req: { socket: { remoteAddress: '127.0.0.1' } },
  });
  assert.equal(clientOf(context('user-1', '198.51.100.9'), trusted), 'user:user-1');
  assert.equal(clientOf(context(null, '198.51.100.9'), trusted), 'address:198.51.100.9');
  assert.equal(clientOf(context('', null), trusted), 'address:127.0.0.1');
  assert.equal(clientOf(context(null, '198.51.100.9'), trustedProxies('')), 'address:127.0.0.1');
});
