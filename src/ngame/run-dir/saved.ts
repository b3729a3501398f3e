// Opening a finished run directory for evaluation, prediction and embedding: its config, its
// encoder and featurizer from the last checkpoint, and the final model (verified, finite).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../tensor';
import { readModel, runDirAdvice, runDirState } from './files';
import { lockConflict } from './lock';
import { checkpointDir, CONFIG_FILE, MODEL_FILE } from './layout';
import type { TextEncoder } from '../../model/text-encoder';
import { bagCorpus, featurize, type Corpus, type Featurizer } from '../corpus';
import type { Dataset } from '../data';
import { checkpointModel } from '../model-setup';
import { readRunConfig, type RunConfig } from '../run-config';

export interface SavedRun {
  dir: string;
  config: RunConfig;
  encoder: TextEncoder;
  /** Turns texts into the encoder's input exactly as training did. */
  featurizer: Featurizer;
  /** (L, D) label embeddings of the final M1 encoder. */
  labelEmb: Float32Array;
  /** (L, D) M2 classifiers, when M2 ran. */
  classifiers: Float32Array | null;
  dim: number;
  /** The fusion weight the run used (chosen on its validation split, or its config's). */
  beta: number;
}

export function openRun(dir: string, backend: Backend): SavedRun {
  const need = (f: string) => {
    const p = join(dir, f);
    if (existsSync(p)) return p;
    // What the directory holds instead, in the words train uses for it (files.ts, lock.ts).
    const st = runDirState(dir);
    const busy = lockConflict(dir);
    if (busy) throw new Error(`${dir} is not a finished run (${f} is missing): ${busy}`);
    if (st.kind === 'finished') throw new Error(`${dir} holds a finished run, but its ${f} is missing`);
    throw new Error(`${dir} is not a finished run (${f} is missing): ${runDirAdvice(dir, st)}`);
  };
  const config = readRunConfig(need(CONFIG_FILE));
  need(MODEL_FILE);
  const model = readModel(dir); // checked against manifest.json; non-finite weights refused
  const { encoder, featurizer } = checkpointModel(checkpointDir(dir), config, config.data ?? 'the embedded dataset', backend);
  const le = model.tensors.labelEmbeddings;
  if (!le) throw new Error(`${join(dir, MODEL_FILE)}: no labelEmbeddings tensor`);
  const saved = Number(model.metadata.beta); // NaN when a file lacks it: fall back to the config
  const beta = saved >= 0 && saved <= 1 ? saved : config.beta;
  return {
    dir, config, encoder, featurizer,
    labelEmb: le.data as Float32Array,
    classifiers: (model.tensors.classifiers?.data as Float32Array | undefined) ?? null,
    dim: encoder.outDim,
    beta,
  };
}

/**
 * The training documents, test documents or labels of `data` as the run's encoder reads them:
 * its feature files' rows for a run trained on bag-of-words feature files, else the featurized texts.
 */
export function runCorpus(run: SavedRun, data: Dataset, rows: 'train' | 'test' | 'labels'): Corpus {
  if (run.featurizer.kind !== 'files') return featurize(run.featurizer, rows === 'train' ? data.trainTexts : rows === 'test' ? data.testTexts : data.labelTexts);
  if (!data.features) throw new Error(`${run.dir} was trained on bag-of-words feature files, and ${data.dir} has none`);
  return bagCorpus(data.features[rows]);
}

/** The test documents of `data` as the run's encoder reads them (eval; the package's API). */
export const testCorpus = (run: SavedRun, data: Dataset): Corpus => runCorpus(run, data, 'test');
