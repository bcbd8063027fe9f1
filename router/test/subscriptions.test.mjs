import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SubscriptionCaps, TOO_MANY_SUBSCRIPTIONS, subscriptionCapSettings, tooManySubscriptions } from '../lib/subscriptions.mjs';

const connection = (n = 0) => ({ n, count() { return this.n; } });

test('per connection: just under the cap passes, at it the next is refused', () => {
  const caps = new SubscriptionCaps({ perConnection: 2, perClient: 0 });
  const a = connection(1);
  caps.join('address:1', a);
  assert.equal(caps.refusal('address:1', a), null);
  a.n = 2;
  assert.deepEqual(caps.refusal('address:1', a), {
    message: 'At most 2 subscriptions per connection.',
    extensions: { code: TOO_MANY_SUBSCRIPTIONS, limit: 'connection', max: 2 },
  });
  a.n = 1; // one ended: its place is free again
  assert.equal(caps.refusal('address:1', a), null);
});

test('per client: counted over all its connections, apart from other clients; freed when one leaves', () => {
  const caps = new SubscriptionCaps({ perConnection: 10, perClient: 3 });
  const [a, b, other] = [connection(2), connection(0), connection(5)];
  caps.join('user:u1', a);
  caps.join('user:u1', b);
  caps.join('user:u2', other);
  assert.equal(caps.held('user:u1'), 2);
  assert.equal(caps.refusal('user:u1', b), null);
  b.n = 1;
  assert.deepEqual(caps.refusal('user:u1', b)?.extensions, { code: TOO_MANY_SUBSCRIPTIONS, limit: 'client', max: 3 });
  assert.equal(caps.refusal('user:u2', other)?.extensions.limit, 'client'); // 5 of its own
  caps.leave('user:u1', a);
  assert.equal(caps.held('user:u1'), 1);
  assert.equal(caps.refusal('user:u1', b), null);
  caps.leave('user:u1', b);
  assert.equal(caps.clients.has('user:u1'), false);
  caps.leave('user:nobody', b); // harmless
});

test('0 per client: no cap per client (the one per connection stays)', () => {
  const caps = new SubscriptionCaps({ perConnection: 100, perClient: 0 });
  const a = connection(99);
  caps.join('address:1', a);
  assert.equal(caps.refusal('address:1', a), null);
  a.n = 100;
  assert.equal(caps.refusal('address:1', a)?.extensions.limit, 'connection');
});

test('settings: defaults, the environment, bad values named', () => {
  assert.deepEqual(subscriptionCapSettings({}), { perConnection: 100, perClient: 500 });
  assert.deepEqual(subscriptionCapSettings({
    TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3', TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CLIENT: '4',
  }), { perConnection: 3, perClient: 4 });
  assert.throws(() => subscriptionCapSettings({ TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION: '0' }),
    /TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION/);
  assert.equal(tooManySubscriptions('client', 9).message, 'At most 9 subscriptions per client.');
});
