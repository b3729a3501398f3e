// `ngame embed RUN_DIR`: write embeddings of the dataset's texts (or of a file's) to safetensors.
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, parseDevice, requirePath } from '../args';
import { readInputTexts } from '../input';
import { featurize, type Corpus } from '../../ngame/corpus';
import { embedCorpus } from '../../ngame/embed';
import { openBackend } from '../../ngame/run';
import { loadRunDataset, openRun, readRunLabels, runCorpus } from '../../ngame/run-dir';
import { writeSafetensors } from '../../model/safetensors';
import { closeGpu } from '../../kernels/webgpu/device';

const help = `usage: ngame embed RUN_DIR --what labels|train|test|FILE --out OUT.safetensors [--data DIR]

Encodes texts with the run's encoder and writes an (n, dim) F32 tensor named "embeddings"
(unit rows) to a safetensors file, written atomically.

  --what W    labels, train or test: the rows of the run's dataset as the run reads them (the
              label texts stored in the run; for a run trained on bag-of-words feature files,
              the rows of those files), or a file with one text per line: UTF-8, row i = line
              i, blank lines included (the empty text); a file with no text at all is an error
  --data DIR  the run's dataset, when it is no longer where the run was trained (checked by
              its label count and texts)
  --out F     output .safetensors file
  --device D  auto | cpu | webgpu

example:
  ngame embed runs/ngame --what labels --out labels.safetensors`;

export const embedCommand: Command = {
  path: ['embed'],
  summary: 'write embeddings of texts to a safetensors file',
  help,
  async run(argv) {
    const { values, positionals } = parseCli(argv, { what: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' }, device: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new UsageError('expected exactly one RUN_DIR');
    requirePath(positionals[0], 'RUN_DIR', 'dir');
    requirePath(values.data, '--data', 'dir');
    if (!values.what) throw new UsageError('--what is required');
    if (!values.out) throw new UsageError('--out is required');
    const device = parseDevice(values.device);
    const rows = values.what === 'labels' || values.what === 'train' || values.what === 'test' ? values.what : null;
    if (!rows && values.data !== undefined) throw new UsageError('--data goes with --what labels, train or test, not with a file of texts');
    const fileTexts = rows ? null : readInputTexts(values.what, '--what');
    try {
      const backend = await openBackend(device);
      const run = openRun(positionals[0], backend);
      let corpus: Corpus;
      // The stored label texts serve a run that featurizes texts; one trained on feature files reads the files' rows.
      const stored = rows === 'labels' && run.featurizer.kind !== 'files' && values.data === undefined ? readRunLabels(run.dir) : null;
      if (fileTexts) corpus = featurize(run.featurizer, fileTexts);
      else if (stored) corpus = featurize(run.featurizer, stored);
      else corpus = runCorpus(run, await loadRunDataset(run.dir, run.config, values.data, { labelRows: run.labelEmb.length / run.dim }), rows!);
      const emb = await embedCorpus(run.encoder, corpus);
      writeSafetensors(values.out, { embeddings: { dtype: 'F32', shape: [corpus.n, run.dim], data: emb } });
      console.log(`wrote ${corpus.n} × ${run.dim} embeddings to ${values.out}`);
      return 0;
    } finally {
      await closeGpu();
    }
  },
};
