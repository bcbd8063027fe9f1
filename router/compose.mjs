#!/usr/bin/env node
// Compose the TicketFlow supergraph.
//
//   node router/compose.mjs <supergraph.yaml> <out.graphql> [--check]
//
// Reads rover's supergraph config format:
//
//   federation_version: =2.7.0
//   subgraphs:
//     auth:
//       routing_url: http://localhost:4001/graphql
//       schema:
//         file: ./schema/auth.graphql      # relative to the yaml's directory
//       # or:  schema: { sdl: "type Query { ... }" }
//       # or:  schema: { subgraph_url: http://localhost:4001/graphql }  (fetches { _service { sdl } })
//
// The subgraphs are composed twice:
//   * with The Guild's composer (@theguild/federation-composition) - the one Hive Gateway uses;
//     its supergraph SDL is what gets written to <out.graphql>;
//   * with Apollo's composer (@apollo/composition) - so the supergraph stays loadable by Apollo Router.
// Either composer failing is a failure (exit 1).
//
// --check: write nothing; exit 1 if <out.graphql> is missing or differs from what composition produces.
//
// Exit codes: 0 ok, 1 composition failed / drift, 2 usage or input error.

import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve, relative, basename } from 'node:path';
import process from 'node:process';
import { parse as parseYaml } from 'yaml';
import { parse as parseGraphQL } from 'graphql';
import { composeServices as composeGuild } from '@theguild/federation-composition';
import { composeServices as composeApollo } from '@apollo/composition';

const USAGE = 'usage: node router/compose.mjs <supergraph.yaml> <out.graphql> [--check]';
// The Guild's composer accepts Federation v2.0 .. v2.9; the subgraphs pin 2.7, which composes
// under both composers (subgraphs/kernel/graphql.py, FEDERATION_VERSION).
const GUILD_MAX_FEDERATION = [2, 9];

class InputError extends Error {}
// A problem with the subgraphs themselves (not the command line): exit 1 like a composition error.
class CompositionInputError extends Error {}

function fail(code, lines) {
  for (const line of [].concat(lines)) process.stderr.write(`${line}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const positional = [];
  let check = false;
  for (const arg of argv) {
    if (arg === '--check') check = true;
    else if (arg === '-h' || arg === '--help') fail(0, USAGE);
    else if (arg.startsWith('-')) throw new InputError(`unknown option ${arg}\n${USAGE}`);
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new InputError(USAGE);
  return { configPath: resolve(positional[0]), outPath: resolve(positional[1]), check };
}

function parseVersion(text, what) {
  // rover accepts "2", "=2.7.0", "2.7", "latest-2" ...
  const m = /^\s*=?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(String(text));
  if (!m) {
    if (/^latest-2$/.test(String(text).trim())) return null;
    throw new InputError(`${what}: cannot parse federation version ${JSON.stringify(text)}`);
  }
  return [Number(m[1]), m[2] === undefined ? null : Number(m[2])];
}

function cmpVersion(a, b) {
  return a[0] - b[0] || (a[1] ?? 0) - (b[1] ?? 0);
}

async function fetchSubgraphSdl(url, name) {
  let res;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new InputError(`subgraph "${name}": cannot fetch SDL from ${url}: ${err.message}`);
  }
  const body = await res.json().catch(() => null);
  const sdl = body?.data?._service?.sdl;
  if (!res.ok || typeof sdl !== 'string') {
    throw new InputError(`subgraph "${name}": ${url} did not return { _service { sdl } } (HTTP ${res.status})`);
  }
  return sdl;
}

async function loadConfig(configPath) {
  let text;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${configPath}: ${err.message}`);
  }
  let doc;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError(`${configPath}: invalid YAML: ${err.message}`);
  }
  if (!doc || typeof doc !== 'object' || !doc.subgraphs || typeof doc.subgraphs !== 'object') {
    throw new InputError(`${configPath}: expected a top-level "subgraphs:" mapping`);
  }
  const baseDir = dirname(configPath);
  const fedVersion =
    doc.federation_version == null ? null : parseVersion(doc.federation_version, configPath);
  if (fedVersion && fedVersion[0] !== 2) {
    throw new InputError(`${configPath}: federation_version ${doc.federation_version} is not Federation 2`);
  }

  const names = Object.keys(doc.subgraphs).sort(); // deterministic order, independent of the yaml's order
  if (names.length === 0) throw new InputError(`${configPath}: no subgraphs`);
  const services = [];
  for (const name of names) {
    const entry = doc.subgraphs[name] ?? {};
    const url = entry.routing_url;
    if (typeof url !== 'string' || !url) {
      throw new InputError(`subgraph "${name}": routing_url is required`);
    }
    const schema = entry.schema ?? {};
    let sdl;
    let source;
    if (typeof schema.file === 'string') {
      const file = resolve(baseDir, schema.file);
      source = relative(process.cwd(), file) || file;
      try {
        sdl = await readFile(file, 'utf8');
      } catch (err) {
        throw new InputError(`subgraph "${name}": cannot read schema file ${file}: ${err.message}`);
      }
    } else if (typeof schema.sdl === 'string') {
      sdl = schema.sdl;
      source = `${basename(configPath)} (inline sdl)`;
    } else if (typeof schema.subgraph_url === 'string') {
      sdl = await fetchSubgraphSdl(schema.subgraph_url, name);
      source = schema.subgraph_url;
    } else {
      throw new InputError(
        `subgraph "${name}": schema must have "file", "sdl" or "subgraph_url" (graphref is not supported offline)`,
      );
    }
    let typeDefs;
    try {
      typeDefs = parseGraphQL(sdl, { noLocation: false });
    } catch (err) {
      throw new InputError(`subgraph "${name}" (${source}): GraphQL syntax error: ${err.message}`);
    }
    checkFederationLink(name, source, typeDefs, fedVersion, doc.federation_version);
    services.push({ name, url, typeDefs, source });
  }
  return { services };
}

// Make sure each subgraph's @link to the federation spec is within what federation_version allows
// and what The Guild's composer understands, and say so clearly instead of a cryptic composer error.
function checkFederationLink(name, source, typeDefs, fedVersion, fedVersionText) {
  for (const def of typeDefs.definitions) {
    if (def.kind !== 'SchemaDefinition' && def.kind !== 'SchemaExtension') continue;
    for (const dir of def.directives ?? []) {
      if (dir.name.value !== 'link') continue;
      const urlArg = dir.arguments?.find((a) => a.name.value === 'url');
      const url = urlArg?.value?.kind === 'StringValue' ? urlArg.value.value : '';
      const m = /specs\.apollo\.dev\/federation\/v(\d+)\.(\d+)/.exec(url);
      if (!m) continue;
      const linked = [Number(m[1]), Number(m[2])];
      if (fedVersion && fedVersion[1] != null && cmpVersion(linked, fedVersion) > 0) {
        throw new CompositionInputError(
          `subgraph "${name}" (${source}) links federation v${linked.join('.')} but federation_version is ${fedVersionText}; ` +
            `pin the subgraph (Strawberry: federation.Schema(..., federation_version="${fedVersion[0]}.${fedVersion[1]}"))`,
        );
      }
    }
  }
}

function formatErrors(composer, errors) {
  const lines = [`composition failed with ${composer} (${errors.length} error${errors.length === 1 ? '' : 's'}):`];
  for (const err of errors) {
    const code = err.extensions?.code ? `[${err.extensions.code}] ` : '';
    lines.push(`  - ${code}${String(err.message).replace(/\n/g, '\n    ')}`);
    if (err.extensions?.code === 'UNKNOWN_FEDERATION_LINK_VERSION') {
      lines.push(
        `    hint: The Guild's composer (used by Hive Gateway) accepts federation v${GUILD_MAX_FEDERATION.join('.')} at most; ` +
          'Strawberry emits a newer one unless told: strawberry.federation.Schema(..., federation_version="2.7")',
      );
    }
  }
  return lines;
}

function runComposers(services) {
  const input = services.map(({ name, url, typeDefs }) => ({ name, url, typeDefs }));
  const problems = [];

  let guild;
  try {
    guild = composeGuild(input);
  } catch (err) {
    guild = { errors: [err] };
  }
  if (guild.errors?.length) problems.push(...formatErrors("The Guild's composer (@theguild/federation-composition)", guild.errors));

  let apollo;
  try {
    apollo = composeApollo(input);
  } catch (err) {
    apollo = { errors: [err] };
  }
  if (apollo.errors?.length) problems.push(...formatErrors("Apollo's composer (@apollo/composition)", apollo.errors));

  return { guild, apollo, problems };
}

function renderOutput(configPath, outPath, supergraphSdl) {
  const rel = relative(dirname(outPath), configPath) || basename(configPath);
  const header = [
    '# Generated by router/compose.mjs from ' + rel.split('\\').join('/') + ' - do not edit by hand.',
    "# Composed with @theguild/federation-composition; also verified with @apollo/composition.",
    '',
  ].join('\n');
  return header + supergraphSdl.replace(/\r\n/g, '\n').trimEnd() + '\n';
}

function driftHint(expected, actual, outPath, configPath) {
  const exp = expected.split('\n');
  const act = actual.split('\n');
  let i = 0;
  while (i < exp.length && i < act.length && exp[i] === act[i]) i++;
  const lines = [
    `supergraph drift: ${outPath} is not what composing ${configPath} produces.`,
    `  first difference at line ${i + 1}:`,
    `    file:     ${i < act.length ? JSON.stringify(act[i]) : '<end of file>'}`,
    `    composed: ${i < exp.length ? JSON.stringify(exp[i]) : '<end of file>'}`,
    `  (${act.length} lines in file, ${exp.length} composed)`,
    `  regenerate with: node router/compose.mjs ${relative(process.cwd(), configPath)} ${relative(process.cwd(), outPath)}`,
  ];
  return lines;
}

async function main() {
  const { configPath, outPath, check } = parseArgs(process.argv.slice(2));
  const { services } = await loadConfig(configPath);
  const { guild, apollo, problems } = runComposers(services);
  if (problems.length) fail(1, problems);
  if (apollo.hints?.length && process.env.TICKETFLOW_COMPOSE_HINTS) {
    for (const h of apollo.hints) process.stderr.write(`hint (apollo): ${h.toString()}\n`);
  }
  const output = renderOutput(configPath, outPath, guild.supergraphSdl);
  const summary = `${services.length} subgraphs (${services.map((s) => s.name).join(', ')})`;

  if (check) {
    let current = null;
    try {
      current = await readFile(outPath, 'utf8');
    } catch {
      fail(1, [`supergraph drift: ${outPath} does not exist.`, `  generate it with: node router/compose.mjs ${relative(process.cwd(), configPath)} ${relative(process.cwd(), outPath)}`]);
    }
    if (current !== output) fail(1, driftHint(output, current, outPath, configPath));
    process.stdout.write(`ok: ${relative(process.cwd(), outPath)} is up to date; ${summary} compose with The Guild's and Apollo's composers\n`);
    return;
  }

  await mkdir(dirname(outPath), { recursive: true });
  const previous = await readFile(outPath, 'utf8').catch(() => null);
  // Written in place (not rename-into-place): a running hive-gateway watches this file with fs.watch
  // and stops watching when the file is renamed over. Unchanged content is not rewritten.
  if (previous !== output) await writeFile(outPath, output, 'utf8');
  process.stdout.write(`wrote ${relative(process.cwd(), outPath)}: ${summary}; composed with The Guild's and Apollo's composers\n`);
}

main().catch((err) => {
  if (err instanceof CompositionInputError) fail(1, `composition failed: ${err.message}`);
  if (err instanceof InputError) fail(2, `error: ${err.message}`);
  fail(2, `error: ${err?.stack || err}`);
});
