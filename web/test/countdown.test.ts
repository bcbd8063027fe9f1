import { describe, expect, it } from 'vitest';
import { formatRemaining, msToNextTick, remainingMs, startCountdown, type Clock } from '../src/countdown';

const T = Date.parse('2031-06-01T19:00:00Z');
const at = (offsetMs: number) => T - offsetMs; // "now", offsetMs before expiry
const expires = '2031-06-01T19:00:00Z';

describe('countdown', () => {
  it('gives the milliseconds left', () => {
    expect(remainingMs(expires, at(90_000))).toBe(90_000);
    expect(remainingMs('2031-06-01T21:00:00+02:00', at(1000))).toBe(1000);
    expect(remainingMs(expires, T + 5)).toBe(-5);
  });

  it('formats m:ss, rounding up to the second', () => {
    expect(formatRemaining(expires, at(600_000))).toBe('10:00');
    expect(formatRemaining(expires, at(61_000))).toBe('1:01');
    expect(formatRemaining(expires, at(59_001))).toBe('1:00');
    expect(formatRemaining(expires, at(9_000))).toBe('0:09');
    expect(formatRemaining(expires, at(1))).toBe('0:01');
  });

  it('says expired at zero and after', () => {
    expect(formatRemaining(expires, T)).toBe('expired');
    expect(formatRemaining(expires, T + 60_000)).toBe('expired');
    expect(formatRemaining('not a date', T)).toBe('expired');
  });

  it('ticks on the boundary where the shown second changes', () => {
    expect(msToNextTick(expires, at(5_300))).toBe(300);
    expect(msToNextTick(expires, at(5_000))).toBe(1000);
    expect(msToNextTick(expires, T)).toBe(0);
  });

  it('runs until expired, aligned to seconds', () => {
    let now = at(2_400);
    const pending: { at: number; fn: () => void }[] = [];
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => pending.push({ at: now + ms, fn }),
      clearTimeout: () => {},
    };
    const seen: [string, number][] = [];
    startCountdown(expires, (text) => seen.push([text, T - now]), clock);
    while (pending.length) {
      const next = pending.shift()!;
      now = next.at;
      next.fn();
    }
    expect(seen).toEqual([
      ['0:03', 2400],
      ['0:02', 2000],
      ['0:01', 1000],
      ['expired', 0],
    ]);
  });

  it('stops when told', () => {
    const now = at(10_000);
    const cleared: unknown[] = [];
    const clock: Clock = { now: () => now, setTimeout: () => 'h1', clearTimeout: (h) => cleared.push(h) };
    let ticks = 0;
    const stop = startCountdown(expires, () => ticks++, clock);
    stop();
    expect(ticks).toBe(1);
    expect(cleared).toEqual(['h1']);
  });
});
