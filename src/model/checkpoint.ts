// Training checkpoints: everything needed to continue a run exactly where it stopped.
//   tensors (safetensors):  model/<encoder>/<param>   every encoder's weights
//                           opt/m.<param>, opt/v.<param>   AdamW moments
//   state (JSON):           step, RNG state, each encoder's config, dtype and init seed,
//                           tokenizer JSON (or the bag encoder's TF-IDF vocabulary and idf),
//                           optimizer config and update count, caller extras
// Writing is crash-safe (checkpoint-io.ts: versioned files, then an atomic pointer). Values are
// stored in the dtype they have in memory, so save -> load is bit-exact, and a resumed run with
// the restored RNG and optimizer takes the same next steps as an uninterrupted one.

import type { Backend, DType } from '../tensor';
import { Rng, type RngState } from '../util/rng';
import { loadCheckpoint, saveCheckpoint, type JsonValue, type SaveOptions, type SaveResult } from './checkpoint-io';
import { BagEncoder, bagEncoderConfig, type BagEncoderConfig } from './bag-encoder';
import { Encoder, encoderConfig, type EncoderConfig } from './encoder';
import type { TextEncoder } from './text-encoder';
import { TfidfVectorizer } from './tokenizer/tfidf';
import { AdamW, type AdamWConfig, type OptimParam } from './optim';
import type { Params } from './params';
import type { SafeTensor } from './safetensors';
import type { AdamState } from './adam-update';
import { Tokenizer } from './tokenizer';

export interface TrainingState {
  /** The models, by name: { encoder } for a Siamese model, e.g. { docs, labels } for two towers. */
  encoders: Record<string, TextEncoder>;
  optimizer?: AdamW | null;
  /** Training step (the caller's count: batches done). */
  step: number;
  /** The run's generator (dropout seeds, shuffling): saved so the next draws repeat exactly. */
  rng?: Rng | null;
  tokenizer?: Tokenizer | null;
  /** The bag encoder's featurizer (vocabulary and idf), so new texts get the training features. */
  tfidf?: TfidfVectorizer | null;
  /** Any other plain-JSON state of the caller (epoch, best score, ...). */
  extra?: Record<string, unknown>;
}

export interface LoadedTraining {
  encoders: Record<string, TextEncoder>;
  step: number;
  /** The saved generator state (restoreRng makes a generator from it). */
  rngState: RngState | null;
  tokenizer: Tokenizer | null;
  tfidf: TfidfVectorizer | null;
  optimizerConfig: AdamWConfig | null;
  optimizerState: AdamState | null;
  extra: Record<string, JsonValue>;
  generation: number;
}

const FORMAT = 'ngame-training';
const SAFE_DTYPE = { f32: 'F32', f64: 'F64' } as const;

/** Saves a training checkpoint into `dir` (one readback per tensor). */
export async function saveTraining(dir: string, s: TrainingState, opts: SaveOptions = {}): Promise<SaveResult> {
  if (!Number.isInteger(s.step) || s.step < 0) throw new Error(`saveTraining: step must be a non-negative integer, got ${s.step}`);
  const tensors: Record<string, SafeTensor> = {};
  const encoders: Record<string, unknown> = {};
  for (const [key, enc] of Object.entries(s.encoders)) {
    if (key.includes('/')) throw new Error(`saveTraining: encoder name "${key}" must not contain "/"`);
    const dtype = enc.params.dtype as 'f32' | 'f64';
    for (const [name, h] of Object.entries(await enc.params.toHost())) {
      tensors[`model/${key}/${name}`] = { dtype: SAFE_DTYPE[dtype], shape: h.shape, data: h.data };
    }
    encoders[key] = { kind: enc.kind, config: { ...enc.config }, dtype, seed: enc.params.seed };
  }
  let optimizer: unknown = null;
  if (s.optimizer) {
    const st = await s.optimizer.exportState();
    for (const [name, h] of Object.entries(st.tensors)) {
      tensors[`opt/${name}`] = { dtype: h.data instanceof Float64Array ? 'F64' : 'F32', shape: h.shape, data: h.data };
    }
    optimizer = { config: { ...s.optimizer.config }, step: st.step };
  }
  const state = {
    format: FORMAT,
    version: 1,
    step: s.step,
    rng: s.rng ? s.rng.getState() : null,
    encoders,
    tokenizer: s.tokenizer ? s.tokenizer.toJSON() : null,
    tfidf: s.tfidf ? s.tfidf.toJSON() : null,
    optimizer,
    extra: s.extra ?? {},
  };
  return saveCheckpoint(dir, { tensors, state }, opts);
}

function isObject(x: unknown): x is Record<string, JsonValue> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Loads a checkpoint written by saveTraining; encoders are rebuilt on `backend`. */
export function loadTraining(dir: string, opts: { backend?: Backend } = {}): LoadedTraining {
  const ck = loadCheckpoint(dir);
  const st = ck.state;
  const where = `loadTraining ${dir}`;
  if (st.format !== FORMAT || st.version !== 1) throw new Error(`${where}: state is not an ${FORMAT} checkpoint (version 1)`);
  if (!Number.isInteger(st.step)) throw new Error(`${where}: step is missing`);
  if (!isObject(st.encoders)) throw new Error(`${where}: encoders are missing`);

  const encoders: Record<string, TextEncoder> = {};
  for (const [key, info] of Object.entries(st.encoders)) {
    if (!isObject(info) || !isObject(info.config)) throw new Error(`${where}: encoder "${key}" has no config`);
    const dtype = info.dtype as DType;
    if (dtype !== 'f32' && dtype !== 'f64') throw new Error(`${where}: encoder "${key}" has dtype ${JSON.stringify(info.dtype)}`);
    // Checkpoints written before the bag encoder existed have no kind: they hold a transformer.
    const kind = info.kind ?? 'transformer';
    const encOpts = { backend: opts.backend, dtype, seed: Number(info.seed ?? 0) };
    let enc: TextEncoder;
    if (kind === 'bag') enc = new BagEncoder(bagEncoderConfig(info.config as unknown as BagEncoderConfig), encOpts);
    else if (kind === 'transformer') enc = new Encoder(encoderConfig(info.config as unknown as EncoderConfig), encOpts);
    else throw new Error(`${where}: encoder "${key}" has an unknown kind ${JSON.stringify(kind)}`);
    const prefix = `model/${key}/`;
    const values: Record<string, { shape: number[]; data: ArrayLike<number> }> = {};
    for (const [name, t] of Object.entries(ck.tensors)) if (name.startsWith(prefix)) values[name.slice(prefix.length)] = t;
    enc.params.load(values, `${where}: encoder "${key}"`);
    encoders[key] = enc;
  }

  let optimizerConfig: AdamWConfig | null = null;
  let optimizerState: AdamState | null = null;
  if (isObject(st.optimizer)) {
    optimizerConfig = st.optimizer.config as unknown as AdamWConfig;
    const tensors: AdamState['tensors'] = {};
    for (const [name, t] of Object.entries(ck.tensors)) {
      if (!name.startsWith('opt/')) continue;
      if (t.dtype === 'I32') throw new Error(`${where}: optimizer tensor "${name}" holds integers`);
      tensors[name.slice(4)] = { shape: t.shape, data: t.data as Float32Array | Float64Array };
    }
    optimizerState = { step: Number(st.optimizer.step), tensors };
  }
  const rng = st.rng;
  if (rng !== null && !(Array.isArray(rng) && rng.length === 4 && rng.every((x) => Number.isInteger(x)))) {
    throw new Error(`${where}: rng state must be 4 integers or null`);
  }
  return {
    encoders,
    step: st.step as number,
    rngState: rng as RngState | null,
    tokenizer: st.tokenizer ? Tokenizer.fromJSON(st.tokenizer) : null,
    tfidf: st.tfidf ? TfidfVectorizer.fromJSON(st.tfidf, `${where}: tfidf`) : null,
    optimizerConfig,
    optimizerState,
    extra: isObject(st.extra) ? st.extra : {},
    generation: ck.generation,
  };
}

/**
 * Rebuilds the saved AdamW over `params` (the same registries, in the same order, as when it was
 * saved) with its moments and update count. null when the checkpoint has no optimizer.
 */
export function restoreOptimizer(loaded: LoadedTraining, params: Params | Params[] | OptimParam[]): AdamW | null {
  if (!loaded.optimizerConfig || !loaded.optimizerState) return null;
  const opt = new AdamW(params, loaded.optimizerConfig);
  opt.importState(loaded.optimizerState);
  return opt;
}

/** A generator positioned where the saved one was (null when none was saved). */
export function restoreRng(loaded: LoadedTraining): Rng | null {
  if (!loaded.rngState) return null;
  const rng = new Rng(0);
  rng.setState(loaded.rngState);
  return rng;
}
