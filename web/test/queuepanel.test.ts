import { describe, expect, it } from 'vitest';
import { describeQueue, localInputValue, parseRate } from '../src/ui/queuepanel';

const figures = {
  opensAt: '2030-01-01T18:00:00Z', ratePerMinute: 600, auto: false, paused: false, opened: true,
  waiting: 1200, admitted: 40, sold: 12, abandoned: 3, requireVerifiedEmail: true,
};

describe('the organizer waiting-room panel', () => {
  it('takes a whole rate of at least one, or empty for auto, and refuses anything else', () => {
    expect(parseRate('600')).toBe(600);
    expect(parseRate(' 1 ')).toBe(1);
    expect(parseRate('')).toBeNull();
    expect(parseRate('   ')).toBeNull();
    for (const bad of ['0', '-5', '2.5', '1e3', 'ten', '60/min']) expect(parseRate(bad)).toBe('invalid');
  });

  it('says whether the queue is open, paused or yet to open, and at which rate', () => {
    expect(describeQueue(figures)).toBe('Open · admitting 600 a minute');
    expect(describeQueue({ ...figures, paused: true })).toBe('Paused · admitting 600 a minute');
    expect(describeQueue({ ...figures, auto: true, ratePerMinute: 6570 }))
      .toBe(`Open · admitting ${(6570).toLocaleString()} a minute (auto)`);
    expect(describeQueue({ ...figures, opened: false })).toMatch(/^Opens .*2030.* · admitting 600 a minute$/);
  });

  it('fills a datetime-local input with the instant in the browser zone, to the minute', () => {
    const at = new Date(2030, 0, 2, 3, 4, 59);
    expect(localInputValue(at)).toBe('2030-01-02T03:04');
    expect(new Date(localInputValue(at)).getTime()).toBe(new Date(2030, 0, 2, 3, 4).getTime());
  });
});
