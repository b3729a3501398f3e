// The streaming line reader (src/ngame/data/lines.ts) on lines far longer than its 1 MiB chunks.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { forEachLine } from '../../../src/ngame/data/lines';

const dir = mkdtempSync(join(tmpdir(), 'ngame-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** A line of `bytes` UTF-8 bytes: 'ab ' runs with a 2-byte 'é' every 997 characters, so chunk ends split characters. */
function longLine(bytes: number): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const s = i % 997 === 0 ? 'é' : 'ab '[i % 3];
    parts.push(s);
    n += Buffer.byteLength(s);
  }
  return parts.join('');
}

async function readAll(path: string): Promise<{ lines: string[]; finalNewline: boolean }> {
  const lines: string[] = [];
  const scan = await forEachLine(path, (l, no) => {
    expect(no).toBe(lines.length + 1);
    lines.push(l);
  });
  return { lines, finalNewline: scan.finalNewline };
}

describe('forEachLine on very long lines', () => {
  const big = longLine(6.5 * 2 ** 20); // 6.5 MiB: spans 7 chunks of the plain reader, ~400 of gunzip's
  const texts = ['short first', big, '', 'ünïcödé middle', big.slice(0, 3 * 2 ** 20 + 1), 'last'];

  for (const [name, finalNl] of [['plain.txt', true], ['plain-open.txt', false], ['zipped.txt.gz', true]] as const) {
    it(`${name}: every line comes back whole, numbered, and the bytes are copied a bounded number of times`, async () => {
      const path = join(dir, name);
      const content = Buffer.from(texts.join('\n') + (finalNl ? '\n' : ''), 'utf8');
      writeFileSync(path, name.endsWith('.gz') ? gzipSync(content) : content);
      // Bytes copied by joining chunks: re-joining a growing line for every chunk copies O(n²).
      let copied = 0;
      const concat = Buffer.concat.bind(Buffer);
      vi.spyOn(Buffer, 'concat').mockImplementation((list: readonly Uint8Array[], total?: number) => {
        const out = concat(list, total);
        copied += out.length;
        return out;
      });
      const got = await readAll(path);
      vi.restoreAllMocks();
      expect(got.lines.length).toBe(texts.length);
      got.lines.forEach((l, i) => expect(l === texts[i], `line ${i + 1}`).toBe(true));
      expect(got.finalNewline).toBe(finalNl);
      expect(copied).toBeLessThanOrEqual(2 * content.length);
    });
  }
});
