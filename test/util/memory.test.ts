import { describe, expect, it } from 'vitest';
import { formatBytes, peakRssBytes } from '../../src/util/memory';

describe('peakRssBytes', () => {
  it('is in bytes, at least the current resident set, and never falls', () => {
    const before = peakRssBytes();
    // Node reports maxRSS in KiB: read as bytes it would be ~1000 times below the resident set.
    expect(before).toBeGreaterThanOrEqual(process.memoryUsage().rss * 0.99);
    const buf = Buffer.alloc(96 * 2 ** 20, 1); // filled, so its pages are resident
    const rss = process.memoryUsage().rss;
    const after = peakRssBytes();
    expect(buf[buf.length - 1]).toBe(1);
    expect(after).toBeGreaterThanOrEqual(rss * 0.99);
    expect(after).toBeGreaterThanOrEqual(before);
  });
});

describe('formatBytes', () => {
  it('MiB below a GiB, GiB with two decimals from there', () => {
    expect(formatBytes(812 * 2 ** 20)).toBe('812 MiB');
    expect(formatBytes(3.4215 * 2 ** 30)).toBe('3.42 GiB');
    expect(formatBytes(2 ** 30)).toBe('1.00 GiB');
  });
});
