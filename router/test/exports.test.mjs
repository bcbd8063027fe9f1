import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { test } from 'node:test';
import { exportsProxy } from '../lib/exports.mjs';

async function listen(server) {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${server.address().port}`;
}

// A router-like server: the proxy first, everything else answered 299 ("the gateway").
async function withRouter(bookingUrl, fn) {
  const proxy = exportsProxy(bookingUrl);
  const router = createServer((req, res) => {
    if (proxy(req, res)) return;
    res.writeHead(299);
    res.end('gateway');
  });
  try {
    return await fn(await listen(router));
  } finally {
    router.closeAllConnections();
    router.close();
  }
}

async function withBooking(handler, fn) {
  const booking = createServer(handler);
  try {
    return await fn(`${await listen(booking)}/graphql`);
  } finally {
    booking.closeAllConnections();
    booking.close();
  }
}

test('an export is passed through with its status, headers and the caller\'s Authorization', async () => {
  const seen = [];
  await withBooking((req, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization, method: req.method });
    if (!req.headers.authorization) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      res.end('{"error":"UNAUTHENTICATED"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="x.csv"',
      'set-cookie': 'no=1' });
    res.end('booking_id\r\nb1\r\n');
  }, (booking) => withRouter(booking, async (base) => {
    const ok = await fetch(`${base}/exports/shows/s1/orders.csv?x=1`, { headers: { authorization: 'Bearer t0k' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(ok.headers.get('content-disposition'), 'attachment; filename="x.csv"');
    assert.equal(ok.headers.get('set-cookie'), null);
    assert.equal(await ok.text(), 'booking_id\r\nb1\r\n');
    const refused = await fetch(`${base}/exports/shows/s1/attendees.csv`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(await refused.json(), { error: 'UNAUTHENTICATED' });
    assert.deepEqual(seen, [
      { url: '/exports/shows/s1/orders.csv?x=1', authorization: 'Bearer t0k', method: 'GET' },
      { url: '/exports/shows/s1/attendees.csv', authorization: undefined, method: 'GET' },
    ]);
  }));
});

function rawStatus(base, path) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

test('the body streams: the client reads the first rows before booking has written the rest', { timeout: 20_000 }, async () => {
  let firstRead;
  const clientHasFirst = new Promise((resolve) => { firstRead = resolve; });
  await withBooking(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
    res.write('header\r\nrow1\r\n');
    await clientHasFirst; // a proxy that buffered the body would never let the client get here
    res.end('row2\r\n');
  }, (booking) => withRouter(booking, async (base) => {
    const response = await fetch(`${base}/exports/shows/s1/orders.csv`, { headers: { authorization: 'Bearer t' } });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    assert.equal(decoder.decode(first.value), 'header\r\nrow1\r\n');
    firstRead();
    let rest = '';
    for (let part = await reader.read(); !part.done; part = await reader.read()) rest += decoder.decode(part.value);
    assert.equal(rest, 'row2\r\n');
  }));
});

test('other paths are left to the gateway, other methods are 405, and escapes never reach booking', async () => {
  const seen = [];
  await withBooking((req, res) => {
    seen.push(req.url);
    res.end('');
  }, (booking) => withRouter(booking, async (base) => {
    // Sent as written (fetch would resolve the dot segments before sending).
    for (const path of ['/graphql', '/export/shows/s1/orders.csv', '/exports/../graphql', '/exports/%2e%2e/metrics']) {
      assert.equal(await rawStatus(base, path), 299, path);
    }
    const post = await fetch(`${base}/exports/shows/s1/orders.csv`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.deepEqual(seen, []);
  }));
});

test('booking unreachable is a 502 with a JSON error', async () => {
  const closed = createServer();
  const url = await listen(closed);
  closed.close();
  await withRouter(`${url}/graphql`, async (base) => {
    const response = await fetch(`${base}/exports/shows/s1/orders.csv`);
    assert.equal(response.status, 502);
    assert.equal((await response.json()).error, 'SUBGRAPH_UNAVAILABLE');
  });
});
