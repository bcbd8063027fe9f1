// Token checks at the router: every access token a client presents is verified (tokens.mjs) before
// anything is executed, and a bad one is refused with UNAUTHENTICATED (HTTP 401) - no subgraph hears of
// it. A request without a token goes through (anonymous access is legal; subgraphs decide per field).
// The router still forwards the Authorization header: every subgraph verifies the token again.
//
// Where the check runs:
//  - HTTP (queries, mutations, GET, SSE): in onRequestParse, before the body is even parsed;
//  - graphql-transport-ws: Hive Gateway acks every connection_init and builds a context per `subscribe`
//    (onRequestParse does not run), so the connection's credentials (connection_init payload and upgrade
//    header) are checked in onContextBuilding; the client gets a `next` with the UNAUTHENTICATED error,
//    then `complete`, and no subgraph hears of it. The pass-through (passthrough.mjs) checks the same way.
// The subject (`sub`) of the valid token goes on the context as `tokenSubject` (null: anonymous), for the
// rate limits per client (ratelimit.mjs).
// Hive Gateway's own `jwt` option is not used: it can't verify EdDSA (tokens.mjs says why).

import { GraphQLError } from 'graphql';
import { presentedAuthorizations, setWarn, verifyAuthorization } from './tokens.mjs';

/** Verifies every presented Authorization; the subject of the first token (null: none was presented). */
export async function verifiedSubject(values, jwks) {
  let subject = null;
  for (const value of values) {
    const claims = await verifyAuthorization(value, jwks);
    subject ??= claims?.sub ?? null;
  }
  return subject;
}

/** The gateway plugin that checks every presented token against `jwks` (a RemoteJwks). */
export function useAccessTokens(jwks) {
  const subjects = new WeakMap(); // HTTP request -> the subject of its token (checked in onRequestParse)
  return {
    onYogaInit({ yoga }) {
      const logger = yoga?.logger;
      if (logger && typeof logger.warn === 'function') setWarn((...args) => logger.warn(...args));
    },
    async onRequestParse({ request }) {
      subjects.set(request, await verifiedSubject(presentedAuthorizations({ request }), jwks));
    },
    async onContextBuilding({ context, extendContext }) {
      if (context?.request && subjects.has(context.request)) {
        extendContext({ tokenSubject: subjects.get(context.request) });
        return;
      }
      try {
        extendContext({ tokenSubject: await verifiedSubject(presentedAuthorizations(context), jwks) });
      } catch (error) {
        // over WebSocket Yoga would serialise extensions.http into the message: leave it out there
        throw error instanceof GraphQLError && error.extensions?.code === 'UNAUTHENTICATED'
          ? new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED' } })
          : error;
      }
    },
  };
}
