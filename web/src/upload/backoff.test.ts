import { describe, expect, it } from 'vitest';
import { fullJitter, parseRetryAfter, sleep } from './backoff';

describe('fullJitter', () => {
  it('stays within [0, min(cap, base*2^n))', () => {
    const o = { baseMs: 100, capMs: 5000 };
    expect(fullJitter(0, o, () => 0.999)).toBe(99);
    expect(fullJitter(3, o, () => 0.5)).toBe(400);
    expect(fullJitter(40, o, () => 0.999)).toBe(4995);
    expect(fullJitter(5, o, () => 0)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('sleep', () => {
  it('ends early on an online event and rejects on abort', async () => {
    const target = new EventTarget();
    const p = sleep(60_000, undefined, target);
    target.dispatchEvent(new Event('online'));
    await expect(p).resolves.toBeUndefined();
    const c = new AbortController();
    const q = sleep(60_000, c.signal);
    c.abort();
    await expect(q).rejects.toMatchObject({ name: 'AbortError' });
  });
});
