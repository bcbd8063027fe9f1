import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { corsOption, jwksUrl, routerSettings, subgraphUrls } from '../lib/settings.mjs';
import { httpUrl } from '../lib/env.mjs';

test('with no settings: the defaults', () => {
  const s = routerSettings({});
  assert.equal(s.supergraph, resolve(import.meta.dirname, '../../schema/supergraph.graphql'));
  assert.equal(s.host, '127.0.0.1');
  assert.equal(s.port, 4000);
  assert.equal(s.logLevel, 'info');
  assert.deepEqual([s.logFormat, s.accessLog], ['text', false]);
  assert.deepEqual(s.corsOrigins, []);
  assert.equal(s.graphiql, true);
  assert.equal(s.wsSharing, 'client');
  assert.equal(s.queryPlanner, 'js');
  assert.deepEqual(s.subgraphUrls, {});
  assert.equal(s.jwksUrl, 'http://127.0.0.1:4001/.well-known/jwks.json');
  assert.equal(s.passthrough, true);
  assert.deepEqual(s.subscriptionCaps, { perConnection: 100, perClient: 500 });
  assert.equal(s.debug, false);
  assert.equal(s.trustedDocuments.enabled, false);
  assert.equal(s.rateLimits.query, 600);
});

test('each setting is read from the environment given', () => {
  const s = routerSettings({
    TICKETFLOW_SUPERGRAPH: 'x/super.graphql', TICKETFLOW_ROUTER_HOST: '0.0.0.0', TICKETFLOW_ROUTER_PORT: '4100',
    TICKETFLOW_ROUTER_LOG_LEVEL: 'debug', TICKETFLOW_CORS_ORIGINS: ' https://a.example , https://b.example,',
    TICKETFLOW_SUBGRAPH_WS_SHARING: 'AUTH', TICKETFLOW_QUERY_PLANNER: 'rust', TICKETFLOW_ROUTER_PASSTHROUGH: 'false',
    TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION: '7', TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CLIENT: '0',
    TICKETFLOW_ROUTER_DEBUG: 'true', TICKETFLOW_LOG_FORMAT: 'JSON', TICKETFLOW_ACCESS_LOG: 'true',
  });
  assert.equal(s.supergraph, resolve(process.cwd(), 'x/super.graphql'));
  assert.deepEqual([s.host, s.port, s.logLevel], ['0.0.0.0', 4100, 'debug']);
  assert.deepEqual([s.logFormat, s.accessLog], ['json', true]);
  assert.throws(() => routerSettings({ TICKETFLOW_LOG_FORMAT: 'xml' }), /TICKETFLOW_LOG_FORMAT=xml/);
  assert.deepEqual(s.corsOrigins, ['https://a.example', 'https://b.example']);
  assert.deepEqual([s.wsSharing, s.queryPlanner], ['auth', 'rust']);
  assert.deepEqual([s.passthrough, s.subscriptionCaps, s.debug], [false, { perConnection: 7, perClient: 0 }, true]);
});

test('production turns the IDE off with introspection; TICKETFLOW_GRAPHIQL overrides', () => {
  assert.equal(routerSettings({ TICKETFLOW_ENV: 'production' }).graphiql, false);
  assert.equal(routerSettings({ TICKETFLOW_ENV: 'production', TICKETFLOW_GRAPHIQL: 'true' }).graphiql, true);
  assert.equal(routerSettings({ TICKETFLOW_GRAPHIQL: 'false' }).graphiql, false);
});

test('a bad value stops the router, naming the variable', () => {
  for (const [name, value] of [
    ['TICKETFLOW_ROUTER_PORT', '70000'], ['TICKETFLOW_SUBGRAPH_WS_SHARING', 'everyone'],
    ['TICKETFLOW_QUERY_PLANNER', 'go'], ['TICKETFLOW_BOOKING_URL', 'not a url'],
    ['TICKETFLOW_BOOKING_URL', 'ws://127.0.0.1:4003/graphql'], ['TICKETFLOW_JWKS_URL', 'ftp://x/jwks'],
    ['TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION', '0'], ['TICKETFLOW_ROUTER_MAX_SUBSCRIPTIONS_PER_CLIENT', '-1'],
  ]) {
    assert.throws(() => routerSettings({ [name]: value }), new RegExp(name), `${name}=${value}`);
  }
});

test('TICKETFLOW_<NAME>_URL overrides a subgraph; the other *_URL settings do not', () => {
  assert.deepEqual(subgraphUrls({
    TICKETFLOW_BOOKING_URL: ' http://10.0.0.3:4003/graphql ', TICKETFLOW_NEW_THING_URL: 'https://x.example/graphql',
    TICKETFLOW_JWKS_URL: 'http://a/jwks', TICKETFLOW_REDIS_URL: 'redis://r', TICKETFLOW_RAZORPAY_API_URL: 'https://r',
    TICKETFLOW_VENUE_URL: '  ',
  }), { booking: 'http://10.0.0.3:4003/graphql', new_thing: 'https://x.example/graphql' });
});

test("the JWKS: its own setting, else the auth subgraph's origin", () => {
  assert.equal(jwksUrl({ TICKETFLOW_JWKS_URL: 'https://keys.example/k.json' }), 'https://keys.example/k.json');
  assert.equal(jwksUrl({ TICKETFLOW_AUTH_URL: 'http://10.0.0.1:4001/graphql' }), 'http://10.0.0.1:4001/.well-known/jwks.json');
});

test('one URL helper: http(s) only, the setting named in every refusal', () => {
  assert.equal(httpUrl('X', 'https://a.example/graphql').host, 'a.example');
  assert.throws(() => httpUrl('X_URL', 'nope'), /X_URL=nope is not a URL/);
  assert.throws(() => httpUrl('X_URL', 'redis://a'), /X_URL=redis:\/\/a must be an http\(s\) URL/);
});

test('CORS: any origin when none is listed, else exactly those', () => {
  assert.equal(corsOption([]), true);
  const cors = corsOption(['https://a.example']);
  assert.deepEqual(cors.origin, ['https://a.example']);
  assert.equal(cors.credentials, true);
  assert.ok(cors.allowedHeaders.includes('authorization'));
});
