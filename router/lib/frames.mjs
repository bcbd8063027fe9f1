// graphql-transport-ws frames on the pass-through, handled as bytes.
//
// An upstream `next` laid out as {"id":"<id>","type":"next","payload":...} (id first, no spaces: what the
// booking subgraph writes) reaches a client as {"id":"<client id>","type":"next","payload":...}: the same
// bytes with the id swapped, never parsed or serialised again. Ids upstream are the router's own
// (see upstream.mjs), [0-9a-z] only, so the id ends at the next quote. Anything else - another layout,
// `error`, `complete`, `ping` - is parsed (rare, and small).

const HEAD = Buffer.from('{"id":"');
const NEXT = Buffer.from(',"type":"next","payload":');
const ERRORS = Buffer.from('"errors"');
const QUOTE = 0x22;

/**
 * The upstream id of a `next` frame in the fast layout, and where the rest after the id's closing quote
 * begins (what a client frame keeps); null for any other frame.
 */
export function fastNext(frame) {
  if (frame.length < HEAD.length + NEXT.length + 2 || frame.compare(HEAD, 0, HEAD.length, 0, HEAD.length) !== 0) {
    return null;
  }
  const end = frame.indexOf(QUOTE, HEAD.length);
  if (end < 0 || frame.compare(NEXT, 0, NEXT.length, end + 1, end + 1 + NEXT.length) !== 0) return null;
  return { id: frame.toString('latin1', HEAD.length, end), rest: end + 1 };
}

/** May this `next` frame carry errors (which are then masked)? A cheap look for the key, false positives allowed. */
export function mayHaveErrors(frame, from = 0) {
  return frame.indexOf(ERRORS, from) >= 0;
}

/** The bytes that start a client's frame: {"id":<its id as JSON> */
export function clientHead(clientId) {
  return Buffer.from(`{"id":${JSON.stringify(clientId)}`);
}

/** A client frame: its head, then the upstream frame after the upstream id. */
export function rewrite(head, frame, rest) {
  return Buffer.concat([head, frame.subarray(rest)], head.length + frame.length - rest);
}

/** Any message, the slow way. */
export function message(id, type, payload) {
  return JSON.stringify(payload === undefined ? { id, type } : { id, type, payload });
}
