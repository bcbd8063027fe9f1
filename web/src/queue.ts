// The waiting room on the client: the proof of work joinQueue asks for (hashcash: a solution
// such that sha256(nonce + ":" + solution) starts with `difficulty` zero bits, solutions
// counted up in hex as the server's own solver does), and the passes admitted people hold,
// per show, sent as the TicketFlow-Queue-Pass header on that show's holds (docs/waiting-room.md).

export const PASS_HEADER = 'TicketFlow-Queue-Pass';
const PASSES_KEY = 'ticketflow.queuePasses';

export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** The first solution (0, 1, 2 ... in hex) that meets `difficulty`; `yieldEvery` hashes it
 * lets the page breathe (a 16-bit challenge takes about 65,000 hashes). */
export async function solveChallenge(nonce: string, difficulty: number, yieldEvery = 2000): Promise<string> {
  const encoder = new TextEncoder();
  for (let counter = 0; ; counter++) {
    const solution = counter.toString(16);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`${nonce}:${solution}`)));
    if (leadingZeroBits(digest) >= difficulty) return solution;
    if (counter % yieldEvery === yieldEvery - 1) await new Promise((r) => setTimeout(r, 0));
  }
}

interface StoredPass {
  pass: string;
  expiresAt: string | null;
}

function passes(): Record<string, StoredPass> {
  try {
    return JSON.parse(sessionStorage.getItem(PASSES_KEY) ?? '{}') as Record<string, StoredPass>;
  } catch {
    return {};
  }
}

export function rememberPass(showId: string, pass: string, expiresAt: string | null): void {
  sessionStorage.setItem(PASSES_KEY, JSON.stringify({ ...passes(), [showId]: { pass, expiresAt } }));
}

/** The show's pass while it lasts (null: none, or lapsed). */
export function passFor(showId: string, now = Date.now()): string | null {
  const found = passes()[showId];
  if (!found) return null;
  if (found.expiresAt && Date.parse(found.expiresAt) <= now) return null;
  return found.pass;
}

/** Headers for a hold of `showId`: the pass, when the person holds one. */
export function queueHeaders(showId: string): Record<string, string> {
  const pass = passFor(showId);
  return pass ? { [PASS_HEADER]: pass } : {};
}

/** "about 4 minutes" for an estimated wait in seconds. */
export function waitWords(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'unknown';
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 6) / 10;
  return `about ${hours} hours`;
}
