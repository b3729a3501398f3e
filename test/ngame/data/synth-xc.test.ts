// The synthetic XC dataset generator: its files load with loadDataset, it is deterministic per
// seed, it has the shape asked for, a long tail, filter pairs that mean what they say, and texts
// that the TF-IDF baselines find well above chance and far from perfect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { columnCounts, datasetStats, loadDataset } from '../../../src/ngame/data/index';
import { checkShape, SYNTH_FILE, SYNTH_SHAPES, writeSynthDataset, type SynthShape } from '../../../src/ngame/data/synth-xc';
import { makeVocabulary, ZipfSampler } from '../../../src/ngame/data/synth-words';
import { tfidfBaselines } from '../../../src/ngame/baselines/index';
import { testMetrics } from '../../../src/ngame/inference';
import { Rng } from '../../../src/util/rng';

const root = mkdtempSync(join(tmpdir(), 'ngame-synth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// 5 training documents per label on average, as LF-AmazonTitles-131K.
const SMALL: SynthShape = { trainDocs: 2000, testDocs: 600, labels: 880, labelsPerDoc: 2.29, vocab: 0 };
const FILES = ['Y.txt', 'trn_X.txt', 'trn_X_Y.txt', 'tst_X.txt', 'tst_X_Y.txt', 'filter_labels_train.txt', 'filter_labels_test.txt', SYNTH_FILE];
const bytes = (dir: string) => FILES.map((f) => readFileSync(join(dir, f)));

describe('writeSynthDataset', () => {
  const dir = join(root, 'a');
  let info: ReturnType<typeof writeSynthDataset>;
  beforeAll(() => {
    info = writeSynthDataset(dir, SMALL, 7);
  });

  it('writes the XC text format that loadDataset reads, of the shape asked for, and nothing else', async () => {
    expect(readdirSync(dir).sort()).toEqual([...FILES].sort()); // no temporary file left
    const ds = await loadDataset(dir);
    expect(ds.trainTexts).toHaveLength(SMALL.trainDocs);
    expect(ds.testTexts).toHaveLength(SMALL.testDocs);
    expect(ds.labelTexts).toHaveLength(SMALL.labels);
    expect([ds.trainY.rows, ds.trainY.cols, ds.testY.rows, ds.testY.cols]).toEqual([SMALL.trainDocs, SMALL.labels, SMALL.testDocs, SMALL.labels]);
    const s = datasetStats(ds);
    expect(s.labelsPerDoc).toBeGreaterThan(0.9 * SMALL.labelsPerDoc);
    expect(s.labelsPerDoc).toBeLessThan(1.1 * SMALL.labelsPerDoc);
    expect(info.counts.trainPositives).toBe(s.trainPositives);
    expect(info.counts.filterTest).toBe(s.filterTestPairs);
    for (let d = 0; d < ds.trainY.rows; d++) expect(ds.trainY.indptr[d + 1]).toBeGreaterThan(ds.trainY.indptr[d]); // every document has a label
    const recorded = JSON.parse(readFileSync(join(dir, SYNTH_FILE), 'utf8'));
    expect(recorded).toMatchObject({ format: 'ngame-synth', seed: 7, params: SMALL });
  });

  it('has a long tail: most labels in 1 to 5 training documents, some in none, a few in many', async () => {
    const s = datasetStats(await loadDataset(dir));
    expect(s.labelsWith1to5 / s.labels).toBeGreaterThan(0.5);
    expect(s.labelsWithoutTrainDocs).toBeGreaterThan(0);
    expect(s.labelsWithoutTrainDocs / s.labels).toBeLessThan(0.25);
    expect(s.labelFreqQuantiles.at(-1)![1]).toBeGreaterThan(10 * (s.trainPositives / s.labels));
  });

  it('has short titles of [a-z] words; documents share words with their labels', async () => {
    const ds = await loadDataset(dir);
    for (const t of [...ds.labelTexts, ...ds.trainTexts.slice(0, 200)]) expect(t).toMatch(/^[a-z]+( [a-z]+)*$/);
    const lens = ds.labelTexts.map((t) => t.split(' ').length);
    expect(Math.min(...lens)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...lens)).toBeLessThanOrEqual(6);
    let shared = 0;
    for (let d = 0; d < 500; d++) {
      const words = new Set(ds.trainTexts[d].split(' '));
      const labels = Array.from(ds.trainY.indices.subarray(ds.trainY.indptr[d], ds.trainY.indptr[d + 1]));
      if (labels.some((l) => ds.labelTexts[l].split(' ').some((w) => words.has(w)))) shared++;
    }
    expect(shared / 500).toBeGreaterThan(0.6);
  });

  it('filter pairs name a label that is not a positive and whose whole title is in the document', async () => {
    const ds = await loadDataset(dir);
    expect(ds.filterTrain.row.length).toBeGreaterThan(0.03 * SMALL.trainDocs);
    for (let i = 0; i < ds.filterTrain.row.length; i++) {
      const d = ds.filterTrain.row[i];
      const l = ds.filterTrain.col[i];
      expect(Array.from(ds.trainY.indices.subarray(ds.trainY.indptr[d], ds.trainY.indptr[d + 1]))).not.toContain(l);
      const words = new Set(ds.trainTexts[d].split(' '));
      for (const w of ds.labelTexts[l].split(' ')) expect(words.has(w)).toBe(true);
    }
  });

  it('the TF-IDF baselines score well above chance and far from perfect', async () => {
    const ds = await loadDataset(dir);
    const b = tfidfBaselines(ds, ds.testTexts);
    // Chance: every test document gets the most frequent training labels.
    const freq = columnCounts(ds.trainY);
    const top = Int32Array.from(freq.keys()).sort((a, c) => freq[c] - freq[a] || a - c).slice(0, 5);
    const popular = { rows: ds.testY.rows, cols: ds.testY.cols, indptr: Int32Array.from({ length: ds.testY.rows + 1 }, (_, r) => 5 * r), indices: Int32Array.from({ length: 5 * ds.testY.rows }, (_, i) => top[i % 5]), values: Float32Array.from({ length: 5 * ds.testY.rows }, (_, i) => 5 - (i % 5)) };
    const chance = testMetrics(popular, ds).P[0];
    for (const s of [b.labelCosine, b.knn, b.fused]) {
      const p1 = testMetrics(s, ds).P[0];
      expect(p1).toBeGreaterThan(Math.max(15, 5 * chance));
      expect(p1).toBeLessThan(75);
    }
  });

  it('is deterministic: the same shape and seed give the same bytes, another seed other texts', () => {
    const again = join(root, 'b');
    writeSynthDataset(again, SMALL, 7);
    expect(bytes(again)).toEqual(bytes(dir));
    const other = join(root, 'c');
    writeSynthDataset(other, SMALL, 8);
    expect(readFileSync(join(other, 'trn_X.txt'))).not.toEqual(readFileSync(join(dir, 'trn_X.txt')));
  });

  it('loads and has its counts for any small shape (property, fixed seed)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 2, max: 400 }), fc.double({ min: 1, max: 8, noNaN: true }), fc.integer({ min: 0, max: 1000 }), async (tr, te, L, K, seed) => {
        fc.pre(K <= L / 2);
        const d = join(root, `p-${tr}-${te}-${L}-${seed}`);
        const shape = { trainDocs: tr, testDocs: te, labels: L, labelsPerDoc: K, vocab: 0 };
        writeSynthDataset(d, shape, seed);
        const ds = await loadDataset(d);
        expect([ds.trainY.rows, ds.testY.rows, ds.labelTexts.length]).toEqual([tr, te, L]);
        rmSync(d, { recursive: true });
      }),
      { seed: 27, numRuns: 12 },
    );
  });

  it('refuses a bad shape before writing anything', () => {
    const d = join(root, 'bad');
    expect(() => writeSynthDataset(d, { ...SMALL, labels: 1 }, 0)).toThrow(/labels must be an integer >= 2/);
    expect(() => writeSynthDataset(d, { ...SMALL, labelsPerDoc: 500 }, 0)).toThrow(/labels-per-doc must be a number in \[1, 200\]/);
    expect(() => writeSynthDataset(d, { ...SMALL, trainDocs: 2.5 }, 0)).toThrow(/train-docs/);
    expect(() => writeSynthDataset(d, SMALL, -1)).toThrow(/seed/);
    expect(existsSync(d)).toBe(false);
  });

  it('has the paper shapes with their published sizes', () => {
    expect(checkShape(SYNTH_SHAPES['lf-amazontitles-131k'])).toMatchObject({ trainDocs: 294_805, testDocs: 134_835, labels: 131_073 });
    expect(checkShape(SYNTH_SHAPES['lf-amazontitles-1.3m'])).toMatchObject({ trainDocs: 2_248_619, testDocs: 970_237, labels: 1_305_265 });
  });
});

describe('synthetic words', () => {
  it('makeVocabulary gives distinct [a-z] words, the same for the same seed', () => {
    const v = makeVocabulary(150_000, 3);
    expect(new Set(v).size).toBe(v.length);
    for (const w of v.slice(0, 2000)) expect(w).toMatch(/^[a-z]{4,}$/);
    expect(makeVocabulary(1000, 3)).toEqual(v.slice(0, 1000));
    expect(makeVocabulary(1000, 4)).not.toEqual(v.slice(0, 1000));
  });

  it('ZipfSampler draws rank r about 1/(r+1) as often as rank 0', () => {
    const z = new ZipfSampler(1000, 1);
    const rng = new Rng(1);
    const counts = new Int32Array(1000);
    for (let i = 0; i < 200_000; i++) counts[z.sample(rng)]++;
    expect(counts[1] / counts[0]).toBeCloseTo(0.5, 1);
    expect(counts[3] / counts[0]).toBeCloseTo(0.25, 1);
    expect(Math.min(...counts.subarray(0, 10))).toBeGreaterThan(0);
  });
});
