// The client's address, as the subgraphs are told it (X-Forwarded-For).

/** "::ffff:1.2.3.4" (an IPv4 client of a dual-stack socket) -> "1.2.3.4"; other addresses unchanged. */
export function normaliseAddress(address) {
  if (typeof address !== 'string' || !address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/**
 * X-Forwarded-For for subgraph requests: what the client sent, then the address of the peer connected to
 * the router (node's socket; for WebSockets the upgrade request's socket). Only the last entry is the
 * router's word - the others are whatever the client claimed. If the peer is unknown, "unknown" is
 * appended rather than letting the client's own last entry pass for the router's.
 */
export function forwardedFor(context) {
  const incoming = context?.request?.headers?.get?.('x-forwarded-for');
  const hops = incoming ? incoming.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const peer = normaliseAddress(context?.req?.socket?.remoteAddress ?? context?.socket?._socket?.remoteAddress);
  hops.push(peer ?? 'unknown');
  return hops.join(', ');
}
