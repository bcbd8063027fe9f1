// The legend: each category (colour, price, seats left) and the state symbols, drawn with the
// same function as the map so the two cannot disagree.
import { drawSymbol, type SymbolKind } from './render';
import type { Counts } from './state';

export interface LegendCategory {
  name: string;
  colour: string;
  /** Formatted price, null when the show has none for the category. */
  price: string | null;
}

export interface Legend {
  element: HTMLElement;
  /** New counts (called after frames; touches the DOM only when a number changed). */
  update(countsOf: (category: number) => Counts): void;
}

const STATES: [SymbolKind, string][] = [
  ['available', 'Available'],
  ['held', 'Held by someone'],
  ['sold', 'Sold'],
  ['blocked', 'Not for sale'],
  ['accessible', 'Wheelchair place'],
  ['selected', 'Your selection'],
  ['own', 'In your hold'],
];

function swatch(kind: SymbolKind, colour: string): HTMLCanvasElement {
  const c = document.createElement('canvas');
  const dpr = window.devicePixelRatio || 1;
  c.width = c.height = Math.round(18 * dpr);
  c.setAttribute('aria-hidden', 'true');
  const ctx = c.getContext('2d');
  if (ctx) {
    ctx.scale(dpr, dpr);
    drawSymbol(ctx, kind, colour, 9, 9, kind === 'selected' || kind === 'own' ? 5.5 : 7);
  }
  return c;
}

/** categories: the seat categories, in seatMap.categories order; standing: standing sections. */
export function legend(categories: LegendCategory[], standing: LegendCategory[] = []): Legend {
  const element = document.createElement('div');
  element.className = 'seatmap-legend';
  const cats = document.createElement('ul');
  cats.setAttribute('aria-label', 'Categories');
  const lefts: HTMLElement[] = [];
  const shown: number[] = [];
  categories.forEach((cat) => {
    const li = document.createElement('li');
    const text = document.createElement('span');
    text.textContent = cat.price ? `${cat.name} · ${cat.price}` : cat.name;
    const left = document.createElement('span');
    left.className = 'seatmap-left';
    li.append(swatch('available', cat.colour), text, left);
    cats.append(li);
    lefts.push(left);
    shown.push(-1);
  });
  for (const area of standing) {
    const li = document.createElement('li');
    const text = document.createElement('span');
    text.textContent = area.price ? `${area.name} (standing) · ${area.price}` : `${area.name} (standing)`;
    const box = document.createElement('span');
    box.setAttribute('aria-hidden', 'true');
    box.style.cssText = `display:inline-block;width:14px;height:10px;border:1.5px solid ${area.colour};background:#ecfdf5`;
    li.append(box, text);
    cats.append(li);
  }
  const states = document.createElement('ul');
  states.setAttribute('aria-label', 'Seat symbols');
  for (const [kind, words] of STATES) {
    const li = document.createElement('li');
    const text = document.createElement('span');
    text.textContent = words;
    li.append(swatch(kind, categories[0]?.colour ?? '#2563eb'), text);
    states.append(li);
  }
  element.append(cats, states);
  return {
    element,
    update(countsOf) {
      for (let c = 0; c < lefts.length; c++) {
        const k = countsOf(c);
        if (k.available === shown[c] || k.total === 0) continue;
        shown[c] = k.available;
        lefts[c].textContent = `(${k.available.toLocaleString()} left)`;
      }
    },
  };
}
