// The organizers' CSV exports (booking's GET /exports/shows/{showId}/orders.csv and attendees.csv) on the
// router's origin, so the web app links to /exports/... as it calls /graphql.
//
// GET and HEAD of /exports/* go to booking as they came (path and query), with the caller's Authorization:
// booking verifies the token and the caller's right to the show itself (401, 403, 404). The answer comes
// back as it is sent — status, the CSV's headers, and the body piped chunk by chunk with backpressure,
// never buffered — and a client that goes away cancels the upstream request. Other methods are 405;
// booking unreachable is 502 before any byte was sent (after that the connection is cut).

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const PREFIX = '/exports/';
// Headers of booking's answer that reach the client (hop-by-hop ones never do).
const PASSED = ['content-type', 'content-disposition', 'cache-control', 'www-authenticate',
  'x-content-type-options', 'content-length'];

function json(res, status, error, message, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error, message }));
}

/**
 * A request handler proxying /exports/* to `bookingUrl`'s origin (booking's subgraph URL, e.g.
 * http://127.0.0.1:4003/graphql). It answers `true` when it took the request, `false` to leave it alone.
 */
export function exportsProxy(bookingUrl, { timeoutMs = 60_000 } = {}) {
  const upstream = new URL('/', bookingUrl);
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  return (req, res) => {
    let url;
    try {
      url = new URL(req.url, 'http://router'); // dot segments (also %2e) are resolved here
    } catch {
      return false;
    }
    if (!url.pathname.startsWith(PREFIX)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, 'METHOD_NOT_ALLOWED', 'Exports are read with GET.', { allow: 'GET, HEAD' });
      return true;
    }
    const headers = { accept: req.headers.accept ?? 'text/csv' };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const out = send(new URL(url.pathname + url.search, upstream), { method: req.method, headers, timeout: timeoutMs });
    out.on('response', (answer) => {
      const passed = {};
      for (const name of PASSED) if (answer.headers[name] !== undefined) passed[name] = answer.headers[name];
      res.writeHead(answer.statusCode ?? 502, passed);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    out.on('timeout', () => out.destroy(new Error('booking did not answer in time')));
    out.on('error', () => {
      if (!res.headersSent) json(res, 502, 'SUBGRAPH_UNAVAILABLE', 'The export is unavailable; try again.');
      else res.destroy();
    });
    // The client went away before the end: stop reading the export.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    out.end();
    return true;
  };
}
