import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientConnectionKey, propagateHeaders, transportEntries, useClientContext } from '../lib/transport.mjs';

const request = (headers = {}) => new Request('http://router/graphql', { headers });

test('URL overrides become locations; every subgraph subscribes over graphql-transport-ws with the token', () => {
  const entries = transportEntries({ booking: 'http://10.0.0.3:4003/graphql' }, 'auth');
  assert.deepEqual(entries.booking, { location: 'http://10.0.0.3:4003/graphql' });
  const ws = entries['*.http'].options.subscriptions;
  assert.equal(ws.kind, 'ws');
  assert.deepEqual(ws.headers, [['authorization', '{context.ticketflow.authorization}']]);
  assert.deepEqual(ws.options.connectionParams, { Authorization: '{context.ticketflow.authorization}' });
});

test('sharing per client: the connection key and the address go into the upstream headers', () => {
  const ws = transportEntries({}, 'client')['*.http'].options.subscriptions;
  assert.deepEqual(ws.headers.map(([name]) => name), ['authorization', 'x-ticketflow-client-connection', 'x-forwarded-for']);
});

test('one key per client connection (or request), another for the next', () => {
  const socket = {};
  assert.equal(clientConnectionKey({ socket }), clientConnectionKey({ socket, request: request() }));
  assert.notEqual(clientConnectionKey({ socket }), clientConnectionKey({ socket: {} }));
  assert.notEqual(clientConnectionKey({}), clientConnectionKey({}));
});

test("the context carries the client's Authorization and address; subgraph requests get both", () => {
  const context = {
    connectionParams: { authorization: 'Bearer from-init' },
    request: request({ authorization: 'Bearer from-header', 'x-forwarded-for': '198.51.100.7' }),
    req: { socket: { remoteAddress: '::ffff:127.0.0.1' } },
  };
  let extended;
  useClientContext('auth').onContextBuilding({ context, extendContext: (e) => { extended = e; } });
  assert.deepEqual(extended.ticketflow, {
    authorization: 'Bearer from-init', forwardedFor: '198.51.100.7, 127.0.0.1', clientKey: undefined,
  });
  assert.deepEqual(propagateHeaders.fromClientToSubgraphs({ context: { ...context, ...extended } }), {
    authorization: 'Bearer from-init', 'x-forwarded-for': '198.51.100.7, 127.0.0.1',
  });
  // anonymous: no Authorization header at all, the address still
  assert.deepEqual(propagateHeaders.fromClientToSubgraphs({ context: { request: request() } }),
    { 'x-forwarded-for': 'unknown' });
});
