// GraphQL Code Generator: every document in src/ is checked against the supergraph that the
// router serves (../schema/supergraph.graphql) and typed; a field that does not exist, a
// wrong argument or variable type fails the build. Output: src/gql/ (generated, not kept in git).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema/supergraph.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
  silent: true,
};

export default config;
