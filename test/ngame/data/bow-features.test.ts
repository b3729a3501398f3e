// The XC repository's bag-of-words feature files (trn_X_Xf.txt, tst_X_Xf.txt, lbl_X_Xf.txt or
// Y_Xf.txt) in loadDataset: read, checked against the texts, rows L2-normalised, compressed
// variants, errors naming file and line, and the validation split carrying them with their docs.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csrFromPairs, csrFromRows, emptyFeatureFiles, loadDataset, rowSlice, writeLfJson, writeSparseMatrix, writeTexts, type CSR } from '../../../src/ngame/data/index';
import { holdOutValidation, runSplit } from '../../../src/ngame/validation';

const root = mkdtempSync(join(tmpdir(), 'ngame-bow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirNo = 0;

/** A features matrix whose row r holds (r % cols):(r + 1) and, for odd r, ((r + 1) % cols):1. */
function features(rows: number, cols: number): CSR {
  const row: number[] = [];
  const col: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < rows; r++) {
    row.push(r), col.push(r % cols), val.push(r + 1);
    if (r % 2 === 1 && cols > 1) row.push(r), col.push((r + 1) % cols), val.push(1);
  }
  return csrFromPairs(rows, cols, { row: Int32Array.from(row), col: Int32Array.from(col) }, Float32Array.from(val));
}

/**
 * An XC text-format dataset: nTrain / nTest docs ("train i", "test i"), 3 labels, doc i labelled
 * i % 3. `feat` chooses which feature files to write (names may end .gz).
 */
function makeDataset(nTrain: number, nTest: number, feat: Record<string, CSR> = {}): string {
  const dir = join(root, `d${dirNo++}`);
  mkdirSync(dir);
  writeTexts(join(dir, 'trn_X.txt'), Array.from({ length: nTrain }, (_, i) => `train ${i}`));
  writeTexts(join(dir, 'tst_X.txt'), Array.from({ length: nTest }, (_, i) => `test ${i}`));
  writeTexts(join(dir, 'Y.txt'), ['label zero', 'label one', 'label two']);
  writeSparseMatrix(join(dir, 'trn_X_Y.txt'), csrFromRows(3, Array.from({ length: nTrain }, (_, i) => [i % 3])));
  writeSparseMatrix(join(dir, 'tst_X_Y.txt'), csrFromRows(3, Array.from({ length: nTest }, (_, i) => [i % 3])));
  for (const [name, m] of Object.entries(feat)) writeSparseMatrix(join(dir, name), m);
  return dir;
}

const standard = (cols = 5) => ({ 'trn_X_Xf.txt': features(4, cols), 'tst_X_Xf.txt': features(2, cols), 'lbl_X_Xf.txt': features(3, cols) });

/** Row r of m as [col, value] pairs. */
const rowOf = (m: CSR, r: number) => {
  const s = rowSlice(m, r);
  return Array.from(s.indices, (c, j) => [c, s.values[j]]);
};

describe('bag-of-words feature files', () => {
  it('are read with one row per text, L2-normalised, and their paths recorded', async () => {
    const dir = makeDataset(4, 2, standard());
    const ds = await loadDataset(dir);
    const f = ds.features!;
    expect([f.train.rows, f.test.rows, f.labels.rows]).toEqual([4, 2, 3]);
    expect([f.train.cols, f.test.cols, f.labels.cols]).toEqual([5, 5, 5]);
    expect(f.files).toEqual({ train: join(dir, 'trn_X_Xf.txt'), test: join(dir, 'tst_X_Xf.txt'), labels: join(dir, 'lbl_X_Xf.txt') });
    // Row 0: 0:1 → 0:1. Row 1: 1:2 2:1 → norm √5. Row 3: 3:4 4:1 → norm √17.
    expect(rowOf(f.train, 0)).toEqual([[0, 1]]);
    expect(rowOf(f.train, 1)).toEqual([[1, Math.fround(2 / Math.sqrt(5))], [2, Math.fround(1 / Math.sqrt(5))]]);
    expect(rowOf(f.train, 3)).toEqual([[3, Math.fround(4 / Math.sqrt(17))], [4, Math.fround(1 / Math.sqrt(17))]]);
    expect(rowOf(f.labels, 2)).toEqual([[2, 1]]);
    for (const m of [f.train, f.test, f.labels]) {
      for (let r = 0; r < m.rows; r++) expect(Math.hypot(...rowSlice(m, r).values)).toBeCloseTo(1, 6);
    }
  });

  it('keep empty and all-zero rows as they are, and accept Y_Xf.txt for the labels', async () => {
    const labels = csrFromRows(5, [[], [1], []]);
    labels.values.fill(0); // the one stored entry is an explicit 0
    const dir = makeDataset(4, 2, { 'trn_X_Xf.txt': features(4, 5), 'tst_X_Xf.txt': features(2, 5), 'Y_Xf.txt': labels });
    const f = (await loadDataset(dir)).features!;
    expect(f.files.labels).toBe(join(dir, 'Y_Xf.txt'));
    expect(Array.from(f.labels.indptr)).toEqual([0, 0, 1, 1]);
    expect(Array.from(f.labels.values)).toEqual([0]);
  });

  it('a file whose every row is empty or all zeros is named by emptyFeatureFiles; a file with some features is not', async () => {
    const zeros = csrFromRows(5, [[1], [], [2], []]);
    zeros.values.fill(0);
    const dir = makeDataset(4, 2, { 'trn_X_Xf.txt': zeros, 'tst_X_Xf.txt': csrFromRows(5, [[], []]), 'lbl_X_Xf.txt': csrFromRows(5, [[], [1], []]) });
    const warnings = emptyFeatureFiles((await loadDataset(dir)).features!);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(new RegExp(`^${join(dir, 'trn_X_Xf.txt')}: every one of its 4 rows is empty: .*training documents`));
    expect(warnings[1]).toMatch(new RegExp(`^${join(dir, 'tst_X_Xf.txt')}: every one of its 2 rows is empty: .*test documents`));
    expect(emptyFeatureFiles((await loadDataset(makeDataset(4, 2, standard()))).features!)).toEqual([]);
  });

  it('absent: features undefined (the key absent), as without this feature; features: false skips them', async () => {
    const plain = await loadDataset(makeDataset(4, 2));
    expect(plain.features).toBeUndefined();
    expect('features' in plain).toBe(false);
    expect((await loadDataset(makeDataset(4, 2, standard()), { features: false })).features).toBeUndefined();
    expect((await loadDataset()).features).toBeUndefined(); // the embedded dataset has none
  });

  it('read gzip-compressed files the same way as plain ones', async () => {
    const plain = (await loadDataset(makeDataset(4, 2, standard()))).features!;
    const gz = Object.fromEntries(Object.entries(standard()).map(([k, m]) => [`${k}.gz`, m]));
    const dir = makeDataset(4, 2, gz);
    const f = (await loadDataset(dir)).features!;
    expect(f.files.train).toBe(join(dir, 'trn_X_Xf.txt.gz'));
    for (const k of ['train', 'test', 'labels'] as const) {
      expect(Array.from(f[k].indptr)).toEqual(Array.from(plain[k].indptr));
      expect(Array.from(f[k].indices)).toEqual(Array.from(plain[k].indices));
      expect(Array.from(f[k].values)).toEqual(Array.from(plain[k].values));
    }
  });

  it('come with the LF JSON-lines layout too', async () => {
    const dir = join(root, `lf${dirNo++}`);
    mkdirSync(dir);
    const recs = (n: number, withTargets: boolean) => ({
      uids: Array.from({ length: n }, (_, i) => String(i)),
      titles: Array.from({ length: n }, (_, i) => `title ${i}`),
      contents: Array.from({ length: n }, () => ''),
      targets: Array.from({ length: n }, (_, i) => (withTargets ? [i % 3] : [])),
    });
    writeLfJson(join(dir, 'trn.json.gz'), recs(4, true), true);
    writeLfJson(join(dir, 'tst.json.gz'), recs(2, true), true);
    writeLfJson(join(dir, 'lbl.json.gz'), recs(3, false), false);
    for (const [name, m] of Object.entries(standard())) writeSparseMatrix(join(dir, name), m);
    const f = (await loadDataset(dir)).features!;
    expect([f.train.rows, f.test.rows, f.labels.rows]).toEqual([4, 2, 3]);
  });
});

describe('bag-of-words feature file errors', () => {
  it('a row count different from the texts names the file at its header line', async () => {
    await expect(loadDataset(makeDataset(4, 2, { ...standard(), 'trn_X_Xf.txt': features(5, 5) }))).rejects.toThrow(
      /trn_X_Xf\.txt:1: header declares 5 rows but the dataset has 4 training documents/,
    );
    await expect(loadDataset(makeDataset(4, 2, { ...standard(), 'tst_X_Xf.txt': features(3, 5) }))).rejects.toThrow(
      /tst_X_Xf\.txt:1: header declares 3 rows but the dataset has 2 test documents/,
    );
    await expect(loadDataset(makeDataset(4, 2, { ...standard(), 'lbl_X_Xf.txt': features(2, 5) }))).rejects.toThrow(
      /lbl_X_Xf\.txt:1: header declares 2 rows but the dataset has 3 labels/,
    );
  });

  it('a column count different from trn_X_Xf.txt names the file at its header line', async () => {
    await expect(loadDataset(makeDataset(4, 2, { ...standard(), 'tst_X_Xf.txt': features(2, 6) }))).rejects.toThrow(
      /tst_X_Xf\.txt:1: header declares 6 feature columns but .*trn_X_Xf\.txt declares 5/,
    );
    await expect(loadDataset(makeDataset(4, 2, { 'trn_X_Xf.txt': features(4, 5), 'tst_X_Xf.txt': features(2, 5), 'lbl_X_Xf.txt.gz': features(3, 4) }))).rejects.toThrow(
      /lbl_X_Xf\.txt\.gz:1: header declares 4 feature columns/,
    );
  });

  it('a column id >= num_cols names the file and the line', async () => {
    const dir = makeDataset(4, 2, standard());
    writeFileSync(join(dir, 'trn_X_Xf.txt'), '4 5\n0:1\n1:1 5:0.5\n2:1\n3:1\n');
    await expect(loadDataset(dir)).rejects.toThrow(/trn_X_Xf\.txt:3: column 5 >= num_cols 5/);
  });

  it('an incomplete set, or two label-features files, is an error naming the files', async () => {
    const dir = makeDataset(4, 2, standard());
    rmSync(join(dir, 'lbl_X_Xf.txt'));
    await expect(loadDataset(dir)).rejects.toThrow(/some bag-of-words feature files but not lbl_X_Xf\.txt or Y_Xf\.txt/);
    const dir2 = makeDataset(4, 2, { 'tst_X_Xf.txt': features(2, 5) });
    await expect(loadDataset(dir2)).rejects.toThrow(/but not trn_X_Xf\.txt, lbl_X_Xf\.txt or Y_Xf\.txt/);
    const dir3 = makeDataset(4, 2, { ...standard(), 'Y_Xf.txt': features(3, 5) });
    await expect(loadDataset(dir3)).rejects.toThrow(/holds both .*lbl_X_Xf\.txt and .*Y_Xf\.txt/);
    renameSync(join(dir3, 'Y_Xf.txt'), join(dir3, 'unrelated.txt'));
    expect((await loadDataset(dir3)).features).toBeDefined();
  });
});

describe('the validation split', () => {
  it('splits features.train with the texts; test and label features stay', async () => {
    const N = 20;
    const cols = 23; // > N, so row r of the file is the only row with column r and value r+1
    const full = await loadDataset(makeDataset(N, 2, { 'trn_X_Xf.txt': features(N, cols), 'tst_X_Xf.txt': features(2, cols), 'lbl_X_Xf.txt': features(3, cols) }));
    const { data, val } = holdOutValidation(full, 0.25, 11);
    const original = (text: string) => Number(text.split(' ')[1]); // "train i" → i
    expect(data.features!.train.rows).toBe(data.trainTexts.length);
    data.trainTexts.forEach((t, j) => expect(rowOf(data.features!.train, j)).toEqual(rowOf(full.features!.train, original(t))));
    expect(val.features!.rows).toBe(val.ids.length);
    val.texts.forEach((t, i) => {
      expect(original(t)).toBe(val.ids[i]);
      expect(rowOf(val.features!, i)).toEqual(rowOf(full.features!.train, val.ids[i]));
    });
    expect(data.features!.test).toBe(full.features!.test);
    expect(data.features!.labels).toBe(full.features!.labels);
    expect(full.features!.train.rows).toBe(N); // the full dataset is not modified
    // runSplit without a validation fraction leaves the dataset as it is; without features, none appear.
    expect(runSplit(full, { valFraction: 0, seed: 1 }).data.features).toBe(full.features);
    const plain = holdOutValidation(await loadDataset(makeDataset(N, 2)), 0.25, 11);
    expect('features' in plain.data || 'features' in plain.val).toBe(false);
  });
});
