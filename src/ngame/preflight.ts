// Checks of a run's configuration against its data, its backend and its pretrained encoder that
// can only be made once the dataset is loaded, made before the run directory is touched and
// before training starts: a setting that would fail after M1 and M2 (a top-K the backend cannot
// rank, a batch larger than the trainable documents, a pretrained directory whose config.json
// does not match its weights) fails here, in seconds, and leaves an existing run as it was.
import type { Backend } from '../tensor';
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
