import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'graphql';
import { SignJWT } from 'jose';
import {
  QUEUED, QueuedShows, heldShows, passRefusal, queueSettings, serveQueueStatus, useQueuePasses,
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
