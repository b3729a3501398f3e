// `ngame eval RUN_DIR`: test metrics of a trained run (embeddings, classifiers, fused).
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, parseDevice, parseSearch, requirePath } from '../args';
import { writeScores } from '../../ngame/scores-file';
import { embedCorpus } from '../../ngame/embed';
import { scoreDocuments, testMetrics } from '../../ngame/inference';
import { formatComparisonTable } from '../../ngame/metrics';
import { openBackend } from '../../ngame/run';
import { formatBetaCurve, runSplit } from '../../ngame/validation';
import { rechooseBeta, saveRechosenBeta } from '../../ngame/rechoose-beta';
import { loadRunDataset, openRun, openRunIndexes, testCorpus } from '../../ngame/run-dir';
import { runSearch } from '../../ngame/label-search';
import { closeGpu } from '../../kernels/webgpu/device';

const help = `usage: ngame eval RUN_DIR [--data DIR] [--beta X | --choose-beta [--save]] [--device D] [--search S] [--json] [--write-scores FILE [--scores-of m1|m2|fused]]

Re-encodes the test documents with the run's encoder and prints P@k, nDCG@k and PSP@k
(k = 1, 3, 5; filter pairs removed) for the label-embedding scores (M1), the classifier
scores (M2) and their fusion β·clf + (1 − β)·emb.

  --data DIR     dataset directory (default: the one the run was trained on); it must hold the
                 run's labels (their count and texts are checked before any work)
  --beta X       fusion weight (default: the run's)
  --choose-beta  choose β again on the run's validation split with the current rule (for runs
                 trained before the rule changed; the models do not depend on it) and evaluate
                 with it; the validation curve goes to stderr
  --save         with --choose-beta: record the new β in the run (model.safetensors' metadata and
                 a new final record in log.jsonl and metrics.json), as training would have
  --device D     auto | cpu | webgpu
  --search S     exact | hnsw | auto (default: the run's); hnsw: NGAME's dual shortlist through the
                 run's saved HNSW graphs (rebuilt, with a message, when missing or corrupt)
  --json         JSON output
  --write-scores FILE   also write the test scores (exactly the run's top-K labels of each test
                 document, K = its topK, 100 by default; before filtering) to FILE in the Extreme
                 Classification Repository's sparse format ('ngame metrics FILE' and pyxclib read it;
                 docs/data.md)
  --scores-of S  which scores --write-scores writes: m1, m2 or fused (default fused; m1 for a
                 run without M2)

examples:
  ngame eval runs/ngame --beta 0.3
  ngame eval runs/ngame --choose-beta --save
  ngame eval runs/ngame --write-scores runs/ngame/test_scores.txt && ngame metrics runs/ngame/test_scores.txt --run runs/ngame`;

export const evalCommand: Command = {
  path: ['eval'],
  summary: 'test metrics of a trained run',
  help,
  async run(argv) {
    const { values, positionals } = parseCli(argv, {
      data: { type: 'string' }, beta: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' },
      'write-scores': { type: 'string' }, 'scores-of': { type: 'string' }, search: { type: 'string' },
      'choose-beta': { type: 'boolean' }, save: { type: 'boolean' },
    }, true);
    if (positionals.length !== 1) throw new UsageError('expected exactly one RUN_DIR');
    requirePath(positionals[0], 'RUN_DIR', 'dir');
    requirePath(values.data, '--data', 'dir');
    const beta = values.beta !== undefined ? Number(values.beta) : undefined;
    if (beta !== undefined && !(beta >= 0 && beta <= 1)) throw new UsageError(`--beta must be in [0, 1], got "${values.beta}"`);
    if (values['choose-beta'] && beta !== undefined) throw new UsageError('--beta and --choose-beta exclude each other');
    if (values.save && !values['choose-beta']) throw new UsageError('--save needs --choose-beta');
    const device = parseDevice(values.device);
    const searchMode = parseSearch(values.search);
    const scoresOf = values['scores-of'];
    if (scoresOf !== undefined && !['m1', 'm2', 'fused'].includes(scoresOf)) throw new UsageError(`--scores-of must be m1, m2 or fused, got "${scoresOf}"`);
    if (scoresOf !== undefined && values['write-scores'] === undefined) throw new UsageError('--scores-of needs --write-scores FILE');
    try {
      const backend = await openBackend(device);
      const run = openRun(positionals[0], backend);
      // The run's own training split: propensities (PSP) come from the labels it trained on.
      // Checked against the run's record (label count and texts) before the test set is encoded.
      const full = await loadRunDataset(run.dir, run.config, values.data, { labelRows: run.labelEmb.length / run.dim });
      const { data } = runSplit(full, run.config);
      const search = { ...runSearch(run.config), mode: searchMode ?? run.config.search };
      const indexes = await openRunIndexes(run.dir, run.labelEmb, run.classifiers, run.dim, search, (m) => console.error(m));
      const chosen = values['choose-beta'] ? await rechooseBeta(run, full, backend, indexes) : null;
      if (chosen) for (const line of formatBetaCurve(chosen.curve, chosen.beta, chosen.tied, chosen.docs, chosen.rule)) console.error(line);
      const testEmb = await embedCorpus(run.encoder, testCorpus(run, data));
      const b = chosen?.beta ?? beta ?? run.beta;
      const scores = await scoreDocuments(backend, testEmb, run.labelEmb, run.classifiers, run.dim, run.config.topK, b, indexes);
      const rows = [{ name: 'M1 embeddings', metrics: testMetrics(scores.emb, data) }];
      if (scores.clf) {
        rows.push({ name: 'M2 classifiers', metrics: testMetrics(scores.clf, data) });
        rows.push({ name: `fused (β=${b})`, metrics: testMetrics(scores.fused, data) });
      }
      const file = values['write-scores'];
      if (file !== undefined) {
        if (scoresOf === 'm2' && !scores.clf) throw new Error(`--scores-of m2: ${positionals[0]} has no M2 classifiers`);
        writeScores(file, scoresOf === 'm1' ? scores.emb : scoresOf === 'm2' ? scores.clf! : scores.fused, run.config.topK);
      }
      if (chosen && values.save) {
        saveRechosenBeta(run, chosen, { m1: rows[0].metrics, m2: rows[1]?.metrics ?? null, fused: rows[2]?.metrics ?? null });
        console.error(`${run.dir}: β ${chosen.previous} -> ${chosen.beta}, recorded in model.safetensors, log.jsonl and metrics.json`);
      }
      console.log(values.json ? JSON.stringify(rows) : formatComparisonTable(rows));
      if (file !== undefined && !values.json) console.log(`\nwrote the ${scoresOf ?? (scores.clf ? 'fused' : 'm1')} test scores to ${file}`);
      return 0;
    } finally {
      await closeGpu();
    }
  },
};
