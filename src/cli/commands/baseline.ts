// `ngame baseline [DIR]`: the TF-IDF baselines (label cosine, kNN, fused) on a dataset's test set.
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, requirePath } from '../args';
import { loadDataset } from '../../ngame/data/dataset';
import { tfidfBaselines } from '../../ngame/baselines/knn';
import { computeMetrics } from '../../ngame/metrics/evaluate';
import { formatComparisonTable } from '../../ngame/metrics/table';
import { parseTextFlag } from './data-stats';

function positiveNumber(v: string | undefined, flag: string, dflt: number, integer: boolean): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got '${v}'`);
  }
  return n;
}

export const baselineCommand: Command = {
  path: ['baseline'],
  summary: 'TF-IDF label-cosine, kNN and fused baselines on a dataset (default: embedded)',
  help: `usage: ngame baseline [DIR] [--text short|long] [--neighbours 20] [--A 0.55] [--B 1.5] [--json]

Scores the test documents of DIR (default: the embedded FOLDOC-XRef-8K) with
  label-cosine  TF-IDF cosine between document and label text
  knn           the 20 most similar training documents vote their labels, weighted by similarity
  fused         knn + 0.5 · label-cosine
removes the filter pairs and prints P@k, nDCG@k, PSP@k (k = 1, 3, 5) in percent.

  --text short|long   texts to use (default short)
  --neighbours N      kNN voters (default 20)
  --A, --B            propensity parameters (default 0.55, 1.5)
  --json              one JSON object per method

examples:
  ngame baseline
  ngame baseline /tmp/DebianDeps-42K-cap1000`,
  async run(argv) {
    const parsed = parseCli(argv, { text: { type: 'string' }, neighbours: { type: 'string' }, A: { type: 'string' }, B: { type: 'string' }, json: { type: 'boolean' } }, true);
    if (parsed.positionals.length > 1) throw new UsageError(`expected at most one DIR, got ${parsed.positionals.length}`);
    requirePath(parsed.positionals[0], 'DIR', 'dir');
    const text = parseTextFlag(parsed.values.text);
    const neighbours = positiveNumber(parsed.values.neighbours, '--neighbours', 20, true);
    const A = positiveNumber(parsed.values.A, '--A', 0.55, false);
    const B = positiveNumber(parsed.values.B, '--B', 1.5, false);

    const ds = await loadDataset(parsed.positionals[0], { text });
    const t0 = performance.now();
    const scores = tfidfBaselines(ds, ds.testTexts, { neighbours });
    const seconds = (performance.now() - t0) / 1000;
    const rows = [
      { name: 'label-cosine', metrics: computeMetrics(scores.labelCosine, ds.testY, { filter: ds.filterTest, trainY: ds.trainY, A, B }) },
      { name: `knn (${neighbours})`, metrics: computeMetrics(scores.knn, ds.testY, { filter: ds.filterTest, trainY: ds.trainY, A, B }) },
      { name: 'fused', metrics: computeMetrics(scores.fused, ds.testY, { filter: ds.filterTest, trainY: ds.trainY, A, B }) },
    ];
    if (parsed.values.json) {
      for (const r of rows) console.log(JSON.stringify({ dataset: ds.name, text, method: r.name, ...r.metrics }));
    } else {
      console.log(`${ds.name} (${text} text, ${ds.testY.rows} test docs, filter pairs removed; scoring took ${seconds.toFixed(1)} s)\n`);
      console.log(formatComparisonTable(rows, ['P@1', 'P@3', 'P@5', 'nDCG@3', 'nDCG@5', 'PSP@1', 'PSP@3', 'PSP@5']));
    }
    return 0;
  },
};
