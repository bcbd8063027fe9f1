// The seat map's interface to the pages. Pages call mountSeatMap and talk to the handle only;
// drawing, zoom and pan, keyboard navigation and the live seat states live behind it.
//
// PLACEHOLDER implementation (a list of buttons, no live states) until the canvas map lands.

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
}

export interface SeatMapElement extends HTMLElement {
  seatmap?: SeatMapHandle;
}

export function mountSeatMap(options: MountOptions): SeatMapHandle {
  const { seats } = options.seatMap;
  const element: SeatMapElement = document.createElement('div');
  element.className = 'seatmap';
  let picked: string[] = [];
  const own = new Set<string>();
  for (let i = 0; i < seats.id.length; i++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.seatId = seats.id[i];
    button.textContent = seats.label[i];
    button.disabled = !options.selectable || (seats.flags[i] & 2) !== 0;
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => {
      const id = seats.id[i];
      picked = picked.includes(id) ? picked.filter((p) => p !== id) : [...picked, id];
      button.setAttribute('aria-pressed', String(picked.includes(id)));
      options.onSelect?.(picked);
    });
    element.append(button);
  }
  options.onStatus?.({ state: 'connecting', version: null, availability: null });
  const index = new Map(seats.id.map((id, i) => [id, i]));
  const handle: SeatMapHandle = {
    element,
    stateOf: (id) => {
      const i = index.get(id);
      if (i === undefined) return null;
      if (seats.flags[i] & 2) return 'BLOCKED';
      if (own.has(id)) return 'OWN';
      return picked.includes(id) ? 'SELECTED' : 'AVAILABLE';
    },
    locate: (id) => {
      const button = element.querySelector<HTMLElement>(`[data-seat-id="${CSS.escape(id)}"]`);
      if (!button) return null;
      button.scrollIntoView({ block: 'center' });
      const r = button.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    },
    selection: () => [...picked],
    clearSelection: () => {
      picked = [];
      for (const b of element.querySelectorAll('button')) b.setAttribute('aria-pressed', 'false');
      options.onSelect?.(picked);
    },
    markOwn: (ids) => {
      own.clear();
      for (const id of ids) own.add(id);
    },
    setSegment: () => {},
    destroy: () => element.remove(),
  };
  element.seatmap = handle;
  return handle;
}
