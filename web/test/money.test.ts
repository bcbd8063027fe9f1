// Money as people read it, from integer minor units with the currency's own digits, and show
// times in the venue's zone.
import { describe, expect, it } from 'vitest';
import { formatLocalTime, formatMoney, minorDigits, sumMoney } from '../src/ui/format';

const plain = (s: string) => s.replace(/\s+/g, ' ');

describe('formatMoney', () => {
  it('uses the currency digits', () => {
    expect(minorDigits('EUR')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('KWD')).toBe(3);
  });

  it('formats minor units exactly, without float arithmetic', () => {
    expect(plain(formatMoney({ amount: 1250, currency: 'EUR' }, 'en-GB'))).toMatch(/12\.50/);
    expect(plain(formatMoney({ amount: 1250, currency: 'JPY' }, 'en-GB'))).toMatch(/1,250/);
    expect(plain(formatMoney({ amount: 1250, currency: 'KWD' }, 'en-GB'))).toMatch(/1\.250/);
    expect(plain(formatMoney({ amount: 5, currency: 'EUR' }, 'en-GB'))).toMatch(/0\.05/);
    expect(plain(formatMoney({ amount: -1999, currency: 'EUR' }, 'en-GB'))).toMatch(/-.*19\.99/);
    // beyond a double's exact range, digits stay exact
    expect(plain(formatMoney({ amount: 900719925474099, currency: 'EUR' }, 'en-GB'))).toMatch(/9,007,199,254,740\.99/);
  });

  it('sums integers', () => {
    expect(sumMoney([{ amount: 10, currency: 'EUR' }, { amount: 20, currency: 'EUR' }], 'EUR')).toEqual({ amount: 30, currency: 'EUR' });
  });
});

describe('formatLocalTime', () => {
  it('shows the time in the venue zone and names it', () => {
    const text = formatLocalTime('2031-07-01T18:00:00Z', 'Europe/Berlin', 'en-GB');
    expect(text).toMatch(/20:00/);
    expect(text).toMatch(/Europe\/Berlin/);
  });
});
