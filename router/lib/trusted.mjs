// Trusted documents: with TICKETFLOW_TRUSTED_DOCUMENTS=true the router runs only the GraphQL documents
// TicketFlow ships - the SDK's operations, the IDE's examples and the web app's documents, listed by the SHA-256 of their exact
// text in schema/trusted-documents.json (`make trusted-documents` writes it; tests/unit/
// test_trusted_documents.py fails while it is not current). Off by default.
//
// A client sends a trusted document either
//   by hash:  {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}, "variables": ...}
//             (no `query`; the Apollo/Hive persisted-query form), or
//   by text:  {"query": "<the very text>", ...} - what the SDK sends - accepted when its hash is listed.
// Anything else is refused before it is parsed, before any subgraph hears of it (HTTP 400):
//   an unknown hash  -> PERSISTED_QUERY_NOT_IN_LIST  "No trusted document has this hash."
//   any other text   -> QUERY_NOT_IN_LIST            "Only trusted documents are run here; this one is not among them."
// Looking a hash up is Hive Gateway's own persisted-documents support (its `persistedDocuments` option,
// Yoga's usePersistedOperations); it can only let every text through or none, so useTrustedDocuments
// (a plugin after it) lets through the texts that are listed. Over WebSocket every `subscribe` meets the
// same check first (passthrough.mjs asks `refusal`): one that is not listed gets an `error` message with
// the code above, and neither the gateway nor a subgraph sees it.
//
//   TICKETFLOW_TRUSTED_DOCUMENTS        "true" turns the mode on (default off)
//   TICKETFLOW_TRUSTED_DOCUMENTS_FILE   the manifest (default <repository>/schema/trusted-documents.json)

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphQLError } from 'graphql';
import { envFlag } from './env.mjs';

const MANIFEST = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema/trusted-documents.json');
export const NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';
export const QUERY_NOT_IN_LIST = 'QUERY_NOT_IN_LIST';

export function trustedDocumentSettings(env = process.env) {
  const file = env.TICKETFLOW_TRUSTED_DOCUMENTS_FILE?.trim();
  return {
    enabled: envFlag('TICKETFLOW_TRUSTED_DOCUMENTS', false, env),
    file: file ? resolve(process.cwd(), file) : MANIFEST,
  };
}

export const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

const refusal = (code, message) => ({ message, extensions: { code, http: { status: 400 } } });
const UNKNOWN_HASH = refusal(NOT_IN_LIST, 'No trusted document has this hash.');
const UNKNOWN_TEXT = refusal(QUERY_NOT_IN_LIST, 'Only trusted documents are run here; this one is not among them.');

/** The hash a request names (extensions.persistedQuery.sha256Hash), if any. */
export function requestedHash(params) {
  const persisted = params?.extensions?.persistedQuery;
  return persisted?.version === 1 && typeof persisted.sha256Hash === 'string' ? persisted.sha256Hash : null;
}

/** The manifest: {sha256 hex: document text}. */
export class TrustedDocuments {
  constructor(documents) {
    this.documents = new Map(Object.entries(documents));
    for (const [hash, text] of this.documents) {
      if (typeof text !== 'string' || sha256(text) !== hash) throw new Error(`trusted document ${hash}: its hash is not its text's`);
    }
  }

  static load(file) {
    let documents;
    try {
      documents = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`TICKETFLOW_TRUSTED_DOCUMENTS: cannot read ${file}: ${err.message}`);
    }
    return new TrustedDocuments(documents);
  }

  /** Why a request's document is not run, as the JSON error a WebSocket client gets; null when it is listed. */
  refusal(params) {
    if (this.textOf(params) !== null) return null;
    const { message, extensions: { code } } = typeof params?.query !== 'string' && requestedHash(params)
      ? UNKNOWN_HASH
      : UNKNOWN_TEXT;
    return { message, extensions: { code } };
  }

  /** The listed text of a request's document (by hash, else by text); null when it is not listed. */
  textOf(params) {
    if (typeof params?.query === 'string') return this.documents.has(sha256(params.query)) ? params.query : null;
    const hash = requestedHash(params);
    return hash ? this.documents.get(hash) ?? null : null;
  }
}

/** The gateway's `persistedDocuments` option: hashes looked up in the manifest, texts left to useTrustedDocuments. */
export function persistedDocumentsOption(documents) {
  return {
    getPersistedOperation: (hash) => documents.documents.get(hash) ?? null,
    allowArbitraryDocuments: true,
    customErrors: { notFound: UNKNOWN_HASH },
  };
}

/** The plugin that refuses any text that is not listed (after the hash lookup turned hashes into texts). */
export function useTrustedDocuments(documents) {
  return {
    onParams({ params }) {
      if (typeof params.query === 'string' && documents.textOf({ query: params.query }) === null) {
        throw new GraphQLError(UNKNOWN_TEXT.message, { extensions: UNKNOWN_TEXT.extensions });
      }
    },
  };
}
