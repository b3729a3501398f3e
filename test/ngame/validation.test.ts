// The validation split that chooses the fusion weight β (src/ngame/validation.ts): the split is
// a seeded partition of the training documents that keeps each document's labels and filter
// pairs, and chooseBeta picks the grid point with the best validation P@1.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csrFromRows, rowSlice, type CSR } from '../../src/ngame/data';
import { ARGMAX_P1_RULE, DEFAULT_BETA_RULE, betaGrid, chooseBeta, formatBetaCurve, holdOutValidation, pickBetaIndex, type ValidationSet } from '../../src/ngame/validation';
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

  it('leans on the classifiers when only they rank the positive first, on the embeddings when only they do (argmax P@1)', () => {
    // Positive first iff β·0.9 + (1 − β)·0.1 > β·0.5 + (1 − β)·0.9, i.e. β > 2/3: the smallest such grid point.
    expect(chooseBeta(wrong, right, val, trainY, ARGMAX_P1_RULE).beta).toBe(0.7);
    expect(chooseBeta(right, wrong, val, trainY, ARGMAX_P1_RULE).beta).toBe(0);
  });

  it('a band takes the middle of the tied run: β in (2/3, 1] all rank both positives first', () => {
    const r = chooseBeta(wrong, right, val, trainY, { criterion: 'p1', band: 1, step: 0.05 });
    expect(r.tied).toEqual([0.7, 1]);
    expect(r.beta).toBe(0.85);
    expect(r.curve.map((c) => c.beta)).toEqual(betaGrid(0.05));
  });

  it('argmax P@1 breaks ties by the smaller β; the default rule takes the middle; both report the whole grid', () => {
    const r = chooseBeta(right, right, val, trainY, ARGMAX_P1_RULE);
    expect(r.beta).toBe(0);
    expect(r.curve.map((c) => c.beta)).toEqual(betaGrid(0.1));
    expect(r.curve.every((c) => c.p1 === 100)).toBe(true);
    expect(chooseBeta(right, right, val, trainY).beta).toBe(0.5);
  });

  it('returns a grid point whose P@1 is the maximum of the curve (random scores)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }), { minLength: 2, maxLength: 2 }), fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }), { minLength: 2, maxLength: 2 }), (e, c) => {
        const toCSR = (s: number[][]) => scores(4, s.map((row) => row.map((v, l) => [l, v] as [number, number])));
        const r = chooseBeta(toCSR(e), toCSR(c), val, trainY, ARGMAX_P1_RULE);
        const best = Math.max(...r.curve.map((x) => x.p1));
        expect(r.curve.find((x) => x.beta === r.beta)!.p1).toBe(best);
        // The default rule's choice lies in its tied run, every point of which is within its band of the best.
        const d = chooseBeta(toCSR(e), toCSR(c), val, trainY);
        const top = Math.max(...d.curve.map((x) => x.score));
        expect(d.beta).toBeGreaterThanOrEqual(d.tied[0]);
        expect(d.beta).toBeLessThanOrEqual(d.tied[1]);
        for (const x of d.curve) if (x.beta >= d.tied[0] && x.beta <= d.tied[1]) expect(x.score).toBeGreaterThanOrEqual(top - (DEFAULT_BETA_RULE.band * 100) / val.Y.rows);
      }),
      SEED,
    );
  });
});

describe('pickBetaIndex', () => {
  it('argmax without a band; the middle of the run within band·100/n of the best with one', () => {
    const s = [50, 53.3, 53.6, 53.4, 53.5, 53.3, 53.4, 52.0, 51];
    expect(pickBetaIndex(s, 0, 100)).toEqual({ index: 2, lo: 2, hi: 2 });
    // one document of 100 is 1 point: 53.3..53.6 are tied, indices 1..6, middles 3 and 4 (53.4 < 53.5)
    expect(pickBetaIndex(s, 1, 100)).toEqual({ index: 4, lo: 1, hi: 6 });
    // one document of 360 is 0.28 points: only 53.4..53.6 around the best, indices 2..4
    expect(pickBetaIndex(s, 1, 360)).toEqual({ index: 3, lo: 2, hi: 4 });
    // a run stops at the first point below the band, even if a later one is back inside it
    expect(pickBetaIndex([53.6, 40, 53.6], 1, 360)).toEqual({ index: 0, lo: 0, hi: 0 });
    // equal best scores: the better tiebreak, then the first
    expect(pickBetaIndex([1, 2, 2, 2], 0, 10, [0, 5, 7, 7]).index).toBe(2);
  });

  it('always returns a point of the tied run, within the band of the best (random curves)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 500 }), (s, band, n) => {
        const { index, lo, hi } = pickBetaIndex(s, band, n);
        const best = Math.max(...s);
        expect(lo).toBeLessThanOrEqual(index);
        expect(index).toBeLessThanOrEqual(hi);
        for (let i = lo; i <= hi; i++) expect(s[i]).toBeGreaterThanOrEqual(best - (band * 100) / n);
        if (lo > 0) expect(s[lo - 1]).toBeLessThan(best - (band * 100) / n);
        if (hi < s.length - 1) expect(s[hi + 1]).toBeLessThan(best - (band * 100) / n);
      }),
      SEED,
    );
  });
});

describe('formatBetaCurve', () => {
  it('shows every grid point, marks the tied run and the choice, and says why', () => {
    const curve = [0, 0.5, 1].map((beta, i) => ({ beta, p1: [40, 53, 52.9][i], p3: 30, p5: 20, score: [30, 34.3, 34.0][i] }));
    const lines = formatBetaCurve(curve, 0.5, [0.5, 1], 100, { criterion: 'p135', band: 1, step: 0.5 });
    expect(lines).toHaveLength(2 + 3 + 1);
    expect(lines[0]).toContain('100 documents; criterion mean of P@1, P@3, P@5');
    expect(lines[2]).not.toMatch(/tied|chosen/);
    expect(lines[3]).toMatch(/^ {2}0\.50 +53\.00 .*<- chosen$/);
    expect(lines[4]).toMatch(/· tied$/);
    expect(lines[5]).toBe("β = 0.5: the middle of β 0.5–1, the points within 1.00 (1 validation document's worth) of the best score");
  });
});
