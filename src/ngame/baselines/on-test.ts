// The TF-IDF baselines scored on a dataset's test set, as `ngame train --baselines` prints them.
// Their cost grows with test documents × the postings each one touches (knn.ts), which at the
// 131K shape (134,835 test documents over 294,805 training documents) would take longer than the
// training itself; above BASELINE_MAX_TEST test documents they are scored on a fixed sample of
// that many (drawn with the run's seed), and the result says so.
import type { Dataset } from '../data';
import { selectRows, type Pairs } from '../data/csr';
import { testMetrics } from '../inference';
import type { Metrics } from '../metrics';
import { Rng } from '../../util/rng';
import { tfidfBaselines } from './knn';

/** Test documents the baselines are scored on at most. */
export const BASELINE_MAX_TEST = 20_000;

export interface BaselineRows {
  rows: { name: string; metrics: Metrics }[];
  /** Test documents scored, and how many the test set has. */
  scored: number;
  of: number;
}

/** `data` with only the test documents `docs` (ascending), their labels and filter pairs (and no bag-of-words features). */
export function testSample(data: Dataset, docs: Int32Array): Dataset {
  const slot = new Int32Array(data.testY.rows).fill(-1);
  docs.forEach((d, i) => (slot[d] = i));
  const row: number[] = [], col: number[] = [];
  for (let p = 0; p < data.filterTest.row.length; p++) {
    const s = slot[data.filterTest.row[p]];
    if (s >= 0) {
      row.push(s);
      col.push(data.filterTest.col[p]);
    }
  }
  const filterTest: Pairs = { row: Int32Array.from(row), col: Int32Array.from(col) };
  const { features: _features, ...rest } = data;
  return { ...rest, testTexts: Array.from(docs, (d) => data.testTexts[d]), testY: selectRows(data.testY, docs), filterTest };
}

/** TF-IDF label cosine, kNN and their fusion on the test set (or a fixed sample of `max` of its documents). */
export function baselineMetrics(data: Dataset, seed: number, max = BASELINE_MAX_TEST): BaselineRows {
  const of = data.testTexts.length;
  let test = data;
  if (of > max) {
    const perm = new Rng(seed).permutation(of);
    test = testSample(data, Int32Array.from(perm.subarray(0, max)).sort());
  }
  const b = tfidfBaselines({ trainTexts: data.trainTexts, labelTexts: data.labelTexts, trainY: data.trainY }, test.testTexts);
  return {
    rows: [
      { name: 'TF-IDF label cosine', metrics: testMetrics(b.labelCosine, test) },
      { name: 'TF-IDF kNN (20)', metrics: testMetrics(b.knn, test) },
      { name: 'TF-IDF kNN + 0.5 cosine', metrics: testMetrics(b.fused, test) },
    ],
    scored: test.testTexts.length,
    of,
  };
}
