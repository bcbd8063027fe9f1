import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { useAccessTokens, verifiedSubject } from '../lib/access.mjs';
import { clientAuthorization, presentedAuthorizations } from '../lib/tokens.mjs';

// The key set of one key: what RemoteJwks gives verifyAccessToken, without an endpoint.
let keys;
let jwks;
before(async () => {
  keys = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  jwks = { getKey: async () => keys.publicKey };
});

const now = () => Math.floor(Date.now() / 1000);
const token = (sub = 'user-1') => new SignJWT({
  iss: 'ticketflow-auth', aud: 'ticketflow', sub, iat: now(), exp: now() + 300, jti: 'j', sid: 's',
}).setProtectedHeader({ alg: 'EdDSA', kid: 'k' }).sign(keys.privateKey);

const request = (headers = {}) => new Request('http://router/graphql', { method: 'POST', headers });
const outcome = (promise) => Promise.resolve(promise).then(() => null, (error) => error);

test('HTTP: a valid token and no token pass; a bad one is UNAUTHENTICATED with HTTP 401', async () => {
  const plugin = useAccessTokens(jwks);
  assert.equal(await outcome(plugin.onRequestParse({ request: request() })), null);
  assert.equal(await outcome(plugin.onRequestParse({ request: request({ authorization: `Bearer ${await token()}` }) })), null);
  for (const bad of ['Bearer nonsense', 'Basic dXNlcjpwYXNz', `Bearer ${(await token()).slice(0, -4)}AAAA`]) {
    const error = await outcome(plugin.onRequestParse({ request: request({ authorization: bad }) }));
    assert.equal(error?.extensions?.code, 'UNAUTHENTICATED', bad);
    assert.equal(error.extensions.http.status, 401);
  }
});

test('an HTTP request checked while parsing is not checked again when its context is built', async () => {
  const plugin = useAccessTokens({ getKey: async () => { throw new Error('asked twice'); } });
  const req = request();
  await plugin.onRequestParse({ request: req });
  let extended;
  await plugin.onContextBuilding({
    context: { request: req, connectionParams: { Authorization: 'Bearer x' } }, extendContext: (e) => { extended = e; },
  });
  assert.deepEqual(extended, { tokenSubject: null });
});

test("the token's subject goes on the context (null: anonymous), over HTTP and WebSocket", async () => {
  const plugin = useAccessTokens(jwks);
  const contextOf = async (context) => {
    let extended;
    await plugin.onContextBuilding({ context, extendContext: (e) => { extended = e; } });
    return extended;
  };
  const signedIn = request({ authorization: `Bearer ${await token('user-7')}` });
  await plugin.onRequestParse({ request: signedIn });
  assert.deepEqual(await contextOf({ request: signedIn }), { tokenSubject: 'user-7' });
  const anonymous = request();
  await plugin.onRequestParse({ request: anonymous });
  assert.deepEqual(await contextOf({ request: anonymous }), { tokenSubject: null });
  assert.deepEqual(await contextOf({ connectionParams: { Authorization: `Bearer ${await token('user-8')}` } }),
    { tokenSubject: 'user-8' });
  assert.equal(await verifiedSubject([`Bearer ${await token('user-9')}`, `Bearer ${await token('user-10')}`], jwks), 'user-9');
});

test('WebSocket: every presented token is checked, and the refusal carries no HTTP part', async () => {
  const plugin = useAccessTokens(jwks);
  const good = `Bearer ${await token()}`;
  const extendContext = () => {};
  assert.equal(await outcome(plugin.onContextBuilding({ context: { connectionParams: { Authorization: good } }, extendContext })), null);
  // a good token in connection_init does not excuse a bad one on the upgrade request
  const error = await outcome(plugin.onContextBuilding({
    context: { connectionParams: { authorization: good }, request: request({ authorization: 'Bearer bad' }) }, extendContext,
  }));
  assert.equal(error?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(error.extensions.http, undefined);
});

test('one Authorization helper: connection_init first (any casing), then the header; empty ones skipped', () => {
  const context = { connectionParams: { AUTHORIZATION: '', authorization: 'Bearer a' }, request: request({ authorization: 'Bearer b' }) };
  assert.deepEqual(presentedAuthorizations(context), ['', 'Bearer a', 'Bearer b']);
  assert.equal(clientAuthorization(context), 'Bearer a');
  assert.equal(clientAuthorization({ request: request({ authorization: 'Bearer b' }) }), 'Bearer b');
  assert.equal(clientAuthorization({ connectionParams: { Authorization: 42 } }), undefined);
  assert.equal(clientAuthorization({}), undefined);
});
