// Operation limits: what the router refuses before any subgraph hears of an operation.
//
// The counting is GraphQL Armor's (@escape.tech/graphql-armor-*, the plugins Hive Gateway's own
// maxTokens / maxDepth options load); what is ours is the answer: every refusal is one GraphQL error
//   {"message": "<Armor's message>", "extensions": {"code": "OPERATION_LIMIT", "limit": "<name>", "max": <n>}}
// (Armor's own errors carry no code, so Yoga would call them GRAPHQL_PARSE_FAILED / _VALIDATION_FAILED),
// and the same checks serve the gateway (useOperationLimits, a plugin) and the subscription pass-through
// (Planner, lib/passthrough.mjs), which parses and validates documents itself.
//
//   limit       setting                        default  counted
//   bytes       TICKETFLOW_MAX_DOCUMENT_BYTES    16384  UTF-8 bytes of the document, before parsing
//   tokens      TICKETFLOW_MAX_TOKENS             1000  while parsing: the parser stops at the first token too many
//   depth       TICKETFLOW_MAX_DEPTH                10  field nesting (fragments flattened)
//   aliases     TICKETFLOW_MAX_ALIASES              15  aliases per operation (__typename free)
//   directives  TICKETFLOW_MAX_DIRECTIVES           20  directives per operation
//   cost        TICKETFLOW_MAX_COST               5000  Armor's static cost: scalar 1, object 2, each level down
//                                                       x1.5 (fragments flattened), x`first:` when it is a literal
// Our largest operations (the SDK's, GraphiQL's; tests/unit/test_operation_limits.py keeps them under 3/4 of
// each default): 1636 bytes and 183 tokens (GraphiQL's introspection), depth 6 (SDK myBookings), no alias or
// directive, cost 583 (SDK confirmPayment). Variables are not limited here: a 50,000-seat map is a variable.
// Introspection (__schema) is not counted for depth and cost, so GraphiQL works where introspection is on.
// A value of 0 is not "off": every limit is always on (set a large number instead).
//
// Production (TICKETFLOW_ENV=production) also hides field suggestions ("Did you mean …?") from every
// error message (TICKETFLOW_FIELD_SUGGESTIONS) and turns introspection off (TICKETFLOW_INTROSPECTION);
// both stay on in development and test.

import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule, specifiedRules, validate } from 'graphql';
import { envFlag, envInt } from './env.mjs';

export const LIMIT_CODE = 'OPERATION_LIMIT';

/** limit -> [environment variable, default]. The margins: docs/api-edge.md. */
export const DEFAULTS = {
  bytes: ['TICKETFLOW_MAX_DOCUMENT_BYTES', 16384],
  tokens: ['TICKETFLOW_MAX_TOKENS', 1000],
  depth: ['TICKETFLOW_MAX_DEPTH', 10],
  aliases: ['TICKETFLOW_MAX_ALIASES', 15],
  directives: ['TICKETFLOW_MAX_DIRECTIVES', 20],
  cost: ['TICKETFLOW_MAX_COST', 5000],
};

const ARMOR_PREFIX = /^Syntax Error: /;

/** The refusal for `limit` (Armor's message, or ours for the document's size). */
export function limitError(limit, max, message) {
  return new GraphQLError(message.replace(ARMOR_PREFIX, ''), {
    extensions: { code: LIMIT_CODE, limit, max },
  });
}

/** The limits and the production switches, from the environment (a bad value stops the router). */
export function edgeSettings(env = process.env) {
  const limits = {};
  for (const [limit, [name, fallback]] of Object.entries(DEFAULTS)) {
    limits[limit] = envInt(name, fallback, { min: 1, env });
  }
  const production = (env.TICKETFLOW_ENV ?? '').trim().toLowerCase() === 'production';
  return {
    limits,
    suggestions: envFlag('TICKETFLOW_FIELD_SUGGESTIONS', !production, env),
    introspection: envFlag('TICKETFLOW_INTROSPECTION', !production, env),
  };
}

const byteLength = (source) => Buffer.byteLength(typeof source === 'string' ? source : source?.body ?? '');

/**
 * The checks for one set of limits:
 *   parse(source, options)  graphql's parse, refusing documents over `bytes` or `tokens`;
 *   rules                   validation rules for depth, aliases, directives, cost (and introspection off);
 *   validate(schema, doc)   graphql's validate with all of them (the pass-through's);
 *   measure(schema, source) what each limit counts in a document (tests, docs/api-edge.md).
 */
export class OperationLimits {
  constructor({ limits, introspection = true, suggestions = true } = edgeSettings()) {
    this.limits = limits;
    this.introspection = introspection;
    this.suggestions = suggestions;
    this.rules = this.makeRules(limits, (limit) => [(context, error) => {
      context.reportError(limitError(limit, limits[limit], error.message));
    }]);
    if (!introspection) this.rules.push(NoSchemaIntrospectionCustomRule);
    this.parse = this.parse.bind(this);
  }

  makeRules(n, onReject, onAccept = () => []) {
    const common = (limit) => ({ propagateOnRejection: false, onReject: onReject(limit), onAccept: onAccept(limit) });
    return [
      maxDepthRule({ n: n.depth, flattenFragments: true, ...common('depth') }),
      maxAliasesRule({ n: n.aliases, ...common('aliases') }),
      maxDirectivesRule({ n: n.directives, ...common('directives') }),
      costLimitRule({ maxCost: n.cost, flattenFragments: true, ...common('cost') }),
    ];
  }

  /** The size of `source` in bytes when that is over the limit, else 0. */
  oversized(source) {
    const size = byteLength(source);
    return size > this.limits.bytes ? size : 0;
  }

  parse(source, options) {
    const { bytes, tokens } = this.limits;
    const size = this.oversized(source);
    if (size) throw limitError('bytes', bytes, `Document size limit of ${bytes} bytes exceeded, found ${size}.`);
    const onReject = [(_, error) => {
      throw limitError('tokens', tokens, error.message);
    }];
    return new MaxTokensParserWLexer(source, { ...options, n: tokens, onReject }).parseDocument();
  }

  validate(schema, document) {
    return validate(schema, document, [...specifiedRules, ...this.rules]);
  }

  measure(schema, source) {
    const found = { bytes: byteLength(source), tokens: 0 };
    const record = (limit) => [(_, { n }) => {
      found[limit] = Math.max(found[limit] ?? 0, n);
    }];
    const document = new MaxTokensParserWLexer(source, { n: Infinity, onAccept: record('tokens') }).parseDocument();
    const unlimited = { depth: Infinity, aliases: Infinity, directives: Infinity, cost: Infinity };
    const errors = validate(schema, document, [...specifiedRules, ...this.makeRules(unlimited, () => [], record)]);
    if (errors.length) throw errors[0];
    return found;
  }
}

const SUGGESTION = /\s*Did you mean [^?]*\?/;
const SUGGESTIONS = new RegExp(SUGGESTION.source, 'g');

/** `message` without graphql-js's "Did you mean …?" (fields, arguments, types, enum values, input fields). */
export function withoutSuggestions(message) {
  return message.replace(SUGGESTIONS, '');
}

/**
 * The gateway's side (HTTP and its graphql-ws server): every document parsed with the limits, every
 * validation with the rules, and - where suggestions are off (limits.suggestions) - no suggestion in
 * validation errors or in the variable errors execution reports.
 */
export function useOperationLimits(limits) {
  const { suggestions } = limits;
  const hide = (errors) => errors.map((error) => {
    if (!(error instanceof GraphQLError) || !SUGGESTION.test(error.message)) return error;
    return new GraphQLError(withoutSuggestions(error.message), {
      nodes: error.nodes, source: error.source, positions: error.positions, path: error.path,
      originalError: error.originalError, extensions: error.extensions,
    });
  });
  const hideInResult = ({ result, setResult }) => {
    if (Array.isArray(result?.errors)) setResult({ ...result, errors: hide(result.errors) });
  };
  return {
    onParse({ setParseFn }) {
      setParseFn(limits.parse);
    },
    onValidate({ addValidationRule }) {
      for (const rule of limits.rules) addValidationRule(rule);
      if (suggestions) return undefined;
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(hide(result));
      };
    },
    ...(suggestions ? {} : {
      onExecute: () => ({ onExecuteDone: hideInResult }),
      onSubscribe: () => ({ onSubscribeResult: hideInResult }),
    }),
  };
}
