import { describe, expect, it } from 'vitest';
import { pixel, shortLabel } from '../src/seatmap/render';

describe('render helpers', () => {
  it('packs a colour as one ImageData pixel (R, G, B, A in memory order)', () => {
    const bytes = new Uint8ClampedArray(new Uint32Array([pixel('#2563eb')]).buffer);
    expect([...bytes]).toEqual([0x25, 0x63, 0xeb, 0xff]);
    const faded = new Uint8ClampedArray(new Uint32Array([pixel('#c2410c', 0x66)]).buffer);
    expect([...faded]).toEqual([0xc2, 0x41, 0x0c, 0x66]);
  });

  it('labels a seat by its number when the label is long', () => {
    expect(shortLabel('A12')).toBe('12');
    expect(shortLabel('S1-20-50')).toBe('50');
    expect(shortLabel('C1-1A')).toBe('1A');
    expect(shortLabel('Box')).toBe('Box');
  });
});
