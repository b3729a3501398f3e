// `ngame metrics SCORES`: XC metrics of a score file (ngame's, pyxclib's, another model's) on a dataset's test set.
import { basename, join } from 'node:path';
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, requirePath } from '../args';
import { loadDataset } from '../../ngame/data';
import { formatComparisonTable, formatMetricsTable } from '../../ngame/metrics';
import { readRunConfig } from '../../ngame/run-config';
import { CONFIG_FILE, loadRunDataset } from '../../ngame/run-dir';
import { runSplit } from '../../ngame/validation';
import { readScores, scoreMetrics } from '../../ngame/scores-file';
import { parseTextFlag } from './data-stats';

const help = `usage: ngame metrics SCORES [--data DIR] [--run RUN_DIR] [--text short|long] [-K N] [--A X] [--B X] [--json]

Reads SCORES, a score file in the Extreme Classification Repository's sparse format (a header
'num_rows num_labels', then one line per test document of 'label:score' pairs; plain, .gz or
.br; docs/data.md), as 'ngame eval --write-scores' and 'ngame predict --scores' write it and
pyxclib and other XC models read and write it, and prints P@k, nDCG@k, PSP@k, PSnDCG@k and R@k
(k = 1..K, in percent) exactly as 'ngame eval' computes them: the dataset's test filter pairs
are removed from the predictions before ranking, and the inverse propensities come from its
training labels. Its rows must be the test documents, its columns the labels.

  --data DIR        dataset directory (default: the embedded FOLDOC-XRef-8K); with --run, the
                    run's dataset at another place (checked against the run's labels)
  --run RUN_DIR     take the dataset and the training split from this run instead: a run with
                    --val-fraction computes propensities on the documents it trained on, so
                    this reproduces its 'ngame eval' numbers exactly
  --text short|long texts to load with --data (default short; unused by the metrics)
  -K N              largest k (default 5)
  --A X, --B X      propensity parameters (default 0.55, 1.5)
  --json            one JSON object: { scores, dataset, metrics }

examples:
  ngame eval runs/ngame --write-scores scores.txt && ngame metrics scores.txt --run runs/ngame
  ngame metrics lightxml_scores.txt --data ~/xc/LF-AmazonTitles-131K --A 0.6 --B 2.6`;

function positive(v: string | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got "${v}"`);
  }
  return n;
}

export const metricsCommand: Command = {
  path: ['metrics'],
  summary: 'XC metrics of a sparse score file on a dataset',
  help,
  async run(argv) {
    const { values, positionals } = parseCli(argv, {
      data: { type: 'string' }, run: { type: 'string' }, text: { type: 'string' }, K: { type: 'string', short: 'K' },
      A: { type: 'string' }, B: { type: 'string' }, json: { type: 'boolean' },
    }, true);
    if (positionals.length !== 1) throw new UsageError(`expected exactly one SCORES file, got ${positionals.length}`);
    requirePath(positionals[0], 'SCORES', 'file');
    requirePath(values.data, '--data', 'dir');
    requirePath(values.run, '--run', 'dir');
    const K = positive(values.K, '-K', true) ?? 5;
    const A = positive(values.A, '--A', false);
    const B = positive(values.B, '--B', false);
    const text = parseTextFlag(values.text);
    const cfg = values.run !== undefined ? readRunConfig(join(values.run, CONFIG_FILE)) : null;
    const full = cfg ? await loadRunDataset(values.run!, cfg, values.data) : await loadDataset(values.data, { text });
    const { data } = runSplit(full, cfg ?? { valFraction: 0, seed: 0 });
    const file = positionals[0];
    const scores = await readScores(file, { rows: data.testY.rows, cols: data.testY.cols, what: `the test set of ${data.name}` });
    const metrics = scoreMetrics(scores, data, { K, A, B });
    if (values.json) {
      console.log(JSON.stringify({ scores: file, dataset: data.name, metrics }));
    } else {
      console.log(`${file} on ${data.name} (${data.testY.rows} test documents, filter pairs removed)\n`);
      console.log(K === 5 ? formatComparisonTable([{ name: basename(file), metrics }]) : formatMetricsTable(metrics));
    }
    return 0;
  },
};
