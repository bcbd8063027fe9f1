// The seat map's interface to the pages. Pages call mountSeatMap and talk to the handle only;
// drawing, zoom and pan, keyboard navigation and the live seat states live behind it:
// model.ts (the map as typed arrays, the hit grid), state.ts (seat states, versions, journeys),
// live.ts (applying the feed, resubscribing on gaps and errors; feed.ts is the subscription
// itself), render.ts (the canvas),
// legend.ts (categories, prices and the state symbols).
//
// Performance entries for benchmarks (performance.getEntriesByName): seatmap:parse (reading
// the map), seatmap:first-render (mount → the first full draw), seatmap:first-live-render
// (mount → the first draw with the feed's states), seatmap:frame (each frame's draw time).
import './seatmap.css';
import { legend, type Legend } from './legend';
import { graphSubscribe } from './feed';
import { LiveFeed, type Subscribe } from './live';
import { FLAG_ACCESSIBLE, FLAG_BLOCKED, parseSeatMap, type Direction } from './model';
import { MARK_OWN, MARK_SELECTED, PALETTE, SeatMapRenderer } from './render';
import { AVAILABLE, HELD, SOLD, SeatStates } from './state';
import { categoryName, formatPrice } from './format';

export interface Money {
  amount: number;
  currency: string;
}

/** Show.seatMap as venue sends it (see compact_map in subgraphs/venue/halls.py). */
export interface CompactSeatMap {
  hallId: string;
  sections: { id: string; key: string; name: string; generalAdmission: boolean; capacity: number | null; category: string | null }[];
  categories: string[];
  seats: {
    id: string[];
    label: string[];
    row: string[];
    x: number[];
    y: number[];
    category: number[];
    section: number[];
    flags: number[]; // 1 accessible, 2 blocked
  };
}

export type SeatStatus = 'AVAILABLE' | 'HELD' | 'SOLD';

/** Where the live feed stands, for the page to show. */
export interface LiveStatus {
  state: 'connecting' | 'live' | 'reconnecting';
  version: number | null;
  availability: { total: number; available: number; held: number; sold: number } | null;
}

export interface MountOptions {
  showId: string;
  seatMap: CompactSeatMap;
  /** Price per category (Show.priceTiers). */
  prices: { category: string; price: Money }[];
  /** Journeys: the legs [from, to) that count; null for the whole show / journey. */
  segment: { from: number; to: number } | null;
  /** false: look only (organizer view); seats cannot be picked. */
  selectable: boolean;
  /** At most this many seats may be picked at once. */
  maxSelection?: number;
  /** The picked seats changed (by click, tap or keyboard). */
  onSelect?(seatIds: string[]): void;
  /** The live feed's state changed, or a new version arrived. */
  onStatus?(status: LiveStatus): void;
  /** Tests and the dev harness: a feed other than Subscription.seatAvailability. */
  subscribe?: Subscribe;
}

/** What a seat looks like to the person right now. */
export type SeatView = SeatStatus | 'BLOCKED' | 'OWN' | 'SELECTED';

export interface SeatMapHandle {
  /** Put this in the page. It carries data-version (the live version drawn) and a `seatmap`
   * property that is this handle (browser tests read states and seat positions through it). */
  element: SeatMapElement;
  /** A seat's state as drawn, null for an unknown id. */
  stateOf(seatId: string): SeatView | null;
  /** The seat's centre in page (client) coordinates, brought into view first; null if unknown. */
  locate(seatId: string): { x: number; y: number } | null;
  selection(): string[];
  clearSelection(): void;
  /** Seats in the person's own hold: drawn as "yours" whatever the feed says. */
  markOwn(seatIds: string[]): void;
  setSegment(segment: { from: number; to: number } | null): void;
  /** End the subscription, remove listeners. */
  destroy(): void;
  /** Draw the whole map again from scratch, now (benchmarks and browser checks). */
  redraw?(): void;
}

export interface SeatMapElement extends HTMLElement {
  seatmap?: SeatMapHandle;
}

const KEY_PAN = 120;
const DIRECTIONS: Record<string, Direction> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

export function mountSeatMap(options: MountOptions): SeatMapHandle {
  const mountedAt = performance.now();
  const model = parseSeatMap(options.seatMap);
  try {
    performance.measure('seatmap:parse', { start: mountedAt, end: performance.now() });
  } catch {
    // Only for the benchmark.
  }
  const store = new SeatStates(model.index, model.category, model.categories.length);
  const marks = new Uint8Array(model.count);
  const colours = model.categories.map((_, c) => PALETTE[c % PALETTE.length]);
  const prices = new Map(options.prices.map((p) => [p.category, p.price]));
  const priceWords = model.categories.map((c) => {
    const price = prices.get(c.name);
    return price ? formatPrice(price.amount, price.currency) : null;
  });
  let picked: number[] = [];
  let focus = -1;
  let segment = options.segment ? { ...options.segment } : null;

  const element: SeatMapElement = document.createElement('div');
  element.className = 'seatmap';
  const toolbar = document.createElement('div');
  toolbar.className = 'seatmap-toolbar';
  toolbar.setAttribute('role', 'toolbar');
  toolbar.setAttribute('aria-label', 'Seat map view');
  const live = document.createElement('p');
  live.className = 'seatmap-live';
  const announcer = document.createElement('div');
  announcer.className = 'seatmap-sr';
  announcer.setAttribute('aria-live', 'polite');
  announcer.setAttribute('role', 'status');

  const renderer = new SeatMapRenderer({
    model,
    states: store.states,
    marks,
    colours,
    focus: () => focus,
    mountedAt,
    drawn: () => {
      if (store.version !== null) {
        if (element.dataset.version === undefined) {
          try {
            performance.measure('seatmap:first-live-render', { start: mountedAt, end: performance.now() });
          } catch {
            // Only for the benchmark.
          }
        }
        element.dataset.version = String(store.version);
      }
      key.update((c) => store.countsOf(c));
    },
  });
  const canvas = renderer.canvas;
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'application');
  canvas.setAttribute('aria-roledescription', 'seat map');
  canvas.setAttribute(
    'aria-label',
    `Seat map, ${model.count.toLocaleString()} seats. Arrow keys move between seats, ` +
      (options.selectable ? 'Enter or Space picks a seat, ' : '') +
      'plus and minus zoom, Home shows the whole map, Shift with an arrow key moves the map.',
  );
  const standingPrice = (category: string | null) => {
    const price = category ? prices.get(category) : undefined;
    return price ? formatPrice(price.amount, price.currency) : null;
  };
  const key: Legend = legend(
    model.categories.map((c, k) => ({ name: categoryName(c.name), colour: colours[k], price: priceWords[k] })),
    model.sections.filter((s) => s.seatCount === 0).map((s) => ({ name: s.name, colour: '#059669', price: standingPrice(s.category) })),
  );

  const button = (text: string, label: string, action: () => void) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('aria-label', label);
    b.title = label;
    b.addEventListener('click', action);
    toolbar.append(b);
  };
  button('+', 'Zoom in', () => renderer.zoomAt(1.5));
  button('−', 'Zoom out', () => renderer.zoomAt(1 / 1.5));
  button('Fit', 'Show the whole map', () => renderer.fit());
  const sep = document.createElement('span');
  sep.className = 'seatmap-sep';
  toolbar.append(sep);
  button('←', 'Move the map left', () => renderer.panBy(KEY_PAN, 0));
  button('↑', 'Move the map up', () => renderer.panBy(0, KEY_PAN));
  button('↓', 'Move the map down', () => renderer.panBy(0, -KEY_PAN));
  button('→', 'Move the map right', () => renderer.panBy(-KEY_PAN, 0));
  element.append(toolbar, canvas, live, key.element, announcer);

  const say = (words: string) => {
    // The same words twice in a row are announced again.
    announcer.textContent = announcer.textContent === words ? words + '\u00a0' : words;
  };

  const describe = (i: number): string => {
    const parts = [`Seat ${model.labels[i]}`, `row ${model.rows[i]}`];
    const section = model.sections[model.section[i]];
    if (section) parts.push(section.name);
    const c = model.category[i];
    parts.push(categoryName(model.categories[c]?.name ?? ''));
    if (priceWords[c]) parts.push(priceWords[c]!);
    const view = stateOf(i);
    parts.push(view === 'OWN' ? 'in your hold' : view === 'SELECTED' ? 'available, selected' : view === 'BLOCKED' ? 'not for sale' : view.toLowerCase());
    if (model.flags[i] & FLAG_ACCESSIBLE) parts.push('accessible');
    return parts.join(', ');
  };

  function stateOf(i: number): SeatView {
    if (marks[i] & MARK_OWN) return 'OWN';
    if (model.flags[i] & FLAG_BLOCKED) return 'BLOCKED';
    if (marks[i] & MARK_SELECTED) return 'SELECTED';
    const s = store.states[i];
    return s === AVAILABLE ? 'AVAILABLE' : s === HELD ? 'HELD' : s === SOLD ? 'SOLD' : 'BLOCKED';
  }

  const selectionIds = () => picked.map((i) => model.ids[i]);
  const changedSelection = () => options.onSelect?.(selectionIds());

  const toggle = (i: number) => {
    if (!options.selectable) return;
    if (marks[i] & MARK_SELECTED) {
      marks[i] &= ~MARK_SELECTED;
      picked = picked.filter((p) => p !== i);
      changedSelection();
      say(`Seat ${model.labels[i]} removed from your selection.`);
    } else {
      const view = stateOf(i);
      if (view !== 'AVAILABLE') {
        say(`Seat ${model.labels[i]} cannot be picked: ${view === 'OWN' ? 'it is in your hold' : view === 'BLOCKED' ? 'not for sale' : view.toLowerCase()}.`);
        return;
      }
      const max = options.maxSelection ?? Infinity;
      if (picked.length >= max) {
        say(`You can pick at most ${max} seat${max === 1 ? '' : 's'}.`);
        return;
      }
      marks[i] |= MARK_SELECTED;
      picked.push(i);
      changedSelection();
      say(`Seat ${model.labels[i]} selected, ${picked.length} of ${Number.isFinite(max) ? max : picked.length}.`);
    }
    renderer.invalidate([i]);
  };

  /** Drop picked seats that someone else took (or that the segment makes unavailable). */
  const dropTaken = (changed: number[]) => {
    const gone: number[] = [];
    for (const i of changed) {
      if (marks[i] & MARK_SELECTED && !(marks[i] & MARK_OWN) && store.states[i] !== AVAILABLE) {
        marks[i] &= ~MARK_SELECTED;
        gone.push(i);
      }
    }
    if (!gone.length) return;
    const set = new Set(gone);
    picked = picked.filter((p) => !set.has(p));
    changedSelection();
    const labels = gone.map((i) => model.labels[i]).join(', ');
    say(gone.length === 1 ? `Seat ${labels} was just taken and left your selection.` : `Seats ${labels} were just taken and left your selection.`);
  };

  const showStatus = (status: LiveStatus) => {
    live.dataset.state = status.state;
    const a = status.availability;
    live.textContent =
      status.state === 'connecting'
        ? 'Connecting to live seat updates…'
        : status.state === 'reconnecting'
          ? 'Reconnecting to live seat updates… (seats shown may be out of date)'
          : `Live${a ? ` · ${a.available.toLocaleString()} of ${a.total.toLocaleString()} seats available` : ''}`;
    options.onStatus?.(status);
  };

  const feed = new LiveFeed(
    options.showId,
    store,
    {
      applied: (changed) => {
        dropTaken(changed);
        renderer.invalidate(changed);
      },
      status: showStatus,
    },
    options.subscribe ?? graphSubscribe,
    undefined,
    () => segment !== null,
  );

  renderer.onTap = (clientX, clientY) => {
    if (renderer.seatPx < 8) {
      // Seats too small to aim at: a tap zooms in there.
      const r = canvas.getBoundingClientRect();
      renderer.zoomAt(2.5, clientX - r.left, clientY - r.top);
      return;
    }
    const i = renderer.seatAt(clientX, clientY);
    if (i < 0) return;
    focus = i;
    toggle(i);
    renderer.requestDraw();
  };

  const moveFocus = (dir: Direction) => {
    if (!model.count) return;
    if (focus < 0) {
      const r = renderer.visibleRect();
      const cx = (r.minX + r.maxX) / 2;
      const cy = (r.minY + r.maxY) / 2;
      focus = model.grid.hit(cx, cy, Math.max(r.maxX - r.minX, r.maxY - r.minY, model.pitch) * 2);
      if (focus < 0) focus = 0;
    } else {
      const next = model.grid.neighbour(focus, dir);
      if (next < 0) {
        say(`No seat further ${dir}.`);
        return;
      }
      focus = next;
    }
    renderer.ensureVisible(focus, 0);
    say(describe(focus));
    renderer.requestDraw();
  };

  const onKey = (e: KeyboardEvent) => {
    const dir = DIRECTIONS[e.key];
    if (dir) {
      e.preventDefault();
      if (e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) {
        const d = { left: [KEY_PAN, 0], right: [-KEY_PAN, 0], up: [0, KEY_PAN], down: [0, -KEY_PAN] }[dir];
        renderer.panBy(d[0], d[1]);
      } else moveFocus(dir);
      return;
    }
    switch (e.key) {
      case '+':
      case '=':
        renderer.zoomAt(1.5);
        break;
      case '-':
      case '_':
        renderer.zoomAt(1 / 1.5);
        break;
      case 'Home':
      case '0':
        renderer.fit();
        break;
      case 'Enter':
      case ' ':
        if (focus < 0) return;
        toggle(focus);
        break;
      default:
        return;
    }
    e.preventDefault();
  };
  canvas.addEventListener('keydown', onKey);
  canvas.addEventListener('focus', () => {
    if (focus >= 0) say(describe(focus));
  });

  if (segment) store.setSegment(segment);
  feed.start();
  renderer.requestDraw();

  const handle: SeatMapHandle = {
    element,
    stateOf: (id) => {
      const i = model.index.get(id);
      return i === undefined ? null : stateOf(i);
    },
    locate: (id) => {
      const i = model.index.get(id);
      if (i === undefined) return null;
      canvas.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
      renderer.resize();
      renderer.ensureVisible(i, 16);
      renderer.draw();
      const p = renderer.toScreen(i);
      const r = canvas.getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    },
    selection: selectionIds,
    clearSelection: () => {
      const was = picked;
      for (const i of was) marks[i] &= ~MARK_SELECTED;
      picked = [];
      changedSelection();
      renderer.invalidate(was);
    },
    markOwn: (ids) => {
      for (let i = 0; i < marks.length; i++) marks[i] &= ~MARK_OWN;
      for (const id of ids) {
        const i = model.index.get(id);
        if (i !== undefined) marks[i] |= MARK_OWN;
      }
      renderer.invalidate(null);
    },
    setSegment: (next) => {
      segment = next ? { ...next } : null;
      const changed = store.setSegment(segment);
      dropTaken(changed);
      feed.report();
      renderer.invalidate(changed);
    },
    redraw: () => {
      renderer.invalidate(null);
      renderer.draw();
    },
    destroy: () => {
      feed.stop();
      renderer.destroy();
      canvas.removeEventListener('keydown', onKey);
      element.remove();
    },
  };
  element.seatmap = handle;
  return handle;
}
