// Opening a finished run directory (written by run.ts) for evaluation, prediction and embedding.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../tensor';
import type { Encoder } from '../model/encoder';
import { loadTraining } from '../model/checkpoint';
import { readSafetensors } from '../model/safetensors';
import type { Tokenizer } from '../model/tokenizer';
import { readRunConfig, type RunConfig } from './run-config';

export interface SavedRun {
  dir: string;
  config: RunConfig;
  encoder: Encoder;
  tokenizer: Tokenizer;
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
    if (!existsSync(p)) throw new Error(`${dir} is not a finished run directory: ${f} is missing (run 'ngame train --out ${dir}' first)`);
    return p;
  };
  const config = readRunConfig(need('config.json'));
  const model = readSafetensors(need('model.safetensors'));
  const ck = loadTraining(join(dir, 'checkpoint'), { backend });
  const encoder = ck.encoders.encoder;
  if (!encoder || !ck.tokenizer) throw new Error(`${join(dir, 'checkpoint')}: no encoder or tokenizer in the checkpoint`);
  const le = model.tensors.labelEmbeddings;
  if (!le) throw new Error(`${join(dir, 'model.safetensors')}: no labelEmbeddings tensor`);
  const saved = Number(model.metadata.beta); // NaN when a file lacks it: fall back to the config
  const beta = saved >= 0 && saved <= 1 ? saved : config.beta;
  return {
    dir, config, encoder, tokenizer: ck.tokenizer,
    labelEmb: le.data as Float32Array,
    classifiers: (model.tensors.classifiers?.data as Float32Array | undefined) ?? null,
    dim: encoder.outDim,
    beta,
  };
}
