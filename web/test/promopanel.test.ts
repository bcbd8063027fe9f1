import { describe, expect, it } from 'vitest';
import {
  appliesTo, describeCode, describeDiscount, parseAmount, parseLimit, parsePercent, readDiscount,
} from '../src/ui/promopanel';

const code = {
  id: 'p1', code: 'SPRING', kind: 'PERCENT' as const, percent: 20, amount: null, showIds: ['s1'],
  categories: [], validFrom: null, validUntil: null, maxRedemptions: null, maxPerCustomer: null,
  redeemed: 0, unlocksCategories: [], active: true,
};

describe('the organizer promo-code panel', () => {
  it('takes a whole percentage from 1 (0 when the code unlocks) to 100', () => {
    expect(parsePercent('20')).toBe(20);
    expect(parsePercent(' 100 ')).toBe(100);
    expect(parsePercent('1')).toBe(1);
    expect(parsePercent('0')).toBe('invalid');
    expect(parsePercent('0', 0)).toBe(0);
    for (const bad of ['', '101', '150', '-5', '2.5', '1e2', 'ten', '20%']) expect(parsePercent(bad)).toBe('invalid');
  });

  it('reads an amount into integer minor units with the currency\'s own digits', () => {
    expect(parseAmount('5', 'EUR')).toBe(500);
    expect(parseAmount('5.5', 'EUR')).toBe(550);
    expect(parseAmount('5,50', 'EUR')).toBe(550);
    expect(parseAmount('0.01', 'EUR')).toBe(1);
    expect(parseAmount('0.1', 'EUR')).toBe(10); // no float: 0.1 * 100 is exact here
    expect(parseAmount('1250', 'JPY')).toBe(1250);
    expect(parseAmount('1.25', 'KWD')).toBe(1250);
    expect(parseAmount('1.250', 'KWD')).toBe(1250);
    for (const bad of ['', '0', '0.00', '5.505', '-5', '1e3', 'five', '5.']) {
      expect(parseAmount(bad, 'EUR')).toBe('invalid');
    }
    expect(parseAmount('12.5', 'JPY')).toBe('invalid');
    expect(parseAmount('1.2345', 'KWD')).toBe('invalid');
  });

  it('takes an optional limit of at least one', () => {
    expect(parseLimit('')).toBeNull();
    expect(parseLimit(' 100 ')).toBe(100);
    for (const bad of ['0', '-1', '1.5', 'many']) expect(parseLimit(bad)).toBe('invalid');
  });

  it('wants a percentage or an amount, not both, and says what is wrong in words', () => {
    expect(readDiscount('20', '', 'EUR')).toEqual({ kind: 'PERCENT', percent: 20 });
    expect(readDiscount('', '5.50', 'EUR')).toEqual({ kind: 'AMOUNT', amount: { amount: 550, currency: 'EUR' } });
    expect(readDiscount('0', '', 'EUR', true)).toEqual({ kind: 'PERCENT', percent: 0 });
    expect(readDiscount('', '', 'EUR')).toEqual({ error: 'Give a percentage or an amount off.' });
    expect(readDiscount('20', '5', 'EUR')).toEqual({ error: 'Give a percentage or an amount off, not both.' });
    expect(readDiscount('150', '', 'EUR')).toEqual({ error: 'Give the percentage as a whole number from 1 to 100.' });
    expect(readDiscount('', '5.505', 'EUR'))
      .toEqual({ error: 'Give the amount in EUR with at most 2 decimals, more than zero.' });
    expect(readDiscount('', '12.5', 'JPY')).toEqual({ error: 'Give the amount in JPY as a whole number, more than zero.' });
  });

  it('describes a code: discount, scope, validity, limits, what it unlocks, whether withdrawn', () => {
    expect(describeDiscount(code)).toBe('20% off');
    expect(describeDiscount({ kind: 'AMOUNT', percent: null, amount: { amount: 500, currency: 'EUR' } }, 'en-GB'))
      .toBe('€5.00 off');
    expect(describeCode(code)).toBe('20% off · on every category · 0 redeemed');
    const full = describeCode({
      ...code, kind: 'AMOUNT', percent: null, amount: { amount: 1250, currency: 'KWD' }, showIds: [],
      categories: ['VIP'], validFrom: '2030-01-01T10:00:00Z', validUntil: '2030-02-01T10:00:00Z',
      maxRedemptions: 100, maxPerCustomer: 2, redeemed: 3, unlocksCategories: ['FRIENDS'], active: false,
    }, 'en-GB');
    expect(full).toMatch(/^KWD\s1\.250 off · on VIP · all your shows · from .*2030.* until .*2030.* · 3 of 100 redeemed · 2 per customer · unlocks FRIENDS · withdrawn$/);
    expect(describeCode({ ...code, validUntil: '2030-02-01T10:00:00Z' }, 'en-GB')).toMatch(/^20% off · on every category · until .*2030.* · 0 redeemed$/);
  });

  it('lists the codes made for this show or for all the organizer\'s shows', () => {
    expect(appliesTo(code, 's1')).toBe(true);
    expect(appliesTo(code, 's2')).toBe(false);
    expect(appliesTo({ showIds: [] }, 's2')).toBe(true);
  });
});
