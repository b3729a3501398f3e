// The embedded default dataset and the TF-IDF baselines on small hand-checked inputs.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csrFromRows, datasetStats, loadDataset, rowSlice } from '../../../src/ngame/data/index';
import { DEFAULT_DATASET_DIR } from '../../../src/ngame/default-dataset';
import { tfidfBaselines, TfidfVectorizer, tokenize } from '../../../src/ngame/baselines/index';

describe('embedded FOLDOC-XRef-8K', () => {
  it('loads without a directory and has the statistics its README states', async () => {
    const ds = await loadDataset();
    const s = datasetStats(ds);
    // The README's statistics table: | train docs | test docs | labels | train positives | test positives | labels/doc | docs/label | filter pairs |
    const readme = readFileSync(join(DEFAULT_DATASET_DIR, 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => /^\| [\d,]+ \|/.test(l))!;
    const cells = row.split('|').slice(1, -1).map((c) => c.trim());
    const num = (c: string) => Number(c.replace(/,/g, ''));
    expect(s.trainDocs).toBe(num(cells[0]));
    expect(s.testDocs).toBe(num(cells[1]));
    expect(s.labels).toBe(num(cells[2]));
    expect(s.trainPositives).toBe(num(cells[3]));
    expect(s.testPositives).toBe(num(cells[4]));
    expect(s.labelsPerDoc.toFixed(2)).toBe(cells[5]);
    expect(s.docsPerLabel.toFixed(2)).toBe(cells[6]);
    expect(`${s.filterTrainPairs.toLocaleString('en-US')} / ${s.filterTestPairs.toLocaleString('en-US')}`).toBe(cells[7]);
    expect(ds.name).toBe('FOLDOC-XRef-8K');
    expect(ds.trainTexts.length).toBe(s.trainDocs);
    expect(ds.labelTexts.length).toBe(s.labels);
    await expect(loadDataset(undefined, { text: 'long' })).rejects.toThrow(/short texts only/);
  });
});

describe('TF-IDF', () => {
  it('tokenizes lowercase [a-z0-9]+ runs', () => {
    expect(tokenize('Hello, WORLD-42 x_y ü')).toEqual(['hello', 'world', '42', 'x', 'y']);
  });

  it('uses sublinear tf, smoothed idf and L2-normalised rows', () => {
    const v = new TfidfVectorizer().fit(['a b', 'a', 'c']); // n = 3; df a=2, b=1, c=1
    const idfA = Math.log(4 / 3) + 1;
    const idfB = Math.log(4 / 2) + 1;
    const m = v.transform(['a a b zzz']); // zzz is unknown: ignored
    const wa = (1 + Math.log(2)) * idfA;
    const norm = Math.hypot(wa, idfB);
    expect(Array.from(m.indices)).toEqual([v.vocab.get('a'), v.vocab.get('b')]);
    expect(m.values[0]).toBeCloseTo(wa / norm, 6);
    expect(m.values[1]).toBeCloseTo(idfB / norm, 6);
  });
});

describe('tfidfBaselines', () => {
  const data = {
    trainTexts: ['apple banana', 'apple cherry', 'zebra stripes'],
    labelTexts: ['fruit salad', 'cherry pie', 'zebra'],
    trainY: csrFromRows(3, [[0], [0, 1], [2]]),
  };

  it('kNN votes by similarity; fused = kNN + 0.5 · label cosine', () => {
    const s = tfidfBaselines(data, ['apple banana', 'zebra', 'nothing known'], { neighbours: 2, topK: 10 });
    // Query 0 equals train doc 0 (similarity 1) and shares 'apple' with doc 1: label 0 gets both votes.
    const knn0 = rowSlice(s.knn, 0);
    expect(knn0.indices[0]).toBe(0);
    expect(knn0.values[0]).toBeGreaterThan(1);
    expect(knn0.values[0]).toBeCloseTo(1 + knn0.values[1], 6); // label 1 only from doc 1
    // Query 1 'zebra' matches label text 2 exactly: cosine 1.
    const cos1 = rowSlice(s.labelCosine, 1);
    expect(cos1.indices[0]).toBe(2);
    expect(cos1.values[0]).toBeCloseTo(1, 6);
    for (let q = 0; q < 3; q++) {
      const score = (m: typeof s.knn, l: number) => {
        const r = rowSlice(m, q);
        const i = Array.from(r.indices).indexOf(l);
        return i < 0 ? 0 : r.values[i];
      };
      for (const l of rowSlice(s.fused, q).indices) expect(score(s.fused, l)).toBeCloseTo(score(s.knn, l) + 0.5 * score(s.labelCosine, l), 6);
    }
    // A query with no known token gets no predictions.
    expect(s.fused.indptr[3] - s.fused.indptr[2]).toBe(0);
  });

  it('rejects inconsistent inputs', () => {
    expect(() => tfidfBaselines({ ...data, labelTexts: ['x'] }, ['q'])).toThrow(/1 label texts for 3 labels/);
  });
});
