import { describe, expect, it } from 'vitest';
import { categoryName, currencyDigits, formatPrice } from '../src/seatmap/format';

describe('prices from minor units', () => {
  it('knows how many decimals a currency has', () => {
    expect(currencyDigits('EUR')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
  });

  it('formats EUR with 2 decimals', () => {
    expect(formatPrice(2500, 'EUR', 'en-US')).toBe('€25.00');
    expect(formatPrice(2599, 'EUR', 'de-DE')).toBe('25,99\u00a0€');
  });

  it('formats JPY without decimals', () => {
    expect(formatPrice(2500, 'JPY', 'en-US')).toBe('¥2,500');
  });

  it('formats KWD with 3 decimals', () => {
    expect(formatPrice(2500, 'KWD', 'en-US')).toMatch(/^KWD\s2\.500$/);
    expect(formatPrice(1, 'KWD', 'en-US')).toMatch(/0\.001$/);
  });
});

describe('category names', () => {
  it('reads like words', () => {
    expect(categoryName('PREMIUM')).toBe('Premium');
    expect(categoryName('FIRST_CLASS')).toBe('First class');
  });
});
