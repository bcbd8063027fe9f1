// A generated stadium in Show.seatMap's compact form, the same layout as bench/seatmap.py's
// `stadium(seats)`: blocks of 20 rows of 50 seats (the last one shorter), block s at
// y = s * 300, rows 10 apart, seats 10 apart, the first three rows PREMIUM, then a standing
// floor. `layout: 'grid'` puts the blocks side by side in rows of ten instead (a bowl-ish shape).
import type { CompactSeatMap } from '../src/seatmap/index';

export function stadiumMap(seats: number, layout: 'bench' | 'grid' = 'bench'): CompactSeatMap {
  const map: CompactSeatMap = {
    hallId: 'hall-stadium',
    sections: [],
    categories: [],
    seats: { id: [], label: [], row: [], x: [], y: [], category: [], section: [], flags: [] },
  };
  const categories = new Map<string, number>();
  const cat = (name: string) => {
    let c = categories.get(name);
    if (c === undefined) {
      c = categories.size;
      categories.set(name, c);
      map.categories.push(name);
    }
    return c;
  };
  const col = map.seats;
  let left = seats;
  let s = 0;
  while (left > 0) {
    const key = `block-${s + 1}`;
    map.sections.push({ id: `sec-${key}`, key, name: `Block ${s + 1}`, generalAdmission: false, capacity: null, category: null });
    const ox = layout === 'grid' ? (s % 10) * 560 : 0;
    const oy = layout === 'grid' ? Math.floor(s / 10) * 260 : s * 300;
    for (let r = 0; r < 20 && left > 0; r++) {
      const count = Math.min(50, left);
      const category = cat(r < 3 ? 'PREMIUM' : 'STANDARD');
      for (let k = 0; k < count; k++) {
        const number = k + 1;
        col.id.push(`${key}/${r + 1}/${number}`);
        col.label.push(`S${s + 1}-${r + 1}-${number}`);
        col.row.push(String(r + 1));
        col.x.push(ox + k * 10);
        col.y.push(oy + r * 10);
        col.category.push(category);
        col.section.push(s);
        col.flags.push(r === 19 && (number === 1 || number === 50) ? 1 : 0);
      }
      left -= count;
    }
    s++;
  }
  map.sections.push({ id: 'sec-floor', key: 'floor', name: 'Standing floor', generalAdmission: true, capacity: 10000, category: 'STANDING' });
  return map;
}
