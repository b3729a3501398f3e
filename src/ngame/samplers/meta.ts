// The LightXML-style meta-classifier sampler that Qaraei & Babbar compare against (`meta`):
// labels are grouped by balanced clustering of their embeddings, a meta-classifier over the
// groups is trained jointly with the encoder, and each document's negatives are drawn from the
// labels of its top-scoring groups.
//
//   groups:  at every epoch start (after the warm-up) and every `refreshEvery` steps, all labels
//            are encoded (env.encodeAllLabels) and split by balanced hierarchical 2-means into
//            G groups of about `groupSize` labels; groupOf maps label -> group.
//   W:       the meta-classifier, a (G, D) weight matrix on the training backend, initialised
//            from the unit group centroids whenever the groups are rebuilt (a rebuild changes
//            what the rows mean, so W and its Adam moments start afresh; see resume below).
//   aux:     in every M1 step, meta logits = scale · docEmb (B, D) · Wᵀ -> (B, G), BCE with
//            logits against the multi-hot groups of each document's positives, times `weight`,
//            added to the main loss. Its gradient reaches W and the encoder (joint training, as
//            in LightXML). W has its own small Adam (constant lr, no clipping, no decay), stepped
//            after the encoder's update without any readback.
//   plan:    one sampled positive per document as every sampler; then for each document already
//            in the memory bank its top `groups` groups by bankEmb · Wᵀ on the host, and up to
//            `hard` random labels of those groups that are not its positives; plus `uniform`
//            uniformly drawn labels. Targets come from targetMatrix, so a positive is never a
//            negative. No meta negatives (and no aux loss) during the warm-up epochs.
//
// Staleness: plan() scores groups with a host copy of W. It is exact right after a rebuild
// (it is the centroid matrix W starts from) and is read back from the device every `syncEvery`
// steps (one small (G, D) readback), so it lags the device W by fewer than `syncEvery` updates.
// The memory bank is itself up to an epoch stale, as for the MIPS samplers.
//
// Resume: run.ts checkpoints after whole epochs, and this sampler rebuilds its groups, W and
// W's optimizer at every epoch start from the encoder alone (clustering seed = seed + step), so
// a resumed run is bit-identical without saving any sampler state.

import * as T from '../../tensor';
import type { Tensor } from '../../tensor';
import { AdamW } from '../../model/optim';
import { balanced2Means } from '../cluster';
import { mat } from '../matrix';
import { isPositive, randomBatches, samplePositives } from '../batching';
import { LabelPool } from './pool';
import { bceWithLogits } from '../losses';
import type { CSR } from '../data';
import type { BatchPlan, EpochPlan, Sampler, SamplerEnv } from './types';
import type { Rng } from '../../util/rng';
import { TopKHeap } from '../../util/topk';

export interface MetaOptions {
  /** Target labels per group (balanced 2-means gives sizes in [groupSize/2, groupSize]). */
  groupSize: number;
  /** Top-scoring groups per document whose labels are candidate negatives. */
  groups: number;
  /** Negatives per document drawn from its top groups. */
  hard: number;
  /** Uniformly drawn negatives per document. */
  uniform: number;
  /** Rebuild groups and W every this many steps (and at every epoch start). */
  refreshEvery: number;
  /** Read the device W back into the host copy every this many steps. */
  syncEvery: number;
  /** Epochs without groups, meta loss or meta negatives (uniform negatives only). */
  warmupEpochs: number;
  /** Meta logits = scale · ⟨docEmb, W_g⟩ (M1's bceScale: docEmb rows are unit). */
  scale: number;
  /** Weight of the meta-classifier loss added to the main loss. */
  weight: number;
  /** Learning rate of W's Adam. */
  lr: number;
}

export const DEFAULT_META: MetaOptions = {
  groupSize: 16, groups: 2, hard: 5, uniform: 0, refreshEvery: 1000, syncEvery: 25, warmupEpochs: 1, scale: 10, weight: 1, lr: 1e-3,
};

export interface LabelGroups {
  /** (L) group of every label. */
  groupOf: Int32Array;
  /** (G) labels of each group, ascending. */
  members: Int32Array[];
  /** (G, D) unit centroids of the groups, row-major. */
  centroids: Float32Array;
}

/** Balanced 2-means of the (L, D) label embeddings into groups of about `groupSize`, with unit centroids. */
export function groupLabels(labelEmb: Float32Array, dim: number, groupSize: number, seed: number): LabelGroups {
  const L = labelEmb.length / dim;
  const c = balanced2Means(mat(L, dim, labelEmb), { clusterSize: Math.max(1, Math.min(groupSize, L)), seed });
  const G = c.clusters.length;
  const centroids = new Float32Array(G * dim);
  c.clusters.forEach((ms, g) => {
    const row = centroids.subarray(g * dim, (g + 1) * dim);
    for (const l of ms) for (let t = 0; t < dim; t++) row[t] += labelEmb[l * dim + t];
    let n2 = 0;
    for (let t = 0; t < dim; t++) n2 += row[t] * row[t];
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0; // a group of zero rows keeps a zero centroid
    for (let t = 0; t < dim; t++) row[t] *= inv;
  });
  return { groupOf: c.assign, members: c.clusters, centroids };
}

/** Indices of the k largest entries of x · Wᵀ (W: (G, D) row-major, x at xOff), best first, in the one top-k order. */
export function topGroups(x: Float32Array, xOff: number, W: Float32Array, dim: number, k: number): Int32Array {
  const G = W.length / dim;
  const heap = new TopKHeap(Math.min(k, G), Float64Array);
  for (let g = 0; g < G; g++) {
    let s = 0;
    for (let t = 0; t < dim; t++) s += x[xOff + t] * W[g * dim + t];
    heap.push(g, s);
  }
  return heap.sorted().indices;
}

/** (B, G) multi-hot targets: row i has a 1 at the group of every positive of docs[i]. */
export function groupTargets(Y: CSR, docs: Int32Array, groupOf: Int32Array, G: number): Float32Array {
  const t = new Float32Array(docs.length * G);
  docs.forEach((d, i) => {
    for (let a = Y.indptr[d]; a < Y.indptr[d + 1]; a++) t[i * G + groupOf[Y.indices[a]]] = 1;
  });
  return t;
}

/** The meta-classifier loss: weight · mean BCE(scale · docEmb (B, D) · Wᵀ (D, G), targets (B, G)). */
export function metaLoss(docEmb: Tensor, W: Tensor, targets: Tensor, scale: number, weight = 1): Tensor {
  const logits = T.scale(T.matmul(docEmb, W, { transB: true }), scale); // (B, G)
  const loss = bceWithLogits(logits, targets);
  return weight === 1 ? loss : T.scale(loss, weight);
}

export class MetaSampler implements Sampler {
  readonly name = 'meta' as const;
  readonly loss = 'bce' as const;
  readonly opts: MetaOptions;
  /** Current label groups (null before the first build). */
  groups: LabelGroups | null = null;
  /** Host copy of W (G, D): exact after a rebuild, then refreshed every syncEvery steps. */
  wHost: Float32Array | null = null;
  /** The device W (created lazily on the backend of the first step after a rebuild). */
  private W: Tensor | null = null;
  private opt: AdamW | null = null;
  private builtAt = -Infinity;
  private syncedAt = -Infinity;
  private epochNo = 0;
  private overhead = 0;
  private dim = 0;

  constructor(opts: Partial<MetaOptions> = {}) {
    this.opts = { ...DEFAULT_META, ...opts };
    for (const k of ['groupSize', 'groups', 'refreshEvery', 'syncEvery'] as const) {
      if (!Number.isInteger(this.opts[k]) || this.opts[k] < 1) throw new Error(`meta sampler: ${k} must be an integer >= 1, got ${this.opts[k]}`);
    }
    for (const k of ['hard', 'uniform', 'warmupEpochs'] as const) {
      if (!Number.isInteger(this.opts[k]) || this.opts[k] < 0) throw new Error(`meta sampler: ${k} must be an integer >= 0, got ${this.opts[k]}`);
    }
  }

  async epoch(epoch: number, env: SamplerEnv, rng: Rng): Promise<EpochPlan> {
    this.epochNo = epoch;
    this.overhead = 0;
    if (epoch >= this.opts.warmupEpochs) await this.rebuild(env);
    return { batches: randomBatches(env.docs, env.batchSize, rng), clusterSize: null, overheadMs: this.overhead };
  }

  /** Re-encodes the labels, regroups them and restarts W (from the centroids) and its optimizer. */
  private async rebuild(env: SamplerEnv): Promise<void> {
    const t0 = performance.now();
    this.dim = env.bank.dim;
    const emb = await env.encodeAllLabels();
    this.groups = groupLabels(emb, this.dim, this.opts.groupSize, env.seed + env.step);
    this.wHost = this.groups.centroids.slice();
    this.release();
    this.builtAt = this.syncedAt = env.step;
    this.overhead += performance.now() - t0;
  }

  private get active(): boolean {
    return this.epochNo >= this.opts.warmupEpochs && this.groups !== null;
  }

  async plan(docs: Int32Array, env: SamplerEnv, rng: Rng): Promise<BatchPlan> {
    if (this.epochNo >= this.opts.warmupEpochs) {
      if (env.step - this.builtAt >= this.opts.refreshEvery) await this.rebuild(env);
      else if (this.W && env.step - this.syncedAt >= this.opts.syncEvery) {
        this.wHost = Float32Array.from(await this.W.data());
        this.syncedAt = env.step;
      }
    }
    const pool = new LabelPool(samplePositives(env.Y, docs, rng));
    if (this.active && this.opts.hard > 0) {
      docs.forEach((d, i) => {
        if (env.bank.seen[d] > 0) this.mine(d, env, rng).forEach((l) => pool.add(l, i));
      });
    }
    pool.addUniform(env.Y, docs, this.opts.uniform, rng);
    return pool.plan(env.Y, docs);
  }

  /** Up to `hard` random non-positive labels of document d's top groups (by its bank embedding). */
  mine(d: number, env: SamplerEnv, rng: Rng): number[] {
    const cand: number[] = [];
    for (const g of topGroups(env.bank.data, d * this.dim, this.wHost!, this.dim, this.opts.groups)) {
      for (const l of this.groups!.members[g]) if (!isPositive(env.Y, d, l)) cand.push(l);
    }
    // partial Fisher–Yates: the first `hard` entries become a uniform sample without replacement
    const k = Math.min(this.opts.hard, cand.length);
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(cand.length - i);
      [cand[i], cand[j]] = [cand[j], cand[i]];
    }
    return cand.slice(0, k);
  }

  /** The meta-classifier loss of this batch (inside the trainer's scope), or null before groups exist. */
  auxLoss(docEmb: Tensor, plan: BatchPlan, env: SamplerEnv): Tensor | null {
    if (!this.active) return null;
    const G = this.groups!.members.length;
    if (!this.W) {
      // T.keep: W and its moments outlive the step's scope; released at the next rebuild or by release().
      const W = T.keep(T.tensor(this.wHost!, [G, this.dim], { backend: docEmb.backend, dtype: docEmb.dtype, requiresGrad: true }));
      this.W = W;
      this.opt = new AdamW([{ name: 'meta.W', get: () => W, decay: false, sparse: false }], {
        lr: this.opts.lr, weightDecay: 0, clipNorm: 0, warmupSteps: 0, totalSteps: 0,
      });
    }
    const tg = T.tensor(groupTargets(env.Y, plan.docs, this.groups!.groupOf, G), [plan.docs.length, G], { backend: docEmb.backend, dtype: docEmb.dtype });
    return metaLoss(docEmb, this.W, tg, this.opts.scale, this.opts.weight);
  }

  /**
   * After the encoder's update: one Adam update of W from its gradient (clipNorm 0 and no loss:
   * AdamW.step reads nothing back), then W's gradient is released. ok = false (the encoder step
   * failed): only the release.
   */
  async afterStep(ok: boolean): Promise<void> {
    if (!this.W || !this.opt) return;
    try {
      if (ok && this.W.grad) await this.opt.step();
    } finally {
      this.opt.zeroGrad();
    }
  }

  /** The device W (G, D), or null when none exists yet (warm-up, or no step since the last rebuild). */
  get weights(): Tensor | null {
    return this.W;
  }

  /** Bank + label→group map + host W + device W and its two Adam moments (the label embeddings are not kept). */
  stateBytes(env: SamplerEnv): number {
    const g = this.groups ? this.groups.groupOf.byteLength * 2 : 0; // groupOf and the member lists
    const w = this.wHost ? this.wHost.byteLength : 0;
    const dev = this.W ? this.W.size * (this.W.dtype === 'f64' ? 8 : 4) * 3 : 0;
    return env.bank.bytes() + g + w + dev;
  }

  /**
   * Releases the device W and its Adam moments (at every rebuild, and when M1 ends). The groups
   * and the host W stay: a later step recreates the device W from the host copy.
   */
  release(): void {
    this.W?.release();
    this.opt?.dispose();
    this.W = null;
    this.opt = null;
  }
}
