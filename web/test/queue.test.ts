import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leadingZeroBits, solveChallenge, waitWords } from '../src/queue';

const digest = (text: string) => new Uint8Array(createHash('sha256').update(text).digest());

describe('the waiting room challenge', () => {
  it('counts leading zero bits as the server does', () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x80]))).toBe(16);
    expect(leadingZeroBits(new Uint8Array([0, 0x0f]))).toBe(12);
    expect(leadingZeroBits(new Uint8Array([0x40]))).toBe(1);
    expect(leadingZeroBits(new Uint8Array([0xff]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array([0, 0]))).toBe(16);
  });

  it('finds the first solution that meets the difficulty', async () => {
    const nonce = '1893456000.abcdef0123456789.mac';
    const solution = await solveChallenge(nonce, 10);
    expect(leadingZeroBits(digest(`${nonce}:${solution}`))).toBeGreaterThanOrEqual(10);
    // the first one: every smaller counter falls short
    for (let c = 0; c < parseInt(solution, 16); c++) {
      expect(leadingZeroBits(digest(`${nonce}:${c.toString(16)}`))).toBeLessThan(10);
    }
  });
});

describe('waitWords', () => {
  it('says a wait in words', () => {
    expect(waitWords(null)).toBe('unknown');
    expect(waitWords(30)).toBe('less than a minute');
    expect(waitWords(60)).toBe('about 1 minute');
    expect(waitWords(600)).toBe('about 10 minutes');
    expect(waitWords(7200)).toBe('about 2 hours');
  });
});
