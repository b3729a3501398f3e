// `ngame predict RUN_DIR`: top-k labels for texts read from a file or standard input.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command';
import { UsageError } from '../command';
import { loadDataset } from '../../ngame/data';
import { tokenizeCorpus } from '../../ngame/corpus';
import { embedCorpus } from '../../ngame/embed';
import { scoreDocuments } from '../../ngame/inference';
import { openBackend } from '../../ngame/run';
import { openRun } from '../../ngame/saved-run';
import { closeGpu } from '../../tensor/webgpu/device';

const help = `usage: ngame predict RUN_DIR [--input FILE] [-k N] [--json]

Reads one text per line (from --input, or standard input) and prints the k best labels of each
by the run's fused score (embedding and classifier scores; embeddings only if M2 did not run).

  --input FILE   texts, one per line (default: standard input)
  -k N           labels per text (default 5)
  --json         one JSON object per line: { text, labels: [{ id, text, score }] }

examples:
  echo "a compiler for a functional language" | ngame predict runs/ngame
  ngame predict runs/ngame --input queries.txt -k 10 --json`;

export const predictCommand: Command = {
  path: ['predict'],
  summary: 'top-k labels for texts from a file or stdin',
  help,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { input: { type: 'string' }, k: { type: 'string', short: 'k' }, json: { type: 'boolean' }, device: { type: 'string' } } });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('expected exactly one RUN_DIR');
    const k = Number(values.k ?? 5);
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`-k must be a positive integer, got "${values.k}"`);
    let text: string;
    try {
      text = readFileSync(values.input ?? 0, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${values.input ?? 'standard input'}: ${(e as Error).message}`);
    }
    const texts = text.split('\n').filter((l) => l.trim().length > 0);
    if (texts.length === 0) throw new UsageError('no input texts');
    try {
      const backend = await openBackend((values.device ?? 'auto') as 'auto');
      const run = openRun(positionals[0], backend);
      const data = await loadDataset(run.config.data ?? undefined, { text: run.config.text });
      const q = await embedCorpus(run.encoder, tokenizeCorpus(run.tokenizer, texts, run.config.maxLen));
      const L = run.labelEmb.length / run.dim;
      const kk = Math.min(Math.max(k, run.config.topK), L);
      const scores = (await scoreDocuments(backend, q, run.labelEmb, run.classifiers, run.dim, kk, run.beta)).fused;
      for (let r = 0; r < texts.length; r++) {
        const row: { id: number; score: number }[] = [];
        for (let a = scores.indptr[r]; a < scores.indptr[r + 1]; a++) row.push({ id: scores.indices[a], score: scores.values[a] });
        row.sort((x, y) => y.score - x.score || x.id - y.id);
        const top = row.slice(0, k).map((e) => ({ ...e, text: data.labelTexts[e.id] }));
        if (values.json) console.log(JSON.stringify({ text: texts[r], labels: top }));
        else console.log(`${texts[r]}\n${top.map((e) => `  ${e.score.toFixed(4)}  ${e.text}`).join('\n')}`);
      }
      return 0;
    } finally {
      await closeGpu();
    }
  },
};
