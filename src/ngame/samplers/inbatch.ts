// In-batch samplers: the label pool is just the batch's sampled positives.
//   random: batches are random subsets of documents (the classic in-batch negatives baseline);
//   ngame:  batches are whole clusters of documents (NGAME), following the curriculum.

import { clusterBatches, clusterDocuments, clusterSizeAt, NGAME_CURRICULUM, randomBatches, reclusterDue, samplePositives, targetMatrix, type Curriculum } from '../batching';
import type { BatchPlan, EpochPlan, Sampler, SamplerEnv } from './types';
import type { Rng } from '../../util/rng';

/** Pool = one sampled positive per document. */
export function inBatchPlan(docs: Int32Array, env: SamplerEnv, rng: Rng): BatchPlan {
  const labels = samplePositives(env.Y, docs, rng);
  return { docs, labels, targets: targetMatrix(env.Y, docs, labels) };
}

export class RandomInBatchSampler implements Sampler {
  readonly name = 'random' as const;
  readonly loss = 'triplet' as const;
  async epoch(_epoch: number, env: SamplerEnv, rng: Rng): Promise<EpochPlan> {
    return { batches: randomBatches(env.docs, env.batchSize, rng), clusterSize: null, overheadMs: 0 };
  }
  async plan(docs: Int32Array, env: SamplerEnv, rng: Rng): Promise<BatchPlan> {
    return inBatchPlan(docs, env, rng);
  }
  stateBytes(): number {
    return 0;
  }
}

export class NgameSampler implements Sampler {
  readonly name = 'ngame' as const;
  readonly loss = 'triplet' as const;
  private clusters: Int32Array[] | null = null;
  private size: number | null = null;

  constructor(readonly curriculum: Curriculum = NGAME_CURRICULUM) {}

  async epoch(epoch: number, env: SamplerEnv, rng: Rng): Promise<EpochPlan> {
    const size = clusterSizeAt(epoch, this.curriculum);
    if (size === null) return { batches: randomBatches(env.docs, env.batchSize, rng), clusterSize: null, overheadMs: 0 };
    let overheadMs = 0;
    if (!this.clusters || reclusterDue(epoch, this.curriculum, this.size)) {
      const t0 = performance.now();
      this.clusters = clusterDocuments(env.bank, env.docs, size, env.seed + epoch);
      this.size = size;
      overheadMs = performance.now() - t0;
    }
    return { batches: clusterBatches(this.clusters, env.batchSize, rng), clusterSize: size, overheadMs };
  }

  async plan(docs: Int32Array, env: SamplerEnv, rng: Rng): Promise<BatchPlan> {
    return inBatchPlan(docs, env, rng);
  }

  stateBytes(env: SamplerEnv): number {
    return env.bank.bytes() + (this.clusters ? env.docs.length * 4 : 0);
  }
}
