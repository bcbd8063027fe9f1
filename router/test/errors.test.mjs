import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphQLError } from 'graphql';
import { errorOptions, generateRequestId, maskError, requestIdOf, useRequestScope } from '../lib/errors.mjs';

const operation = useRequestScope().instrumentation.operation;

function logger() {
  const lines = [];
  return { lines, error: (attrs, message) => lines.push({ attrs, message }) };
}

test("a masked error carries the id of the request it answers and is logged under it", async () => {
  const request = new Request('http://router/graphql', { headers: { 'x-request-id': 'req-42' } });
  const log = logger();
  const masked = await operation({ request, context: { log } }, async () => {
    await Promise.resolve(); // the id survives the awaits of an operation
    return maskError(new Error('db exploded'), 'Unexpected error.');
  });
  assert.deepEqual(masked.toJSON(), {
    message: 'Unexpected error.',
    extensions: { code: 'INTERNAL', requestId: 'req-42', unexpected: true },
  });
  assert.equal(log.lines.length, 1);
  assert.equal(log.lines[0].attrs.requestId, 'req-42');
  assert.match(log.lines[0].attrs.error, /db exploded/);
});

test('a request without X-Request-Id gets the id the gateway made for it', () => {
  const request = new Request('http://router/graphql');
  const id = generateRequestId({ request });
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal(requestIdOf(request), id);
  const masked = operation({ request, context: {} }, () =>
    maskError(new GraphQLError('boom', { extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'venue' } }),
      'Unexpected error.'));
  assert.deepEqual(masked.toJSON().extensions, { code: 'INTERNAL', serviceName: 'venue', requestId: id });
});

test('errors that keep their code are left alone, and outside a request no id is made up', () => {
  const forbidden = new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } });
  assert.equal(operation({ request: new Request('http://router/graphql') }, () => maskError(forbidden, 'x')), forbidden);
  assert.deepEqual(maskError(new Error('x'), 'Unexpected error.').toJSON().extensions, { code: 'INTERNAL', unexpected: true });
});

test('the gateway masks with maskError and names requests by X-Request-Id', () => {
  assert.equal(errorOptions.maskedErrors.maskError, maskError);
  assert.equal(errorOptions.maskedErrors.errorMessage, 'Unexpected error.');
  assert.equal(errorOptions.requestId.headerName, 'x-request-id');
  const request = new Request('http://router/graphql');
  const id = errorOptions.requestId.generateRequestId({ request });
  assert.equal(requestIdOf(request), id);
});
