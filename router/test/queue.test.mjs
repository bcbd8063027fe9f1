import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'graphql';
import { SignJWT } from 'jose';
import {
  MAX_POLL_SECONDS, MIN_POLL_SECONDS, QUEUED, QueuedShows, heldShows, passRefusal, pollAfter, queueSettings,
  readTicket, serveQueueStatus, shuffled, useQueuePasses, waitingStatus,
} from '../lib/queue.mjs';

const SECRET = 'test-secret';
const key = new TextEncoder().encode(SECRET);

async function pass({ sub = 'u1', show = 's1', exp = Math.floor(Date.now() / 1000) + 600, secret = key,
  iss = 'ticketflow-booking', aud = 'ticketflow-queue-pass' } = {}) {
  return new SignJWT({ show }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setJti(`${show}:1`)
    .setIssuer(iss).setAudience(aud).setIssuedAt().setExpirationTime(exp).sign(secret);
}

test('settings: the list is read beside booking, or where TICKETFLOW_ROUTER_QUEUE_URL says', () => {
  assert.equal(queueSettings({}, 'http://b:9/graphql').url, 'http://b:9/queue/shows');
  assert.equal(queueSettings({}, 'http://proxy:1/booking/graphql').url, 'http://proxy:1/booking/queue/shows');
  assert.equal(queueSettings({ TICKETFLOW_ROUTER_QUEUE_URL: 'http://x/list' }).url, 'http://x/list');
  assert.equal(queueSettings({ TICKETFLOW_QUEUE_PASS_SECRET: 's' }).secret, 's');
});

test('hold fields at the root name their show, through variables and fragments', () => {
  const doc = parse(`mutation M($s: ID!) { a: holdSeats(showId: $s, seatIds: []) { __typename }
    ...F ... on Mutation { holdGeneralAdmission(showId: "lit", sectionId: "x", quantity: 1) { __typename } } }
    fragment F on Mutation { holdBestAvailable(showId: "frag", quantity: 2) { __typename } }`);
  assert.deepEqual(heldShows(doc, 'M', { s: 'var' }).sort(), ['frag', 'lit', 'var']);
  assert.deepEqual(heldShows(parse('mutation { releaseHold(holdId: "h") { id } }'), null, {}), []);
  assert.deepEqual(heldShows(parse('query { hold(id: "h") { id } }'), null, {}), []);
});

test('a pass is good only for its user and show, unexpired, signed with the secret', async () => {
  assert.equal(await passRefusal(await pass(), 'u1', 's1', SECRET), null);
  assert.equal(await passRefusal(null, 'u1', 's1', SECRET), 'MISSING');
  assert.equal(await passRefusal(await pass(), 'u2', 's1', SECRET), 'OTHER_USER');
  assert.equal(await passRefusal(await pass(), null, 's1', SECRET), 'OTHER_USER');
  assert.equal(await passRefusal(await pass(), 'u1', 's2', SECRET), 'OTHER_SHOW');
  assert.equal(await passRefusal(await pass({ exp: Math.floor(Date.now() / 1000) - 5 }), 'u1', 's1', SECRET), 'INVALID');
  assert.equal(await passRefusal(await pass({ secret: new TextEncoder().encode('other') }), 'u1', 's1', SECRET), 'INVALID');
  assert.equal(await passRefusal(await pass({ aud: 'ticketflow' }), 'u1', 's1', SECRET), 'INVALID');
  assert.equal(await passRefusal('not.a.jwt', 'u1', 's1', SECRET), 'INVALID');
});

test('the list of queued shows is read once per refresh, and kept while booking is away', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  let calls = 0;
  let answer = { shows: ['s1'] };
  const fetchImpl = async () => {
    calls += 1;
    if (answer === null) throw new Error('down');
    return { ok: true, json: async () => answer };
  };
  const shows = new QueuedShows({ url: 'http://b/queue/shows', refreshMs: 1000 }, fetchImpl);
  assert.deepEqual(await Promise.all([shows.has('s1'), shows.has('s2'), shows.has('s1')]), [true, false, true]);
  assert.equal(calls, 1);
  answer = { shows: ['s2'] };
  assert.equal(await shows.has('s1'), true); // not stale yet
  t.mock.timers.tick(1000);
  assert.equal(await shows.has('s1'), false);
  assert.equal(await shows.has('s2'), true);
  answer = null;
  t.mock.timers.tick(1000);
  assert.equal(await shows.has('s2'), true); // the last list stays in force
  assert.equal(calls, 3);
});

test('the plugin refuses a queued show\'s hold without the caller\'s pass, and lets the rest through', async () => {
  const shows = { has: async (id) => id === 's1' };
  const plugin = useQueuePasses(shows, { secret: SECRET });
  const run = async (query, variables, { token, subject = 'u1' } = {}) => {
    let result = null;
    const headers = new Headers(token ? { 'ticketflow-queue-pass': token } : {});
    await plugin.onExecute({
      args: { document: parse(query), variableValues: variables, contextValue: { tokenSubject: subject, request: { headers } } },
      setResultAndStopExecution: (r) => { result = r; },
    });
    return result;
  };
  const HOLD = 'mutation($s: ID!) { holdSeats(showId: $s, seatIds: ["a"]) { __typename } }';
  const refused = await run(HOLD, { s: 's1' });
  assert.equal(refused.errors[0].extensions.code, QUEUED);
  assert.equal(refused.errors[0].extensions.showId, 's1');
  assert.equal(refused.errors[0].extensions.reason, 'MISSING');
  assert.equal(await run(HOLD, { s: 's1' }, { token: await pass() }), null);
  assert.equal((await run(HOLD, { s: 's1' }, { token: await pass(), subject: 'u9' })).errors[0].extensions.reason, 'OTHER_USER');
  assert.equal(await run(HOLD, { s: 's2' }), null); // not queued
  assert.equal(await run('mutation { releaseHold(holdId: "h") { id } }', {}), null);
});

test('GET /queue/status/<id> is passed to booking as it is; other requests are not touched', async () => {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push([url, init.headers['x-forwarded-for']]);
    return { status: 200, text: async () => '{"state":"WAITING"}' };
  };
  const settings = { url: 'http://b:9/queue/shows' };
  const answered = [];
  const res = { writeHead: (status, headers) => answered.push(status, headers['content-type']), end: (body) => answered.push(body) };
  const req = (method, url) => ({ method, url, headers: { 'x-forwarded-for': '203.0.113.9' }, socket: {} });
  assert.equal(await serveQueueStatus(req('GET', '/queue/status/s.1.u.mac'), res, settings, fetchImpl), true);
  assert.deepEqual(calls, [['http://b:9/queue/status/s.1.u.mac', '203.0.113.9']]);
  assert.deepEqual(answered, [200, 'application/json', '{"state":"WAITING"}']);
  assert.equal(await serveQueueStatus(req('POST', '/queue/status/x'), res, settings, fetchImpl), false);
  assert.equal(await serveQueueStatus(req('GET', '/graphql'), res, settings, fetchImpl), false);
  assert.equal(await serveQueueStatus(req('GET', '/queue/status/a/b'), res, settings, fetchImpl), false);
  const down = async () => { throw new Error('down'); };
  answered.length = 0;
  assert.equal(await serveQueueStatus(req('GET', '/queue/status/x'), res, settings, down), true);
  assert.equal(answered[0], 503);
});

// Vectors from booking's Python (subgraphs/booking/queue_store.shuffled, queue_security.TicketId,
// waiting_room.poll_after): the router must compute what booking computes.
const KEY = Buffer.from([...Array(16).keys()]);

test('the shuffle is booking\'s permutation', () => {
  assert.deepEqual([1, 2, 3, 500, 1000].map((i) => shuffled(i, 1000, KEY)), [912, 951, 191, 785, 409]);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((i) => shuffled(i, 7, KEY)), [3, 5, 7, 2, 6, 4, 1]);
  assert.deepEqual([1, 2999999].map((i) => shuffled(i, 3_000_000, KEY)), [283693, 2019500]);
  const seen = new Set(Array.from({ length: 257 }, (_, i) => shuffled(i + 1, 257, KEY)));
  assert.equal(seen.size, 257);
  assert.ok([...seen].every((p) => p >= 1 && p <= 257));
});

test('a ticket id is read only under its HMAC', () => {
  const id = 's1.42.u1.HY9zosBKhkj1xhJS2SddYO8r'; // TicketId('s1', 42, 'u1').sign('test-secret')
  assert.deepEqual(readTicket(SECRET, id), { showId: 's1', index: 42, userId: 'u1' });
  assert.equal(readTicket('other-secret', id), null);
  assert.equal(readTicket(SECRET, id.replace('.42.', '.43.')), null);
  assert.equal(readTicket(SECRET, id.replace('.u1.', '.u2.')), null);
  assert.equal(readTicket(SECRET, 's1.x.u1.HY9zosBKhkj1xhJS2SddYO8r'), null);
  assert.equal(readTicket(SECRET, 'nope'), null);
});

test('pollAfterSeconds: a quarter of the time to the front, clamped, jittered per ticket as booking does', () => {
  assert.deepEqual([[0, 1], [10, 2], [100, 3], [1000, 4], [1e6, 5]].map(([t, i]) => pollAfter(t, i)), [2, 2, 24, 104, 92]);
  assert.equal(pollAfter(null, 1), MAX_POLL_SECONDS);
  for (let i = 1; i < 500; i++) {
    const p = pollAfter(i * 7.3, i);
    assert.ok(p >= MIN_POLL_SECONDS && p <= MAX_POLL_SECONDS && p <= Math.max(MIN_POLL_SECONDS, i * 7.3 / 4));
  }
});

test('a waiting ticket\'s status from the queue hash; booking answers admitted tickets and unknown hashes', () => {
  const t = { showId: 's1', index: 900, userId: 'u1' };
  // [arrivals, pre, key, admitted, opens, rate, paused]; rate 60 a minute = 1 a second
  const now = 1_000_000;
  const before = waitingStatus('id', t, ['1000', null, null, null, String(now + 400), '60.0', '0'], now);
  assert.deepEqual(before, { id: 'id', showId: 's1', state: 'WAITING', pass: null, passExpiresAt: null,
    position: null, estimatedWaitSeconds: 400, pollAfterSeconds: pollAfter(400, 900) });
  const open = ['1000', '500', KEY.toString('hex'), '100.500000', String(now - 1), '60.0', '0'];
  const later = waitingStatus('id', t, open, now); // arrived after the pre-queue: its place is its index
  assert.equal(later.position, 800);
  assert.equal(later.estimatedWaitSeconds, 800);
  const early = waitingStatus('id', { ...t, index: 1 }, open, now);
  assert.equal(early.position, shuffled(1, 500, KEY) - 100);
  assert.equal(waitingStatus('id', t, ['1000', '500', KEY.toString('hex'), '100', '1', '60', '1'], now).estimatedWaitSeconds, null);
  assert.equal(waitingStatus('id', t, ['1000', '500', KEY.toString('hex'), '950', '1', '60', '0'], now), null); // admitted
  assert.equal(waitingStatus('id', t, ['1000', null, null, null, null, null, null], now), null); // no settings yet
  assert.equal(waitingStatus('id', { ...t, index: 1001 }, open, now), null); // not an arrival of this hash
});

test('with Redis, the router answers waiting tickets itself and refuses made-up ids; booking gets the rest', async () => {
  const calls = [];
  const fetchImpl = async (url) => {
    calls.push(url);
    return { status: 200, text: async () => '{"state":"ADMITTED"}' };
  };
  const admitted = { value: '0' };
  const reads = [];
  const redis = {
    hmget: async (key, ...fields) => {
      reads.push([key, fields.length]);
      return ['1000', '0', '', admitted.value, '1', '60', '0'];
    },
  };
  const settings = { url: 'http://b:9/queue/shows', secret: SECRET, redisPrefix: 'pfx' };
  const answered = [];
  const res = { writeHead: (status) => answered.push(status), end: (body) => answered.push(JSON.parse(body)) };
  const req = (url) => ({ method: 'GET', url, headers: {}, socket: {} });
  const id = 's1.42.u1.HY9zosBKhkj1xhJS2SddYO8r';
  assert.equal(await serveQueueStatus(req(`/queue/status/${id}`), res, settings, fetchImpl, redis), true);
  assert.deepEqual(reads, [['pfx:queue:s1', 7]]);
  assert.equal(calls.length, 0);
  assert.equal(answered[0], 200);
  assert.equal(answered[1].position, 42);
  assert.equal(answered[1].id, id);
  answered.length = 0;
  await serveQueueStatus(req(`/queue/status/${id.replace('.u1.', '.u2.')}`), res, settings, fetchImpl, redis);
  assert.deepEqual(answered, [404, { code: 'NOT_FOUND', message: 'No such queue ticket.' }]);
  assert.equal(calls.length, 0);
  admitted.value = '50'; // admitted: booking signs the pass
  answered.length = 0;
  await serveQueueStatus(req(`/queue/status/${id}`), res, settings, fetchImpl, redis);
  assert.deepEqual(calls, [`http://b:9/queue/status/${id}`]);
  assert.deepEqual(answered, [200, { state: 'ADMITTED' }]);
  const broken = { hmget: async () => { throw new Error('down'); } };
  await serveQueueStatus(req(`/queue/status/${id}`), res, settings, fetchImpl, broken);
  assert.equal(calls.length, 2); // Redis away: booking answers
});
