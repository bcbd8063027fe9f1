// The seat map on a <canvas>: only the seats in view are drawn, batched into one path per
// look (state × category), redrawn on requestAnimationFrame only when something changed.
// At low zoom seats are small squares and labels are skipped. Zoom (wheel, pinch, double
// click, buttons), pan (drag, touch, keys), fit. Each frame is a performance measure
// `seatmap:frame`; the first full draw is `seatmap:first-render` (from mount).
import { FLAG_ACCESSIBLE, FLAG_BLOCKED, type Rect, type SeatModel } from './model';
import { AVAILABLE, HELD, SOLD, UNKNOWN } from './state';

export const MARK_SELECTED = 1;
export const MARK_OWN = 2;

/** Category colours, in the order of seatMap.categories (distinct also in lightness). */
export const PALETTE = ['#2563eb', '#c2410c', '#15803d', '#7e22ce', '#be123c', '#0e7490', '#a16207', '#4338ca', '#be185d', '#4d7c0f'];
export const SOLD_FILL = '#d4d4d8';
export const SOLD_CROSS = '#71717a';
export const OUTLINE = '#a1a1aa';
export const SELECTED_RING = '#111827';
/** The person's own (held) seats: the same ring, but a white seat with a dark check. */
export const OWN_RING = '#111827';
export const OWN_FILL = '#ffffff';
export const FOCUS_RING = '#f59e0b';

export interface View {
  /** CSS px per world unit. */
  scale: number;
  /** Screen position (CSS px) of world (0, 0). */
  tx: number;
  ty: number;
}

export interface RendererOptions {
  model: SeatModel;
  /** Seat states (state.ts codes), read on every frame. */
  states: Uint8Array;
  /** MARK_SELECTED / MARK_OWN per seat. */
  marks: Uint8Array;
  colours: string[];
  /** The seat with the keyboard focus ring, -1 for none. */
  focus(): number;
  /** When the map was mounted (performance.now()), for seatmap:first-render. */
  mountedAt: number;
  /** After each frame is drawn. */
  drawn?(): void;
}

/** Seat size relative to the pitch. */
const SEAT = 0.8;
const TINY = 5;
const LABELS = 24;

export function heldPattern(ctx: CanvasRenderingContext2D, colour: string): CanvasPattern | string {
  if (typeof document === 'undefined') return colour;
  const tile = document.createElement('canvas');
  tile.width = tile.height = 6;
  const t = tile.getContext('2d');
  if (!t) return colour;
  t.fillStyle = '#ffffff';
  t.fillRect(0, 0, 6, 6);
  t.strokeStyle = colour;
  t.lineWidth = 2;
  t.beginPath();
  for (let k = -6; k <= 12; k += 6) {
    t.moveTo(k, 6);
    t.lineTo(k + 6, 0);
  }
  t.stroke();
  return ctx.createPattern(tile, 'repeat') ?? colour;
}

export type SymbolKind = 'available' | 'held' | 'sold' | 'blocked' | 'accessible' | 'selected' | 'own';

/** One seat symbol at (cx, cy), radius r: the map and the legend draw with the same function. */
export function drawSymbol(ctx: CanvasRenderingContext2D, kind: SymbolKind, colour: string, cx: number, cy: number, r: number): void {
  ctx.beginPath();
  if (kind === 'accessible') ctx.rect(cx - r, cy - r, 2 * r, 2 * r);
  else ctx.arc(cx, cy, r, 0, Math.PI * 2);
  if (kind === 'blocked') {
    ctx.strokeStyle = OUTLINE;
    ctx.lineWidth = 1.2;
    ctx.stroke();
    return;
  }
  ctx.fillStyle = kind === 'sold' ? SOLD_FILL : kind === 'held' ? heldPattern(ctx, colour) : kind === 'own' ? OWN_FILL : colour;
  ctx.fill();
  if (kind === 'sold') crossPath(ctx, cx, cy, r);
  if (kind === 'accessible') accessibleMark(ctx, cx, cy, r, '#ffffff');
  if (kind === 'selected' || kind === 'own') {
    ringAndCheck(ctx, cx, cy, r, kind === 'own' ? OWN_RING : SELECTED_RING, kind === 'own' ? OWN_RING : '#ffffff');
  }
}

function crossPath(ctx: CanvasRenderingContext2D, cx: number, cy: number, r: number): void {
  const d = r * 0.55;
  ctx.beginPath();
  ctx.moveTo(cx - d, cy - d);
  ctx.lineTo(cx + d, cy + d);
  ctx.moveTo(cx + d, cy - d);
  ctx.lineTo(cx - d, cy + d);
  ctx.strokeStyle = SOLD_CROSS;
  ctx.lineWidth = Math.max(1, r * 0.18);
  ctx.stroke();
}

function ringAndCheck(ctx: CanvasRenderingContext2D, cx: number, cy: number, r: number, ring: string, check: string): void {
  const lw = Math.max(2, r * 0.3);
  ctx.beginPath();
  ctx.arc(cx, cy, r + lw / 2, 0, Math.PI * 2);
  ctx.strokeStyle = ring;
  ctx.lineWidth = lw;
  ctx.stroke();
  checkPath(ctx, cx, cy, r);
  ctx.strokeStyle = check;
  ctx.lineWidth = Math.max(1.5, r * 0.25);
  ctx.stroke();
}

function checkPath(ctx: CanvasRenderingContext2D, cx: number, cy: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(cx - r * 0.5, cy);
  ctx.lineTo(cx - r * 0.12, cy + r * 0.4);
  ctx.lineTo(cx + r * 0.5, cy - r * 0.38);
}

function accessibleMark(ctx: CanvasRenderingContext2D, cx: number, cy: number, r: number, colour: string): void {
  ctx.fillStyle = colour;
  ctx.font = `${Math.round(r * 1.3)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText('♿', cx, cy + r * 0.05);
}

/** The number at the end of a label ("A12" → "12", "S1-1-12" → "12"), else the label. */
export function shortLabel(label: string): string {
  const m = /(\d+[A-Za-z]?)$/.exec(label);
  return m ? m[1] : label;
}

export class SeatMapRenderer {
  readonly canvas: HTMLCanvasElement;
  readonly view: View = { scale: 1, tx: 0, ty: 0 };
  /** CSS px. */
  width = 0;
  height = 0;
  private dpr = 1;
  private ctx: CanvasRenderingContext2D | null;
  private dirty = true;
  private raf = 0;
  private fitted = false;
  private firstDone = false;
  private destroyed = false;
  private readonly visible: Int32Array;
  private readonly order: Int32Array;
  private readonly bucketStart: Int32Array;
  private readonly cursor: Int32Array;
  /** The bucket of each visible seat, this frame. */
  private readonly bucket: Uint16Array;
  private readonly bucketCount: number;
  private patterns: (CanvasPattern | string)[] = [];
  private faded: string[] = [];
  private observer: ResizeObserver | null = null;
  private cleanups: (() => void)[] = [];
  private frames = 0;
  private layer: HTMLCanvasElement | null = null;
  private layerCtx: CanvasRenderingContext2D | null = null;
  private image: ImageData | null = null;
  private pixels: Uint32Array | null = null;
  private layerValid = false;
  private layerScale = 0;
  private layerDpr = 0;
  /** Screen position (CSS px, in the layer) of world (0, 0). */
  private layerTx = 0;
  private layerTy = 0;
  /** Seats changed since the layer was drawn. */
  private pending: number[] = [];
  private all: Int32Array | null = null;
  private readonly around: Int32Array;
  /** A tap or click that was not a drag, in client coordinates. */
  onTap: ((clientX: number, clientY: number) => void) | null = null;

  constructor(private readonly o: RendererOptions) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'seatmap-canvas';
    this.ctx = this.canvas.getContext('2d');
    const n = o.model.count;
    this.visible = new Int32Array(n);
    this.order = new Int32Array(n);
    const c = Math.max(1, o.model.categories.length);
    this.bucketCount = 4 * c + 2;
    this.bucketStart = new Int32Array(this.bucketCount + 1);
    this.cursor = new Int32Array(this.bucketCount);
    this.bucket = new Uint16Array(n);
    this.around = new Int32Array(n);
    if (this.ctx) {
      this.patterns = o.colours.map((colour) => heldPattern(this.ctx!, colour));
      this.faded = o.colours.map((colour) => colour + '66');
    }
    this.listen();
  }

  get seatPx(): number {
    return this.o.model.pitch * SEAT * this.view.scale;
  }

  private get fitScale(): number {
    const b = this.o.model.bounds;
    const w = Math.max(b.maxX - b.minX, 1e-6);
    const h = Math.max(b.maxY - b.minY, 1e-6);
    return Math.max(1e-6, Math.min((this.width - 24) / w, (this.height - 24) / h));
  }

  private get minScale(): number {
    return this.fitScale * 0.5;
  }

  private get maxScale(): number {
    return Math.max(96 / (this.o.model.pitch * SEAT), this.fitScale);
  }

  /**
   * Seats whose state or marks changed (null: possibly all): redraw them on the next frame.
   * Whoever changes `states` or `marks` says so here.
   */
  invalidate(seats: ArrayLike<number> | null = null): void {
    if (seats === null || seats.length > 2000 || this.pending.length > 4000) {
      this.layerValid = false;
      this.pending = [];
    } else if (this.layerValid) {
      for (let k = 0; k < seats.length; k++) this.pending.push(seats[k]);
    }
    this.requestDraw();
  }

  /** Whether the whole map at this zoom makes a layer of reasonable size. */
  private layerFits(): boolean {
    const b = this.o.model.bounds;
    const w = (b.maxX - b.minX) * this.view.scale + 8;
    const h = (b.maxY - b.minY) * this.view.scale + 8;
    const d = this.dpr;
    return w * d <= 8192 && h * d <= 8192 && w * h <= 4 * this.width * this.height + 1;
  }

  private buildLayer(): void {
    const { model } = this.o;
    const b = model.bounds;
    const scale = this.view.scale;
    const pad = 4;
    this.layer ??= document.createElement('canvas');
    const W = Math.max(1, Math.ceil(((b.maxX - b.minX) * scale + 2 * pad) * this.dpr));
    const H = Math.max(1, Math.ceil(((b.maxY - b.minY) * scale + 2 * pad) * this.dpr));
    if (this.layer.width !== W || this.layer.height !== H) {
      this.layer.width = W;
      this.layer.height = H;
    }
    this.layerCtx = this.layer.getContext('2d');
    this.layerScale = scale;
    this.layerDpr = this.dpr;
    this.layerTx = pad - b.minX * scale;
    this.layerTy = pad - b.minY * scale;
    this.pending = [];
    this.layerValid = !!this.layerCtx;
    if (!this.layerCtx) return;
    this.image = this.layerCtx.createImageData(W, H);
    this.pixels = new Uint32Array(this.image.data.buffer);
    if (!this.all) {
      this.all = new Int32Array(model.count);
      for (let i = 0; i < model.count; i++) this.all[i] = i;
    }
    this.paint(this.all, model.count, 0, 0, W, H);
    this.layerCtx.putImageData(this.image, 0, 0);
  }

  /** Repaint the changed seats: clear a square around each, paint every seat that reaches into it. */
  private patchLayer(): void {
    const ctx = this.layerCtx;
    const pixels = this.pixels;
    if (!ctx || !pixels || !this.image || !this.pending.length) return;
    const { model } = this.o;
    const W = this.image.width;
    const H = this.image.height;
    const d = this.layerDpr;
    const scale = this.layerScale;
    const r = Math.max(0.6, (model.pitch * SEAT * scale) / 2);
    const e = Math.ceil((r + Math.max(2, r * 0.3) + 2) * d); // device px: a seat and its frame
    const reach = (2 * e + 2) / d / scale; // world units
    const seen = new Set<number>();
    for (const i of this.pending) {
      if (seen.has(i)) continue;
      seen.add(i);
      const cx = Math.round((model.x[i] * scale + this.layerTx) * d);
      const cy = Math.round((model.y[i] * scale + this.layerTy) * d);
      const x0 = Math.max(0, cx - e);
      const y0 = Math.max(0, cy - e);
      const x1 = Math.min(W, cx + e + 1);
      const y1 = Math.min(H, cy + e + 1);
      if (x1 <= x0 || y1 <= y0) continue;
      for (let y = y0; y < y1; y++) pixels.fill(0, y * W + x0, y * W + x1);
      const n = model.grid.collect({ minX: model.x[i] - reach, minY: model.y[i] - reach, maxX: model.x[i] + reach, maxY: model.y[i] + reach }, this.around);
      const list = this.around.subarray(0, n).sort();
      this.paint(list, n, x0, y0, x1, y1);
      ctx.putImageData(this.image, 0, 0, x0, y0, x1 - x0, y1 - y0);
    }
    this.pending = [];
  }

  /**
   * Paint seats list[0..n) as small squares into the layer's pixels, clipped to [x0, x1) × [y0, y1):
   * first the plain seats, then the picked ones, then the person's own (their frames overlap
   * neighbours), each pass in list order, so a repaint of a few gives the same pixels as all.
   */
  private paint(list: Int32Array, n: number, cx0: number, cy0: number, cx1: number, cy1: number): void {
    const pixels = this.pixels!;
    const W = this.image!.width;
    const { model, states, marks } = this.o;
    const d = this.layerDpr;
    const scale = this.layerScale;
    const r = Math.max(0.6, (model.pitch * SEAT * scale) / 2);
    const side = Math.max(1, Math.round(2 * r * d));
    const frame = Math.max(1, Math.round(Math.max(2, r * 0.3) * d));
    const look = this.looks();
    const rect = (x0: number, y0: number, w: number, h: number, colour: number) => {
      const xa = Math.max(x0, cx0);
      const xb = Math.min(x0 + w, cx1);
      const ya = Math.max(y0, cy0);
      const yb = Math.min(y0 + h, cy1);
      if (xa >= xb) return;
      for (let y = ya; y < yb; y++) pixels.fill(colour, y * W + xa, y * W + xb);
    };
    for (let pass = 0; pass < 3; pass++) {
      for (let k = 0; k < n; k++) {
        const i = list[k];
        const m = marks[i];
        const p = m & MARK_OWN ? 2 : m & MARK_SELECTED ? 1 : 0;
        if (p !== pass) continue;
        const x0 = Math.round((model.x[i] * scale + this.layerTx - r) * d);
        const y0 = Math.round((model.y[i] * scale + this.layerTy - r) * d);
        const c = model.category[i] % look.colour.length;
        if (pass > 0) {
          rect(x0 - frame, y0 - frame, side + 2 * frame, side + 2 * frame, pass === 2 ? look.own : look.selected);
          rect(x0, y0, side, side, pass === 2 ? look.white : look.colour[c]);
          continue;
        }
        const s = model.flags[i] & FLAG_BLOCKED ? UNKNOWN : states[i];
        if (s === AVAILABLE) rect(x0, y0, side, side, look.colour[c]);
        else if (s === SOLD) rect(x0, y0, side, side, look.sold);
        else if (s === HELD) {
          if (side < 3) rect(x0, y0, side, side, look.faded[c]);
          else {
            // Stripes: every third diagonal in the category's colour, the rest white.
            for (let y = Math.max(y0, cy0); y < Math.min(y0 + side, cy1); y++) {
              for (let x = Math.max(x0, cx0); x < Math.min(x0 + side, cx1); x++) {
                pixels[y * W + x] = (x + y) % 3 === 0 ? look.colour[c] : look.white;
              }
            }
          }
        } else if (side < 3) rect(x0, y0, side, side, look.blocked);
        else {
          // Not for sale: the outline only.
          rect(x0, y0, side, 1, look.outline);
          rect(x0, y0 + side - 1, side, 1, look.outline);
          rect(x0, y0, 1, side, look.outline);
          rect(x0 + side - 1, y0, 1, side, look.outline);
        }
      }
    }
  }

  private lookCache: ReturnType<SeatMapRenderer['makeLooks']> | null = null;

  private looks() {
    this.lookCache ??= this.makeLooks();
    return this.lookCache;
  }

  private makeLooks() {
    return {
      colour: this.o.colours.map((c) => pixel(c)),
      faded: this.o.colours.map((c) => pixel(c, 0x66)),
      sold: pixel(SOLD_FILL),
      outline: pixel(OUTLINE),
      blocked: pixel('#e4e4e7'),
      white: pixel('#ffffff'),
      selected: pixel(SELECTED_RING),
      own: pixel(OWN_RING),
    };
  }

  requestDraw(): void {
    this.dirty = true;
    if (this.raf || this.destroyed || typeof requestAnimationFrame === 'undefined') return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      if (this.dirty) this.draw();
    });
  }

  /** Take the canvas size from the layout (CSS px × devicePixelRatio). */
  resize(width = this.canvas.clientWidth, height = this.canvas.clientHeight): void {
    const dpr = window.devicePixelRatio || 1;
    if (width === this.width && height === this.height && dpr === this.dpr) return;
    // Keep the centre of the view where it was.
    const cx = (this.width / 2 - this.view.tx) / this.view.scale;
    const cy = (this.height / 2 - this.view.ty) / this.view.scale;
    this.width = width;
    this.height = height;
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = Math.max(1, Math.round(height * dpr));
    if (width > 0 && height > 0) {
      if (!this.fitted) this.fit();
      else this.centreOn(cx, cy);
    }
    this.requestDraw();
  }

  fit(): void {
    if (!this.width || !this.height) return;
    const b = this.o.model.bounds;
    // A small hall is not blown up beyond comfortably large seats.
    const s = Math.min(this.fitScale, 44 / (this.o.model.pitch * SEAT));
    this.view.scale = s;
    this.view.tx = this.width / 2 - ((b.minX + b.maxX) / 2) * s;
    this.view.ty = this.height / 2 - ((b.minY + b.maxY) / 2) * s;
    this.fitted = true;
    this.requestDraw();
  }

  centreOn(wx: number, wy: number): void {
    this.view.tx = this.width / 2 - wx * this.view.scale;
    this.view.ty = this.height / 2 - wy * this.view.scale;
    this.requestDraw();
  }

  /** Zoom by factor keeping the point (sx, sy) (CSS px in the canvas) still; at the centre by default. */
  zoomAt(factor: number, sx = this.width / 2, sy = this.height / 2): void {
    const scale = Math.min(this.maxScale, Math.max(this.minScale, this.view.scale * factor));
    const k = scale / this.view.scale;
    this.view.tx = sx - (sx - this.view.tx) * k;
    this.view.ty = sy - (sy - this.view.ty) * k;
    this.view.scale = scale;
    this.requestDraw();
  }

  panBy(dx: number, dy: number): void {
    this.view.tx += dx;
    this.view.ty += dy;
    this.clampPan();
    this.requestDraw();
  }

  /** Keep some of the map on screen. */
  private clampPan(): void {
    const b = this.o.model.bounds;
    const s = this.view.scale;
    const margin = 40;
    this.view.tx = Math.min(this.width - margin - b.minX * s, Math.max(margin - b.maxX * s, this.view.tx));
    this.view.ty = Math.min(this.height - margin - b.minY * s, Math.max(margin - b.maxY * s, this.view.ty));
  }

  toScreen(i: number): { x: number; y: number } {
    return { x: this.o.model.x[i] * this.view.scale + this.view.tx, y: this.o.model.y[i] * this.view.scale + this.view.ty };
  }

  /** Zoom in until the seat is at least minPx CSS px wide and pan it into view (centred if it was not). */
  ensureVisible(i: number, minPx = 16): void {
    if (!this.width || !this.height) return;
    const need = minPx / (this.o.model.pitch * SEAT);
    if (this.view.scale < need) {
      const p = this.toScreen(i);
      this.zoomAt(need / this.view.scale, p.x, p.y);
    }
    const p = this.toScreen(i);
    const margin = Math.min(this.width, this.height) * 0.15 + this.seatPx;
    if (p.x < margin || p.x > this.width - margin || p.y < margin || p.y > this.height - margin) {
      this.centreOn(this.o.model.x[i], this.o.model.y[i]);
    }
    this.requestDraw();
  }

  /** The seat under a client point (within half a pitch), -1 for none. */
  seatAt(clientX: number, clientY: number): number {
    const r = this.canvas.getBoundingClientRect();
    const wx = (clientX - r.left - this.view.tx) / this.view.scale;
    const wy = (clientY - r.top - this.view.ty) / this.view.scale;
    return this.o.model.grid.hit(wx, wy, this.o.model.pitch * 0.5);
  }

  visibleRect(): Rect {
    const s = this.view.scale;
    const pad = this.o.model.pitch;
    return {
      minX: -this.view.tx / s - pad,
      minY: -this.view.ty / s - pad,
      maxX: (this.width - this.view.tx) / s + pad,
      maxY: (this.height - this.view.ty) / s + pad,
    };
  }

  /** Draw now (normally called on an animation frame when dirty). */
  draw(): void {
    this.dirty = false;
    const ctx = this.ctx;
    if (!ctx || !this.width || !this.height) return;
    const t0 = performance.now();
    const { model } = this.o;
    const { scale, tx, ty } = this.view;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    this.drawSections(ctx);
    const px = model.pitch * SEAT * scale;
    const r = Math.max(0.6, px / 2);
    // Zoomed out, every seat is a small square and many are in view: paint them all once, pixel
    // by pixel, into a layer and copy it while panning; a change repaints only the pixels around
    // it. Closer in (or a layer too big), the seats in view are drawn as paths.
    if (this.layer && (this.layerScale !== scale || this.layerDpr !== this.dpr)) this.layerValid = false;
    if (px < TINY && this.layerFits()) {
      if (!this.layerValid) this.buildLayer();
      else this.patchLayer();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(this.layer!, Math.round((tx - this.layerTx) * this.dpr), Math.round((ty - this.layerTy) * this.dpr));
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    } else {
      if (this.layerValid && this.layerScale !== scale) this.layerValid = false;
      const n = model.grid.collect(this.visibleRect(), this.visible);
      this.drawSeats(ctx, this.visible, n, scale, tx, ty);
    }

    this.drawNames(ctx);
    const f = this.o.focus();
    if (f >= 0) {
      const p = this.toScreen(f);
      ctx.beginPath();
      ctx.arc(p.x, p.y, Math.max(r + 5, 6), 0, Math.PI * 2);
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = FOCUS_RING;
      ctx.lineWidth = 3;
      ctx.stroke();
      ctx.setLineDash([]);
    }

    const t1 = performance.now();
    // One entry per frame; a long session starts the list over now and then (a benchmark
    // clears it, pans, and reads it back well before that).
    if (++this.frames % 5000 === 0) performance.clearMeasures('seatmap:frame');
    measure('seatmap:frame', t0, t1);
    if (!this.firstDone) {
      this.firstDone = true;
      measure('seatmap:first-render', this.o.mountedAt, t1);
    }
    this.o.drawn?.();
  }

  /** Seats list[0..n) in one path per look, at the given scale and offset (CSS px). */
  private drawSeats(ctx: CanvasRenderingContext2D, list: Int32Array, n: number, scale: number, tx: number, ty: number): void {
    const { model, states, marks, colours } = this.o;
    // Sorted into buckets by look (a counting sort: no allocation per frame).
    const C = Math.max(1, model.categories.length);
    const B = this.bucketCount;
    const start = this.bucketStart;
    start.fill(0);
    const bucketOf = (i: number): number => {
      const m = marks[i];
      const c = model.category[i];
      if (m & MARK_OWN) return 3 * C + 2 + c;
      if (m & MARK_SELECTED) return 2 * C + 2 + c;
      if (model.flags[i] & FLAG_BLOCKED) return 2 * C + 1;
      const s = states[i];
      if (s === AVAILABLE) return c;
      if (s === HELD) return C + c;
      if (s === SOLD) return 2 * C;
      return 2 * C + 1;
    };
    const bucket = this.bucket;
    for (let k = 0; k < n; k++) {
      const b = bucketOf(list[k]);
      bucket[k] = b;
      start[b + 1]++;
    }
    for (let b = 0; b < B; b++) start[b + 1] += start[b];
    const fill = this.cursor;
    fill.set(start.subarray(0, B));
    for (let k = 0; k < n; k++) this.order[fill[bucket[k]]++] = list[k];

    const px = model.pitch * SEAT * scale;
    const tiny = px < TINY;
    const r = Math.max(0.6, px / 2);
    const xs = model.x;
    const ys = model.y;
    // Small squares snap to whole device pixels: crisp, and the same however they are batched.
    const d = this.dpr;
    const side = Math.max(1, Math.round(2 * r * d)) / d;
    const path = (b: number) => {
      ctx.beginPath();
      for (let k = start[b]; k < start[b + 1]; k++) {
        const i = this.order[k];
        const sx = xs[i] * scale + tx;
        const sy = ys[i] * scale + ty;
        if (tiny) ctx.rect(Math.round((sx - r) * d) / d, Math.round((sy - r) * d) / d, side, side);
        else if (model.flags[i] & FLAG_ACCESSIBLE) ctx.rect(sx - r, sy - r, 2 * r, 2 * r);
        else {
          ctx.moveTo(sx + r, sy);
          ctx.arc(sx, sy, r, 0, Math.PI * 2);
        }
      }
    };
    const each = (b: number, f: (sx: number, sy: number, i: number) => void) => {
      for (let k = start[b]; k < start[b + 1]; k++) {
        const i = this.order[k];
        f(xs[i] * scale + tx, ys[i] * scale + ty, i);
      }
    };
    for (let c = 0; c < C; c++) {
      const colour = colours[c % colours.length];
      if (start[c + 1] > start[c]) {
        path(c);
        ctx.fillStyle = colour;
        ctx.fill();
      }
      const held = C + c;
      if (start[held + 1] > start[held]) {
        path(held);
        ctx.fillStyle = px < 3 ? this.faded[c] : this.patterns[c];
        ctx.fill();
        if (!tiny) {
          ctx.strokeStyle = colour;
          ctx.lineWidth = 1;
          ctx.stroke();
        }
      }
    }
    const sold = 2 * C;
    if (start[sold + 1] > start[sold]) {
      path(sold);
      ctx.fillStyle = SOLD_FILL;
      ctx.fill();
      if (px >= 8) {
        ctx.beginPath();
        const d = r * 0.55;
        each(sold, (sx, sy) => {
          ctx.moveTo(sx - d, sy - d);
          ctx.lineTo(sx + d, sy + d);
          ctx.moveTo(sx + d, sy - d);
          ctx.lineTo(sx - d, sy + d);
        });
        ctx.strokeStyle = SOLD_CROSS;
        ctx.lineWidth = Math.max(1, r * 0.18);
        ctx.stroke();
      }
    }
    const blocked = 2 * C + 1;
    if (start[blocked + 1] > start[blocked]) {
      path(blocked);
      ctx.strokeStyle = OUTLINE;
      ctx.lineWidth = tiny ? 0.6 : 1.2;
      ctx.stroke();
    }
    for (const [first, ring] of [
      [2 * C + 2, SELECTED_RING],
      [3 * C + 2, OWN_RING],
    ] as const) {
      if (start[first + C] === start[first]) continue;
      const lw = Math.max(2, r * 0.3);
      if (tiny) {
        // A frame of whole device pixels around the square (crisp, and exact when patched).
        const frame = Math.max(1, Math.round(lw * d)) / d;
        ctx.beginPath();
        for (let b = first; b < first + C; b++) {
          each(b, (sx, sy) => ctx.rect(Math.round((sx - r) * d) / d - frame, Math.round((sy - r) * d) / d - frame, side + 2 * frame, side + 2 * frame));
        }
        ctx.fillStyle = ring;
        ctx.fill();
      }
      for (let c = 0; c < C; c++) {
        const b = first + c;
        if (start[b + 1] === start[b]) continue;
        path(b);
        ctx.fillStyle = first === 3 * C + 2 ? OWN_FILL : colours[c % colours.length];
        ctx.fill();
      }
      if (tiny) continue;
      ctx.beginPath();
      for (let b = first; b < first + C; b++) {
        each(b, (sx, sy) => {
          ctx.moveTo(sx + r + lw / 2, sy);
          ctx.arc(sx, sy, r + lw / 2, 0, Math.PI * 2);
        });
      }
      ctx.strokeStyle = ring;
      ctx.lineWidth = lw;
      ctx.stroke();
      if (px >= 10) {
        ctx.beginPath();
        for (let b = first; b < first + C; b++) {
          each(b, (sx, sy) => {
            ctx.moveTo(sx - r * 0.5, sy);
            ctx.lineTo(sx - r * 0.12, sy + r * 0.4);
            ctx.lineTo(sx + r * 0.5, sy - r * 0.38);
          });
        }
        ctx.strokeStyle = first === 3 * C + 2 ? OWN_RING : '#ffffff';
        ctx.lineWidth = Math.max(1.5, r * 0.25);
        ctx.stroke();
      }
    }

    if (px >= 12) {
      // Accessible places: a wheelchair mark (on top of the square shape); labels when they fit.
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.font = `${Math.round(r * 1.5)}px system-ui, sans-serif`;
      for (let k = 0; k < n; k++) {
        const i = list[k];
        if (!(model.flags[i] & FLAG_ACCESSIBLE)) continue;
        ctx.fillStyle = marks[i] & MARK_OWN ? '#3f3f46' : states[i] === AVAILABLE || marks[i] ? '#ffffff' : '#3f3f46';
        ctx.fillText('♿', xs[i] * scale + tx, ys[i] * scale + ty + r * 0.05);
      }
      if (px >= LABELS) {
        ctx.font = `${Math.min(14, Math.round(px * 0.36))}px system-ui, sans-serif`;
        for (let c = 0; c < C; c++) {
          ctx.fillStyle = '#ffffff';
          each(c, (sx, sy, i) => {
            if (!(model.flags[i] & FLAG_ACCESSIBLE)) ctx.fillText(shortLabel(model.labels[i]), sx, sy);
          });
          ctx.fillStyle = '#18181b';
          each(C + c, (sx, sy, i) => {
            if (!(model.flags[i] & FLAG_ACCESSIBLE)) ctx.fillText(shortLabel(model.labels[i]), sx, sy);
          });
        }
      }
    }
  }

  private drawSections(ctx: CanvasRenderingContext2D): void {
    const { scale, tx, ty } = this.view;
    const pad = this.o.model.pitch * 0.4;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    for (const sec of this.o.model.sections) {
      const b = sec.bounds;
      if (!Number.isFinite(b.minX)) continue;
      const x0 = (b.minX - pad) * scale + tx;
      const y0 = (b.minY - pad) * scale + ty;
      const w = (b.maxX - b.minX + 2 * pad) * scale;
      const h = (b.maxY - b.minY + 2 * pad) * scale;
      if (x0 > this.width || y0 > this.height || x0 + w < 0 || y0 + h < -20) continue;
      if (sec.seatCount === 0) {
        ctx.fillStyle = '#ecfdf5';
        ctx.strokeStyle = '#059669';
        ctx.lineWidth = 1.5;
        ctx.fillRect(x0, y0, w, h);
        ctx.strokeRect(x0, y0, w, h);
        if (w < 48 || h < 20) continue;
        const size = Math.max(10, Math.min(18, h / 4, w / 10));
        ctx.fillStyle = '#065f46';
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.font = `600 ${size}px system-ui, sans-serif`;
        // The label stays in the visible part of the area.
        const places = sec.capacity === null ? 'standing' : `standing · ${sec.capacity.toLocaleString()} places`;
        const half = Math.min(Math.max(ctx.measureText(sec.name).width, ctx.measureText(places).width) / 2 + 8, w / 2);
        const lx = Math.min(Math.max(x0 + w / 2, Math.max(x0, 0) + half), Math.min(x0 + w, this.width) - half);
        const ly = Math.min(Math.max(y0 + h / 2, Math.max(y0, 0) + size * 1.5), Math.min(y0 + h, this.height) - size * 1.5);
        ctx.fillText(sec.name, lx, ly - size * 0.6, w - 8);
        ctx.font = `${size * 0.8}px system-ui, sans-serif`;
        ctx.fillText(places, lx, ly + size * 0.6, w - 8);
        ctx.textAlign = 'left';
        ctx.textBaseline = 'bottom';
        continue;
      }
      if (w > 24 && h > 6) {
        ctx.strokeStyle = '#e4e4e7';
        ctx.lineWidth = 1;
        ctx.strokeRect(x0, y0, w, h);
      }
      if (this.seatPx >= 12 && w >= 40) {
        // Zoomed in: the name above the section's top left corner.
        ctx.font = '600 14px system-ui, sans-serif';
        ctx.fillStyle = '#3f3f46';
        ctx.fillText(sec.name, Math.max(x0, 2), y0 - 3);
      }
    }
  }

  /** Zoomed out: each section's name in the middle of it, on a light label over the seats. */
  private drawNames(ctx: CanvasRenderingContext2D): void {
    if (this.seatPx >= 12) return;
    const { scale, tx, ty } = this.view;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const sec of this.o.model.sections) {
      if (sec.seatCount === 0) continue;
      const b = sec.bounds;
      const w = (b.maxX - b.minX) * scale;
      const h = (b.maxY - b.minY) * scale;
      if (w < 48 || h < 14) continue;
      const cx = ((b.minX + b.maxX) / 2) * scale + tx;
      const cy = ((b.minY + b.maxY) / 2) * scale + ty;
      if (cx < -w || cx > this.width + w || cy < -h || cy > this.height + h) continue;
      const size = Math.max(10, Math.min(14, h / 2.5));
      ctx.font = `600 ${size}px system-ui, sans-serif`;
      const tw = Math.min(ctx.measureText(sec.name).width, w - 8);
      ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
      ctx.beginPath();
      ctx.roundRect(cx - tw / 2 - 4, cy - size * 0.7, tw + 8, size * 1.4, 4);
      ctx.fill();
      ctx.fillStyle = '#18181b';
      ctx.fillText(sec.name, cx, cy, w - 8);
    }
  }

  private listen(): void {
    const c = this.canvas;
    const on = <K extends keyof HTMLElementEventMap>(type: K, f: (e: HTMLElementEventMap[K]) => void, opts?: AddEventListenerOptions) => {
      c.addEventListener(type, f as EventListener, opts);
      this.cleanups.push(() => c.removeEventListener(type, f as EventListener, opts));
    };
    on(
      'wheel',
      (e) => {
        e.preventDefault();
        const unit = e.deltaMode === 1 ? 0.05 : e.deltaMode === 2 ? 1 : 0.0015;
        this.zoomAt(Math.exp(-e.deltaY * unit), e.offsetX, e.offsetY);
      },
      { passive: false },
    );
    const pointers = new Map<number, { x: number; y: number }>();
    let moved = 0;
    let multi = false;
    on('pointerdown', (e) => {
      if (e.button !== 0 && e.pointerType === 'mouse') return;
      c.setPointerCapture?.(e.pointerId);
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (pointers.size === 1) {
        moved = 0;
        multi = false;
      } else multi = true;
    });
    on('pointermove', (e) => {
      const p = pointers.get(e.pointerId);
      if (!p) return;
      if (pointers.size === 1) {
        const dx = e.clientX - p.x;
        const dy = e.clientY - p.y;
        moved += Math.abs(dx) + Math.abs(dy);
        if (moved > 4) this.panBy(dx, dy);
        else return; // small jitter: not a drag yet, keep the start point
      } else if (pointers.size === 2) {
        const [a, b] = [...pointers.entries()];
        const other = a[0] === e.pointerId ? b[1] : a[1];
        const before = Math.hypot(p.x - other.x, p.y - other.y);
        const after = Math.hypot(e.clientX - other.x, e.clientY - other.y);
        const rect = c.getBoundingClientRect();
        const mx = (e.clientX + other.x) / 2 - rect.left;
        const my = (e.clientY + other.y) / 2 - rect.top;
        if (before > 0) this.zoomAt(after / before, mx, my);
        this.panBy((e.clientX - p.x) / 2, (e.clientY - p.y) / 2);
      }
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    });
    const up = (e: PointerEvent) => {
      if (!pointers.has(e.pointerId)) return;
      pointers.delete(e.pointerId);
      if (e.type === 'pointerup' && pointers.size === 0 && !multi && moved <= 4) this.onTap?.(e.clientX, e.clientY);
    };
    on('pointerup', up);
    on('pointercancel', up);
    on('dblclick', (e) => {
      e.preventDefault();
      this.zoomAt(2, e.offsetX, e.offsetY);
    });
    if (typeof ResizeObserver !== 'undefined') {
      this.observer = new ResizeObserver((entries) => {
        for (const entry of entries) this.resize(entry.contentRect.width, entry.contentRect.height);
      });
      this.observer.observe(c);
    }
  }

  destroy(): void {
    this.destroyed = true;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.layer = null;
    this.layerCtx = null;
    this.image = null;
    this.pixels = null;
    this.observer?.disconnect();
    for (const f of this.cleanups) f();
    this.cleanups = [];
  }
}

/** '#rrggbb' as one ImageData pixel (RGBA bytes in memory order, read as a little-endian uint32). */
export function pixel(hex: string, alpha = 0xff): number {
  const v = parseInt(hex.slice(1, 7), 16);
  const r = (v >> 16) & 0xff;
  const g = (v >> 8) & 0xff;
  const b = v & 0xff;
  return ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

function measure(name: string, start: number, end: number): void {
  try {
    performance.measure(name, { start, end });
  } catch {
    // An old browser without measure options: the numbers are only for the benchmark.
  }
}
