// File formats: CSR helpers, write→read round trips, and bad input errors naming file and line.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkCSR,
  columnCounts,
  csrEqual,
  csrFromPairs,
  csrFromRows,
  csrToPairs,
  readFilterPairs,
  readLfJson,
  readSparseMatrix,
  readTexts,
  rowSlice,
  selectRows,
  transpose,
  writeFilterPairs,
  writeLfJson,
  writeSparseMatrix,
  writeTexts,
  loadDataset,
  type CSR,
} from '../../../src/ngame/data/index';

const dir = mkdtempSync(join(tmpdir(), 'ngame-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tmp = (name: string) => join(dir, `${fileNo++}-${name}`);

/** Random sparse matrix: rows × cols with unique sorted columns and float32 values. */
const matrixArb = fc
  .record({ rows: fc.integer({ min: 0, max: 8 }), cols: fc.integer({ min: 1, max: 20 }) })
  .chain(({ rows, cols }) =>
    fc.array(
      fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: cols - 1 }), fc.float({ noNaN: true, noDefaultInfinity: true })), {
        selector: (t) => t[0],
        maxLength: cols,
      }),
      { minLength: rows, maxLength: rows },
    ).map((rs): CSR => {
      const row: number[] = [];
      const col: number[] = [];
      const val: number[] = [];
      rs.forEach((r, i) => r.forEach(([c, v]) => (row.push(i), col.push(c), val.push(v))));
      return csrFromPairs(rows, cols, { row: Int32Array.from(row), col: Int32Array.from(col) }, Float32Array.from(val));
    }),
  );

describe('CSR helpers', () => {
  it('transpose twice is the identity; column counts match the transpose', () => {
    fc.assert(
      fc.property(matrixArb, (m) => {
        const t = transpose(m);
        checkCSR(t);
        expect(Array.from(columnCounts(m))).toEqual(Array.from({ length: m.cols }, (_, c) => t.indptr[c + 1] - t.indptr[c]));
        expect(csrEqual(transpose(t), m)).toBe(true);
        expect(csrEqual(csrFromPairs(m.rows, m.cols, csrToPairs(m), m.values), m)).toBe(true);
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('builds from rows, slices and selects rows', () => {
    const m = csrFromRows(5, [[3, 1, 3], [], [4]]);
    expect(Array.from(rowSlice(m, 0).indices)).toEqual([1, 3]);
    expect(Array.from(selectRows(m, [2, 0]).indices)).toEqual([4, 1, 3]);
    expect(() => csrFromRows(5, [[5]])).toThrow(/outside a 1 × 5 matrix/);
  });
});

describe('round trips', () => {
  it('sparse matrices (plain, .gz, .br)', async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb, fc.constantFrom('', '.gz', '.br'), async (m, ext) => {
        const p = tmp(`m.txt${ext}`);
        writeSparseMatrix(p, m);
        expect(csrEqual(await readSparseMatrix(p), m)).toBe(true);
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('texts, including empty and non-ASCII ones', async () => {
    const textArb = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\n'));
    await fc.assert(
      fc.asyncProperty(fc.array(textArb, { maxLength: 10 }), fc.constantFrom('', '.gz'), async (texts, ext) => {
        const p = tmp(`t.txt${ext}`);
        writeTexts(p, texts);
        expect(await readTexts(p)).toEqual(texts);
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('filter pairs and LF JSON-lines', async () => {
    const pairs = { row: Int32Array.from([0, 2, 2]), col: Int32Array.from([5, 0, 1]) };
    const p = tmp('filter.txt');
    writeFilterPairs(p, pairs);
    expect(await readFilterPairs(p, { rows: 3, cols: 6 })).toEqual(pairs);
    const recs = { uids: ['a', 'b'], titles: ['t1', 'ü2'], contents: ['long 1', ''], targets: [[3, 1], []] };
    const j = tmp('trn.json.gz');
    writeLfJson(j, recs, true);
    expect(await readLfJson(j, true)).toEqual(recs);
  });

  it('loadDataset reads an LF JSON-lines directory', async () => {
    const d = mkdtempSync(join(dir, 'lf-'));
    writeLfJson(join(d, 'trn.json.gz'), { uids: ['x', 'y'], titles: ['a b', 'c'], contents: ['A B', 'C'], targets: [[0], [1, 2]] }, true);
    writeLfJson(join(d, 'tst.json.gz'), { uids: ['z'], titles: ['d'], contents: ['D'], targets: [[2]] }, true);
    writeLfJson(join(d, 'lbl.json.gz'), { uids: ['0', '1', '2'], titles: ['l0', 'l1', 'l2'], contents: ['L0', 'L1', 'L2'], targets: [] }, false);
    writeFilterPairs(join(d, 'filter_labels_test.txt'), { row: Int32Array.from([0]), col: Int32Array.from([1]) });
    const ds = await loadDataset(d, { text: 'long' });
    expect(ds.trainTexts).toEqual(['A B', 'C']);
    expect(ds.labelTexts).toEqual(['L0', 'L1', 'L2']);
    expect(Array.from(ds.trainY.indices)).toEqual([0, 1, 2]);
    expect(ds.testY.cols).toBe(3);
    expect(Array.from(ds.filterTest.col)).toEqual([1]);
    expect(ds.filterTrain.row.length).toBe(0);
  });
});

/** Writes raw content and returns the error message of reading it (or 'ok'). */
async function errorOf(content: string | Buffer, read: (p: string) => Promise<unknown>): Promise<{ file: string; msg: string }> {
  const file = tmp('bad.txt');
  writeFileSync(file, content);
  try {
    await read(file);
    return { file, msg: 'ok' };
  } catch (e) {
    return { file, msg: (e as Error).message };
  }
}

describe('bad input names file and line', () => {
  const cases: [string, string, RegExp][] = [
    ['wrong header', '2\n0:1.0\n\n', /:1: header must be/],
    ['column >= num_cols', '2 3\n0:1.0\n3:1.0\n', /:3: column 3 >= num_cols 3/],
    ['non-numeric value', '1 3\n0:abc\n', /:2: value 'abc' is not a number/],
    // Finite as float64, infinite as the float32 it is stored as.
    ['value beyond float32', '2 3\n0:1.0\n1:0.5 2:-1e39\n', /:3: value '-1e39' is not finite as a float32/],
    ['non-numeric column', '1 3\nx:1\n', /:2: column 'x' is not a non-negative integer/],
    ['duplicate column', '1 5\n2:1 4:1 2:1\n', /:2: column 2 appears twice/],
    ['extra field', '1 5\n2:1:3\n', /:2: expected 'col:value'/],
    ['too many rows', '1 5\n1:1\n2:1\n', /:3: more rows than the 1/],
    ['too few rows', '3 5\n1:1\n', /:2: header declares 3 rows but the file has 1/],
    ['truncated last row', '1 5\n1:1 2:1', /:2: last line has no newline/],
  ];
  for (const [what, content, re] of cases) {
    it(`sparse matrix: ${what}`, async () => {
      const { file, msg } = await errorOf(content, readSparseMatrix);
      expect(msg.startsWith(`${file}:`)).toBe(true);
      expect(msg).toMatch(re);
    });
  }

  it('non-UTF-8 text names the line', async () => {
    const bytes = Buffer.concat([Buffer.from('ok\nfine ü\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from('\nlast\n')]);
    const { file, msg } = await errorOf(bytes, readTexts);
    expect(msg).toBe(`${file}:3: invalid UTF-8`);
  });

  it('filter pair out of range, malformed filter line', async () => {
    const read = (p: string) => readFilterPairs(p, { rows: 2, cols: 4 });
    expect((await errorOf('0 1\n1 4\n', read)).msg).toMatch(/:2: pair \(1, 4\) outside the 2 documents × 4 labels/);
    expect((await errorOf('0 1 2\n', read)).msg).toMatch(/:1: expected 'row col'/);
  });

  it('row-count mismatch between a matrix and its text file', async () => {
    const d = mkdtempSync(join(dir, 'ds-'));
    writeSparseMatrix(join(d, 'trn_X_Y.txt'), csrFromRows(3, [[0], [1, 2]]));
    writeSparseMatrix(join(d, 'tst_X_Y.txt'), csrFromRows(3, [[2]]));
    writeTexts(join(d, 'trn_X.txt'), ['only one']);
    writeTexts(join(d, 'tst_X.txt'), ['t']);
    writeTexts(join(d, 'Y.txt'), ['a', 'b', 'c']);
    await expect(loadDataset(d)).rejects.toThrow(`${join(d, 'trn_X.txt')}:1: has 1 lines but the row count of trn_X_Y.txt is 2`);
    writeTexts(join(d, 'trn_X.txt'), ['one', 'two']);
    writeFileSync(join(d, 'filter_labels_test.txt'), '0 3\n');
    await expect(loadDataset(d)).rejects.toThrow(/filter_labels_test.txt:1: pair \(0, 3\) outside/);
  });

  it('bad JSON lines and corrupt compressed files', async () => {
    expect((await errorOf('{"title": "a", "target_ind": [0]}\n{"title": 3}\n', (p) => readLfJson(p, true))).msg).toMatch(/:2: field 'title'/);
    expect((await errorOf('{"title": "a"\n', (p) => readLfJson(p, false))).msg).toMatch(/:1: not valid JSON/);
    const gz = tmp('bad.txt.gz');
    writeFileSync(gz, Buffer.from('not gzip at all'));
    await expect(readTexts(gz)).rejects.toThrow(`${gz}: cannot decompress`);
  });
});
