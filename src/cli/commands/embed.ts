// `ngame embed RUN_DIR`: write embeddings of the dataset's texts (or of a file's) to safetensors.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command';
import { UsageError } from '../command';
import { loadDataset } from '../../ngame/data';
import { tokenizeCorpus } from '../../ngame/corpus';
import { embedCorpus } from '../../ngame/embed';
import { openBackend } from '../../ngame/run';
import { openRun } from '../../ngame/saved-run';
import { writeSafetensors } from '../../model/safetensors';
import { closeGpu } from '../../tensor/webgpu/device';

const help = `usage: ngame embed RUN_DIR --what labels|train|test|FILE --out OUT.safetensors

Encodes texts with the run's encoder and writes an (n, dim) F32 tensor named "embeddings"
(unit rows) to a safetensors file, written atomically.

  --what W    labels, train or test (the run's dataset), or a file with one text per line
  --out F     output .safetensors file

example:
  ngame embed runs/ngame --what labels --out labels.safetensors`;

export const embedCommand: Command = {
  path: ['embed'],
  summary: 'write embeddings of texts to a safetensors file',
  help,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { what: { type: 'string' }, out: { type: 'string' }, device: { type: 'string' } } });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('expected exactly one RUN_DIR');
    if (!values.what) throw new UsageError('--what is required');
    if (!values.out) throw new UsageError('--out is required');
    try {
      const backend = await openBackend((values.device ?? 'auto') as 'auto');
      const run = openRun(positionals[0], backend);
      let texts: string[];
      if (['labels', 'train', 'test'].includes(values.what)) {
        const data = await loadDataset(run.config.data ?? undefined, { text: run.config.text });
        texts = values.what === 'labels' ? data.labelTexts : values.what === 'train' ? data.trainTexts : data.testTexts;
      } else {
        try {
          texts = readFileSync(values.what, 'utf8').split('\n').filter((l) => l.length > 0);
        } catch (e) {
          throw new UsageError(`--what ${values.what}: ${(e as Error).message}`);
        }
      }
      const emb = await embedCorpus(run.encoder, tokenizeCorpus(run.tokenizer, texts, run.config.maxLen));
      writeSafetensors(values.out, { embeddings: { dtype: 'F32', shape: [texts.length, run.dim], data: emb } });
      console.log(`wrote ${texts.length} × ${run.dim} embeddings to ${values.out}`);
      return 0;
    } finally {
      await closeGpu();
    }
  },
};
