// The live seat states, pure (no DOM, no network): one byte per seat, the feed's SNAPSHOT and
// DELTA messages applied with their versions checked, journeys' per-leg states folded over the
// segment asked for, and per-category counts kept up to date seat by seat.
import type { SeatStatus } from './index';

export const AVAILABLE = 0;
export const HELD = 1;
export const SOLD = 2;
/** Not in the feed (yet): before the first snapshot, and seats the show does not sell. */
export const UNKNOWN = 3;

export type StateCode = typeof AVAILABLE | typeof HELD | typeof SOLD | typeof UNKNOWN;

const CODES: Record<SeatStatus, StateCode> = { AVAILABLE, HELD, SOLD };
export const STATUS_OF: readonly SeatStatus[] = ['AVAILABLE', 'HELD', 'SOLD'];

export interface SeatStateMessage {
  seatId: string;
  state: SeatStatus;
  legs: readonly SeatStatus[];
}

/** A SeatAvailabilityEvent, as much of it as the map needs. */
export interface SeatEvent {
  kind: 'SNAPSHOT' | 'DELTA';
  version: number;
  fromVersion?: number | null;
  seats: readonly SeatStateMessage[];
}

export type ApplyResult =
  /** changed: the seats whose state (over the current segment) changed. */
  | { kind: 'applied'; changed: number[] }
  /** The delta does not follow the state held: resubscribe (a new snapshot). Nothing changed. */
  | { kind: 'gap'; have: number | null; fromVersion: number | null }
  /** A delta at or before the version held (a repeat): ignored. */
  | { kind: 'stale' };

export interface Counts {
  total: number;
  available: number;
  held: number;
  sold: number;
}

export interface Segment {
  from: number;
  to: number;
}

/** Fold a seat's per-leg states over legs [from, to): SOLD if sold on any, AVAILABLE if free on all, else HELD. */
export function segmentState(legs: ArrayLike<number>, from: number, to: number): StateCode {
  let held = false;
  const end = Math.min(to, legs.length);
  for (let l = Math.max(0, from); l < end; l++) {
    const s = legs[l];
    if (s === SOLD) return SOLD;
    if (s !== AVAILABLE) held = true;
  }
  return held ? HELD : AVAILABLE;
}

export class SeatStates {
  /** The version of the state held; null before the first snapshot. */
  version: number | null = null;
  /** Each seat's state over the current segment (what is drawn). */
  readonly states: Uint8Array;
  /** Each seat's state as the feed sent it (the whole journey). */
  private readonly whole: Uint8Array;
  /** legs[i * legCount + l]: seat i on leg l (journeys only). */
  private legs: Uint8Array = new Uint8Array(0);
  private legCount = 0;
  private legsKnown: Uint8Array;
  private segment: Segment | null = null;
  /** counts[category * 4 + state] for state AVAILABLE, HELD, SOLD, UNKNOWN. */
  private readonly counts: Int32Array;

  constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly category: Int32Array,
    private readonly categoryCount: number,
  ) {
    const n = category.length;
    this.states = new Uint8Array(n).fill(UNKNOWN);
    this.whole = new Uint8Array(n).fill(UNKNOWN);
    this.legsKnown = new Uint8Array(n);
    this.counts = new Int32Array(Math.max(1, categoryCount) * 4);
    this.recount();
  }

  get size(): number {
    return this.states.length;
  }

  /** Legs the feed reports per seat (0 for a show without stops). */
  get legsPerSeat(): number {
    return this.legCount;
  }

  apply(event: SeatEvent): ApplyResult {
    if (event.kind === 'SNAPSHOT') return this.snapshot(event);
    if (this.version !== null && event.version <= this.version) return { kind: 'stale' };
    const from = event.fromVersion ?? null;
    if (this.version === null || from !== this.version) return { kind: 'gap', have: this.version, fromVersion: from };
    const changed: number[] = [];
    for (const seat of event.seats) {
      const i = this.index.get(seat.seatId);
      if (i === undefined) continue;
      const before = this.states[i];
      this.store(i, seat);
      const after = this.effective(i);
      if (after !== before) {
        this.move(i, before, after);
        changed.push(i);
      }
    }
    this.version = event.version;
    return { kind: 'applied', changed };
  }

  private snapshot(event: SeatEvent): ApplyResult {
    const before = this.states.slice();
    this.whole.fill(UNKNOWN);
    this.legsKnown.fill(0);
    let legCount = 0;
    for (const seat of event.seats) legCount = Math.max(legCount, seat.legs.length);
    if (legCount !== this.legCount) {
      this.legCount = legCount;
      this.legs = new Uint8Array(this.size * legCount);
    }
    for (const seat of event.seats) {
      const i = this.index.get(seat.seatId);
      if (i !== undefined) this.store(i, seat);
    }
    const changed: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const s = this.effective(i);
      this.states[i] = s;
      if (s !== before[i]) changed.push(i);
    }
    this.recount();
    this.version = event.version;
    return { kind: 'applied', changed };
  }

  private store(i: number, seat: SeatStateMessage): void {
    this.whole[i] = CODES[seat.state] ?? UNKNOWN;
    const legs = seat.legs;
    if (!legs.length) {
      this.legsKnown[i] = 0;
      return;
    }
    if (legs.length > this.legCount) this.growLegs(legs.length);
    const base = i * this.legCount;
    for (let l = 0; l < this.legCount; l++) this.legs[base + l] = l < legs.length ? (CODES[legs[l]] ?? HELD) : AVAILABLE;
    this.legsKnown[i] = 1;
  }

  private growLegs(legCount: number): void {
    const next = new Uint8Array(this.size * legCount);
    for (let i = 0; i < this.size; i++) {
      for (let l = 0; l < this.legCount; l++) next[i * legCount + l] = this.legs[i * this.legCount + l];
    }
    this.legs = next;
    this.legCount = legCount;
  }

  /** A seat's state over the current segment. */
  private effective(i: number): StateCode {
    const whole = this.whole[i] as StateCode;
    if (whole === UNKNOWN || !this.segment || !this.legsKnown[i]) return whole;
    const base = i * this.legCount;
    return segmentState(this.legs.subarray(base, base + this.legCount), this.segment.from, this.segment.to);
  }

  private move(i: number, from: number, to: StateCode): void {
    const c = this.category[i] * 4;
    this.counts[c + from]--;
    this.counts[c + to]++;
    this.states[i] = to;
  }

  private recount(): void {
    this.counts.fill(0);
    for (let i = 0; i < this.size; i++) this.counts[this.category[i] * 4 + this.states[i]]++;
  }

  /** Journeys: draw and count the seats over legs [from, to) (null: the whole journey). Returns the seats that changed. */
  setSegment(segment: Segment | null): number[] {
    this.segment = segment ? { from: segment.from, to: segment.to } : null;
    const changed: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const s = this.effective(i);
      if (s !== this.states[i]) {
        this.states[i] = s;
        changed.push(i);
      }
    }
    if (changed.length) this.recount();
    return changed;
  }

  /** A seat's state on one leg (journeys), or its whole state when the feed sent no legs. */
  legState(i: number, leg: number): StateCode {
    if (!this.legsKnown[i] || leg >= this.legCount) return this.whole[i] as StateCode;
    return this.legs[i * this.legCount + leg] as StateCode;
  }

  /** Seats of one category in each state (seats the feed does not report are left out). */
  countsOf(category: number): Counts {
    const c = category * 4;
    const available = this.counts[c];
    const held = this.counts[c + 1];
    const sold = this.counts[c + 2];
    return { total: available + held + sold, available, held, sold };
  }

  /** All seats the feed reports, in each state. */
  totals(): Counts {
    const t: Counts = { total: 0, available: 0, held: 0, sold: 0 };
    for (let c = 0; c < this.categoryCount; c++) {
      const k = this.countsOf(c);
      t.total += k.total;
      t.available += k.available;
      t.held += k.held;
      t.sold += k.sold;
    }
    return t;
  }
}
