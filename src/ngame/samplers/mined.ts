// Samplers that mine extra negative labels from a search index over all label embeddings, and
// so must encode those extra labels in the step (the cost NGAME avoids):
//   ance:         k hardest labels per document by inner product, index refreshed every R steps
//                 with a full re-encode of the labels (ANCE-style, Xiong et al. 2021);
//   mips-uniform: the meta-classifier-free sampler of Qaraei & Babbar: per document a few
//                 (default 5) MIPS-mined labels plus labels drawn uniformly, BCE loss, and
//                 uniform-only warm-up epochs;
//   mips:         negatives from the index only, to show the instability that paper describes.
// The document side of the search uses the memory bank (the document's embedding from its
// latest training pass); documents not yet seen get no mined negatives.

import { randomBatches, samplePositives, targetMatrix, isPositive } from '../batching';
import { exactTopK } from '../ann/exact';
import { mat } from '../matrix';
import type { BatchPlan, EpochPlan, Sampler, SamplerEnv, SamplerName } from './types';
import type { Rng } from '../../util/rng';

export interface MinedOptions {
  /** Mined (hard) negatives per document. */
  hard: number;
  /** Uniformly drawn negatives per document (mips-uniform). */
  uniform: number;
  /** Rebuild the label index every this many steps (and at every epoch start). */
  refreshEvery: number;
  /** Epochs with uniform negatives only (mips-uniform warm-up). */
  warmupEpochs: number;
}

abstract class MinedSampler implements Sampler {
  abstract readonly name: SamplerName;
  abstract readonly loss: 'triplet' | 'bce';
  private labelEmb: Float32Array | null = null;
  private builtAt = -Infinity;
  private epochNo = 0;
  private overhead = 0;

  constructor(readonly opts: MinedOptions) {}

  async epoch(epoch: number, env: SamplerEnv, rng: Rng): Promise<EpochPlan> {
    this.epochNo = epoch;
    this.overhead = 0;
    if (epoch >= this.opts.warmupEpochs && this.opts.hard > 0) await this.refresh(env);
    const overheadMs = this.overhead;
    return { batches: randomBatches(env.docs, env.batchSize, rng), clusterSize: null, overheadMs };
  }

  private async refresh(env: SamplerEnv): Promise<void> {
    const t0 = performance.now();
    this.labelEmb = await env.encodeAllLabels();
    this.builtAt = env.step;
    this.overhead += performance.now() - t0;
  }

  async plan(docs: Int32Array, env: SamplerEnv, rng: Rng): Promise<BatchPlan> {
    const warm = this.epochNo < this.opts.warmupEpochs;
    if (!warm && this.opts.hard > 0 && env.step - this.builtAt >= this.opts.refreshEvery) await this.refresh(env);
    const positives = samplePositives(env.Y, docs, rng);
    const pool = Array.from(positives);
    const inPool = new Set(pool);
    const add = (l: number) => {
      if (!inPool.has(l)) {
        inPool.add(l);
        pool.push(l);
      }
    };
    if (!warm && this.labelEmb && this.opts.hard > 0) {
      for (const labels of this.mine(docs, env)) labels.forEach(add);
    }
    const numLabels = env.Y.cols;
    for (const d of docs) {
      for (let u = 0; u < this.opts.uniform; u++) {
        const l = rng.int(numLabels);
        if (!isPositive(env.Y, d, l)) add(l);
      }
    }
    const labels = Int32Array.from(pool);
    return { docs, labels, targets: targetMatrix(env.Y, docs, labels) };
  }

  /** For each document seen before, its `hard` highest-scoring labels that are not its positives. */
  private mine(docs: Int32Array, env: SamplerEnv): number[][] {
    const seen = Array.from(docs).filter((d) => env.bank.seen[d] > 0);
    if (seen.length === 0 || !this.labelEmb) return [];
    const dim = env.bank.dim;
    const L = this.labelEmb.length / dim;
    const k = Math.min(L, this.opts.hard + 16);
    const top = exactTopK(mat(seen.length, dim, env.bank.rows(seen)), mat(L, dim, this.labelEmb), k);
    return seen.map((d, q) => {
      const out: number[] = [];
      for (let j = 0; j < k && out.length < this.opts.hard; j++) {
        const l = top.indices[q * k + j];
        if (!isPositive(env.Y, d, l)) out.push(l);
      }
      return out;
    });
  }

  stateBytes(env: SamplerEnv): number {
    return env.bank.bytes() + (this.labelEmb ? this.labelEmb.byteLength : 0);
  }
}

export class AnceSampler extends MinedSampler {
  readonly name = 'ance' as const;
  readonly loss = 'triplet' as const;
  constructor(opts: Partial<MinedOptions> = {}) {
    super({ hard: 4, uniform: 0, refreshEvery: 1000, warmupEpochs: 1, ...opts });
  }
}

export class MipsUniformSampler extends MinedSampler {
  readonly name = 'mips-uniform' as const;
  readonly loss = 'bce' as const;
  constructor(opts: Partial<MinedOptions> = {}) {
    super({ hard: 5, uniform: 3, refreshEvery: 1000, warmupEpochs: 1, ...opts });
  }
}

export class PureMipsSampler extends MinedSampler {
  readonly name = 'mips' as const;
  readonly loss = 'bce' as const;
  constructor(opts: Partial<MinedOptions> = {}) {
    super({ hard: 8, uniform: 0, refreshEvery: 1000, warmupEpochs: 0, ...opts });
  }
}
