// The seat map as typed arrays: Show.seatMap (compact, columnar JSON) parsed once into
// Float32Array / Int32Array / Uint8Array columns, an id → index map, the bounds, per-section
// and per-category facts, and a uniform grid over the seats for hit testing, visible-range
// queries and keyboard neighbour search. No DOM here: everything is testable in node.
import type { CompactSeatMap } from './index';

export const FLAG_ACCESSIBLE = 1;
export const FLAG_BLOCKED = 2;

export interface Rect {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface SectionInfo {
  id: string;
  key: string;
  name: string;
  generalAdmission: boolean;
  capacity: number | null;
  category: string | null;
  /** Seats of the section (0 for a standing section). */
  seatCount: number;
  /** Where the section is drawn: its seats' bounds, or the area laid out for a standing section. */
  bounds: Rect;
}

export interface CategoryInfo {
  name: string;
  /** Seats of the category (blocked included). */
  seatCount: number;
  /** Seats of the category that are for sale (not blocked). */
  forSale: number;
}

export interface SeatModel {
  readonly count: number;
  readonly ids: readonly string[];
  readonly labels: readonly string[];
  readonly rows: readonly string[];
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly category: Int32Array;
  readonly section: Int32Array;
  readonly flags: Uint8Array;
  readonly index: ReadonlyMap<string, number>;
  readonly categories: CategoryInfo[];
  readonly sections: SectionInfo[];
  /** Distance between neighbouring seats (world units); seats are drawn a bit smaller. */
  readonly pitch: number;
  /** Seats and standing areas, padded by half a seat. */
  readonly bounds: Rect;
  readonly grid: HitGrid;
}

/** Parse Show.seatMap; throws a TypeError on columns of different lengths. */
export function parseSeatMap(map: CompactSeatMap): SeatModel {
  const s = map.seats;
  const n = s.id.length;
  for (const key of ['label', 'row', 'x', 'y', 'category', 'section', 'flags'] as const) {
    if (s[key].length !== n) throw new TypeError(`seatMap.seats.${key} has ${s[key].length} entries, id has ${n}`);
  }
  const x = Float32Array.from(s.x);
  const y = Float32Array.from(s.y);
  const category = Int32Array.from(s.category);
  const section = Int32Array.from(s.section);
  const flags = Uint8Array.from(s.flags);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(s.id[i], i);

  const categories: CategoryInfo[] = map.categories.map((name) => ({ name, seatCount: 0, forSale: 0 }));
  const sections: SectionInfo[] = map.sections.map((sec) => ({
    id: sec.id,
    key: sec.key,
    name: sec.name,
    generalAdmission: sec.generalAdmission,
    capacity: sec.capacity,
    category: sec.category,
    seatCount: 0,
    bounds: { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity },
  }));
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const yi = y[i];
    if (xi < minX) minX = xi;
    if (xi > maxX) maxX = xi;
    if (yi < minY) minY = yi;
    if (yi > maxY) maxY = yi;
    const c = categories[category[i]];
    if (c) {
      c.seatCount++;
      if (!(flags[i] & FLAG_BLOCKED)) c.forSale++;
    }
    const sec = sections[section[i]];
    if (sec) {
      sec.seatCount++;
      const b = sec.bounds;
      if (xi < b.minX) b.minX = xi;
      if (xi > b.maxX) b.maxX = xi;
      if (yi < b.minY) b.minY = yi;
      if (yi > b.maxY) b.maxY = yi;
    }
  }
  if (n === 0) {
    minX = minY = 0;
    maxX = maxY = 0;
  }
  const pitch = estimatePitch(s.section, s.row, x, y);
  const half = pitch / 2;
  for (const sec of sections) {
    if (sec.seatCount === 0) continue;
    sec.bounds = { minX: sec.bounds.minX - half, minY: sec.bounds.minY - half, maxX: sec.bounds.maxX + half, maxY: sec.bounds.maxY + half };
  }
  const bounds: Rect = { minX: minX - half, minY: minY - half, maxX: maxX + half, maxY: maxY + half };
  // Standing sections have no positions: lay them out side by side in front of the seats
  // (smaller y is nearer the stage).
  const standing = sections.filter((sec) => sec.generalAdmission || sec.seatCount === 0);
  if (standing.length) {
    const width = Math.max(bounds.maxX - bounds.minX, pitch * 12 * standing.length);
    const height = Math.min(Math.max((bounds.maxY - bounds.minY) * 0.2, pitch * 6), Math.max(width * 0.5, pitch * 6));
    const gap = pitch * 2;
    const each = (width - gap * (standing.length - 1)) / standing.length;
    const top = bounds.minY - gap - height;
    standing.forEach((sec, k) => {
      const left = bounds.minX + k * (each + gap);
      sec.bounds = { minX: left, minY: top, maxX: left + each, maxY: top + height };
    });
    bounds.minY = top;
    bounds.maxX = Math.max(bounds.maxX, bounds.minX + width);
  }
  const grid = new HitGrid(x, y, pitch);
  return {
    count: n,
    ids: s.id,
    labels: s.label,
    rows: s.row,
    x,
    y,
    category,
    section,
    flags,
    index,
    categories,
    sections,
    pitch,
    bounds,
    grid,
  };
}

/** The usual distance between seats next to each other in a row (median over a sample). */
function estimatePitch(section: number[], row: string[], x: Float32Array, y: Float32Array): number {
  const gaps: number[] = [];
  const step = Math.max(1, Math.floor(x.length / 4000));
  for (let i = 1; i < x.length && gaps.length < 4000; i += step) {
    if (section[i] !== section[i - 1] || row[i] !== row[i - 1]) continue;
    const d = Math.hypot(x[i] - x[i - 1], y[i] - y[i - 1]);
    if (d > 0) gaps.push(d);
  }
  if (!gaps.length) return 10;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/** A uniform grid over the seats (compressed: one array of seat indexes ordered by cell). */
export class HitGrid {
  readonly cell: number;
  readonly cols: number;
  readonly rows: number;
  readonly originX: number;
  readonly originY: number;
  /** Seats of cell c are items[start[c] .. start[c + 1]). */
  private readonly start: Int32Array;
  private readonly items: Int32Array;

  constructor(
    private readonly x: Float32Array,
    private readonly y: Float32Array,
    pitch: number,
  ) {
    const n = x.length;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      if (x[i] < minX) minX = x[i];
      if (x[i] > maxX) maxX = x[i];
      if (y[i] < minY) minY = y[i];
      if (y[i] > maxY) maxY = y[i];
    }
    if (!n) minX = minY = maxX = maxY = 0;
    let cell = Math.max(pitch * 2, 1e-6);
    // Keep the grid at most ~4 cells per seat however sparse the map is.
    while (((maxX - minX) / cell + 1) * ((maxY - minY) / cell + 1) > Math.max(4 * n, 64)) cell *= 2;
    this.cell = cell;
    this.originX = minX;
    this.originY = minY;
    this.cols = Math.floor((maxX - minX) / cell) + 1;
    this.rows = Math.floor((maxY - minY) / cell) + 1;
    const cells = this.cols * this.rows;
    const start = new Int32Array(cells + 1);
    const cellOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.cellAt(x[i], y[i]);
      cellOf[i] = c;
      start[c + 1]++;
    }
    for (let c = 0; c < cells; c++) start[c + 1] += start[c];
    const fill = start.slice(0, cells);
    const items = new Int32Array(n);
    for (let i = 0; i < n; i++) items[fill[cellOf[i]]++] = i;
    this.start = start;
    this.items = items;
  }

  private col(wx: number): number {
    return Math.min(this.cols - 1, Math.max(0, Math.floor((wx - this.originX) / this.cell)));
  }

  private row(wy: number): number {
    return Math.min(this.rows - 1, Math.max(0, Math.floor((wy - this.originY) / this.cell)));
  }

  private cellAt(wx: number, wy: number): number {
    return this.row(wy) * this.cols + this.col(wx);
  }

  /** Calls visit for every seat whose centre may lie in the rectangle (whole cells: a superset). */
  forEachIn(r: Rect, visit: (seat: number) => void): void {
    if (!this.items.length) return;
    const c0 = this.col(r.minX);
    const c1 = this.col(r.maxX);
    const r0 = this.row(r.minY);
    const r1 = this.row(r.maxY);
    const { start, items } = this;
    for (let row = r0; row <= r1; row++) {
      for (let c = row * this.cols + c0, end = row * this.cols + c1; c <= end; c++) {
        for (let k = start[c], e = start[c + 1]; k < e; k++) visit(items[k]);
      }
    }
  }

  /** Seat indexes whose centres lie in the rectangle, into out (reused); returns the count. */
  collect(r: Rect, out: Int32Array): number {
    if (!this.items.length) return 0;
    const { x, y, start, items } = this;
    const c0 = this.col(r.minX);
    const c1 = this.col(r.maxX);
    const r0 = this.row(r.minY);
    const r1 = this.row(r.maxY);
    const { minX, minY, maxX, maxY } = r;
    let k = 0;
    for (let row = r0; row <= r1; row++) {
      const from = start[row * this.cols + c0];
      const to = start[row * this.cols + c1 + 1];
      for (let j = from; j < to; j++) {
        const i = items[j];
        const xi = x[i];
        const yi = y[i];
        if (xi >= minX && xi <= maxX && yi >= minY && yi <= maxY) out[k++] = i;
      }
    }
    return k;
  }

  /** The seat whose centre is nearest (wx, wy) within radius, or -1. */
  hit(wx: number, wy: number, radius: number): number {
    let best = -1;
    let bestD = radius * radius;
    const { x, y } = this;
    this.forEachIn({ minX: wx - radius, minY: wy - radius, maxX: wx + radius, maxY: wy + radius }, (i) => {
      const dx = x[i] - wx;
      const dy = y[i] - wy;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    });
    return best;
  }

  /**
   * The seat to move to from seat `from` on an arrow key: the nearest seat that lies in that
   * direction, weighing sideways distance three times (so → stays in the row, ↓ goes to the
   * seat behind). accept filters seats (e.g. only seats for sale); -1 if there is none.
   */
  neighbour(from: number, dir: Direction, accept: (seat: number) => boolean = () => true): number {
    const { x, y } = this;
    const fx = x[from];
    const fy = y[from];
    const [ux, uy] = dir === 'left' ? [-1, 0] : dir === 'right' ? [1, 0] : dir === 'up' ? [0, -1] : [0, 1];
    const fc = this.col(fx);
    const fr = this.row(fy);
    const maxRing = Math.max(this.cols, this.rows);
    let best = -1;
    let bestScore = Infinity;
    const consider = (i: number) => {
      if (i === from) return;
      const dx = x[i] - fx;
      const dy = y[i] - fy;
      const along = dx * ux + dy * uy;
      if (along <= 1e-6) return;
      const side = Math.abs(dx * uy - dy * ux);
      const score = along + 3 * side;
      if (score < bestScore && accept(i)) {
        bestScore = score;
        best = i;
      }
    };
    for (let ring = 0; ring <= maxRing; ring++) {
      // A seat in this ring is at least (ring - 1) cells away on one axis, so its score is too.
      if (best >= 0 && (ring - 1) * this.cell > bestScore) break;
      this.visitRing(fc, fr, ring, consider);
    }
    return best;
  }

  private visitRing(cc: number, cr: number, ring: number, visit: (seat: number) => void): void {
    const { start, items } = this;
    const cellVisit = (c: number, r: number) => {
      if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) return;
      const cell = r * this.cols + c;
      for (let k = start[cell], e = start[cell + 1]; k < e; k++) visit(items[k]);
    };
    if (ring === 0) return cellVisit(cc, cr);
    for (let c = cc - ring; c <= cc + ring; c++) {
      cellVisit(c, cr - ring);
      cellVisit(c, cr + ring);
    }
    for (let r = cr - ring + 1; r <= cr + ring - 1; r++) {
      cellVisit(cc - ring, r);
      cellVisit(cc + ring, r);
    }
  }
}
