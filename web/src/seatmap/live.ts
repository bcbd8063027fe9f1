// The live feed of one mounted map: Subscription.seatAvailability(showId), a SNAPSHOT then
// DELTAs, applied to SeatStates. A delta that does not follow the version held (a gap), an
// error (SUBGRAPH_UNAVAILABLE, NETWORK...) or the end of the stream ends the subscription and
// subscribes again after a backoff with jitter, which starts over from a new snapshot.
// The subscription itself (the GraphQL document over graphql-ws) is feed.ts; this file needs
// no generated code, so its tests run without codegen.
import type { LiveStatus } from './index';
import type { SeatEvent, SeatStates } from './state';

export interface FeedEvent extends SeatEvent {
  availability?: { total: number; available: number; held: number; sold: number } | null;
}

export interface FeedSink {
  next(event: FeedEvent): void;
  error(error: { code: string; message: string }): void;
  complete(): void;
}

/** Starts one subscription; returns the function that ends it. */
export type Subscribe = (showId: string, sink: FeedSink) => () => void;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  random: Math.random,
};

/** The wait before resubscribing after `attempt` failures in a row: exponential, capped, with jitter (50–100 %). */
export function backoff(attempt: number, random: () => number, base = 500, cap = 30_000): number {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

export interface LiveHandlers {
  /** A message changed the states; changed: seat indexes whose drawn state changed. */
  applied(changed: number[], event: FeedEvent): void;
  status(status: LiveStatus): void;
  /** A gap or an error made the feed start over (for a message to the person). */
  restarting?(reason: string): void;
}

export class LiveFeed {
  private unsubscribe: (() => void) | null = null;
  private generation = 0;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  private state: LiveStatus['state'] = 'connecting';
  private serverAvailability: FeedEvent['availability'] = null;

  constructor(
    private readonly showId: string,
    private readonly store: SeatStates,
    private readonly handlers: LiveHandlers,
    private readonly subscribeFn: Subscribe,
    private readonly timers: Timers = realTimers,
    /** Counts from the feed (whole show) or from the states drawn (a segment of a journey). */
    private readonly useLocalCounts: () => boolean = () => false,
  ) {}

  start(): void {
    this.stopped = false;
    this.state = 'connecting';
    this.report();
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const end = this.unsubscribe;
    this.unsubscribe = null;
    end?.();
  }

  /** Where the feed stands (for onStatus). */
  status(): LiveStatus {
    const version = this.store.version;
    let availability: LiveStatus['availability'] = null;
    if (version !== null) availability = this.useLocalCounts() || !this.serverAvailability ? this.store.totals() : { ...this.serverAvailability };
    return { state: this.state, version, availability };
  }

  report(): void {
    this.handlers.status(this.status());
  }

  private open(): void {
    const generation = ++this.generation;
    const live = () => generation === this.generation && !this.stopped;
    const end = this.subscribeFn(this.showId, {
      next: (event) => {
        if (!live()) return;
        const result = this.store.apply(event);
        if (result.kind === 'gap') return this.restart(`version gap (have ${result.have}, delta from ${result.fromVersion})`);
        if (result.kind === 'stale') return;
        if (event.availability) this.serverAvailability = event.availability;
        if (event.kind === 'SNAPSHOT') this.attempt = 0;
        this.state = 'live';
        this.handlers.applied(result.changed, event);
        this.report();
      },
      error: (e) => {
        if (live()) this.restart(`${e.code}: ${e.message}`);
      },
      complete: () => {
        if (live()) this.restart('the feed ended');
      },
    });
    // The sink may have restarted (or the map stopped) before `end` was returned.
    if (live()) this.unsubscribe = end;
    else end();
  }

  private restart(reason: string): void {
    this.generation++;
    const end = this.unsubscribe;
    this.unsubscribe = null;
    end?.();
    this.state = 'reconnecting';
    this.handlers.restarting?.(reason);
    this.report();
    const delay = backoff(this.attempt++, this.timers.random);
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, delay);
  }
}
