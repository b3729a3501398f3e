// Checks of a run's configuration against its data, its backend and its pretrained encoder that
// can only be made once the dataset is loaded, made before the run directory is touched and
// before training starts: a setting that would fail after M1 and M2 (a top-K the backend cannot
// rank, a batch larger than the trainable documents, a pretrained directory whose config.json
// does not match its weights) fails here, in seconds, and leaves an existing run as it was.
import { totalmem } from 'node:os';
import { HNSW_MAX_BYTES } from './ann/hnsw-dist';
import { resolveSearch } from './label-search';
import type { Backend } from '../tensor';
import type { TextEncoder } from '../model/text-encoder';
import { checkPretrainedDir } from '../model/pretrained-check';
import type { Dataset } from './data';
import { trainableDocuments } from './batching';
import { retrieve } from './inference';
import type { RunConfig } from './run-config';

export async function preflightRun(cfg: RunConfig, data: Dataset, backend: Backend, opts: { resume?: boolean } = {}): Promise<void> {
  const { docs } = trainableDocuments(data.trainY);
  if (docs.length === 0) throw new Error('M1: no training document has a positive label');
  if (cfg.m1.batchSize > docs.length) {
    throw new Error(`m1.batchSize ${cfg.m1.batchSize} exceeds the ${docs.length} trainable documents of ${data.name} (--batch-size)`);
  }
  if (cfg.pretrained !== null && !opts.resume) {
    const { hf, configPath } = checkPretrainedDir(cfg.pretrained);
    if (cfg.maxLen > hf.maxLen) throw new Error(`maxLen ${cfg.maxLen} exceeds the ${hf.maxLen} positions of the pretrained encoder in ${cfg.pretrained} (${configPath})`);
  }
  await checkTopK(backend, cfg.topK, data.labelTexts.length);
}

/**
 * Ranks one query against `labels` zero scores with the run's top-K (min(topK, labels), as
 * retrieval does) on the backend, so a K the backend cannot serve fails before training.
 */
export async function checkTopK(backend: Backend, topK: number, labels: number): Promise<void> {
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`topK must be a positive integer, got ${topK}`);
  if (labels < 1) throw new Error('the dataset has no labels');
  try {
    await retrieve(backend, new Float32Array([1]), new Float32Array(labels), 1, topK);
  } catch (e) {
    throw new Error(`topK ${topK}: the ${backend.name} backend cannot rank the top ${Math.min(topK, labels)} of ${labels} labels: ${(e as Error).message}`);
  }
}

/**
 * Every table a run binds whole in one kernel must fit the backend's limit (WebGPU: one storage
 * binding, 128 MiB on llvmpipe): the encoder's parameters (and so their Adam moments), the M2
 * classifiers (labels × D), and the full softmax's scores (batch × labels). On a backend that
 * keeps larger tables as row shards (Backend.rowShards: webgpu, src/tensor/webgpu/shards.ts) the
 * tables only the shard-aware ops touch are exempt: the bag encoder's term table (embeddingBag,
 * row-sparse Adam) and the M2 classifiers of the pool losses (embeddingBag or gather, and
 * row-sparse Adam; the full softmax multiplies the whole table). Every table
 * must still fit memory: one whose values and two Adam moments exceed the host's memory
 * (llvmpipe's device memory is the host's; a GPU's is not known to WebGPU) is refused. Checked
 * once the model is made and before training, so a dataset too large fails in seconds, naming
 * the table and the setting that shrinks it, instead of after M1.
 */
export function checkTensorSizes(cfg: RunConfig, encoder: TextEncoder, labels: number, backend: Backend, memoryBytes = totalmem()): void {
  const limit = backend.maxTensorBytes;
  const D = encoder.outDim;
  const tables: { what: string; bytes: number; fix: string; shards: boolean }[] = encoder.params.entries().map(([name, t]) => ({
    what: `encoder parameter "${name}" (${t.shape.join(' × ')} f32)`,
    bytes: t.size * 4,
    fix: encoder.kind === 'bag' ? BAG_TABLE_FIX : 'a smaller --dim, or a smaller vocabSize (--config)',
    shards: encoder.kind === 'bag' && name === 'embed.terms',
  }));
  if (cfg.m2.epochs > 0) {
    tables.push({ what: `the M2 classifiers (${labels} labels × ${D} f32)`, bytes: labels * D * 4, fix: 'a smaller --dim, or --m2-epochs 0', shards: cfg.m2.loss !== 'softmax' });
    if (cfg.m2.loss === 'softmax') {
      tables.push({ what: `the M2 softmax scores (${cfg.m2.batchSize} documents × ${labels} labels f32)`, bytes: cfg.m2.batchSize * labels * 4, fix: 'm2.loss "pool-softmax" or a smaller m2.batchSize (--config)', shards: false });
    }
  }
  // The HNSW graphs keep their vectors in a WebAssembly memory (ann/hnsw-dist.ts), at most 4 GiB.
  if (resolveSearch(cfg.search, labels) === 'hnsw' && labels * D * 4 > HNSW_MAX_BYTES - 65536) {
    throw new Error(`the HNSW graph over ${labels} label vectors × ${D} f32 takes ${mib(labels * D * 4)} MiB, more than the ${mib(HNSW_MAX_BYTES)} MiB a WebAssembly memory holds: use a smaller --dim, or --search exact`);
  }
  for (const t of tables) {
    checkTableMemory(t.what, t.bytes, t.fix, memoryBytes);
    if (t.bytes > limit && !(t.shards && backend.rowShards)) {
      throw new Error(`${t.what} takes ${mib(t.bytes)} MiB, more than the ${mib(limit)} MiB one kernel of the ${backend.name} backend (${backend.deviceName}) can bind: use ${t.fix}, or --device cpu`);
    }
  }
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);

/** What shrinks the bag encoder's term table. */
export const BAG_TABLE_FIX = 'a smaller --dim, or fewer terms (features.maxVocab or features.minDf in --config)';

/**
 * Refuses a table whose values and two Adam moments (3 × bytes) exceed `memoryBytes` (the host's
 * memory, llvmpipe's device memory too), naming it, its size and what shrinks it. Called before
 * the table exists: by model-setup.ts for the term table once the vocabulary is known, and by
 * checkTensorSizes for every table.
 */
export function checkTableMemory(what: string, bytes: number, fix: string, memoryBytes = totalmem()): void {
  if (3 * bytes > memoryBytes) {
    throw new Error(`${what} takes ${mib(bytes)} MiB, ${mib(3 * bytes)} MiB with its Adam moments, more than the ${mib(memoryBytes)} MiB of memory: use ${fix}`);
  }
}
