import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../src/ngame/data';
import { baselineMetrics, testSample } from '../../../src/ngame/baselines';
import { testMetrics } from '../../../src/ngame/inference';
import { tfidfBaselines } from '../../../src/ngame/baselines/knn';

describe('baselines on the test set', () => {
  it('scores every test document when there are few, and a fixed seeded sample above the limit', async () => {
    const data = await loadDataset();
    const n = data.testTexts.length;
    const full = baselineMetrics(data, 0, n);
    expect(full.scored).toBe(n);
    const direct = tfidfBaselines(data, data.testTexts);
    expect(full.rows[2].metrics).toEqual(testMetrics(direct.fused, data));

    const a = baselineMetrics(data, 3, 200);
    expect([a.scored, a.of]).toEqual([200, n]);
    expect(baselineMetrics(data, 3, 200).rows).toEqual(a.rows); // same seed, same sample
    expect(baselineMetrics(data, 4, 200).rows).not.toEqual(a.rows);
  });

  it('testSample keeps the chosen documents with their labels and filter pairs', async () => {
    const data = await loadDataset();
    // documents that carry filter pairs, and one that does not
    const withFilter = Array.from(new Set(data.filterTest.row)).slice(0, 3);
    const docs = Int32Array.from([...withFilter, ...[0, 1, 2].filter((d) => !withFilter.includes(d))]).sort();
    const s = testSample(data, docs);
    expect(s.testTexts).toEqual(Array.from(docs, (d) => data.testTexts[d]));
    expect(s.testY.rows).toBe(docs.length);
    docs.forEach((d, i) => {
      const want = data.testY.indices.subarray(data.testY.indptr[d], data.testY.indptr[d + 1]);
      expect(Array.from(s.testY.indices.subarray(s.testY.indptr[i], s.testY.indptr[i + 1]))).toEqual(Array.from(want));
      const fw: number[] = [], fs: number[] = [];
      for (let p = 0; p < data.filterTest.row.length; p++) if (data.filterTest.row[p] === d) fw.push(data.filterTest.col[p]);
      for (let p = 0; p < s.filterTest.row.length; p++) if (s.filterTest.row[p] === i) fs.push(s.filterTest.col[p]);
      expect(fs).toEqual(fw);
    });
    expect(s.filterTest.row.length).toBeGreaterThan(0);
  });
});
