import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'graphql';
import { singleSubgraph, supergraphIndex } from '../lib/ownership.mjs';

// A small supergraph: A owns the subscription root; Show is an entity of B that A contributes to;
// Tick lives in A, except `show` (an entity jump to B's fields), `late` (needs B's field) and `shadow`.
const SUPERGRAPH = `
schema @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION) { query: Query subscription: Subscription }
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: String, extension: Boolean! = false, resolvable: Boolean! = true,
  isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__field(graph: join__Graph, requires: String, provides: String, type: String, external: Boolean,
  override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
enum join__Graph {
  A @join__graph(name: "a", url: "http://a/graphql")
  B @join__graph(name: "b", url: "http://b/graphql")
}
type Query @join__type(graph: A) @join__type(graph: B) {
  tick: Tick @join__field(graph: A)
}
type Subscription @join__type(graph: A) @join__type(graph: B) {
  ticks(n: Int!): Tick! @join__field(graph: A)
  fromB: Show! @join__field(graph: B)
  both: Int!
  thing: Thing! @join__field(graph: A)
  partial: Partial! @join__field(graph: A)
}
type Tick @join__type(graph: A) {
  n: Int!
  size: Size!
  show: Show!
  late: Int! @join__field(graph: A, requires: "show { title }")
  shadow: Int! @join__field(graph: A, external: true) @join__field(graph: B)
}
type Show @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  title: String! @join__field(graph: B)
  seats: Int! @join__field(graph: A)
}
type Size @join__type(graph: A) { rows: Int! }
union Thing @join__type(graph: A) @join__unionMember(graph: A, member: "Tick") @join__unionMember(graph: A, member: "Size") = Tick | Size
union Partial @join__type(graph: A) @join__type(graph: B) @join__unionMember(graph: A, member: "Tick") @join__unionMember(graph: B, member: "Size") = Tick | Size
`;
const index = supergraphIndex(SUPERGRAPH);
const owner = (query, operationName) => singleSubgraph(index, parse(query), operationName)?.name ?? null;

test("a subscription whose every field lives in the root field's subgraph is that subgraph's", () => {
  assert.equal(owner('subscription { ticks(n: 1) { n size { rows } __typename } }'), 'a');
  assert.equal(owner('subscription { ticks(n: 1) { show { id seats } } }'), 'a', "an entity's fields kept in A");
});

test('fragments are followed, named and inline', () => {
  assert.equal(owner('subscription { ticks(n: 1) { ...F } } fragment F on Tick { n ... on Tick { size { rows } } }'), 'a');
  assert.equal(owner('subscription { ticks(n: 1) { ...F } } fragment F on Tick { show { title } }'), null);
});

test('an entity jump, a field that requires another, an external field: not one subgraph', () => {
  assert.equal(owner('subscription { ticks(n: 1) { show { title } } }'), null);
  assert.equal(owner('subscription { ticks(n: 1) { late } }'), null);
  assert.equal(owner('subscription { ticks(n: 1) { shadow } }'), null);
});

test('the root field decides the subgraph; a root field of several subgraphs is left to the planner', () => {
  assert.equal(owner('subscription { fromB { id title } }'), 'b');
  assert.equal(owner('subscription { both }'), null);
});

test('abstract types pass only when the subgraph knows every member', () => {
  assert.equal(owner('subscription { thing { ... on Tick { n } ... on Size { rows } } }'), 'a');
  assert.equal(owner('subscription { partial { __typename } }'), null);
});

test('deferred fragments, queries and unknown operations go to the gateway', () => {
  assert.equal(owner('subscription { ticks(n: 1) { n ... @defer { size { rows } } } }'), null);
  assert.equal(owner('query { tick { n } }'), null);
  assert.equal(owner('subscription S { ticks(n: 1) { n } } subscription T { fromB { id } }', 'T'), 'b');
  assert.equal(owner('subscription S { ticks(n: 1) { n } } subscription T { fromB { id } }', 'U'), null);
  assert.equal(owner('subscription S { ticks(n: 1) { n } } subscription T { fromB { id } }'), null, 'which one?');
});

test("TicketFlow's seatAvailability is booking's alone, with its URL from the supergraph", () => {
  const real = supergraphIndex(readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8'));
  const watch = parse(`subscription($s: ID!) { seatAvailability(showId: $s) {
    showId kind version seats { seatId state legs } availability { total available held sold byCategory { category } }
    generalAdmission { sectionId } } }`);
  assert.deepEqual(singleSubgraph(real, watch), { name: 'booking', url: 'http://localhost:4003/graphql' });
});
