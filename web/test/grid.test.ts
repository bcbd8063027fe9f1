import { describe, expect, it } from 'vitest';
import { stadiumMap } from '../dev/stadium';
import { FLAG_BLOCKED, parseSeatMap } from '../src/seatmap/model';
import { smallMap } from './helpers';

const stadium = parseSeatMap(stadiumMap(50_000));

describe('hit grid', () => {
  it('finds every seat of a small map at its centre and a little off it', () => {
    const m = parseSeatMap(smallMap());
    for (let i = 0; i < m.count; i++) {
      expect(m.grid.hit(m.x[i], m.y[i], 5)).toBe(i);
      expect(m.grid.hit(m.x[i] + 3, m.y[i] - 2, 5)).toBe(i);
    }
  });

  it('finds nothing in empty space', () => {
    const m = parseSeatMap(smallMap());
    expect(m.grid.hit(60, 10, 5)).toBe(-1); // the aisle
    expect(m.grid.hit(20, 40, 5)).toBe(-1); // behind the last row
    expect(m.grid.hit(-50, -50, 5)).toBe(-1);
    // Between two blocks of the stadium (block 1 ends at y 190, block 2 starts at 300).
    expect(stadium.grid.hit(250, 245, 5)).toBe(-1);
  });

  it('finds the right seat among 50,000', () => {
    for (const id of ['block-1/1/1', 'block-17/8/33', 'block-50/20/50', 'block-25/3/1']) {
      const i = stadium.index.get(id)!;
      expect(stadium.grid.hit(stadium.x[i] + 2, stadium.y[i] + 2, 5)).toBe(i);
    }
  });

  it('collects exactly the seats inside a rectangle', () => {
    const out = new Int32Array(stadium.count);
    const r = { minX: 95, minY: 2950, maxX: 305, maxY: 3420 };
    const n = stadium.grid.collect(r, out);
    const expected: number[] = [];
    for (let i = 0; i < stadium.count; i++) {
      if (stadium.x[i] >= r.minX && stadium.x[i] <= r.maxX && stadium.y[i] >= r.minY && stadium.y[i] <= r.maxY) expected.push(i);
    }
    expect(expected.length).toBeGreaterThan(100);
    expect([...out.subarray(0, n)].sort((a, b) => a - b)).toEqual(expected);
  });
});

describe('keyboard neighbours', () => {
  const m = parseSeatMap(smallMap());
  const at = (id: string) => m.index.get(id)!;
  const id = (i: number) => (i < 0 ? null : m.ids[i]);

  it('moves along the row and between rows', () => {
    expect(id(m.grid.neighbour(at('stalls/A/2'), 'right'))).toBe('stalls/A/3');
    expect(id(m.grid.neighbour(at('stalls/A/2'), 'left'))).toBe('stalls/A/1');
    expect(id(m.grid.neighbour(at('stalls/A/2'), 'down'))).toBe('stalls/B/2');
    expect(id(m.grid.neighbour(at('stalls/C/4'), 'up'))).toBe('stalls/B/4');
  });

  it('stops at the edge', () => {
    expect(m.grid.neighbour(at('stalls/A/1'), 'left')).toBe(-1);
    expect(m.grid.neighbour(at('stalls/A/1'), 'up')).toBe(-1);
    expect(m.grid.neighbour(at('stalls/C/3'), 'down')).toBe(-1);
  });

  it('crosses an aisle to the next section', () => {
    expect(id(m.grid.neighbour(at('stalls/B/5'), 'right'))).toBe('side/D/1');
    expect(id(m.grid.neighbour(at('side/D/1'), 'left'))).toBe('stalls/B/5');
  });

  it('skips seats the filter refuses', () => {
    const forSale = (i: number) => !(m.flags[i] & FLAG_BLOCKED);
    expect(id(m.grid.neighbour(at('stalls/B/2'), 'right', forSale))).toBe('stalls/B/4');
  });

  it('goes from one stadium block to the next', () => {
    const from = stadium.index.get('block-3/20/10')!;
    expect(stadium.ids[stadium.grid.neighbour(from, 'down')]).toBe('block-4/1/10');
  });
});
