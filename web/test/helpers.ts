import type { CompactSeatMap } from '../src/seatmap/index';

/** A small hall: rows A–C of `perRow` seats 10 apart, rows 10 apart; a second section across an aisle. */
export function smallMap(perRow = 5): CompactSeatMap {
  const map: CompactSeatMap = {
    hallId: 'h1',
    sections: [
      { id: 's-stalls', key: 'stalls', name: 'Stalls', generalAdmission: false, capacity: null, category: null },
      { id: 's-side', key: 'side', name: 'Side', generalAdmission: false, capacity: null, category: null },
      { id: 's-floor', key: 'floor', name: 'Floor', generalAdmission: true, capacity: 300, category: 'STANDING' },
    ],
    categories: ['PREMIUM', 'STANDARD'],
    seats: { id: [], label: [], row: [], x: [], y: [], category: [], section: [], flags: [] },
  };
  const add = (id: string, label: string, row: string, x: number, y: number, category: number, section: number, flags = 0) => {
    const s = map.seats;
    s.id.push(id);
    s.label.push(label);
    s.row.push(row);
    s.x.push(x);
    s.y.push(y);
    s.category.push(category);
    s.section.push(section);
    s.flags.push(flags);
  };
  ['A', 'B', 'C'].forEach((row, r) => {
    for (let n = 1; n <= perRow; n++) add(`stalls/${row}/${n}`, `${row}${n}`, row, (n - 1) * 10, r * 10, r === 0 ? 0 : 1, 0, row === 'C' && n === 1 ? 1 : row === 'B' && n === 3 ? 2 : 0);
  });
  // Across an aisle of 40 units, one row "D" of two seats.
  add('side/D/1', 'D1', 'D', (perRow - 1) * 10 + 40, 10, 1, 1);
  add('side/D/2', 'D2', 'D', (perRow - 1) * 10 + 50, 10, 1, 1);
  return map;
}
