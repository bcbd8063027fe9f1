// A hold's countdown: the time left until an ISO `expiresAt`, as m:ss, and a ticker that fires
// on whole seconds (so the shown seconds change together with the clock).

/** Milliseconds left until expiresAt at time `now` (ms since the epoch); negative once past, NaN for a bad date. */
export function remainingMs(expiresAt: string, now: number): number {
  return Date.parse(expiresAt) - now;
}

/** "m:ss" left (rounded up to the second, so 0:01 shows until it is really over), "expired" at or below zero. */
export function formatRemaining(expiresAt: string, now: number): string {
  const ms = remainingMs(expiresAt, now);
  if (Number.isNaN(ms)) return 'expired';
  return formatMs(ms);
}

export function formatMs(ms: number): string {
  if (!(ms > 0)) return 'expired';
  const seconds = Math.ceil(ms / 1000);
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Delay from `now` until the shown value next changes: the next whole second of the remaining time. */
export function msToNextTick(expiresAt: string, now: number): number {
  const ms = remainingMs(expiresAt, now);
  if (!(ms > 0)) return 0;
  const into = ms % 1000;
  return into === 0 ? 1000 : into;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Calls onTick(text, msLeft) now and every time the shown m:ss changes, until it reads
 * "expired" (the last call) or the returned stop function is called.
 */
export function startCountdown(expiresAt: string, onTick: (text: string, msLeft: number) => void, clock: Clock = realClock): () => void {
  let handle: unknown = null;
  let stopped = false;
  const tick = () => {
    handle = null;
    if (stopped) return;
    const now = clock.now();
    const left = remainingMs(expiresAt, now);
    onTick(formatMs(left), left);
    if (left > 0) handle = clock.setTimeout(tick, msToNextTick(expiresAt, now));
  };
  tick();
  return () => {
    stopped = true;
    if (handle !== null) clock.clearTimeout(handle);
  };
}
