// NGAME's negative-mining-aware mini-batching (Dahiya et al., WSDM 2023, Section 3).
//
// The training documents are clustered by their current embeddings (kept in a memory bank
// filled from the training forward passes, so clustering needs no extra encoding), the
// clusters are shuffled and concatenated, and the sequence is cut into batches of B. Each
// document then samples one positive label; the batch's label pool is those B positives, and
// for document i every pooled label that is not one of its positives is a negative. Documents
// of one cluster are close, so their positives are close to each other: the in-batch
// negatives are hard, at no extra encoding cost.

import type { CSR } from './data';
import { EXACT_CLUSTERING, clusterPoints, type ClusteringChoice, type ClusteringReport } from './cluster';
import { mat } from './matrix';
import type { Rng } from '../util/rng';

/** Document embeddings from the latest forward pass of each document (N × d). */
export class MemoryBank {
  readonly data: Float32Array;
  /** How many times each row has been written (0 = never seen yet). */
  readonly seen: Uint32Array;

  constructor(readonly n: number, readonly dim: number) {
    this.data = new Float32Array(n * dim);
    this.seen = new Uint32Array(n);
  }

  /** Stores emb (ids.length × dim, row-major) at the rows `ids`. */
  update(ids: ArrayLike<number>, emb: Float32Array): void {
    if (emb.length !== ids.length * this.dim) {
      throw new Error(`MemoryBank.update: ${emb.length} values for ${ids.length} rows of dim ${this.dim}`);
    }
    for (let i = 0; i < ids.length; i++) {
      this.data.set(emb.subarray(i * this.dim, (i + 1) * this.dim), ids[i] * this.dim);
      this.seen[ids[i]]++;
    }
  }

  /** The rows `ids` as one matrix. */
  rows(ids: ArrayLike<number>): Float32Array {
    const out = new Float32Array(ids.length * this.dim);
    for (let i = 0; i < ids.length; i++) out.set(this.data.subarray(ids[i] * this.dim, (ids[i] + 1) * this.dim), i * this.dim);
    return out;
  }

  bytes(): number {
    return this.data.byteLength + this.seen.byteLength;
  }
}

/**
 * The cluster-size curriculum. The NGAME code trains on random batches first (the embeddings
 * are not yet meaningful), then clusters with target size 2 and doubles it at given epochs up
 * to a cap: small clusters give the hardest negatives, larger ones more diverse negatives.
 */
export interface Curriculum {
  /** Epochs of random batches before clustering starts (NGAME: 10 of ~300). */
  warmupEpochs: number;
  /** Cluster size at the first clustered epoch (NGAME: 2). */
  startSize: number;
  /** Epochs (0-based) at which the size doubles. */
  doubleAt: number[];
  /** Largest cluster size. */
  maxSize: number;
  /** Re-cluster every this many epochs (NGAME: τ = 5). */
  reclusterEvery: number;
  /** Which balanced 2-means clusters the documents (cluster/choose.ts); absent: the exact one. */
  clustering?: ClusteringChoice;
}

export const NGAME_CURRICULUM: Curriculum = { warmupEpochs: 10, startSize: 2, doubleAt: [25, 50, 75, 100], maxSize: 64, reclusterEvery: 5 };

/** Cluster size in use at `epoch`, or null for random batches. */
export function clusterSizeAt(epoch: number, c: Curriculum): number | null {
  if (epoch < c.warmupEpochs) return null;
  let s = c.startSize;
  for (const e of c.doubleAt) if (epoch >= e) s *= 2;
  return Math.min(s, c.maxSize);
}

/** Whether the clustering must be (re)computed at `epoch`. */
export function reclusterDue(epoch: number, c: Curriculum, lastClusterSize: number | null): boolean {
  const size = clusterSizeAt(epoch, c);
  if (size === null) return false;
  if (size !== lastClusterSize) return true;
  return (epoch - c.warmupEpochs) % c.reclusterEvery === 0;
}

/** One epoch's batches and what making them cost. */
export interface EpochBatches {
  batches: Int32Array[];
  /** Target cluster size in use (null: random batches). */
  clusterSize: number | null;
  /** Milliseconds spent clustering this epoch. */
  overheadMs: number;
  /** When this epoch clustered: the method, its balance and quality (for the run log). */
  clustering?: ClusteringReport;
}

/**
 * NGAME's epoch planner, the one owner of the curriculum's schedule, used by the NGAME sampler
 * (M1) and by M2: random batches until warm-up ends, then batches of whole clusters of the
 * memory bank's documents (clusterSizeAt), re-clustered when the size changes and every
 * `reclusterEvery` epochs after warm-up (reclusterDue). Clustering is seeded by `seed + epoch`.
 */
export class CurriculumPlanner {
  private clusters: Int32Array[] | null = null;
  private size: number | null = null;

  constructor(readonly curriculum: Curriculum) {}

  /** True once clusters exist (for memory accounting: one id per clustered document). */
  get clustered(): boolean {
    return this.clusters !== null;
  }

  plan(epoch: number, bank: MemoryBank, docs: Int32Array, batchSize: number, seed: number, rng: Rng): EpochBatches {
    const size = clusterSizeAt(epoch, this.curriculum);
    if (size === null) return { batches: randomBatches(docs, batchSize, rng), clusterSize: null, overheadMs: 0 };
    let overheadMs = 0;
    let report: ClusteringReport | undefined;
    if (!this.clusters || reclusterDue(epoch, this.curriculum, this.size)) {
      const t0 = performance.now();
      ({ clusters: this.clusters, report } = clusterDocuments(bank, docs, size, seed + epoch, this.curriculum.clustering));
      this.size = size;
      overheadMs = performance.now() - t0;
    }
    const batches = clusterBatches(this.clusters, batchSize, rng);
    return { batches, clusterSize: size, overheadMs, ...(report ? { clustering: report } : {}) };
  }
}

/** Random batches of size B over the given documents (the last batch may be smaller). */
export function randomBatches(docs: Int32Array, B: number, rng: Rng): Int32Array[] {
  const order = Int32Array.from(docs);
  rng.shuffle(order);
  return cut(order, B);
}

/** Clusters shuffled and concatenated, then cut into batches of B: whole clusters share batches. */
export function clusterBatches(clusters: Int32Array[], B: number, rng: Rng): Int32Array[] {
  const perm = rng.permutation(clusters.length);
  const total = clusters.reduce((a, c) => a + c.length, 0);
  const order = new Int32Array(total);
  let off = 0;
  for (const ci of perm) {
    order.set(clusters[ci], off);
    off += clusters[ci].length;
  }
  return cut(order, B);
}

function cut(order: Int32Array, B: number): Int32Array[] {
  if (!Number.isInteger(B) || B < 1) throw new Error(`batch size must be an integer >= 1, got ${B}`);
  const out: Int32Array[] = [];
  for (let i = 0; i < order.length; i += B) out.push(order.slice(i, Math.min(i + B, order.length)));
  return out;
}

/**
 * Clusters the memory-bank rows of `docs` with balanced hierarchical 2-means (exact or sampled,
 * as `choice` says) into clusters of about `size` documents; returns clusters of document ids
 * and the clustering's report.
 */
export function clusterDocuments(bank: MemoryBank, docs: Int32Array, size: number, seed: number, choice: ClusteringChoice = EXACT_CLUSTERING): { clusters: Int32Array[]; report: ClusteringReport } {
  const { clustering, report } = clusterPoints(mat(docs.length, bank.dim, bank.rows(docs)), size, seed, choice);
  return { clusters: clustering.clusters.map((members) => members.map((m) => docs[m])), report };
}

/** Documents with at least one positive label (the others cannot be trained on). */
export function trainableDocuments(Y: CSR): { docs: Int32Array; skipped: number } {
  const docs: number[] = [];
  for (let r = 0; r < Y.rows; r++) if (Y.indptr[r + 1] > Y.indptr[r]) docs.push(r);
  return { docs: Int32Array.from(docs), skipped: Y.rows - docs.length };
}

/** True if `label` is a positive of document `doc` (rows of Y hold increasing column ids). */
export function isPositive(Y: CSR, doc: number, label: number): boolean {
  let lo = Y.indptr[doc];
  let hi = Y.indptr[doc + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = Y.indices[mid];
    if (v === label) return true;
    if (v < label) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** One uniformly chosen positive label per document. */
export function samplePositives(Y: CSR, docs: Int32Array, rng: Rng): Int32Array {
  const out = new Int32Array(docs.length);
  docs.forEach((d, i) => {
    const a = Y.indptr[d];
    const n = Y.indptr[d + 1] - a;
    if (n === 0) throw new Error(`samplePositives: document ${d} has no positive label`);
    out[i] = Y.indices[a + rng.int(n)];
  });
  return out;
}

/** (docs × labels) 0/1 targets: 1 iff labels[j] is a positive of docs[i]. */
export function targetMatrix(Y: CSR, docs: Int32Array, labels: Int32Array): Float32Array {
  const t = new Float32Array(docs.length * labels.length);
  for (let i = 0; i < docs.length; i++) {
    for (let j = 0; j < labels.length; j++) if (isPositive(Y, docs[i], labels[j])) t[i * labels.length + j] = 1;
  }
  return t;
}
