import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveAsset, webApp } from '../lib/webapp.mjs';
import { webDir } from '../lib/settings.mjs';

function built() {
  const root = mkdtempSync(join(tmpdir(), 'tf-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  return root;
}

async function serve(root, fn) {
  const app = webApp(root);
  const server = createServer(async (req, res) => {
    if (await app(req, res)) return;
    res.writeHead(299);
    res.end('gateway');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await fn(`http://127.0.0.1:${server.address().port}`);
  } finally {
    server.close();
  }
}

test('"/" is index.html, revalidated; hashed assets are cached for good', async () => {
  await serve(built(), async (base) => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(await index.text(), /<title>app<\/title>/);
    const js = await fetch(`${base}/assets/index-abc.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await js.text(), 'console.log(1)');
  });
});

test('the API, missing files, other methods and escapes are left to the gateway', async () => {
  await serve(built(), async (base) => {
    for (const path of ['/graphql', '/readiness', '/assets/missing.js', '/..%2f..%2fetc%2fpasswd', '/%00']) {
      assert.equal((await fetch(base + path)).status, 299, path);
    }
    assert.equal((await fetch(`${base}/`, { method: 'POST', body: '{}' })).status, 299);
  });
});

test('an unbuilt app says how to build it at "/" and leaves the rest alone', async () => {
  await serve(join(tmpdir(), 'tf-web-never-built'), async (base) => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.match(await index.text(), /make dev/);
    assert.equal((await fetch(`${base}/graphql`)).status, 299);
  });
});

test('paths never leave the root', () => {
  assert.equal(resolveAsset('/srv/web', '/a/../b.js'), '/srv/web/b.js');
  assert.equal(resolveAsset('/srv/web', '/../secret'), null);
  assert.equal(resolveAsset('/srv/web', '/%2e%2e/secret'), null);
  assert.equal(resolveAsset('/srv/web', '/%E0%A4%A'), null);
  assert.equal(resolveAsset('/srv/web', '/'), '/srv/web/index.html');
});

test('TICKETFLOW_WEB_DIR: web/dist by default, a directory, or off', () => {
  assert.match(webDir({}), /web[/\\]dist$/);
  assert.equal(webDir({ TICKETFLOW_WEB_DIR: '/x/y' }), '/x/y');
  assert.equal(webDir({ TICKETFLOW_WEB_DIR: 'OFF' }), null);
});
