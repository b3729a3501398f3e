// XC metrics: hand-computed examples and properties (perfect ranking, label permutation,
// filtered pairs, wrong predictions at the bottom).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csrFromPairs, csrFromRows, type CSR, type Pairs } from '../../../src/ngame/data/csr';
import { computeMetrics, inversePropensity, topKFromDense, formatMetricsTable, metricValue } from '../../../src/ngame/metrics/index';

/** Score matrix from per-row [label, score] lists (kept in the given order). */
function scoresOf(cols: number, rows: [number, number][][]): CSR {
  const indptr = [0];
  const idx: number[] = [];
  const val: number[] = [];
  for (const r of rows) {
    for (const [c, s] of r) {
      idx.push(c);
      val.push(s);
    }
    indptr.push(idx.length);
  }
  return { rows: rows.length, cols, indptr: Int32Array.from(indptr), indices: Int32Array.from(idx), values: Float32Array.from(val) };
}

const pairs = (ps: [number, number][]): Pairs => ({ row: Int32Array.from(ps.map((p) => p[0])), col: Int32Array.from(ps.map((p) => p[1])) });

// Truth: row 0 {0, 2}; row 1 {1}; row 2 {} (an empty row still counts in every mean).
const truth = csrFromRows(6, [[0, 2], [1], []]);
// Row 0: labels 1 and 2 tie at 0.8 → lower id first → ranking 0, 1, 2 (hits at ranks 1 and 3).
// Row 1: a single (wrong) prediction, fewer than k. Row 2: one prediction, no truth.
const scores = scoresOf(6, [
  [[3, 0.1], [2, 0.8], [1, 0.8], [0, 0.9]],
  [[4, 0.5]],
  [[0, 0.3]],
]);
const idcg2 = 1 + 1 / Math.log2(3);

describe('computeMetrics: hand-computed examples', () => {
  it('P@k, nDCG@k, R@k with ties, short rows and an empty row', () => {
    const m = computeMetrics(scores, truth, { K: 3 });
    // P@1 = (1+0+0)/3, P@2 = (1/2)/3, P@3 = (2/3)/3
    expect(m.P[0]).toBeCloseTo(100 / 3, 10);
    expect(m.P[1]).toBeCloseTo(100 / 6, 10);
    expect(m.P[2]).toBeCloseTo(200 / 9, 10);
    // nDCG: row 0 DCG@2 = 1, IDCG@2 = 1 + 1/log2 3; DCG@3 = 1 + 1/2, IDCG@3 = IDCG@2 (|y| = 2)
    expect(m.nDCG[0]).toBeCloseTo(100 / 3, 10);
    expect(m.nDCG[1]).toBeCloseTo(20.438239758848614, 8);
    expect(m.nDCG[2]).toBeCloseTo(30.65735963827292, 8);
    // R: row 0 finds 1 of 2 by rank 1, 2 of 2 by rank 3
    expect(m.R).toEqual([50 / 3, 50 / 3, 100 / 3].map((x) => expect.closeTo(x, 10)));
    expect(m.PSP).toBeUndefined();
  });

  it('PSP@k and PSnDCG@k against the ip-sorted best ranking', () => {
    const ip = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const m = computeMetrics(scores, truth, { K: 3, invPropensity: ip });
    // numerators: row 0 gains ip 1 at rank 1 and ip 3 at rank 3; best: row 0 [3, 1], row 1 [2]
    expect(m.PSP![0]).toBeCloseTo((100 * 1) / (3 + 2), 10);
    expect(m.PSP![1]).toBeCloseTo((100 * 1) / (3 + 1 + 2), 10);
    expect(m.PSP![2]).toBeCloseTo((100 * 4) / (4 + 2), 10);
    expect(m.PSnDCG![0]).toBeCloseTo(20, 10);
    expect(m.PSnDCG![1]).toBeCloseTo(14.507914897377255, 8);
    expect(m.PSnDCG![2]).toBeCloseTo(36.26978724344314, 8);
  });

  it('a filtered pair is removed from the predictions before ranking, not from the truth', () => {
    const m = computeMetrics(scores, truth, { K: 3, filter: pairs([[0, 0]]) });
    // row 0 ranking becomes 1, 2, 3: hit at rank 2 only; truth still has 2 labels
    expect(m.P[0]).toBeCloseTo(0, 10);
    expect(m.P[1]).toBeCloseTo(100 / 6, 10);
    expect(m.P[2]).toBeCloseTo(100 / 9, 10);
    expect(m.R[2]).toBeCloseTo(50 / 3, 10);
    expect(m.nDCG[1]).toBeCloseTo((100 * (1 / Math.log2(3))) / idcg2 / 3, 10);
  });

  it('inverse propensity follows 1 + C (n + B)^-A with C = (ln N - 1)(B + 1)^A', () => {
    // 100 training docs; label 0 used by 10 of them, label 1 by none
    const rows = Array.from({ length: 100 }, (_, i) => (i < 10 ? [0] : []));
    const ip = inversePropensity(csrFromRows(2, rows));
    expect(ip[0]).toBeCloseTo(2.557431532775994, 10);
    expect(ip[1]).toBeCloseTo(5.774661450557821, 10);
  });

  it('rejects mismatched shapes, NaN scores and repeated labels', () => {
    expect(() => computeMetrics(scoresOf(5, [[], [], []]), truth)).toThrow(/scores are 3 × 5 but truth is 3 × 6/);
    expect(() => computeMetrics(scoresOf(6, [[[1, NaN]], [], []]), truth)).toThrow(/NaN/);
    expect(() => computeMetrics(scoresOf(6, [[[1, 1], [1, 2]], [], []]), truth)).toThrow(/twice/);
  });

  it('formats a per-k table with two decimals', () => {
    const m = computeMetrics(scores, truth, { K: 3, invPropensity: Float64Array.from([1, 2, 3, 4, 5, 6]) });
    const table = formatMetricsTable(m);
    expect(table.split('\n')[1]).toMatch(/^P\s+33\.33\s+16\.67\s+22\.22$/);
    expect(metricValue(m, 'PSP@3')).toBeCloseTo(400 / 6, 10);
  });
});

describe('top-k score rows', () => {
  it('topKFromDense picks per row', () => {
    const m = topKFromDense(Float32Array.from([0.1, 0.5, 0.5, 0.2, 0.9, 0, 0, 0.3]), 2, 4, 2);
    expect(Array.from(m.indices)).toEqual([1, 2, 0, 3]);
    expect(Array.from(m.indptr)).toEqual([0, 2, 4]);
  });
});

// Random problems: truth rows, distinct scores (so no ties), filter pairs, propensities.
const problem = fc
  .record({ rows: fc.integer({ min: 1, max: 12 }), cols: fc.integer({ min: 2, max: 15 }), seed: fc.integer() })
  .chain(({ rows, cols }) =>
    fc.record({
      rows: fc.constant(rows),
      cols: fc.constant(cols),
      truth: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: cols - 1 }), { maxLength: cols }), { minLength: rows, maxLength: rows }),
      preds: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: cols - 1 }), { maxLength: cols }), { minLength: rows, maxLength: rows }),
      filter: fc.array(fc.tuple(fc.integer({ min: 0, max: rows - 1 }), fc.integer({ min: 0, max: cols - 1 })), { maxLength: 6 }),
      ip: fc.array(fc.double({ min: 1, max: 10, noNaN: true }), { minLength: cols, maxLength: cols }),
      K: fc.integer({ min: 1, max: 6 }),
    }),
  );

/** Predictions with distinct scores: row r's j-th label gets score 1000 − (r·cols + j). */
function distinctScores(cols: number, preds: number[][]): CSR {
  return scoresOf(cols, preds.map((p, r) => p.map((c, j): [number, number] => [c, 1000 - (r * cols + j)])));
}

describe('computeMetrics: properties', () => {
  it('a perfect ranking gives P@k = mean(min(k,|y|)/k), nDCG@k = share of labelled rows, PSP@k = 100', () => {
    fc.assert(
      fc.property(problem, ({ cols, truth: t, ip, K }) => {
        const y = csrFromRows(cols, t);
        const m = computeMetrics(distinctScores(cols, t), y, { K, invPropensity: Float64Array.from(ip) });
        const labelled = t.filter((r) => r.length > 0).length;
        for (let k = 1; k <= K; k++) {
          const p = t.reduce((s, r) => s + Math.min(k, r.length) / k, 0) / t.length;
          expect(m.P[k - 1]).toBeCloseTo(100 * p, 8);
          expect(m.nDCG[k - 1]).toBeCloseTo((100 * labelled) / t.length, 8);
          if (labelled > 0) expect(m.PSP![k - 1]).toBeLessThanOrEqual(100 + 1e-9);
        }
        // Ranking the truth by ip (the best achievable order) reaches exactly 100.
        const byIp = t.map((r) => [...r].sort((a, b) => ip[b] - ip[a] || a - b));
        const best = computeMetrics(distinctScores(cols, byIp), y, { K, invPropensity: Float64Array.from(ip) });
        if (labelled > 0) for (let k = 1; k <= K; k++) expect(best.PSP![k - 1]).toBeCloseTo(100, 8);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('is invariant under a permutation of label ids', () => {
    fc.assert(
      fc.property(problem, fc.integer(), ({ cols, truth: t, preds, filter, ip, K }, seed) => {
        const perm = Array.from({ length: cols }, (_, i) => i);
        let s = seed >>> 0;
        for (let i = cols - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const j = s % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        const a = computeMetrics(distinctScores(cols, preds), csrFromRows(cols, t), { K, filter: pairs(filter), invPropensity: Float64Array.from(ip) });
        const ipP = new Float64Array(cols);
        ip.forEach((v, l) => (ipP[perm[l]] = v));
        const b = computeMetrics(
          distinctScores(cols, preds.map((r) => r.map((c) => perm[c]))),
          csrFromRows(cols, t.map((r) => r.map((c) => perm[c]))),
          { K, filter: pairs(filter.map(([r, c]) => [r, perm[c]])), invPropensity: ipP },
        );
        for (const key of ['P', 'nDCG', 'R', 'PSP', 'PSnDCG'] as const) {
          a[key]!.forEach((v, i) => expect(b[key]![i]).toBeCloseTo(v, 8));
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('a filtered pair never counts: filtering equals deleting those predictions', () => {
    fc.assert(
      fc.property(problem, ({ cols, truth: t, preds, filter, ip, K }) => {
        const y = csrFromRows(cols, t);
        const opts = { K, invPropensity: Float64Array.from(ip) };
        const filtered = computeMetrics(distinctScores(cols, preds), y, { ...opts, filter: pairs(filter) });
        const isF = new Set(filter.map(([r, c]) => `${r},${c}`));
        const kept = preds.map((p, r) => p.map((c, j): [number, number] => [c, 1000 - (r * cols + j)]).filter(([c]) => !isF.has(`${r},${c}`)));
        const deleted = computeMetrics(scoresOf(cols, kept), y, opts);
        expect(filtered).toEqual(deleted);
        // Predicting only filtered true pairs scores zero.
        const onlyFiltered = t.map((r, i) => r.filter((c) => isF.has(`${i},${c}`)));
        const z = computeMetrics(distinctScores(cols, onlyFiltered), y, { ...opts, filter: pairs(filter) });
        expect(z.P.every((v) => v === 0)).toBe(true);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('adding a wrong prediction below all others changes nothing', () => {
    fc.assert(
      fc.property(problem, fc.integer({ min: 0, max: 1000 }), ({ cols, truth: t, preds, filter, ip, K }, pick) => {
        const y = csrFromRows(cols, t);
        const opts = { K, filter: pairs(filter), invPropensity: Float64Array.from(ip) };
        const r = pick % t.length;
        const wrong = Array.from({ length: cols }, (_, c) => c).filter((c) => !t[r].includes(c) && !preds[r].includes(c));
        if (wrong.length === 0) return;
        const rows = preds.map((p, i) => p.map((c, j): [number, number] => [c, 1000 - (i * cols + j)]));
        const before = computeMetrics(scoresOf(cols, rows), y, opts);
        rows[r].push([wrong[pick % wrong.length], -1]);
        expect(computeMetrics(scoresOf(cols, rows), y, opts)).toEqual(before);
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});

describe('computeMetrics: scale', () => {
  it('handles a matrix built from pairs with every row empty', () => {
    const y = csrFromPairs(4, 3, pairs([]));
    const m = computeMetrics(y, y, { K: 2, trainY: csrFromRows(3, [[0], [1, 2]]) });
    expect(m.P).toEqual([0, 0]);
    expect(m.PSP).toEqual([0, 0]);
  });
});
