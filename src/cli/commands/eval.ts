// `ngame eval RUN_DIR`: test metrics of a trained run (embeddings, classifiers, fused).
import { parseArgs } from 'node:util';
import type { Command } from '../command';
import { UsageError } from '../command';
import { loadDataset } from '../../ngame/data';
import { tokenizeCorpus } from '../../ngame/corpus';
import { embedCorpus } from '../../ngame/embed';
import { scoreDocuments, testMetrics } from '../../ngame/inference';
import { formatComparisonTable } from '../../ngame/metrics';
import { openBackend } from '../../ngame/run';
import { runSplit } from '../../ngame/validation';
import { openRun } from '../../ngame/saved-run';
import { closeGpu } from '../../tensor/webgpu/device';

const help = `usage: ngame eval RUN_DIR [--data DIR] [--beta X] [--device D] [--json]

Re-encodes the test documents with the run's encoder and prints P@k, nDCG@k and PSP@k
(k = 1, 3, 5; filter pairs removed) for the label-embedding scores (M1), the classifier
scores (M2) and their fusion β·clf + (1 − β)·emb.

  --data DIR     dataset directory (default: the one the run was trained on)
  --beta X       fusion weight (default: the run's)
  --device D     auto | cpu | webgpu
  --json         JSON output

example:
  ngame eval runs/ngame --beta 0.3`;

export const evalCommand: Command = {
  path: ['eval'],
  summary: 'test metrics of a trained run',
  help,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: 'string' }, beta: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' } } });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('expected exactly one RUN_DIR');
    const beta = values.beta !== undefined ? Number(values.beta) : undefined;
    if (beta !== undefined && !(beta >= 0 && beta <= 1)) throw new UsageError(`--beta must be in [0, 1], got "${values.beta}"`);
    const device = (values.device ?? 'auto') as 'auto' | 'cpu' | 'webgpu';
    if (!['auto', 'cpu', 'webgpu'].includes(device)) throw new UsageError(`--device must be auto, cpu or webgpu, got "${device}"`);
    try {
      const backend = await openBackend(device);
      const run = openRun(positionals[0], backend);
      // The run's own training split: propensities (PSP) come from the labels it trained on.
      const { data } = runSplit(await loadDataset(values.data ?? run.config.data ?? undefined, { text: run.config.text }), run.config);
      const testEmb = await embedCorpus(run.encoder, tokenizeCorpus(run.tokenizer, data.testTexts, run.config.maxLen));
      const b = beta ?? run.beta;
      const scores = await scoreDocuments(backend, testEmb, run.labelEmb, run.classifiers, run.dim, run.config.topK, b);
      const rows = [{ name: 'M1 embeddings', metrics: testMetrics(scores.emb, data) }];
      if (scores.clf) {
        rows.push({ name: 'M2 classifiers', metrics: testMetrics(scores.clf, data) });
        rows.push({ name: `fused (β=${b})`, metrics: testMetrics(scores.fused, data) });
      }
      console.log(values.json ? JSON.stringify(rows) : formatComparisonTable(rows));
      return 0;
    } finally {
      await closeGpu();
    }
  },
};
