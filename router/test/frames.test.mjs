import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientHead, fastNext, mayHaveErrors, rewrite } from '../lib/frames.mjs';

const frame = (text) => Buffer.from(text);

test('a next frame in the fast layout is found with its id and rewritten byte for byte', () => {
  const upstream = frame('{"id":"1z","type":"next","payload":{"data":{"seatAvailability":{"version":7}}}}');
  const fast = fastNext(upstream);
  assert.deepEqual(fast, { id: '1z', rest: 10 }); // the rest starts after the id's closing quote
  const out = rewrite(clientHead('client-1'), upstream, fast.rest);
  assert.equal(out.toString(), '{"id":"client-1","type":"next","payload":{"data":{"seatAvailability":{"version":7}}}}');
});

test("a client's id is written as JSON, whatever it holds", () => {
  const upstream = frame('{"id":"0","type":"next","payload":{}}');
  const out = rewrite(clientHead('a"b\\c\u2028'), upstream, fastNext(upstream).rest);
  assert.deepEqual(JSON.parse(out.toString()), { id: 'a"b\\c\u2028', type: 'next', payload: {} });
});

test('other frames and other layouts are left to the slow path', () => {
  for (const text of [
    '{"id":"1","type":"complete"}',
    '{"id":"1","type":"error","payload":[{"message":"x"}]}',
    '{"type":"next","id":"1","payload":{}}',
    '{"id": "1", "type": "next", "payload": {}}',
    '{"id":"1","type":"nextish","payload":{}}',
    '{"type":"ping"}',
    '{"id":"1"',
    '',
  ]) {
    assert.equal(fastNext(frame(text)), null, text);
  }
});

test('errors are looked for after the id, and a seat id cannot hide them', () => {
  const withErrors = frame('{"id":"3","type":"next","payload":{"data":null,"errors":[{"message":"x"}]}}');
  assert.equal(mayHaveErrors(withErrors, fastNext(withErrors).rest), true);
  const clean = frame('{"id":"3","type":"next","payload":{"data":{"seatAvailability":{"seats":[{"seatId":"errors"}]}}}}');
  assert.equal(mayHaveErrors(clean, fastNext(clean).rest), true, 'a false positive only costs a parse');
  const plain = frame('{"id":"3","type":"next","payload":{"data":{"seatAvailability":{"version":1}}}}');
  assert.equal(mayHaveErrors(plain, fastNext(plain).rest), false);
});
