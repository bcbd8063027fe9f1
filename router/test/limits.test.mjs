import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildSchema } from 'graphql';
import { DEFAULTS, LIMIT_CODE, OperationLimits, edgeSettings, useOperationLimits, withoutSuggestions } from '../lib/limits.mjs';
import { supergraphIndex } from '../lib/ownership.mjs';
import { Planner } from '../lib/passthrough.mjs';

const SCHEMA = buildSchema(`
  type Query { show(id: ID!): Show  shows(first: Int): [Show!]! }
  type Subscription { ticks: Tick! }
  type Tick { n: Int! show: Show! }
  type Show { id: ID! title: String! kind: Kind! venue: Venue! }
  type Venue { name: String! halls: [Hall!]! }
  type Hall { name: String! sections: [Section!]! }
  type Section { key: String! }
  enum Kind { MOVIE CONCERT }
`);

const SMALL = { bytes: 200, tokens: 40, depth: 3, aliases: 2, directives: 2, cost: 20 };
const small = new OperationLimits({ limits: SMALL });

/** The OPERATION_LIMIT errors of a document (parse and validation), as [limit, max]. */
function refusals(limits, source) {
  let document;
  try {
    document = limits.parse(source);
  } catch (error) {
    assert.equal(error.extensions?.code, LIMIT_CODE, String(error));
    return [[error.extensions.limit, error.extensions.max]];
  }
  return limits.validate(SCHEMA, document).map((e) => [e.extensions?.code === LIMIT_CODE ? e.extensions.limit : e.message,
    e.extensions?.max]);
}

// each limit: a document just at it (accepted) and one just over it (refused for that limit alone)
const CASES = {
  depth: ['{ show(id: 1) { venue { name } } }', '{ show(id: 1) { venue { halls { name } } } }'],
  aliases: ['{ a: show(id: 1) { id } b: show(id: 2) { id } }', '{ a: show(id: 1) { id } b: show(id: 2) { id } c: show(id: 3) { id } }'],
  directives: ['{ show(id: 1) @include(if: true) { id @skip(if: false) } }',
    '{ show(id: 1) @include(if: true) { id @skip(if: false) title @include(if: true) } }'],
  // show { k scalars } costs 2 + 1.5 k: 12 scalars 20, 13 scalars 21.5
  cost: [`{ show(id: 1) { ${'id '.repeat(12)}} }`, `{ show(id: 1) { ${'id '.repeat(13)}} }`],
  // { show ( id : 1 ) { ... } } is 10 tokens; each "id" one more (and costs 1.5: the cost limit is raised)
  tokens: [`{ show(id: 1) { ${'id '.repeat(30)}} }`, `{ show(id: 1) { ${'id '.repeat(31)}} }`, { cost: 1000 }],
};

for (const [limit, [under, over, raised]] of Object.entries(CASES)) {
  test(`${limit}: just at the limit passes, one over is OPERATION_LIMIT`, () => {
    const limits = raised ? new OperationLimits({ limits: { ...SMALL, ...raised } }) : small;
    assert.deepEqual(refusals(limits, under), []);
    assert.deepEqual(refusals(limits, over), [[limit, SMALL[limit]]]);
  });
}

test('bytes: the document is measured in UTF-8 bytes before it is parsed', () => {
  const base = '{ show(id: 1) { id } } #';
  const at = base + 'é'.repeat((200 - base.length) / 2);
  assert.equal(Buffer.byteLength(at), 200);
  assert.deepEqual(refusals(small, at), []);
  assert.deepEqual(refusals(small, `${at} `), [['bytes', 200]]);
  assert.equal(small.oversized(at), 0);
  assert.equal(small.oversized(`${at}x`), 201);
});

test('the message is the library\'s, without its "Syntax Error" prefix', () => {
  const errors = small.validate(SCHEMA, small.parse(CASES.depth[1]));
  assert.equal(errors[0].message, 'Query depth limit of 3 exceeded, found 4.');
  assert.throws(() => small.parse(CASES.tokens[1]), { message: 'Token limit of 40 exceeded.' });
});

test('fragments are flattened for depth: the same shape is as deep, spread or not', () => {
  const plain = '{ show(id: 1) { venue { name } } }';
  const spread = '{ show(id: 1) { ...S } } fragment S on Show { venue { ... on Venue { name } } }';
  const a = small.measure(SCHEMA, plain);
  const b = small.measure(SCHEMA, spread);
  assert.equal(a.depth, 3);
  assert.equal(b.depth, 3);
  assert.deepEqual(refusals(small, spread), []);
});

test('introspection counts for neither depth nor cost, and is refused where it is off', () => {
  const query = '{ __schema { types { fields { type { ofType { ofType { name } } } } } } }';
  assert.deepEqual(refusals(small, query), []);
  const off = new OperationLimits({ limits: SMALL, introspection: false });
  assert.match(refusals(off, query)[0][0], /introspection has been disabled/);
  assert.match(refusals(off, '{ __type(name: "Show") { name } }')[0][0], /introspection has been disabled/);
  assert.deepEqual(refusals(off, '{ show(id: 1) { __typename } }'), []);
});

test('settings: the defaults, the environment, production', () => {
  const defaults = edgeSettings({});
  assert.deepEqual(defaults.limits, Object.fromEntries(Object.entries(DEFAULTS).map(([k, [, v]]) => [k, v])));
  assert.equal(defaults.suggestions, true);
  assert.equal(defaults.introspection, true);
  const set = edgeSettings({ TICKETFLOW_MAX_DEPTH: '4', TICKETFLOW_MAX_COST: ' 900 ', TICKETFLOW_ENV: 'production' });
  assert.equal(set.limits.depth, 4);
  assert.equal(set.limits.cost, 900);
  assert.equal(set.suggestions, false);
  assert.equal(set.introspection, false);
  assert.equal(edgeSettings({ TICKETFLOW_ENV: 'test' }).introspection, true);
  assert.equal(edgeSettings({ TICKETFLOW_ENV: 'production', TICKETFLOW_INTROSPECTION: 'true' }).introspection, true);
  for (const bad of ['0', '-1', '2.5', 'ten']) {
    assert.throws(() => edgeSettings({ TICKETFLOW_MAX_TOKENS: bad }), /TICKETFLOW_MAX_TOKENS/);
  }
});

test('suggestions are cut from every kind of graphql-js message', () => {
  const cases = {
    'Cannot query field "titel" on type "Show". Did you mean "title"?': 'Cannot query field "titel" on type "Show".',
    'Value "MOVI" does not exist in "Kind" enum. Did you mean the enum value "MOVIE"?':
      'Value "MOVI" does not exist in "Kind" enum.',
    'Unknown argument "idd" on field "Query.show". Did you mean "id"?': 'Unknown argument "idd" on field "Query.show".',
    'Unknown type "Shw". Did you mean "Show", "Showing", or "Shows"?': 'Unknown type "Shw".',
    'Cannot query field "nope" on type "Query".': 'Cannot query field "nope" on type "Query".',
  };
  for (const [message, expected] of Object.entries(cases)) assert.equal(withoutSuggestions(message), expected);
});

test('the gateway plugin: limits on parse and validate; suggestions hidden only when asked', () => {
  const rules = [];
  let parseFn;
  const hidden = new OperationLimits({ limits: SMALL, suggestions: false });
  const plugin = useOperationLimits(hidden);
  plugin.onParse({ setParseFn: (fn) => { parseFn = fn; } });
  const done = plugin.onValidate({ addValidationRule: (rule) => rules.push(rule) });
  assert.equal(parseFn, hidden.parse);
  assert.equal(rules.length, hidden.rules.length);
  let result;
  done({ valid: false, result: hidden.validate(SCHEMA, hidden.parse('{ show(id: 1) { titel } }')), setResult: (r) => { result = r; } });
  assert.equal(result[0].message, 'Cannot query field "titel" on type "Show".');
  let executed;
  plugin.onExecute().onExecuteDone({
    result: { errors: [hidden.validate(SCHEMA, hidden.parse('{ show(id: 1) { titel } }'))[0]] },
    setResult: (r) => { executed = r; },
  });
  assert.equal(executed.errors[0].message, 'Cannot query field "titel" on type "Show".');
  const open = useOperationLimits(small);
  assert.equal(open.onValidate({ addValidationRule: () => {} }), undefined);
  assert.equal(open.onExecute, undefined);
});

test('the pass-through plans only subscriptions within the limits (the gateway answers the rest)', () => {
  const supergraph = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
  const apiSchema = buildSchema(supergraph);
  const limits = new OperationLimits({ limits: { ...SMALL, tokens: 1000, bytes: 4096, cost: 1000 } });
  const planner = new Planner({ apiSchema, index: supergraphIndex(supergraph), urlOf: () => undefined, limits });
  const watch = (fields) => `subscription($s: ID!) { seatAvailability(showId: $s) { ${fields} } }`;
  assert.equal(planner.plan(watch('a: kind b: version'))?.subgraph.name, 'booking');
  assert.equal(planner.plan(watch('a: kind b: version c: showId')), null); // aliases
  assert.equal(planner.plan(watch('kind @include(if: true) version @include(if: true) showId @include(if: true)')), null);
  assert.equal(planner.plan(`${watch('kind')} #${'x'.repeat(4096)}`), null); // bytes: not even kept in the cache
  assert.equal(planner.cache.size, 3);
});
