// In-batch samplers: the label pool is just the batch's sampled positives.
//   random: batches are random subsets of documents (the classic in-batch negatives baseline);
//   ngame:  batches are whole clusters of documents (NGAME), following the curriculum.

import { CurriculumPlanner, NGAME_CURRICULUM, randomBatches, samplePositives, targetMatrix, type Curriculum } from '../batching';
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
  /** Nothing on the backend to free. */
  release(): void {}
}

export class NgameSampler implements Sampler {
  readonly name = 'ngame' as const;
  readonly loss = 'triplet' as const;
  private planner: CurriculumPlanner;

  constructor(readonly curriculum: Curriculum = NGAME_CURRICULUM) {
    this.planner = new CurriculumPlanner(curriculum);
  }

  async epoch(epoch: number, env: SamplerEnv, rng: Rng): Promise<EpochPlan> {
    return this.planner.plan(epoch, env.bank, env.docs, env.batchSize, env.seed, rng);
  }

  async plan(docs: Int32Array, env: SamplerEnv, rng: Rng): Promise<BatchPlan> {
    return inBatchPlan(docs, env, rng);
  }

  stateBytes(env: SamplerEnv): number {
    return env.bank.bytes() + (this.planner.clustered ? env.docs.length * 4 : 0);
  }

  /** Nothing on the backend to free (the memory bank and the clusters live on the host). */
  release(): void {}
}
