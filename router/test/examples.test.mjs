import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildSchema, parse, validate } from 'graphql';
import { EXAMPLES, EXAMPLE_COLLECTIONS, graphiqlOption } from '../lib/examples.mjs';

const schema = buildSchema(readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8'),
  { assumeValidSDL: true });

test('every example is valid against the supergraph and its variables and headers are JSON', () => {
  assert.ok(EXAMPLES.length >= 5);
  for (const example of EXAMPLES) {
    assert.deepEqual(validate(schema, parse(example.query)), [], example.name);
    for (const field of ['variables', 'headers']) {
      if (example[field] !== undefined) assert.equal(typeof JSON.parse(example[field]), 'object', example.name);
    }
  }
});

test('the collection holds every example once, as a complete IDE operation', () => {
  const [collection] = EXAMPLE_COLLECTIONS;
  assert.equal(collection.name, 'TicketFlow: getting started');
  assert.equal(collection.operations.length, EXAMPLES.length);
  assert.equal(new Set(collection.operations.map((op) => op.id)).size, EXAMPLES.length);
  for (const [i, op] of collection.operations.entries()) {
    assert.equal(op.query, EXAMPLES[i].query);
    for (const field of ['id', 'name', 'description', 'createdAt', 'variables', 'headers', 'extensions']) {
      assert.equal(typeof op[field], 'string', `${op.name}: ${field}`);
    }
  }
  // an example without headers gets '{}', one with the token's placeholder keeps it
  assert.equal(collection.operations[0].headers, '{}');
  assert.match(collection.operations[1].headers, /Bearer <paste accessToken/);
});

test('the IDE option: the examples when on, nothing when off', () => {
  assert.equal(graphiqlOption(false), false);
  const on = graphiqlOption(true);
  assert.equal(on.subscriptionsProtocol, 'WS');
  assert.equal(on.defaultCollections, EXAMPLE_COLLECTIONS);
});
