// `ngame data synth`: writes a synthetic extreme-classification dataset with label text, of one of
// the paper's shapes or of any size (src/ngame/data/synth-xc.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli } from '../args';
import { checkShape, SYNTH_SHAPES, writeSynthDataset, type SynthShape } from '../../ngame/data/synth-xc';

const shapeList = Object.keys(SYNTH_SHAPES).join(' | ');

const help = `usage: ngame data synth (--shape NAME | --train-docs N --test-docs M --labels L --labels-per-doc K) --out DIR [flags]

Writes a synthetic dataset in the XC text format (trn_X.txt tst_X.txt Y.txt trn_X_Y.txt
tst_X_Y.txt filter_labels_train.txt filter_labels_test.txt, and synth.json: the parameters)
with planted structure: topics with their own Zipfian words over a vocabulary of made-up words,
short label titles from their topic, document titles mixing their labels' words with noise, a
long-tailed label frequency, filter pairs for documents that are also a label's object. The same
flags and seed give the same bytes. Written streaming, so any size fits in memory; files appear
only once all are complete.

  --shape NAME         ${shapeList}: the paper's datasets' sizes
                       (131k: 294,805 train / 134,835 test docs, 131,073 labels, 2.29 labels/doc;
                        1.3m: 2,248,619 / 970,237 docs, 1,305,265 labels, 22.2 labels/doc)
  --train-docs N       training documents (instead of --shape, with the three below)
  --test-docs M        test documents
  --labels L           labels
  --labels-per-doc K   mean labels per document
  --vocab V            vocabulary size (default: the shape's, else labels / 3 within 5,000..128,000)
  --seed S             generator seed (default 0)
  --out DIR            directory to write (created if missing)
  --force              overwrite a directory that already holds a dataset
  --quiet              no progress output

examples:
  ngame data synth --shape lf-amazontitles-131k --seed 0 --out ~/xc/synth-131k
  ngame data synth --train-docs 20000 --test-docs 8000 --labels 15000 --labels-per-doc 2.3 --out /tmp/synth-small`;

const DATA_FILES = ['trn_X_Y.txt', 'tst_X_Y.txt', 'trn_X.txt', 'tst_X.txt', 'Y.txt', 'trn.json.gz', 'synth.json'];

/** The shape the flags ask for (errors are UsageErrors naming the flag). */
export function synthShapeFromFlags(v: Record<string, string | boolean | undefined>): { shape: SynthShape; name: string | null } {
  const sizeFlags = ['train-docs', 'test-docs', 'labels', 'labels-per-doc'];
  const num = (flag: string): number | undefined => {
    const x = v[flag];
    if (x === undefined) return undefined;
    const n = Number(x);
    if (typeof x !== 'string' || x.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${x}"`);
    return n;
  };
  const vocab = num('vocab');
  let shape: SynthShape;
  let name: string | null = null;
  if (v.shape !== undefined) {
    name = String(v.shape).toLowerCase();
    const s = SYNTH_SHAPES[name];
    if (!s) throw new UsageError(`--shape must be one of ${shapeList}, got "${v.shape}"`);
    const clash = sizeFlags.find((f) => v[f] !== undefined);
    if (clash) throw new UsageError(`--shape ${name} sets the sizes; drop --${clash} (or drop --shape and give all four sizes)`);
    shape = { ...s, ...(vocab !== undefined ? { vocab } : {}) };
  } else {
    const missing = sizeFlags.filter((f) => v[f] === undefined);
    if (missing.length > 0) throw new UsageError(`give --shape (${shapeList}) or all of --train-docs, --test-docs, --labels, --labels-per-doc (missing: ${missing.map((f) => `--${f}`).join(', ')})`);
    shape = { trainDocs: num('train-docs')!, testDocs: num('test-docs')!, labels: num('labels')!, labelsPerDoc: num('labels-per-doc')!, vocab: vocab ?? 0 };
  }
  try {
    return { shape: checkShape(shape), name };
  } catch (e) {
    throw new UsageError(`--${(e as Error).message}`);
  }
}

export const dataSynthCommand: Command = {
  path: ['data', 'synth'],
  summary: 'Write a synthetic dataset of the paper\'s shapes or any size',
  help,
  async run(argv) {
    const { values, positionals } = parseCli(argv, {
      shape: { type: 'string' }, 'train-docs': { type: 'string' }, 'test-docs': { type: 'string' }, labels: { type: 'string' }, 'labels-per-doc': { type: 'string' },
      vocab: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' },
    }, true);
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (the directory goes after --out)`);
    const { shape, name } = synthShapeFromFlags(values);
    const seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new UsageError(`--seed must be an integer in [0, 2^32), got "${values.seed}"`);
    const out = values.out;
    if (out === undefined) throw new UsageError('--out DIR is required');
    if (existsSync(out)) {
      if (!statSync(out).isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory`, false);
      const held = readdirSync(out).filter((f) => DATA_FILES.includes(f));
      if (held.length > 0 && !values.force) throw new UsageError(`--out ${out} already holds a dataset (${held.join(', ')}); add --force to overwrite it`, false);
    }
    const log = (msg: string) => values.quiet || process.stderr.write(msg);
    const info = writeSynthDataset(out, shape, seed, {
      shapeName: name ?? undefined,
      onProgress: (what, done, total) => log(`\r${what}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}   `),
    });
    log('\r');
    const c = info.counts;
    console.log(
      `${out}: ${shape.trainDocs.toLocaleString('en-US')} train and ${shape.testDocs.toLocaleString('en-US')} test documents, ${shape.labels.toLocaleString('en-US')} labels, ` +
        `${(c.trainPositives / shape.trainDocs).toFixed(2)} labels per training document, ${c.filterTrain + c.filterTest} filter pairs; seed ${seed}; ${info.seconds.toFixed(1)} s`,
    );
    return 0;
  },
};
