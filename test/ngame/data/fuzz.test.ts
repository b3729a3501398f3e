// Fuzzing the readers: truncation, byte flips, extra fields and wrong headers must give an Error
// naming the file and line, or a well-formed parse (identical to the original where the damage
// cannot leave a valid file) — never a crash, hang or silently shortened matrix.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCSR, csrEqual, csrFromRows, formatSparseMatrix, readFilterPairs, readSparseMatrix, readTexts, type CSR } from '../../../src/ngame/data/index';

const dir = mkdtempSync(join(tmpdir(), 'ngame-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const matrixArb = fc
  .record({ rows: fc.integer({ min: 0, max: 6 }), cols: fc.integer({ min: 1, max: 30 }) })
  .chain(({ rows, cols }) =>
    fc
      .array(fc.uniqueArray(fc.integer({ min: 0, max: cols - 1 }), { maxLength: 5 }), { minLength: rows, maxLength: rows })
      .map((rs) => csrFromRows(cols, rs)),
  );

/** The bytes of m as the writer produces them. */
function bytesOf(m: CSR): Buffer {
  return Buffer.from(formatSparseMatrix(m).join(''), 'utf8');
}

/** Reads `bytes` with `read`; returns the value or the Error (any other throw fails the test). */
async function attempt<T>(bytes: Buffer, read: (p: string) => Promise<T>, ext = '.txt'): Promise<{ file: string; value?: T; error?: Error }> {
  const file = join(dir, `fuzz-${n++}${ext}`);
  writeFileSync(file, bytes);
  try {
    return { file, value: await read(file) };
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return { file, error: e as Error };
  }
}

const namesLine = (file: string, e: Error) => e.message.startsWith(`${file}:`) && /^:\d+: /.test(e.message.slice(file.length));

/** A parse that is not an error must be a well-formed matrix that round-trips unchanged. */
async function expectWellFormed(m: CSR): Promise<void> {
  checkCSR(m);
  for (let r = 0; r < m.rows; r++) {
    for (let i = m.indptr[r] + 1; i < m.indptr[r + 1]; i++) expect(m.indices[i]).toBeGreaterThan(m.indices[i - 1]);
  }
  const again = await attempt(bytesOf(m), readSparseMatrix);
  expect(again.value && csrEqual(again.value, m)).toBe(true);
}

describe('fuzzing the sparse matrix reader', () => {
  it('truncation always gives an error naming file and line', async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb, fc.nat(), async (m, cut) => {
        const bytes = bytesOf(m);
        const at = cut % bytes.length; // strictly shorter than the file
        const r = await attempt(bytes.subarray(0, at), readSparseMatrix);
        expect(r.error).toBeDefined();
        expect(namesLine(r.file, r.error!)).toBe(true);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('byte flips give an error naming file and line, or a well-formed matrix', async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb, fc.nat(), fc.integer({ min: 0, max: 255 }), async (m, pos, byte) => {
        const bytes = Buffer.from(bytesOf(m));
        const at = pos % bytes.length;
        const same = bytes[at] === byte;
        bytes[at] = byte;
        const r = await attempt(bytes, readSparseMatrix);
        if (r.error) expect(namesLine(r.file, r.error)).toBe(true);
        else {
          await expectWellFormed(r.value!);
          if (same) expect(csrEqual(r.value!, m)).toBe(true);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('extra fields and wrong headers give an error naming file and line, or a well-formed matrix', async () => {
    const junk = fc.oneof(
      fc.constantFrom(' 1:2:3', ' x', ' 7', ':', ' 0:1e999', ' -1:1', ' 0:nan', ' 3 4', '\n', '\t', ' 99999999999:1', ' 0:'),
      fc.string({ maxLength: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(matrixArb, fc.nat(), junk, fc.boolean(), async (m, pos, extra, header) => {
        const text = bytesOf(m).toString('utf8');
        let mutated: string;
        if (header) mutated = extra + text.slice(text.indexOf('\n'));
        else {
          const at = pos % text.length;
          mutated = text.slice(0, at) + extra + text.slice(at);
        }
        const r = await attempt(Buffer.from(mutated, 'utf8'), readSparseMatrix);
        if (r.error) expect(namesLine(r.file, r.error)).toBe(true);
        else await expectWellFormed(r.value!);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('damaged gzip files give an error naming the file, or an identical parse', async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), async (m, pos, byte, truncate) => {
        const bytes = gzipSync(bytesOf(m));
        const at = pos % bytes.length;
        let damaged: Buffer;
        if (truncate) damaged = bytes.subarray(0, at);
        else {
          bytes[at] = byte;
          damaged = bytes;
        }
        const r = await attempt(damaged, readSparseMatrix, '.txt.gz');
        if (r.error) expect(r.error.message.startsWith(`${r.file}:`)).toBe(true);
        else expect(csrEqual(r.value!, m)).toBe(true);
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});

describe('fuzzing the text and filter readers', () => {
  it('byte flips in text give an error naming file and line, or the same number of lines', async () => {
    const texts = fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\n')), { minLength: 1, maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(texts, fc.nat(), fc.integer({ min: 0x80, max: 0xff }), async (ts, pos, byte) => {
        const bytes = Buffer.from(ts.join('\n') + '\n', 'utf8');
        const at = pos % bytes.length;
        bytes[at] = byte; // a non-ASCII byte: never a newline, often invalid UTF-8
        const r = await attempt(bytes, (p) => readTexts(p));
        if (r.error) {
          expect(namesLine(r.file, r.error)).toBe(true);
          // The reported line is the one holding the damaged byte.
          const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
          expect(r.error.message).toBe(`${r.file}:${line}: invalid UTF-8`);
        } else expect(r.value!.length).toBe(ts.length);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('truncated filter files give an error or a prefix of the pairs (a cut at a line end)', async () => {
    const pairsArb = fc.array(fc.tuple(fc.nat(50), fc.nat(50)), { minLength: 1, maxLength: 10 });
    await fc.assert(
      fc.asyncProperty(pairsArb, fc.nat(), async (ps, cut) => {
        const bytes = Buffer.from(ps.map(([a, b]) => `${a} ${b}\n`).join(''));
        const r = await attempt(bytes.subarray(0, cut % bytes.length), (p) => readFilterPairs(p));
        if (r.error) expect(namesLine(r.file, r.error)).toBe(true);
        else {
          const got = Array.from(r.value!.row, (row, i) => [row, r.value!.col[i]]);
          expect(got).toEqual(ps.slice(0, got.length));
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});
