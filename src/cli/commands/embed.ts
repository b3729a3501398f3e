// `ngame embed RUN_DIR`: write embeddings of the dataset's texts (or of a file's) to safetensors.
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, parseDevice, requirePath } from '../args';
import { readInputTexts } from '../input';
import { loadDataset } from '../../ngame/data';
import { featurize } from '../../ngame/corpus';
import { embedCorpus } from '../../ngame/embed';
import { openBackend } from '../../ngame/run';
import { openRun, readRunLabels } from '../../ngame/run-dir';
import { writeSafetensors } from '../../model/safetensors';
import { closeGpu } from '../../kernels/webgpu/device';

const help = `usage: ngame embed RUN_DIR --what labels|train|test|FILE --out OUT.safetensors

Encodes texts with the run's encoder and writes an (n, dim) F32 tensor named "embeddings"
(unit rows) to a safetensors file, written atomically.

  --what W    labels (stored in the run), train or test (the run's dataset), or a file with
              one text per line (blank lines skipped; an empty file is an error)
  --out F     output .safetensors file
  --device D  auto | cpu | webgpu

example:
  ngame embed runs/ngame --what labels --out labels.safetensors`;

export const embedCommand: Command = {
  path: ['embed'],
  summary: 'write embeddings of texts to a safetensors file',
  help,
  async run(argv) {
    const { values, positionals } = parseCli(argv, { what: { type: 'string' }, out: { type: 'string' }, device: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new UsageError('expected exactly one RUN_DIR');
    requirePath(positionals[0], 'RUN_DIR', 'dir');
    if (!values.what) throw new UsageError('--what is required');
    if (!values.out) throw new UsageError('--out is required');
    const device = parseDevice(values.device);
    const fileTexts = ['labels', 'train', 'test'].includes(values.what) ? null : readInputTexts(values.what, '--what');
    try {
      const backend = await openBackend(device);
      const run = openRun(positionals[0], backend);
      let texts: string[];
      const stored = values.what === 'labels' ? readRunLabels(run.dir) : null;
      if (fileTexts) {
        texts = fileTexts;
      } else if (stored) {
        texts = stored;
      } else {
        const data = await loadDataset(run.config.data ?? undefined, { text: run.config.text });
        texts = values.what === 'labels' ? data.labelTexts : values.what === 'train' ? data.trainTexts : data.testTexts;
      }
      const emb = await embedCorpus(run.encoder, featurize(run.featurizer, texts));
      writeSafetensors(values.out, { embeddings: { dtype: 'F32', shape: [texts.length, run.dim], data: emb } });
      console.log(`wrote ${texts.length} × ${run.dim} embeddings to ${values.out}`);
      return 0;
    } finally {
      await closeGpu();
    }
  },
};
