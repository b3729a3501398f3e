// The validation split that chooses the fusion weight β (src/ngame/validation.ts): the split is
// a seeded partition of the training documents that keeps each document's labels and filter
// pairs, and chooseBeta picks the grid point with the best validation P@1.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csrFromRows, rowSlice, type CSR } from '../../src/ngame/data';
import { BETA_GRID, chooseBeta, holdOutValidation, type ValidationSet } from '../../src/ngame/validation';
import { tinyDataset } from '../helpers/tiny-ngame';

const SEED = { seed: 20261123, numRuns: 40 };

/** A score matrix with the given (label, score) lists per row. */
function scores(cols: number, rows: [number, number][][]): CSR {
  const m = csrFromRows(cols, rows.map((r) => r.map(([l]) => l)));
  // csrFromRows sorts columns; put each score back at its label's position.
  for (let r = 0; r < rows.length; r++) {
    const { indices, values } = rowSlice(m, r);
    for (let a = 0; a < indices.length; a++) values[a] = rows[r].find(([l]) => l === indices[a])![1];
  }
  return m;
}

describe('holdOutValidation', () => {
  it('partitions the training documents, keeping texts, labels and filter pairs with their document', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.03, max: 0.5, noNaN: true }), fc.nat(1000), (fraction, seed) => {
        const full = tinyDataset();
        const N = full.trainY.rows;
        // One filter pair per document, pointing at a label that encodes its row.
        full.filterTrain = { row: Int32Array.from({ length: N }, (_, r) => r), col: Int32Array.from({ length: N }, (_, r) => r % full.trainY.cols) };
        const { data, val } = holdOutValidation(full, fraction, seed);
        expect(val.ids.length).toBe(Math.round(fraction * N));
        expect(data.trainY.rows + val.Y.rows).toBe(N);
        expect(data.trainTexts.length).toBe(data.trainY.rows);
        const seen = new Set<string>();
        for (let i = 0; i < val.ids.length; i++) {
          const r = val.ids[i];
          expect(val.texts[i]).toBe(full.trainTexts[r]);
          expect([...rowSlice(val.Y, i).indices]).toEqual([...rowSlice(full.trainY, r).indices]);
          seen.add(full.trainTexts[r]);
        }
        for (const t of data.trainTexts) {
          expect(seen.has(t)).toBe(false); // texts are unique ("item i"), so disjoint rows
          seen.add(t);
        }
        expect(seen.size).toBe(N);
        // Filter pairs follow their document, renumbered.
        expect(val.filter.row.length).toBe(val.ids.length);
        for (let a = 0; a < val.filter.row.length; a++) expect(val.filter.col[a]).toBe(val.ids[val.filter.row[a]] % full.trainY.cols);
        expect(data.filterTrain.row.length).toBe(N - val.ids.length);
        // Labels and test set are untouched.
        expect(data.labelTexts).toBe(full.labelTexts);
        expect(data.testY).toBe(full.testY);
      }),
      SEED,
    );
  });

  it('is the same split for the same seed and a different one for another seed', () => {
    const a = holdOutValidation(tinyDataset(), 0.25, 7).val.ids;
    expect([...holdOutValidation(tinyDataset(), 0.25, 7).val.ids]).toEqual([...a]);
    expect([...holdOutValidation(tinyDataset(), 0.25, 8).val.ids]).not.toEqual([...a]);
  });

  it('rejects fractions that leave either side empty or are out of range', () => {
    expect(() => holdOutValidation(tinyDataset(), 0, 1)).toThrow(/valFraction must be in \(0, 0.5\]/);
    expect(() => holdOutValidation(tinyDataset(), 0.6, 1)).toThrow(/valFraction/);
    expect(() => holdOutValidation(tinyDataset(), 0.001, 1)).toThrow(/leaves 0 for validation/);
  });
});

describe('chooseBeta', () => {
  // 2 validation documents over 4 labels; document 0's positive is label 0, document 1's is 1.
  const val: ValidationSet = { ids: Int32Array.of(0, 1), texts: ['a', 'b'], Y: csrFromRows(4, [[0], [1]]), filter: { row: new Int32Array(0), col: new Int32Array(0) } };
  const trainY = csrFromRows(4, [[0], [1], [2], [3]]);
  const right = scores(4, [[[0, 0.9], [2, 0.5]], [[1, 0.9], [3, 0.5]]]);
  const wrong = scores(4, [[[2, 0.9], [0, 0.1]], [[3, 0.9], [1, 0.1]]]);

  it('leans on the classifiers when only they rank the positive first, on the embeddings when only they do', () => {
    // Positive first iff β·0.9 + (1 − β)·0.1 > β·0.5 + (1 − β)·0.9, i.e. β > 2/3: the smallest such grid point.
    expect(chooseBeta(wrong, right, val, trainY).beta).toBe(0.7);
    expect(chooseBeta(right, wrong, val, trainY).beta).toBe(0);
  });

  it('breaks ties by the smaller β and reports the whole grid', () => {
    const r = chooseBeta(right, right, val, trainY);
    expect(r.beta).toBe(0);
    expect(r.curve.map((c) => c.beta)).toEqual([...BETA_GRID]);
    expect(r.curve.every((c) => c.p1 === 100)).toBe(true);
  });

  it('returns a grid point whose P@1 is the maximum of the curve (random scores)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }), { minLength: 2, maxLength: 2 }), fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }), { minLength: 2, maxLength: 2 }), (e, c) => {
        const toCSR = (s: number[][]) => scores(4, s.map((row) => row.map((v, l) => [l, v] as [number, number])));
        const r = chooseBeta(toCSR(e), toCSR(c), val, trainY);
        const best = Math.max(...r.curve.map((x) => x.p1));
        expect(r.curve.find((x) => x.beta === r.beta)!.p1).toBe(best);
      }),
      SEED,
    );
  });
});
