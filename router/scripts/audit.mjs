// GraphQL over HTTP compliance: graphql-http's server audits (the reference implementation of the
// GraphQL-over-HTTP spec) against each URL given; prints, as JSON, {url: [{id, name, status, reason}]}.
//
//   node router/scripts/audit.mjs http://127.0.0.1:4000/graphql http://127.0.0.1:4001/graphql ...
//
// status: "ok", or "error" (a MUST failed), "warn" (a SHOULD failed), "notice" (a MAY failed).
// tests/e2e/test_graphql_over_http.py runs it against the router and every subgraph; which SHOULDs fail
// and why is in docs/api-edge.md.

import { serverAudits } from 'graphql-http';

async function audit(url) {
  const results = [];
  for (const { fn } of serverAudits({ url })) {
    const result = await fn();
    results.push({ id: result.id, name: result.name, status: result.status, reason: result.reason });
  }
  return results;
}

const urls = process.argv.slice(2);
if (!urls.length) {
  process.stderr.write('usage: node audit.mjs <graphql url>...\n');
  process.exit(2);
}
const out = {};
for (const url of urls) out[url] = await audit(url);
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
