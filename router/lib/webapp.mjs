// The web app (web/, built by Vite into web/dist) served by the router itself, so the app and the
// graph share one origin: http://localhost:4000/ is the app, /graphql the API (and GraphiQL).
//
// Only GET and HEAD of files that exist under the directory are answered, plus "/" (index.html);
// everything else (/graphql, /readiness, /metrics, ...) is left to the gateway. Hashed assets
// (/assets/*) are cached for a year, index.html is revalidated every time.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>TicketFlow</title>
<p>The web app is not built: <code>make dev</code> builds it (or <code>make web</code>).
The API and GraphiQL are at <a href="/graphql">/graphql</a>.</p>`;

/** The file under `root` that `pathname` names, or null when it would leave `root`. */
export function resolveAsset(root, pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const file = normalize(join(root, path));
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

/**
 * A request handler for the built app in `root`, or null when `root` is empty (turned off).
 * It answers `true` when it served the request, `false` to leave it to the gateway.
 */
export function webApp(root) {
  if (!root) return null;
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const { pathname } = new URL(req.url, 'http://x');
    const file = resolveAsset(root, pathname);
    if (!file) return false;
    let info;
    try {
      info = await stat(file);
    } catch {
      info = null;
    }
    if (!info?.isFile()) {
      if (pathname !== '/') return false;
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
      return true;
    }
    const hashed = pathname.startsWith('/assets/');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}
