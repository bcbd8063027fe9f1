import { describe, expect, it } from 'vitest';
import type { SeatStatus } from '../src/seatmap/index';
import { parseSeatMap } from '../src/seatmap/model';
import { AVAILABLE, HELD, SOLD, SeatStates, UNKNOWN, segmentState, type SeatEvent } from '../src/seatmap/state';
import { smallMap } from './helpers';

const model = parseSeatMap(smallMap());
const fresh = () => new SeatStates(model.index, model.category, model.categories.length);
const seat = (seatId: string, state: SeatStatus, legs: SeatStatus[] = []) => ({ seatId, state, legs });
/** Every seat the feed knows (all but the blocked one), AVAILABLE unless given. */
function snapshot(version: number, overrides: Record<string, SeatStatus> = {}): SeatEvent {
  const seats = model.ids.filter((id) => id !== 'stalls/B/3').map((id) => seat(id, overrides[id] ?? 'AVAILABLE'));
  return { kind: 'SNAPSHOT', version, fromVersion: null, seats };
}
const delta = (fromVersion: number, version: number, seats: ReturnType<typeof seat>[]): SeatEvent => ({ kind: 'DELTA', version, fromVersion, seats });
const at = (id: string) => model.index.get(id)!;

describe('SeatStates', () => {
  it('knows nothing before the snapshot and asks for one on a delta', () => {
    const s = fresh();
    expect(s.version).toBeNull();
    expect([...s.states].every((v) => v === UNKNOWN)).toBe(true);
    expect(s.apply(delta(1, 2, [seat('stalls/A/1', 'SOLD')]))).toEqual({ kind: 'gap', have: null, fromVersion: 1 });
    expect(s.states[at('stalls/A/1')]).toBe(UNKNOWN);
  });

  it('a snapshot replaces everything', () => {
    const s = fresh();
    s.apply(snapshot(3, { 'stalls/A/1': 'SOLD', 'stalls/A/2': 'HELD' }));
    expect(s.version).toBe(3);
    expect(s.states[at('stalls/A/1')]).toBe(SOLD);
    expect(s.states[at('stalls/A/2')]).toBe(HELD);
    expect(s.states[at('stalls/A/3')]).toBe(AVAILABLE);
    expect(s.states[at('stalls/B/3')]).toBe(UNKNOWN); // blocked: not in the feed
    const r = s.apply(snapshot(9, { 'stalls/C/5': 'SOLD' }));
    expect(s.version).toBe(9);
    expect(s.states[at('stalls/A/1')]).toBe(AVAILABLE);
    expect(s.states[at('stalls/C/5')]).toBe(SOLD);
    expect(r.kind === 'applied' && r.changed.map((i) => model.ids[i]).sort()).toEqual(['stalls/A/1', 'stalls/A/2', 'stalls/C/5']);
  });

  it('applies deltas in order and reports the seats that changed', () => {
    const s = fresh();
    s.apply(snapshot(1));
    const r1 = s.apply(delta(1, 2, [seat('stalls/A/1', 'HELD'), seat('stalls/A/2', 'AVAILABLE')]));
    expect(r1).toEqual({ kind: 'applied', changed: [at('stalls/A/1')] });
    const r2 = s.apply(delta(2, 3, [seat('stalls/A/1', 'SOLD')]));
    expect(r2).toEqual({ kind: 'applied', changed: [at('stalls/A/1')] });
    expect(s.states[at('stalls/A/1')]).toBe(SOLD);
    expect(s.version).toBe(3);
  });

  it('reports a gap and changes nothing when a delta does not follow', () => {
    const s = fresh();
    s.apply(snapshot(5));
    const before = s.states.slice();
    expect(s.apply(delta(6, 7, [seat('stalls/A/1', 'SOLD')]))).toEqual({ kind: 'gap', have: 5, fromVersion: 6 });
    expect(s.version).toBe(5);
    expect(s.states).toEqual(before);
    expect(s.countsOf(0).available).toBe(5);
  });

  it('ignores a delta it already has (stale or repeated)', () => {
    const s = fresh();
    s.apply(snapshot(5));
    s.apply(delta(5, 6, [seat('stalls/A/1', 'HELD')]));
    expect(s.apply(delta(5, 6, [seat('stalls/A/1', 'HELD')]))).toEqual({ kind: 'stale' });
    expect(s.apply(delta(3, 4, [seat('stalls/A/1', 'AVAILABLE')]))).toEqual({ kind: 'stale' });
    expect(s.states[at('stalls/A/1')]).toBe(HELD);
    expect(s.version).toBe(6);
    expect(s.countsOf(0)).toEqual({ total: 5, available: 4, held: 1, sold: 0 });
  });

  it('applies a delta that covers several versions', () => {
    const s = fresh();
    s.apply(snapshot(10));
    const r = s.apply(delta(10, 14, [seat('stalls/A/1', 'SOLD'), seat('stalls/C/2', 'HELD')]));
    expect(r.kind).toBe('applied');
    expect(s.version).toBe(14);
    expect(s.apply(delta(14, 15, [seat('stalls/C/2', 'SOLD')])).kind).toBe('applied');
    expect(s.states[at('stalls/C/2')]).toBe(SOLD);
  });

  it('ignores seats it does not know', () => {
    const s = fresh();
    s.apply(snapshot(1));
    expect(s.apply(delta(1, 2, [seat('elsewhere/1', 'SOLD')]))).toEqual({ kind: 'applied', changed: [] });
    expect(s.version).toBe(2);
  });

  it('keeps per-category counts through deltas', () => {
    const s = fresh();
    s.apply(snapshot(1, { 'stalls/A/1': 'SOLD' }));
    expect(s.countsOf(0)).toEqual({ total: 5, available: 4, held: 0, sold: 1 });
    expect(s.countsOf(1)).toEqual({ total: 11, available: 11, held: 0, sold: 0 });
    s.apply(delta(1, 2, [seat('stalls/A/2', 'HELD'), seat('stalls/B/1', 'HELD'), seat('side/D/2', 'SOLD')]));
    s.apply(delta(2, 4, [seat('stalls/A/2', 'SOLD'), seat('stalls/B/1', 'AVAILABLE')]));
    expect(s.countsOf(0)).toEqual({ total: 5, available: 3, held: 0, sold: 2 });
    expect(s.countsOf(1)).toEqual({ total: 11, available: 10, held: 0, sold: 1 });
    expect(s.totals()).toEqual({ total: 16, available: 13, held: 0, sold: 3 });
    // The same as counting from scratch.
    const recount = [0, 0, 0, 0];
    for (let i = 0; i < model.count; i++) if (model.category[i] === 1) recount[s.states[i]]++;
    expect(recount.slice(0, 3)).toEqual([10, 0, 1]);
  });
});

describe('journeys', () => {
  it('folds legs over a segment', () => {
    const [A, H, S] = [AVAILABLE, HELD, SOLD];
    expect(segmentState([A, A, A], 0, 3)).toBe(AVAILABLE);
    expect(segmentState([A, H, A], 0, 3)).toBe(HELD);
    expect(segmentState([A, H, S], 0, 3)).toBe(SOLD);
    expect(segmentState([S, H, A], 2, 3)).toBe(AVAILABLE);
    expect(segmentState([S, H, A], 1, 3)).toBe(HELD);
    expect(segmentState([A, H, S], 0, 1)).toBe(AVAILABLE);
  });

  it('draws and counts a seat for the segment picked, deltas included', () => {
    const s = fresh();
    const legs = (l: SeatStatus[]) => l;
    const seats = model.ids
      .filter((id) => id !== 'stalls/B/3')
      .map((id) => seat(id, 'AVAILABLE', legs(['AVAILABLE', 'AVAILABLE', 'AVAILABLE'])));
    // A1 sold Berlin→Hanover (leg 0), A2 held on leg 2.
    seats[0] = seat('stalls/A/1', 'SOLD', ['SOLD', 'AVAILABLE', 'AVAILABLE']);
    seats[1] = seat('stalls/A/2', 'HELD', ['AVAILABLE', 'AVAILABLE', 'HELD']);
    s.apply({ kind: 'SNAPSHOT', version: 1, seats });
    expect(s.legsPerSeat).toBe(3);
    expect(s.states[at('stalls/A/1')]).toBe(SOLD); // whole journey
    let changed = s.setSegment({ from: 1, to: 3 });
    expect(changed.map((i) => model.ids[i])).toEqual(['stalls/A/1']);
    expect(s.states[at('stalls/A/1')]).toBe(AVAILABLE);
    expect(s.states[at('stalls/A/2')]).toBe(HELD);
    expect(s.countsOf(0)).toEqual({ total: 5, available: 4, held: 1, sold: 0 });
    changed = s.setSegment({ from: 0, to: 2 });
    expect(s.states[at('stalls/A/1')]).toBe(SOLD);
    expect(s.states[at('stalls/A/2')]).toBe(AVAILABLE);
    expect(s.countsOf(0)).toEqual({ total: 5, available: 4, held: 0, sold: 1 });
    // Sold on leg 2 only: still free for legs 0–1.
    const r = s.apply(delta(1, 2, [seat('stalls/A/3', 'SOLD', ['AVAILABLE', 'AVAILABLE', 'SOLD']), seat('stalls/A/4', 'HELD', ['AVAILABLE', 'HELD', 'AVAILABLE'])]));
    expect(r).toEqual({ kind: 'applied', changed: [at('stalls/A/4')] });
    expect(s.states[at('stalls/A/3')]).toBe(AVAILABLE);
    expect(s.countsOf(0)).toEqual({ total: 5, available: 3, held: 1, sold: 1 });
    expect(s.legState(at('stalls/A/3'), 2)).toBe(SOLD);
    s.setSegment(null);
    expect(s.states[at('stalls/A/3')]).toBe(SOLD);
    expect(s.states[at('stalls/A/2')]).toBe(HELD);
  });
});
