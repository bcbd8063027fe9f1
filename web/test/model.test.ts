import { describe, expect, it } from 'vitest';
import { stadiumMap } from '../dev/stadium';
import { FLAG_ACCESSIBLE, FLAG_BLOCKED, parseSeatMap } from '../src/seatmap/model';
import { smallMap } from './helpers';

describe('parseSeatMap', () => {
  it('reads the columns into typed arrays with an id index', () => {
    const m = parseSeatMap(smallMap());
    expect(m.count).toBe(17);
    expect(m.x).toBeInstanceOf(Float32Array);
    expect(m.y).toBeInstanceOf(Float32Array);
    expect(m.category).toBeInstanceOf(Int32Array);
    expect(m.section).toBeInstanceOf(Int32Array);
    expect(m.flags).toBeInstanceOf(Uint8Array);
    const b3 = m.index.get('stalls/B/3')!;
    expect(m.labels[b3]).toBe('B3');
    expect(m.rows[b3]).toBe('B');
    expect([m.x[b3], m.y[b3]]).toEqual([20, 10]);
    expect(m.flags[b3] & FLAG_BLOCKED).toBe(FLAG_BLOCKED);
    expect(m.flags[m.index.get('stalls/C/1')!] & FLAG_ACCESSIBLE).toBe(FLAG_ACCESSIBLE);
    expect(m.index.get('nope')).toBeUndefined();
    expect(m.pitch).toBe(10);
  });

  it('counts seats per category (for sale leaves blocked out) and per section', () => {
    const m = parseSeatMap(smallMap());
    expect(m.categories.map((c) => [c.name, c.seatCount, c.forSale])).toEqual([
      ['PREMIUM', 5, 5],
      ['STANDARD', 12, 11],
    ]);
    expect(m.sections.map((s) => [s.key, s.seatCount])).toEqual([
      ['stalls', 15],
      ['side', 2],
      ['floor', 0],
    ]);
    expect(m.sections[0].bounds).toEqual({ minX: -5, minY: -5, maxX: 45, maxY: 25 });
  });

  it('lays standing sections out in front of the seats and includes them in the bounds', () => {
    const m = parseSeatMap(smallMap());
    const floor = m.sections[2].bounds;
    expect(floor.maxY).toBeLessThan(m.sections[0].bounds.minY);
    expect(floor.maxX).toBeGreaterThan(floor.minX);
    expect(m.bounds.minY).toBe(floor.minY);
    expect(m.bounds.maxY).toBe(25);
    expect(m.bounds.minX).toBe(-5);
    expect(m.bounds.maxX).toBeGreaterThanOrEqual(95);
  });

  it('refuses columns of different lengths', () => {
    const map = smallMap();
    map.seats.x.pop();
    expect(() => parseSeatMap(map)).toThrow(TypeError);
  });

  it('parses the 50,000-seat stadium', () => {
    const map = stadiumMap(50_000);
    const m = parseSeatMap(map);
    expect(m.count).toBe(50_000);
    expect(m.x.length).toBe(50_000);
    expect(m.flags.length).toBe(50_000);
    expect(m.index.size).toBe(50_000);
    expect(m.sections.length).toBe(51);
    expect(m.sections[0].seatCount).toBe(1000);
    expect(m.sections[50].generalAdmission).toBe(true);
    // Blocks of 20 rows × 50 seats, 10 apart; block 50 starts at y = 49 * 300.
    expect(m.bounds.minX).toBe(-5);
    expect(m.bounds.maxY).toBe(49 * 300 + 190 + 5);
    expect(m.bounds.minY).toBeLessThan(-5); // the standing floor in front
    expect(m.categories.map((c) => [c.name, c.seatCount])).toEqual([
      ['PREMIUM', 7500],
      ['STANDARD', 42500],
    ]);
    for (const k of [0, 1, 12_345, 49_999]) expect(m.index.get(map.seats.id[k])).toBe(k);
    const last = m.index.get('block-50/20/50')!;
    expect([m.x[last], m.y[last], m.labels[last]]).toEqual([490, 49 * 300 + 190, 'S50-20-50']);
  });

  it('parses a map without seats', () => {
    const map = smallMap();
    for (const k of Object.keys(map.seats) as (keyof typeof map.seats)[]) map.seats[k] = [];
    const m = parseSeatMap(map);
    expect(m.count).toBe(0);
    expect(m.grid.hit(0, 0, 100)).toBe(-1);
  });
});
