// The configuration of one training run (M1 with a sampler, then M2, then fused inference),
// with the defaults the README's demo uses: the bag encoder, which learns from scratch in
// seconds per epoch on a 2-core machine without a GPU, and a schedule long enough for NGAME's
// cluster-size curriculum to run. Every field can be set from a JSON file (--config), on the
// command line as a dotted key (--set m1.tau=0.1, config-settings.ts), the common ones by a flag.

import { readFileSync } from 'node:fs';
import { stripBom } from '../util/json';
import type { SamplerName } from './samplers';
import { SAMPLER_NAMES } from './samplers';
import type { M1LossChoice } from './losses';
import { SEARCH_MODES, type HnswParams, type SearchMode } from './label-search';
import { checkClusteringChoice, type ClusteringChoice } from './cluster';
import type { M1Config } from './train-m1';
import type { M2Config } from './train-m2';

export interface RunConfig {
  /** Dataset directory; null = the embedded FOLDOC-XRef-8K. */
  data: string | null;
  text: 'short' | 'long';
  device: 'auto' | 'cpu' | 'webgpu';
  sampler: SamplerName;
  seed: number;
  /**
   * A directory holding a BERT- or DistilBERT-layout config.json, model.safetensors and vocab.txt
   * (e.g. msmarco-distilbert-base-v4) to fine-tune, as the NGAME paper does; null = a fresh encoder.
   * When set, the encoder's size, layout and vocabulary come from that directory (`encoder` and
   * `vocabSize` are ignored, `encoder.dropout` still applies) and maxLen must fit its positions.
   */
  pretrained: string | null;
  /** Transformer only: learned WordPiece vocabulary size, or 0 for bert-base-uncased's vocabulary. */
  vocabSize: number;
  /** Transformer only: tokens per text. */
  maxLen: number;
  /**
   * kind 'bag' (default): the TF-IDF bag of term embeddings with a residual block (bag-encoder.ts),
   * which learns from scratch on a CPU; 'transformer': the attention encoder (encoder.ts), for a
   * GPU and a `pretrained` start (which implies it). dim and dropout apply to both kinds; layers,
   * heads, ffn and layout to the transformer only.
   */
  encoder: { kind: 'bag' | 'transformer'; dim: number; layers: number; heads: number; ffn: number; dropout: number; layout: 'pre' | 'post' };
  /**
   * The bag encoder's input. source 'auto': the dataset's bag-of-words feature files
   * (trn_X_Xf.txt, ...) when it has them, else TF-IDF of the texts; 'text': always the TF-IDF;
   * 'files': the files or an error. The TF-IDF (fitted on training documents plus label texts):
   * ngrams 1 = word unigrams, 2 = plus adjacent word bigrams; terms in fewer than minDf fitting
   * texts are dropped; maxVocab > 0 keeps that many terms by document frequency.
   */
  features: { source: 'auto' | 'text' | 'files'; ngrams: number; minDf: number; maxVocab: number };
  /**
   * M1 loss: 'infonce' (softmax over the batch's label pool, the other positives masked; the
   * default for every sampler), 'triplet' (NGAME's), 'bce-own' (BCE over each document's own
   * positives and drawn negatives, Qaraei & Babbar's form; samplers that draw negatives only), or
   * 'auto': each sampler's own choice, InfoNCE for the in-batch and ANCE samplers and BCE over the
   * batch's whole label pool for the MIPS and meta samplers (the default before 2026-12-03; it
   * reproduces those runs). From scratch (no pretrained encoder) the triplet loss collapses every
   * embedding to one direction within a few steps (docs/method.md); NGAME's triplet loss is meant
   * for a pretrained start. InfoNCE is the default for the MIPS and meta samplers too because
   * it won on FOLDOC's validation split by 31–37 fused P@1 over the pool BCE and 14–18 over bce-own
   * (docs/results.md, "Which M1 loss the BCE samplers run").
   */
  m1: { epochs: number; batchSize: number; lr: number; warmupSteps: number; evalEvery: number; loss: M1LossChoice; tau: number };
  /** NGAME's cluster-size curriculum (epochs are M1 epochs). */
  curriculum: { warmupEpochs: number; startSize: number; doubleAt: number[]; maxSize: number; reclusterEvery: number };
  /**
   * How M1's ngame sampler and M2 cluster the training documents (cluster/choose.ts): 'exact'
   * balanced 2-means, 'sampled' (cluster/approx.ts: the tree's top levels grown on sampleSize
   * documents, 0 = one in 8, every document routed down them), or 'auto': sampled above
   * autoAbove documents. The log's clustering record gives each clustering's balance and
   * quality, and for the sampled method its quality against the exact one on checkPoints
   * documents. autoAbove = AUTO_SAMPLED_ABOVE: see there.
   */
  clustering: ClusteringChoice;
  /**
   * M2 (train-m2.ts). loss 'softmax': each document's positives against every label (a full
   * softmax of cosine classifiers at temperature tau, random batches); 'pool-softmax': the same
   * softmax over the batch's label pool only, batches made of clusters of clusterSize documents
   * (the cluster-mates' positives are the hard negatives: NGAME's batching applied to M2);
   * 'triplet': NGAME's multi-positive triplet over that pool. shortlist k > 0 adds each batch
   * document's k nearest labels by M1 embedding to the pool (pool-softmax and triplet).
   */
  m2: { epochs: number; batchSize: number; lr: number; clusterSize: number; loss: 'softmax' | 'pool-softmax' | 'triplet'; tau: number; shortlist: number };
  /**
   * How the ance, mips-uniform and mips samplers search the label table for hard negatives:
   * 'exact' (every label scored) or 'ivf' (an IVF index rebuilt at each refresh, nlist lists of
   * which nprobe are scanned per document; 0 = round(√labels) and max(1, nlist / 8)).
   */
  mining: { index: 'exact' | 'ivf'; nlist: number; nprobe: number };
  /**
   * How documents find their labels (label-search.ts): 'exact' scores every label; 'hnsw' searches
   * HNSW graphs (inference: NGAME's dual shortlist over the label embeddings and the classifiers,
   * graphs saved in the run directory; the M2 shortlist; the mined samplers' refresh when
   * mining.index is 'exact'); 'auto' is HNSW above label-search.ts HNSW_AUTO_LABELS labels.
   */
  search: SearchMode;
  /** The HNSW graphs' links per node (M), beam while building, beam of inference and of the training-time shortlists (each raised to k when smaller). */
  hnsw: HnswParams;
  /** Fusion weight of the classifier score: β·clf + (1 − β)·emb (unused when valFraction > 0). */
  beta: number;
  /**
   * Share of the training documents held out of M1 and M2 to choose β on (src/ngame/validation.ts):
   * 0 = no validation split, use `beta`; e.g. 0.05 = choose β from 0, 0.1, …, 1 by validation P@1.
   */
  valFraction: number;
  /** Labels retrieved per document before fusion and metrics. */
  topK: number;
}

/**
 * Documents above which clustering.method 'auto' samples. Measured (d = 256, bench/cluster.ts's
 * data, CPU seconds on the shared 2-core machine): one exact clustering at cluster size 2 costs
 * 4 s at 50,000 documents and 8 s at 100,000; the sampled one (one in 8) is 1.8–2.4× faster at
 * 0.99 of the exact quality (size 16: 1.8–2.1×, 0.90). A default run clusters 5 times in M1 and
 * once in M2, so below 100,000 documents the exact method costs under a minute, a few % of M1,
 * and is kept: the demo (6,832 documents) and DebianDeps (33,000) cluster as before, bit for
 * bit. Above it (the 131K shape: 294,805 documents) sampling saves minutes per run.
 */
export const AUTO_SAMPLED_ABOVE = 100_000;

export const DEFAULT_RUN: RunConfig = {
  data: null,
  text: 'short',
  device: 'auto',
  sampler: 'ngame',
  seed: 0,
  pretrained: null,
  vocabSize: 4000,
  maxLen: 32,
  encoder: { kind: 'bag', dim: 256, layers: 1, heads: 2, ffn: 128, dropout: 0.1, layout: 'pre' },
  features: { source: 'auto', ngrams: 1, minDf: 1, maxVocab: 0 },
  m1: { epochs: 30, batchSize: 256, lr: 5e-3, warmupSteps: 20, evalEvery: 0, loss: 'infonce', tau: 0.05 },
  curriculum: { warmupEpochs: 5, startSize: 2, doubleAt: [10, 15, 20], maxSize: 16, reclusterEvery: 5 },
  clustering: { method: 'auto', autoAbove: AUTO_SAMPLED_ABOVE, sampleSize: 0, checkPoints: 8192 },
  m2: { epochs: 5, batchSize: 256, lr: 2e-3, clusterSize: 8, loss: 'pool-softmax', tau: 0.05, shortlist: 32 },
  mining: { index: 'exact', nlist: 0, nprobe: 0 },
  search: 'auto',
  hnsw: { M: 16, efConstruction: 200, efSearch: 300, efShortlist: 100 },
  beta: 0.5,
  valFraction: 0.05,
  topK: 100,
};

type Json = Record<string, unknown>;

function isObj(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Deep-merges `over` into `base`, rejecting unknown keys and values of the wrong type (errors name the key), then checks the values. */
export function mergeConfig(base: RunConfig, over: unknown, where = 'config'): RunConfig {
  return checkConfig(overlayConfig(base, over, where), where);
}

/**
 * mergeConfig without the check of the values: for a layer of settings that later layers may
 * still complete (--set before the flags: `--set m1.loss=bce-own --sampler ance` is valid only
 * once both are in).
 */
export function overlayConfig(base: RunConfig, over: unknown, where = 'config'): RunConfig {
  if (!isObj(over)) throw new Error(`${where}: expected a JSON object`);
  const merge = (b: Json, o: Json, path: string): Json => {
    const out: Json = { ...b };
    for (const [k, v] of Object.entries(o)) {
      const key = path ? `${path}.${k}` : k;
      if (!Object.hasOwn(b, k)) throw new Error(`${where}: unknown key "${key}"`); // own keys only: not "constructor"
      const cur = b[k];
      if (isObj(cur)) {
        if (!isObj(v)) throw new Error(`${where}: "${key}" must be an object`);
        out[k] = merge(cur, v, key);
      } else if (Array.isArray(cur)) {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new Error(`${where}: "${key}" must be an array of numbers`);
        out[k] = v;
      } else if (cur === null) {
        if (v !== null && typeof v !== 'string') throw new Error(`${where}: "${key}" must be a string or null`);
        out[k] = v;
      } else if (typeof v !== typeof cur) {
        throw new Error(`${where}: "${key}" must be a ${typeof cur}, got ${JSON.stringify(v)}`);
      } else {
        out[k] = v;
      }
    }
    return out;
  };
  const merged = merge(base as unknown as Json, over, '') as unknown as RunConfig;
  // --pretrained implies the transformer unless the encoder kind is given alongside it.
  const overEnc = (over as Json).encoder;
  if ((over as Json).pretrained && !(isObj(overEnc) && 'kind' in overEnc)) merged.encoder = { ...merged.encoder, kind: 'transformer' };
  return merged;
}

export function checkConfig(c: RunConfig, where = 'config'): RunConfig {
  const posInt = (v: number, key: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${key} must be a positive integer, got ${v}`);
  };
  const nonNegInt = (v: number, key: string) => {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: ${key} must be a non-negative integer, got ${v}`);
  };
  if (!SAMPLER_NAMES.includes(c.sampler)) throw new Error(`${where}: sampler must be one of ${SAMPLER_NAMES.join(', ')}, got "${c.sampler}"`);
  if (!['auto', 'cpu', 'webgpu'].includes(c.device)) throw new Error(`${where}: device must be auto, cpu or webgpu, got "${c.device}"`);
  if (!['auto', 'triplet', 'infonce', 'bce-own'].includes(c.m1.loss)) throw new Error(`${where}: m1.loss must be auto, triplet, infonce or bce-own, got "${c.m1.loss}"`);
  if (c.m1.loss === 'bce-own' && (c.sampler === 'random' || c.sampler === 'ngame')) {
    throw new Error(`${where}: m1.loss bce-own needs a sampler that draws negatives per document (ance, mips-uniform, mips or meta), not "${c.sampler}"`);
  }
  if (c.encoder.kind !== 'bag' && c.encoder.kind !== 'transformer') throw new Error(`${where}: encoder.kind must be bag or transformer, got ${JSON.stringify(c.encoder.kind)}`);
  if (c.pretrained !== null && c.encoder.kind !== 'transformer') throw new Error(`${where}: pretrained needs encoder.kind "transformer", got "${c.encoder.kind}"`);
  if (!['auto', 'text', 'files'].includes(c.features.source)) throw new Error(`${where}: features.source must be auto, text or files, got ${JSON.stringify(c.features.source)}`);
  if (c.features.ngrams !== 1 && c.features.ngrams !== 2) throw new Error(`${where}: features.ngrams must be 1 or 2, got ${c.features.ngrams}`);
  posInt(c.features.minDf, 'features.minDf');
  nonNegInt(c.features.maxVocab, 'features.maxVocab');
  nonNegInt(c.m2.shortlist, 'm2.shortlist');
  if (!['softmax', 'pool-softmax', 'triplet'].includes(c.m2.loss)) throw new Error(`${where}: m2.loss must be softmax, pool-softmax or triplet, got ${JSON.stringify(c.m2.loss)}`);
  const positive = (v: number, key: string) => {
    if (!(v > 0)) throw new Error(`${where}: ${key} must be positive, got ${v}`);
  };
  positive(c.m1.tau, 'm1.tau');
  positive(c.m2.tau, 'm2.tau');
  if (!(c.encoder.dropout >= 0 && c.encoder.dropout < 1)) throw new Error(`${where}: encoder.dropout must be in [0, 1), got ${c.encoder.dropout}`);
  if (c.mining.index !== 'exact' && c.mining.index !== 'ivf') throw new Error(`${where}: mining.index must be exact or ivf, got "${c.mining.index}"`);
  nonNegInt(c.mining.nlist, 'mining.nlist');
  nonNegInt(c.mining.nprobe, 'mining.nprobe');
  if (!SEARCH_MODES.includes(c.search)) throw new Error(`${where}: search must be one of ${SEARCH_MODES.join(', ')}, got ${JSON.stringify(c.search)}`);
  for (const k of ['M', 'efConstruction', 'efSearch', 'efShortlist'] as const) posInt(c.hnsw[k], `hnsw.${k}`);
  if (c.hnsw.M < 2) throw new Error(`${where}: hnsw.M must be at least 2, got ${c.hnsw.M}`);
  checkClusteringChoice(c.clustering, where);
  if (c.text !== 'short' && c.text !== 'long') throw new Error(`${where}: text must be short or long, got "${c.text}"`);
  nonNegInt(c.vocabSize, 'vocabSize');
  if (c.vocabSize > 0 && c.vocabSize < 100) throw new Error(`${where}: vocabSize must be 0 (bert vocabulary) or at least 100, got ${c.vocabSize}`);
  posInt(c.maxLen, 'maxLen');
  if (c.maxLen < 3) throw new Error(`${where}: maxLen must be at least 3, got ${c.maxLen}`);
  for (const k of ['dim', 'layers', 'heads', 'ffn'] as const) posInt(c.encoder[k], `encoder.${k}`);
  posInt(c.m1.epochs, 'm1.epochs');
  posInt(c.m1.batchSize, 'm1.batchSize');
  nonNegInt(c.m2.epochs, 'm2.epochs');
  posInt(c.m2.batchSize, 'm2.batchSize');
  posInt(c.m2.clusterSize, 'm2.clusterSize');
  posInt(c.topK, 'topK');
  positive(c.m1.lr, 'm1.lr');
  positive(c.m2.lr, 'm2.lr');
  if (!(c.beta >= 0 && c.beta <= 1)) throw new Error(`${where}: beta must be in [0, 1], got ${c.beta}`);
  if (!(c.valFraction >= 0 && c.valFraction <= 0.5)) throw new Error(`${where}: valFraction must be in [0, 0.5], got ${c.valFraction}`);
  nonNegInt(c.seed, 'seed');
  return c;
}

/** A run directory's saved config.json, over the defaults (keys added since it was written). */
export function readRunConfig(file: string): RunConfig {
  let json: unknown;
  try {
    json = JSON.parse(stripBom(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  // Runs saved before the bag encoder and M2's softmax existed trained a transformer and M2's
  // triplet loss: fields they lack take those values, not today's defaults.
  if (isObj(json)) {
    if (isObj(json.encoder) && !('kind' in json.encoder)) json.encoder = { ...json.encoder, kind: 'transformer' };
    if (isObj(json.m2) && !('loss' in json.m2)) json.m2 = { ...json.m2, loss: 'triplet' };
  }
  return mergeConfig(DEFAULT_RUN, json, file);
}

/**
 * The fields a resumed run must share with the run it continues: they fix the data split, the
 * tokenizer and the encoder saved in the checkpoint. Everything else (epochs, learning rate,
 * batch size, curriculum, sampler, M2, β) may change on --resume and applies from there on.
 * The dataset is compared by content, not by path (run-dir/dataset.ts), so a dataset that moved
 * resumes with --data at its new place.
 */
const RESUME_FIXED = ['text', 'pretrained', 'encoder.kind', 'features.source', 'features.ngrams', 'features.minDf', 'features.maxVocab', 'vocabSize', 'maxLen', 'encoder.dim', 'encoder.layers', 'encoder.heads', 'encoder.ffn', 'encoder.layout', 'valFraction', 'seed'] as const;

/** Throws, naming the first field and `savedFile`, if `next` cannot continue the run saved as `saved`. */
export function checkResumable(saved: RunConfig, next: RunConfig, savedFile: string): void {
  const get = (c: RunConfig, key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], c);
  for (const key of RESUME_FIXED) {
    const a = get(saved, key), b = get(next, key);
    if (a !== b) throw new Error(`--resume: ${key} is ${JSON.stringify(b)} here but ${JSON.stringify(a)} in ${savedFile}; a resumed run keeps its data, tokenizer and encoder (start a new --out to change them)`);
  }
}

/**
 * The M1 and M2 settings no run changes, fixed here beside DEFAULT_RUN so that the trainers hold
 * no defaults of their own: AdamW's weight decay and gradient clipping, the triplet loss's
 * options (NGAME's k 10, margin 0.3, τ 0.1), the BCE logit scale, the hardness diagnostic's
 * sample, and M2's multi-positive triplet (3 positives × 5 negatives, margin 0.2, τ 0.1).
 */
const M1_FIXED = { weightDecay: 0.01, clipNorm: 1, bceScale: 10, hardnessDocs: 200 } as const;
const M1_TRIPLET = { k: 10, margin: 0.3, tau: 0.1 } as const;
const M2_TRIPLET = { numPositives: 3, numNegatives: 5, margin: 0.2, tau: 0.1 } as const;

/** M1Trainer's complete configuration for run config c (its m1 block and seed, and the fixed settings). */
export function m1Config(c: RunConfig): M1Config {
  const { epochs, batchSize, lr, warmupSteps, evalEvery, loss, tau } = c.m1;
  return { epochs, batchSize, lr, warmupSteps, evalEvery, loss, infoNCETau: tau, seed: c.seed, ...M1_FIXED, triplet: { ...M1_TRIPLET } };
}

/**
 * M2Trainer's complete configuration for run config c: its m2 block and seed, NGAME batches of
 * m2.clusterSize documents throughout (no warm-up, no doubling, clustered once), the run's
 * clustering method, and the fixed triplet options.
 */
export function m2Config(c: RunConfig): M2Config {
  const { epochs, batchSize, lr, clusterSize, loss, tau, shortlist } = c.m2;
  return {
    epochs, batchSize, lr, seed: c.seed, kind: loss, tau, shortlist, loss: { ...M2_TRIPLET },
    curriculum: { warmupEpochs: 0, startSize: clusterSize, doubleAt: [], maxSize: clusterSize, reclusterEvery: 1000, clustering: c.clustering },
  };
}
