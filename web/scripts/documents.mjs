// Prints, as a JSON list, the exact text of every GraphQL document the web app sends: each
// generated document (src/gql/graphql.ts, `npm run codegen`) printed by graphql-js's print, as
// src/api.ts prints it before sending. scripts/trusted_documents.py lists them among the
// trusted documents, so the app keeps working with TICKETFLOW_TRUSTED_DOCUMENTS=true.
//
//   node web/scripts/documents.mjs [path/to/generated/graphql.ts]
//       (default src/gql/graphql.ts; Node 23.6+ reads the generated TypeScript directly)

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { print } from 'graphql';

const file = resolve(import.meta.dirname, process.argv[2] ?? '../src/gql/graphql.ts');
const generated = await import(pathToFileURL(file).href);

const texts = Object.entries(generated)
  .filter(([name, value]) => name.endsWith('Document') && value?.kind === 'Document')
  .filter(([, value]) => value.definitions.some((d) => d.kind === 'OperationDefinition'))
  .map(([, value]) => print(value))
  .sort();
process.stdout.write(JSON.stringify(texts));
