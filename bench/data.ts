// Data benchmark: dataset load time, metrics time for 15,000 rows × 100 predictions, and the
// TF-IDF baseline table beside the figures of ../shared/data/README.md.
//
//   npm run bench -- data [--dir DIR] [--json]      (DIR default: the embedded FOLDOC-XRef-8K)
// Targets (issue 3): load all DebianDeps-42K-cap1000 files < 2 s; metrics 15k × 100 < 1 s.
import { parseArgs } from 'node:util';
import { csrFromRows, loadDataset, findDataFile, readTexts, type CSR } from '../src/ngame/data/index';
import { computeMetrics, formatComparisonTable, metricValue, alignColumns, type Metrics } from '../src/ngame/metrics/index';
import { tfidfBaselines } from '../src/ngame/baselines/index';
import { Rng } from '../src/util/rng';

// ../shared/data/README.md, short text, filter pairs removed, PSP with A=0.55, B=1.5.
const REFERENCE: Record<string, Record<string, Record<string, number>>> = {
  'FOLDOC-XRef-8K': {
    'label-cosine': { 'P@1': 31.3, 'P@5': 15.7, 'PSP@5': 32.5 },
    knn: { 'P@1': 49.0, 'P@5': 22.2 },
    fused: { 'P@1': 51.0, 'P@3': 31.8, 'P@5': 23.8, 'nDCG@5': 43.1, 'PSP@5': 24.8 },
  },
  'DebianDeps-42K-cap1000': {
    'label-cosine': { 'P@1': 33.4, 'P@5': 14.0, 'PSP@5': 35.4 },
    knn: { 'P@1': 44.0, 'P@5': 22.7 },
    fused: { 'P@1': 46.2, 'P@3': 30.8, 'P@5': 24.0, 'nDCG@5': 42.5, 'PSP@5': 26.1 },
  },
};

/** Synthetic problem: rows × perRow random predictions over `labels`, ~5 true labels per row. */
function syntheticScores(rows: number, labels: number, perRow: number, seed: number): { scores: CSR; truth: CSR; trainY: CSR } {
  const rng = new Rng(seed);
  const pick = (n: number) => {
    const s = new Set<number>();
    while (s.size < n) s.add(rng.int(labels));
    return [...s];
  };
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(rows * perRow);
  const values = new Float32Array(rows * perRow);
  const truth: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const t = pick(1 + rng.int(9));
    truth.push(t);
    // A third of the true labels appear among the predictions, the rest is noise.
    const preds = new Set<number>(t.filter(() => rng.next() < 0.33));
    while (preds.size < perRow) preds.add(rng.int(labels));
    [...preds].forEach((c, j) => {
      indices[r * perRow + j] = c;
      values[r * perRow + j] = rng.next();
    });
    indptr[r + 1] = (r + 1) * perRow;
  }
  const trainY = csrFromRows(labels, Array.from({ length: 2 * rows }, () => pick(1 + rng.int(5))));
  return { scores: { rows, cols: labels, indptr, indices, values }, truth: csrFromRows(labels, truth), trainY };
}

export default async function (args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' }, json: { type: 'boolean' } } });
  const json = values.json ?? false;
  const out = (obj: object, line: string) => console.log(json ? JSON.stringify(obj) : line);

  // 1. Loading: the short-text dataset, then the long texts if the directory has them.
  let t = performance.now();
  const ds = await loadDataset(values.dir);
  const shortMs = performance.now() - t;
  let longMs: number | null = null;
  if (values.dir && findDataFile(ds.dir, 'trn_X.long.txt')) {
    t = performance.now();
    await Promise.all(['trn_X.long.txt', 'tst_X.long.txt', 'Y.long.txt'].map((f) => readTexts(findDataFile(ds.dir, f)!)));
    longMs = performance.now() - t;
  }
  out(
    { bench: 'load', dataset: ds.name, shortMs, longMs, totalMs: shortMs + (longMs ?? 0) },
    `load ${ds.name}: matrices + short texts + filters ${shortMs.toFixed(0)} ms` +
      (longMs === null ? '' : `, long texts ${longMs.toFixed(0)} ms, all files ${(shortMs + longMs).toFixed(0)} ms`),
  );

  // 2. Metrics on 15,000 rows × 100 predictions, k = 1..5, with propensities and filter pairs.
  const syn = syntheticScores(15000, 42224, 100, 7);
  const filter = { row: Int32Array.from({ length: 15000 }, (_, i) => i), col: syn.scores.indices.filter((_, i) => i % 100 === 0) };
  computeMetrics(syn.scores, syn.truth, { trainY: syn.trainY, filter }); // warm-up
  t = performance.now();
  const reps = 3;
  for (let i = 0; i < reps; i++) computeMetrics(syn.scores, syn.truth, { trainY: syn.trainY, filter, K: 5 });
  const metricsMs = (performance.now() - t) / reps;
  out({ bench: 'metrics', rows: 15000, perRow: 100, K: 5, ms: metricsMs }, `metrics 15,000 rows × 100 predictions, all metrics k=1..5: ${metricsMs.toFixed(0)} ms`);

  // 3. Baselines on the test set.
  t = performance.now();
  const s = tfidfBaselines(ds, ds.testTexts);
  const baselineMs = performance.now() - t;
  const opts = { filter: ds.filterTest, trainY: ds.trainY };
  const results: { name: string; metrics: Metrics }[] = [
    { name: 'label-cosine', metrics: computeMetrics(s.labelCosine, ds.testY, opts) },
    { name: 'knn', metrics: computeMetrics(s.knn, ds.testY, opts) },
    { name: 'fused', metrics: computeMetrics(s.fused, ds.testY, opts) },
  ];
  out({ bench: 'baselines', dataset: ds.name, ms: baselineMs }, `\nTF-IDF baselines on ${ds.name} (${ds.testY.rows} test docs): scoring ${(baselineMs / 1000).toFixed(1)} s`);
  const ref = REFERENCE[ds.name];
  if (json) {
    for (const r of results) console.log(JSON.stringify({ bench: 'baseline', dataset: ds.name, method: r.name, ...r.metrics, reference: ref?.[r.name] }));
    return;
  }
  console.log(formatComparisonTable(results, ['P@1', 'P@3', 'P@5', 'nDCG@5', 'PSP@1', 'PSP@5', 'R@5']));
  if (ref) {
    console.log('\nagainst ../shared/data/README.md (measured / README):');
    const rows = [['method', 'metric', 'measured', 'README', 'diff']];
    for (const r of results) {
      for (const [key, want] of Object.entries(ref[r.name])) {
        const got = metricValue(r.metrics, key)!;
        rows.push([r.name, key, got.toFixed(2), want.toFixed(1), (got - want).toFixed(2)]);
      }
    }
    console.log(alignColumns(rows));
  }
}
