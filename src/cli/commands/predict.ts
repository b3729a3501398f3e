// `ngame predict RUN_DIR`: top-k labels for texts read from a file or standard input.
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, parseDevice, parseSearch, requirePath } from '../args';
import { readInputTexts } from '../input';
import { writeScores } from '../../ngame/scores-file';
import { featurize } from '../../ngame/corpus';
import { embedCorpus } from '../../ngame/embed';
import { scoreDocuments } from '../../ngame/inference';
import { openBackend } from '../../ngame/run';
import { loadRunDataset, openRun, openRunIndexes, readRunLabels } from '../../ngame/run-dir';
import { runSearch } from '../../ngame/label-search';
import { closeGpu } from '../../kernels/webgpu/device';

const help = `usage: ngame predict RUN_DIR [--input FILE] [-k N] [--json] [--scores FILE] [--device D] [--search S]

Reads one text per line (from --input, or standard input) and prints the k best labels of each
by the run's fused score (embedding and classifier scores; embeddings only if M2 did not run).
Every input line gets its output row, blank lines too (a blank line is the empty text: its
embedding is the encoder's empty-bag answer, docs/encoders.md), so row i of --json and --scores
is line i; input with no text at all is refused. The input must be UTF-8 (a byte-order mark and
CRLF line ends are accepted): invalid bytes are an error naming the line, as in a dataset.

  --input FILE   texts, one per line (default: standard input)
  --data DIR     the run's dataset, for a run without labels.jsonl whose dataset moved
  -k N           labels per text (default 5)
  --json         one JSON object per line: { text, labels: [{ id, text, score }] }
  --scores FILE  also write the k best labels of each text, with their scores, to FILE in the
                 Extreme Classification Repository's sparse format (a row per text; docs/data.md)
  --device D     auto | cpu | webgpu
  --search S     exact | hnsw | auto (default: the run's); hnsw: NGAME's dual shortlist through the
                 run's saved HNSW graphs (rebuilt, with a message, when missing or corrupt)

The label texts come from the run directory (labels.jsonl), so a run can be moved and used
without its dataset (runs trained before it existed read them from their dataset: --data DIR
names it when it moved).

examples:
  echo "a compiler for a functional language" | ngame predict runs/ngame
  ngame predict runs/ngame --input queries.txt -k 10 --json`;

export const predictCommand: Command = {
  path: ['predict'],
  summary: 'top-k labels for texts from a file or stdin',
  help,
  async run(argv) {
    const { values, positionals } = parseCli(argv, {
      input: { type: 'string' }, data: { type: 'string' }, k: { type: 'string', short: 'k' }, json: { type: 'boolean' }, device: { type: 'string' }, scores: { type: 'string' }, search: { type: 'string' },
    }, true);
    if (positionals.length !== 1) throw new UsageError('expected exactly one RUN_DIR');
    requirePath(positionals[0], 'RUN_DIR', 'dir');
    requirePath(values.data, '--data', 'dir');
    const k = Number(values.k ?? 5);
    if (values.k?.trim() === '' || !Number.isInteger(k) || k < 1) throw new UsageError(`-k must be a positive integer, got "${values.k}"`);
    const device = parseDevice(values.device);
    const searchMode = parseSearch(values.search);
    const texts = readInputTexts(values.input, '--input');
    try {
      const backend = await openBackend(device);
      const run = openRun(positionals[0], backend);
      const labelTexts = readRunLabels(run.dir) ?? (await loadRunDataset(run.dir, run.config, values.data, { labelRows: run.labelEmb.length / run.dim })).labelTexts;
      if (labelTexts.length !== run.labelEmb.length / run.dim) {
        throw new Error(`${run.dir}: ${labelTexts.length} label texts but ${run.labelEmb.length / run.dim} label embeddings`);
      }
      const q = await embedCorpus(run.encoder, featurize(run.featurizer, texts));
      const L = run.labelEmb.length / run.dim;
      const kk = Math.min(Math.max(k, run.config.topK), L);
      const search = { ...runSearch(run.config), mode: searchMode ?? run.config.search };
      const indexes = await openRunIndexes(run.dir, run.labelEmb, run.classifiers, run.dim, search, (m) => console.error(m));
      const scores = (await scoreDocuments(backend, q, run.labelEmb, run.classifiers, run.dim, kk, run.beta, indexes)).fused;
      const kept: { id: number; score: number }[][] = [];
      for (let r = 0; r < texts.length; r++) {
        const row: { id: number; score: number }[] = [];
        for (let a = scores.indptr[r]; a < scores.indptr[r + 1]; a++) row.push({ id: scores.indices[a], score: scores.values[a] });
        row.sort((x, y) => y.score - x.score || x.id - y.id);
        kept.push(row.slice(0, k));
        const top = kept[r].map((e) => ({ ...e, text: labelTexts[e.id] }));
        if (values.json) console.log(JSON.stringify({ text: texts[r], labels: top }));
        else console.log(`${texts[r]}\n${top.map((e) => `  ${e.score.toFixed(4)}  ${e.text}`).join('\n')}`);
      }
      if (values.scores !== undefined) {
        const indptr = new Int32Array(kept.length + 1);
        kept.forEach((row, r) => (indptr[r + 1] = indptr[r] + row.length));
        const flat = kept.flat();
        writeScores(values.scores, { rows: texts.length, cols: L, indptr, indices: Int32Array.from(flat, (e) => e.id), values: Float32Array.from(flat, (e) => e.score) });
      }
      return 0;
    } finally {
      await closeGpu();
    }
  },
};
