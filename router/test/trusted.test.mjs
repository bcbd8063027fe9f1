import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import {
  NOT_IN_LIST, QUERY_NOT_IN_LIST, TrustedDocuments, persistedDocumentsOption, requestedHash, sha256,
  trustedDocumentSettings, useTrustedDocuments,
} from '../lib/trusted.mjs';

const SHOWN = 'query Shows { shows { nodes { id } } }';
const documents = new TrustedDocuments({ [sha256(SHOWN)]: SHOWN });
const byHash = (hash) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

test('a listed document is found by its text and by its hash; anything else is not', () => {
  assert.equal(documents.textOf({ query: SHOWN }), SHOWN);
  assert.equal(documents.textOf(byHash(sha256(SHOWN))), SHOWN);
  assert.equal(documents.textOf({ query: `${SHOWN} ` }), null); // the exact text, not an equivalent one
  assert.equal(documents.textOf(byHash(sha256('{ me { id } }'))), null);
  assert.equal(documents.textOf({}), null);
  assert.equal(requestedHash({ extensions: { persistedQuery: { version: 2, sha256Hash: 'x' } } }), null);
});

test('over WebSocket: the refusal of a document that is not listed, without HTTP', () => {
  assert.equal(documents.refusal({ query: SHOWN }), null);
  assert.equal(documents.refusal(byHash(sha256(SHOWN))), null);
  assert.deepEqual(documents.refusal({ query: '{ me { id } }' }), {
    message: 'Only trusted documents are run here; this one is not among them.',
    extensions: { code: QUERY_NOT_IN_LIST },
  });
  assert.deepEqual(documents.refusal(byHash('f'.repeat(64))), {
    message: 'No trusted document has this hash.', extensions: { code: NOT_IN_LIST },
  });
  assert.equal(documents.refusal({}).extensions.code, QUERY_NOT_IN_LIST);
});

test('the gateway option looks hashes up and leaves texts to the plugin; unknown hashes get their code', () => {
  const option = persistedDocumentsOption(documents);
  assert.equal(option.getPersistedOperation(sha256(SHOWN)), SHOWN);
  assert.equal(option.getPersistedOperation('f'.repeat(64)), null);
  assert.equal(option.allowArbitraryDocuments, true);
  assert.equal(option.customErrors.notFound.extensions.code, NOT_IN_LIST);
  assert.equal(option.customErrors.notFound.extensions.http.status, 400);
});

test('the plugin lets a listed text through and refuses any other with QUERY_NOT_IN_LIST', () => {
  const plugin = useTrustedDocuments(documents);
  assert.equal(plugin.onParams({ params: { query: SHOWN } }), undefined);
  assert.equal(plugin.onParams({ params: byHash(sha256(SHOWN)) }), undefined); // the lookup's to answer
  assert.throws(() => plugin.onParams({ params: { query: '{ me { id } }' } }), (error) => {
    assert.equal(error.extensions.code, QUERY_NOT_IN_LIST);
    assert.equal(error.extensions.http.status, 400);
    return true;
  });
});

test('the manifest: every hash must be its text\'s; an unreadable file names the setting', () => {
  assert.throws(() => new TrustedDocuments({ ['0'.repeat(64)]: SHOWN }), /its hash is not its text's/);
  const dir = mkdtempSync(join(tmpdir(), 'trusted-'));
  writeFileSync(join(dir, 'bad.json'), '{not json');
  assert.throws(() => TrustedDocuments.load(join(dir, 'bad.json')), /TICKETFLOW_TRUSTED_DOCUMENTS: cannot read/);
  writeFileSync(join(dir, 'good.json'), JSON.stringify({ [sha256(SHOWN)]: SHOWN }));
  assert.equal(TrustedDocuments.load(join(dir, 'good.json')).textOf({ query: SHOWN }), SHOWN);
});

test('the committed manifest loads, and the mode is off unless turned on', () => {
  const settings = trustedDocumentSettings({});
  assert.equal(settings.enabled, false);
  assert.equal(settings.file, resolve(import.meta.dirname, '../../schema/trusted-documents.json'));
  assert.ok(TrustedDocuments.load(settings.file).documents.size > 30);
  const on = trustedDocumentSettings({ TICKETFLOW_TRUSTED_DOCUMENTS: 'true', TICKETFLOW_TRUSTED_DOCUMENTS_FILE: 'x.json' });
  assert.deepEqual(on, { enabled: true, file: resolve(process.cwd(), 'x.json') });
});
