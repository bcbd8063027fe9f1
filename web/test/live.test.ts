import { describe, expect, it } from 'vitest';
import type { LiveStatus } from '../src/seatmap/index';
import { backoff, LiveFeed, type FeedEvent, type FeedSink, type Timers } from '../src/seatmap/live';
import { parseSeatMap } from '../src/seatmap/model';
import { AVAILABLE, HELD, SeatStates } from '../src/seatmap/state';
import { smallMap } from './helpers';

const model = parseSeatMap(smallMap());

/** A fake server: records subscriptions, lets the test push messages into the newest one. */
function harness() {
  const subs: { showId: string; sink: FeedSink; ended: boolean }[] = [];
  const timers: { ms: number; fn: () => void; cleared: boolean }[] = [];
  const fakeTimers: Timers = {
    setTimeout: (fn, ms) => {
      const t = { ms, fn, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimeout: (t) => {
      (t as { cleared: boolean }).cleared = true;
    },
    random: () => 0.5,
  };
  const store = new SeatStates(model.index, model.category, model.categories.length);
  const statuses: LiveStatus[] = [];
  const applied: number[][] = [];
  const feed = new LiveFeed(
    'show-1',
    store,
    { applied: (changed) => applied.push(changed), status: (s) => statuses.push(s) },
    (showId, sink) => {
      const sub = { showId, sink, ended: false };
      subs.push(sub);
      return () => {
        sub.ended = true;
      };
    },
    fakeTimers,
  );
  const runTimers = () => {
    const due = timers.splice(0).filter((t) => !t.cleared);
    for (const t of due) t.fn();
    return due.map((t) => t.ms);
  };
  return { subs, timers, store, statuses, applied, feed, runTimers };
}

const snapshot = (version: number, held: string[] = []): FeedEvent => ({
  kind: 'SNAPSHOT',
  version,
  fromVersion: null,
  seats: model.ids.map((seatId) => ({ seatId, state: held.includes(seatId) ? 'HELD' : 'AVAILABLE', legs: [] })),
  availability: { total: model.count, available: model.count - held.length, held: held.length, sold: 0 },
});
const delta = (fromVersion: number, version: number, seatId: string, state: 'AVAILABLE' | 'HELD' | 'SOLD'): FeedEvent => ({
  kind: 'DELTA',
  version,
  fromVersion,
  seats: [{ seatId, state, legs: [] }],
  availability: null,
});

describe('LiveFeed', () => {
  it('subscribes once, goes live on the snapshot and applies deltas', () => {
    const h = harness();
    h.feed.start();
    expect(h.subs.length).toBe(1);
    expect(h.subs[0].showId).toBe('show-1');
    expect(h.statuses.at(-1)).toEqual({ state: 'connecting', version: null, availability: null });
    h.subs[0].sink.next(snapshot(4, ['stalls/A/1']));
    expect(h.statuses.at(-1)).toMatchObject({ state: 'live', version: 4, availability: { held: 1 } });
    h.subs[0].sink.next(delta(4, 5, 'stalls/A/2', 'HELD'));
    expect(h.store.version).toBe(5);
    expect(h.store.states[model.index.get('stalls/A/2')!]).toBe(HELD);
    expect(h.applied.at(-1)).toEqual([model.index.get('stalls/A/2')]);
    expect(h.subs.length).toBe(1);
  });

  it('on a version gap ends the subscription and subscribes again after a backoff, from a new snapshot', () => {
    const h = harness();
    h.feed.start();
    h.subs[0].sink.next(snapshot(4));
    h.subs[0].sink.next(delta(6, 7, 'stalls/A/1', 'SOLD'));
    expect(h.subs[0].ended).toBe(true);
    expect(h.statuses.at(-1)!.state).toBe('reconnecting');
    expect(h.store.states[model.index.get('stalls/A/1')!]).toBe(AVAILABLE);
    expect(h.subs.length).toBe(1);
    expect(h.runTimers()).toEqual([backoff(0, () => 0.5)]);
    expect(h.subs.length).toBe(2);
    // Late messages of the old subscription change nothing.
    h.subs[0].sink.next(delta(4, 5, 'stalls/A/1', 'SOLD'));
    expect(h.store.version).toBe(4);
    h.subs[1].sink.next(snapshot(7, ['stalls/A/1']));
    expect(h.statuses.at(-1)).toMatchObject({ state: 'live', version: 7 });
    expect(h.store.states[model.index.get('stalls/A/1')!]).toBe(HELD);
  });

  it('ignores a repeated delta without resubscribing', () => {
    const h = harness();
    h.feed.start();
    h.subs[0].sink.next(snapshot(4));
    h.subs[0].sink.next(delta(4, 5, 'stalls/A/1', 'HELD'));
    h.subs[0].sink.next(delta(4, 5, 'stalls/A/1', 'HELD'));
    expect(h.subs[0].ended).toBe(false);
    expect(h.timers.length).toBe(0);
    expect(h.store.version).toBe(5);
  });

  it('on errors backs off longer each time, and starts again from short after a snapshot', () => {
    const h = harness();
    h.feed.start();
    const waits: number[] = [];
    for (let k = 0; k < 3; k++) {
      h.subs.at(-1)!.sink.error({ code: k === 0 ? 'SUBGRAPH_UNAVAILABLE' : 'NETWORK', message: 'down' });
      expect(h.subs.at(-1)!.ended).toBe(true);
      waits.push(...h.runTimers());
    }
    expect(waits[0]).toBeLessThan(waits[1]);
    expect(waits[1]).toBeLessThan(waits[2]);
    expect(h.subs.length).toBe(4);
    h.subs[3].sink.next(snapshot(1));
    h.subs[3].sink.complete();
    expect(h.runTimers()).toEqual([waits[0]]);
    expect(h.subs.length).toBe(5);
  });

  it('stop ends the subscription and a pending retry', () => {
    const h = harness();
    h.feed.start();
    h.subs[0].sink.error({ code: 'NETWORK', message: 'x' });
    h.feed.stop();
    expect(h.timers.every((t) => t.cleared)).toBe(true);
    expect(h.runTimers()).toEqual([]);
    expect(h.subs.length).toBe(1);
    const g = harness();
    g.feed.start();
    g.feed.stop();
    expect(g.subs[0].ended).toBe(true);
  });

  it('an error raised while subscribing still ends that subscription', () => {
    const h = harness();
    const ended: boolean[] = [];
    const feed = new LiveFeed('s', h.store, { applied: () => {}, status: () => {} }, (_id, sink) => {
      sink.error({ code: 'NETWORK', message: 'refused' });
      return () => ended.push(true);
    }, { setTimeout: () => 0, clearTimeout: () => {}, random: () => 0 });
    feed.start();
    expect(ended).toEqual([true]);
  });
});

describe('backoff', () => {
  it('grows, is capped, and is jittered between half and all of the ceiling', () => {
    expect(backoff(0, () => 0)).toBe(250);
    expect(backoff(0, () => 1)).toBe(500);
    expect(backoff(3, () => 1)).toBe(4000);
    expect(backoff(30, () => 1)).toBe(30_000);
    expect(backoff(30, () => 0)).toBe(15_000);
  });
});
