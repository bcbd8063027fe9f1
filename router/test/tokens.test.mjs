import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, beforeEach, mock, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { RemoteJwks, verifyAccessToken, verifyAuthorization } from '../lib/tokens.mjs';

// A JWKS endpoint the tests control: its keys, its HTTP status, and how often it was asked.
const endpoint = { keys: [], status: 200, fetches: 0 };
let server;
let url;

async function keyPair(kid) {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

let KEY;
let OTHER;

before(async () => {
  KEY = await keyPair('key-1');
  OTHER = await keyPair('key-2');
  server = createServer((req, res) => {
    endpoint.fetches += 1;
    res.writeHead(endpoint.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: endpoint.keys }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;
});

after(() => server.close());

beforeEach(() => {
  Object.assign(endpoint, { keys: [KEY.jwk], status: 200, fetches: 0 });
});

const now = () => Math.floor(Date.now() / 1000);

function claims(changes = {}) {
  const base = {
    iss: 'ticketflow-auth', aud: 'ticketflow', sub: 'user-1', iat: now(), nbf: now(), exp: now() + 300,
    jti: 'jti-1', sid: 'session-1', roles: ['CUSTOMER'],
  };
  return Object.fromEntries(Object.entries({ ...base, ...changes }).filter(([, v]) => v !== undefined));
}

function sign(payload = claims(), { key = KEY, header = {} } = {}) {
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...header }).sign(key.privateKey);
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(token, jwks = new RemoteJwks(url)) {
  const error = await verifyAccessToken(token, jwks).then(() => null, (err) => err);
  assert.ok(error, 'the token was accepted');
  assert.equal(error.extensions?.code, 'UNAUTHENTICATED', String(error));
  assert.equal(error.extensions.http.status, 401);
  return error.message;
}

test('a token the auth service would sign is accepted, with its claims', async () => {
  const verified = await verifyAccessToken(await sign(), new RemoteJwks(url));
  assert.equal(verified.sub, 'user-1');
  assert.deepEqual(verified.roles, ['CUSTOMER']);
});

test('an expired token is refused saying so (the SDK refreshes on that message)', async () => {
  const message = await refusal(await sign(claims({ exp: now() - 1, iat: now() - 60, nbf: now() - 60 })));
  assert.equal(message, 'The access token has expired.');
});

const BAD = {
  'not yet valid (nbf)': () => sign(claims({ nbf: now() + 3600 })),
  'issued in the future (iat)': () => sign(claims({ iat: now() + 3600, nbf: undefined, exp: now() + 7200 })),
  'wrong audience': () => sign(claims({ aud: 'someone-else' })),
  'wrong issuer': () => sign(claims({ iss: 'https://issuer.example' })),
  'no jti': () => sign(claims({ jti: undefined })),
  'no exp': () => sign(claims({ exp: undefined })),
  'no sid': () => sign(claims({ sid: undefined })),
  'sub not a string': () => sign(claims({ sub: 7 })),
  'roles not a list': () => sign(claims({ roles: 'ADMIN' })),
  'no kid': async () => {
    const token = await sign();
    const [, payload, signature] = token.split('.');
    return `${b64({ alg: 'EdDSA' })}.${payload}.${signature}`;
  },
  'a crit header (even one jose knows)': () => sign(claims(), { header: { crit: ['b64'], b64: true } }),
  'alg none': () => `${b64({ alg: 'none', kid: KEY.kid })}.${b64(claims())}.`,
  'HS256 keyed with the public key': () => {
    const input = `${b64({ alg: 'HS256', kid: KEY.kid })}.${b64(claims())}`;
    return `${input}.${createHmac('sha256', JSON.stringify(KEY.jwk)).update(input).digest('base64url')}`;
  },
  'tampered roles': async () => {
    const [header, , signature] = (await sign()).split('.');
    return `${header}.${b64(claims({ roles: ['ADMIN'] }))}.${signature}`;
  },
  'signed by a key the JWKS does not have': () => sign(claims(), { key: OTHER }),
  garbage: () => 'garbage',
  'two segments': () => 'a.b',
};

for (const [name, make] of Object.entries(BAD)) {
  test(`refused: ${name}`, async () => {
    await refusal(await make());
  });
}

test('the Authorization header: absent is anonymous, other schemes are refused', async () => {
  const jwks = new RemoteJwks(url);
  assert.equal(await verifyAuthorization(undefined, jwks), null);
  assert.equal(await verifyAuthorization('', jwks), null);
  for (const value of ['Basic dXNlcjpwYXNz', 'Bearer ', 'Token abc', 42]) {
    const error = await verifyAuthorization(value, jwks).then(() => null, (err) => err);
    assert.equal(error?.extensions?.code, 'UNAUTHENTICATED', String(value));
  }
  assert.equal((await verifyAuthorization(`Bearer ${await sign()}`, jwks)).sub, 'user-1');
});

test('the JWKS is fetched once, and once for everyone who asks at the same time', async () => {
  const jwks = new RemoteJwks(url);
  const token = await sign();
  await Promise.all(Array.from({ length: 10 }, () => verifyAccessToken(token, jwks)));
  for (let i = 0; i < 5; i++) await verifyAccessToken(token, jwks);
  assert.equal(endpoint.fetches, 1);
});

test('a new kid is fetched at once (key rotation); an unknown kid is asked for again only after 10 s', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const jwks = new RemoteJwks(url);
  await verifyAccessToken(await sign(), jwks);
  assert.equal(endpoint.fetches, 1);

  endpoint.keys = [KEY.jwk, OTHER.jwk]; // rotated: the new key works on first sight
  assert.equal((await verifyAccessToken(await sign(claims(), { key: OTHER }), jwks)).sub, 'user-1');
  assert.equal(endpoint.fetches, 2);

  const stranger = await keyPair('made-up');
  const forged = await sign(claims(), { key: stranger });
  assert.equal(await refusal(forged, jwks), 'The token is signed with an unknown key.');
  assert.equal(endpoint.fetches, 3);
  for (let i = 0; i < 5; i++) await refusal(forged, jwks);
  assert.equal(endpoint.fetches, 3); // remembered as missing: no fetch per token

  t.mock.timers.tick(10_001);
  endpoint.keys = [KEY.jwk, OTHER.jwk, stranger.jwk];
  assert.equal((await verifyAccessToken(await sign(claims(), { key: stranger }), jwks)).sub, 'user-1');
  assert.equal(endpoint.fetches, 4);
});

test('after 10 minutes the JWKS is fetched again: a withdrawn key stops verifying', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const jwks = new RemoteJwks(url);
  const token = await sign(claims({ exp: now() + 7200 }));
  await verifyAccessToken(token, jwks);
  endpoint.keys = [OTHER.jwk];
  t.mock.timers.tick(9 * 60 * 1000);
  await verifyAccessToken(token, jwks); // still within the cache's age
  assert.equal(endpoint.fetches, 1);
  t.mock.timers.tick(60 * 1000 + 1);
  assert.equal(await refusal(token, jwks), 'The token is signed with an unknown key.');
  assert.ok(endpoint.fetches >= 2);
});

test('while the JWKS cannot be fetched, the keys read last keep verifying; other kids are refused', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const warnings = [];
  const { setWarn } = await import('../lib/tokens.mjs');
  setWarn((message) => warnings.push(message));
  t.after(() => setWarn((...args) => console.warn(...args)));
  const jwks = new RemoteJwks(url);
  const token = await sign(claims({ exp: now() + 7200 }));
  await verifyAccessToken(token, jwks);

  endpoint.status = 503;
  t.mock.timers.tick(11 * 60 * 1000); // stale: fetched again, which fails
  assert.equal((await verifyAccessToken(token, jwks)).sub, 'user-1');
  assert.equal(endpoint.fetches, 2);
  const other = await sign(claims({ exp: now() + 7200 }), { key: OTHER });
  assert.equal(await refusal(other, jwks), "The token's signing key cannot be checked now.");
  assert.ok(warnings.length >= 1);

  endpoint.status = 200; // back: OTHER was published meanwhile
  endpoint.keys = [KEY.jwk, OTHER.jwk];
  assert.equal((await verifyAccessToken(other, jwks)).sub, 'user-1');
});

test('with no JWKS ever read, every token is refused as not checkable now', async () => {
  endpoint.status = 500;
  const { setWarn } = await import('../lib/tokens.mjs');
  setWarn(() => {});
  try {
    assert.equal(await refusal(await sign()), "The token's signing key cannot be checked now.");
  } finally {
    setWarn((...args) => console.warn(...args));
  }
});
