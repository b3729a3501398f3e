// NGAME's second module (M2): one classifier vector per label on top of the frozen encoder.
//
//   - document embeddings are computed once, with dropout on (as at training time), and kept;
//   - classifier w_l starts at the label's unit embedding (so M2 starts where M1 ends).
// Three losses (cfg.kind, the run's m2.loss):
//   - 'pool-softmax' (the default, run-config.ts): batches are NGAME batches, clusters of the
//     fixed document embeddings; the label pool is the union of the batch documents' positives
//     (so each document sees its cluster-mates' positives as hard negatives) plus each
//     document's `shortlist` nearest labels by M1 embedding; scores S = X·normalize(W_pool)ᵀ / τ
//     (cosine classifiers, on the embeddings' scale for fusion), and each document's loss is the
//     mean over its positives p of −log softmax(S_i)_p. Row-sparse Adam updates the pool's rows.
//   - 'triplet': the same batches and pool, NGAME's multi-positive triplet (3 lowest positives ×
//     5 hardest negatives) on inner products with the raw classifiers; row-sparse Adam.
//   - 'softmax': every label is a negative: random batches, the same softmax over all L labels,
//     dense Adam. Cost per step O(B·L·D): fine for 10⁴–10⁵ labels.
// docs/method.md ("M2: per-label classifiers") describes them and how the default was chosen.

import * as T from '../tensor';
import type { Backend, Tensor } from '../tensor';
import { AdamW } from '../model/optim';
import { SparseAdam } from '../model/sparse-adam';
import type { CSR } from './data';
import { CurriculumPlanner, MemoryBank, randomBatches, targetMatrix, trainableDocuments, type Curriculum } from './batching';
import type { ClusteringReport } from './cluster';
import { tripletMultiPositive, type MultiPositiveOptions } from './losses';
import { topkToCSR } from './metrics';
import { labelTopK, type IndexRecall, type LabelSearch } from './label-search';
import type { HnswIndex } from './ann/hnsw';
import { Rng } from '../util/rng';

export type M2Loss = 'softmax' | 'pool-softmax' | 'triplet';

/** Everything M2Trainer needs; run-config.ts m2Config builds it from a run's config. */
export interface M2Config {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  curriculum: Curriculum;
  /**
   * 'triplet' or 'pool-softmax' over the batch's label pool (cluster batches: the cluster-mates'
   * positives are the hard negatives), or 'softmax' over all labels (random batches).
   */
  kind: M2Loss;
  /** Softmax temperature. */
  tau: number;
  /**
   * 'pool-softmax' and 'triplet': each document also brings its `shortlist` nearest labels by M1
   * embedding into the batch's pool (its confusers, fixed for M2 as SiameseXML's ANNS shortlist).
   */
  shortlist: number;
  /** How the shortlist is searched (label-search.ts; exact when absent). */
  search?: LabelSearch;
  loss: MultiPositiveOptions;
}

export interface M2EpochLog {
  stage: 'M2';
  epoch: number;
  steps: number;
  loss: number;
  clusterSize: number | null;
  overheadMs: number;
  /** The epoch that built the shortlist through HNSW: its recall@k against exact search on a fixed document sample. */
  shortlistRecall?: IndexRecall;
  /** When this epoch clustered: method, balance, quality (cluster/choose.ts). */
  clustering?: ClusteringReport;
  epochMs: number;
  peakBytes: number;
}

/** Union of the positives of `docs` (then of their shortlists, when given), in first-seen order. */
function positivePool(Y: CSR, docs: Int32Array, shortlist: CSR | null = null): Int32Array {
  const seen = new Set<number>();
  for (const d of docs) for (let a = Y.indptr[d]; a < Y.indptr[d + 1]; a++) seen.add(Y.indices[a]);
  if (shortlist) for (const d of docs) for (let a = shortlist.indptr[d]; a < shortlist.indptr[d + 1]; a++) seen.add(shortlist.indices[a]);
  return Int32Array.from(seen);
}

export class M2Trainer {
  readonly cfg: M2Config;
  /** (L, D) classifier table, a leaf tensor on the backend. */
  readonly W: Tensor;
  private readonly opt: SparseAdam | null;
  /** The softmax loss's dense update (every classifier gets a gradient). */
  private readonly dense: AdamW | null;
  private readonly bank: MemoryBank;
  private readonly docs: Int32Array;
  private readonly rng: Rng;
  private readonly planner: CurriculumPlanner;
  /** (N × L) each training document's `shortlist` nearest labels by M1 embedding. */
  private shortlist: CSR | null = null;
  /**
   * The HNSW graph over the label embeddings the shortlist was searched in, when the search
   * resolved to HNSW: buildLabelIndex(labelEmb, dim, search.hnsw, search.seed), the very graph
   * inference needs (the encoder is frozen in M2), so runTraining reuses it instead of a second build.
   * Set before the first epoch (bench/scale.ts times the build apart), the shortlist searches it.
   */
  shortlistGraph: HnswIndex | null = null;
  epoch = 0;
  /** softmaxStep's label → pool column table (−1 outside the current step). */
  private poolColumn: Int32Array | null = null;

  /**
   * docEmb: (N, D) training-document embeddings (dropout on); labelEmb: (L, D) unit label
   * embeddings (the classifiers' starting point); cfg: complete, a run's from m2Config
   * (run-config.ts, the one owner of the defaults).
   */
  constructor(readonly backend: Backend, readonly Y: CSR, docEmb: Float32Array, private readonly labelEmb: Float32Array, readonly dim: number, cfg: M2Config) {
    this.cfg = { ...cfg, loss: { ...cfg.loss } };
    this.planner = new CurriculumPlanner(this.cfg.curriculum);
    this.W = T.keep(T.tensor(labelEmb, [Y.cols, dim], { backend, requiresGrad: true }));
    // One optimizer, by loss: row-sparse for the pool's triplet, dense for the full softmax.
    const target = { name: 'W', get: () => this.W };
    this.opt = this.cfg.kind !== 'softmax' ? new SparseAdam([target], { lr: this.cfg.lr }) : null;
    this.dense = this.cfg.kind === 'softmax' ? new AdamW([{ ...target, decay: false, sparse: false }], { lr: this.cfg.lr, weightDecay: 0, clipNorm: 0 }) : null;
    this.bank = new MemoryBank(Y.rows, dim);
    this.bank.update(Int32Array.from({ length: Y.rows }, (_, i) => i), docEmb);
    this.docs = trainableDocuments(Y).docs;
    this.rng = new Rng(this.cfg.seed);
  }

  async trainEpoch(onStep?: (i: number, n: number, loss: number) => void): Promise<M2EpochLog> {
    const t0 = performance.now();
    this.backend.resetPeak();
    let overheadMs = 0;
    let shortlistRecall: IndexRecall | null = null;
    if (this.cfg.kind !== 'softmax' && this.cfg.shortlist > 0 && !this.shortlist) {
      const s0 = performance.now();
      const k = Math.min(this.cfg.shortlist, this.Y.cols);
      const found = await labelTopK(this.backend, this.bank.data, this.labelEmb, this.dim, k, this.cfg.search, this.cfg.seed + 3, this.shortlistGraph);
      this.shortlist = topkToCSR(found.top, this.Y.cols);
      shortlistRecall = found.recall;
      this.shortlistGraph = found.index;
      overheadMs += performance.now() - s0;
    }
    // A softmax over all labels gains nothing from cluster batches: random ones. Otherwise the
    // curriculum's planner, the same as the NGAME sampler's (batching.ts).
    let batches: Int32Array[];
    let clusterSize: number | null = null;
    let clustering: ClusteringReport | undefined;
    if (this.cfg.kind === 'softmax') {
      batches = randomBatches(this.docs, this.cfg.batchSize, this.rng);
    } else {
      const plan = this.planner.plan(this.epoch, this.bank, this.docs, this.cfg.batchSize, this.cfg.seed, this.rng);
      ({ batches, clusterSize, clustering } = plan);
      overheadMs += plan.overheadMs;
    }
    let lossSum = 0;
    for (let i = 0; i < batches.length; i++) {
      const docs = batches[i];
      if (this.cfg.kind !== 'triplet') {
        lossSum += await this.softmaxStep(docs, this.cfg.kind === 'pool-softmax' ? positivePool(this.Y, docs, this.shortlist) : null, i);
        onStep?.(i + 1, batches.length, lossSum / (i + 1));
        continue;
      }
      const pool = positivePool(this.Y, docs, this.shortlist);
      const loss = T.scope(() => {
        const D = T.tensor(this.bank.rows(docs), [docs.length, this.dim], { backend: this.backend }); // (B, D), fixed
        const idx = T.tensor(pool, [pool.length], { backend: this.backend, dtype: 'i32' });
        const Wp = T.embedding(this.W, idx); // (P, D)
        const S = T.matmul(D, Wp, { transB: true }); // (B, P)
        const tg = T.tensor(targetMatrix(this.Y, docs, pool), [docs.length, pool.length], { backend: this.backend });
        const l = tripletMultiPositive(S, tg, this.cfg.loss);
        T.backward(l);
        return l;
      });
      this.opt!.step({ W: pool });
      T.zeroGrad([this.W]);
      const v = await loss.item();
      loss.release();
      if (!Number.isFinite(v)) throw new Error(`M2: loss is ${v} at epoch ${this.epoch} step ${i}`);
      lossSum += v;
      onStep?.(i + 1, batches.length, v);
    }
    const log: M2EpochLog = {
      stage: 'M2', epoch: this.epoch, steps: batches.length, loss: lossSum / batches.length, clusterSize,
      overheadMs, ...(clustering ? { clustering } : {}), epochMs: performance.now() - t0, peakBytes: this.backend.memory().peakBytes,
    };
    if (shortlistRecall) log.shortlistRecall = shortlistRecall;
    this.epoch++;
    return log;
  }

  /**
   * One softmax step of docs (B) against `pool` (P labels), or all L labels when pool is null:
   * loss = −(1/B) Σ_i (1/|P_i|) Σ_{p ∈ P_i} log softmax(X_i · Ŵᵀ / τ)_p, Ŵ = W's rows (the pool's)
   * made unit. A pool's rows are gathered by embeddingBag (one-hot bags), so their gradient is
   * row-sparse and the update touches only them; all labels get the dense update.
   */
  private async softmaxStep(docs: Int32Array, pool: Int32Array | null, i: number): Promise<number> {
    const { Y, backend, dim } = this;
    const P = pool ? pool.length : Y.cols;
    // label -> its column in the pool: one table of L entries kept all -1 between steps, so a
    // step writes and clears only its pool's entries (O(pool), not O(L): 1.3M labels)
    let col: Int32Array | null = null;
    if (pool) {
      col = this.poolColumn ??= new Int32Array(Y.cols).fill(-1);
      pool.forEach((l, j) => (col![l] = j));
    }
    // The positives as flat indices into the (B, P) log-probabilities, each weighted −1/(B·|P_i|).
    const flat: number[] = [];
    const w: number[] = [];
    docs.forEach((d, r) => {
      const n = Y.indptr[d + 1] - Y.indptr[d];
      for (let a = Y.indptr[d]; a < Y.indptr[d + 1]; a++) {
        flat.push(r * P + (col ? col[Y.indices[a]] : Y.indices[a]));
        w.push(-1 / (docs.length * n));
      }
    });
    if (pool) for (const l of pool) col![l] = -1;
    const loss = T.scope(() => {
      const X = T.tensor(this.bank.rows(docs), [docs.length, dim], { backend }); // (B, D), fixed
      const Wp = pool
        ? T.embeddingBag(this.W, { ids: pool, weights: new Float32Array(P).fill(1), offsets: Int32Array.from({ length: P + 1 }, (_, j) => j) }) // (P, D)
        : this.W; // (L, D)
      const S = T.matmul(X, T.l2Normalize(Wp), { transB: true }); // (B, P) cosines
      const logp = T.reshape(T.logSoftmax(T.scale(S, 1 / this.cfg.tau)), [docs.length * P, 1]); // (B·P, 1)
      const pos = T.embedding(logp, T.tensor(Int32Array.from(flat), [flat.length], { backend, dtype: 'i32' })); // (npos, 1)
      const l = T.sumAll(T.mul(pos, T.tensor(Float32Array.from(w), [flat.length, 1], { backend })));
      T.backward(l);
      return l;
    });
    if (pool) this.opt!.step({});
    else await this.dense!.step();
    T.zeroGrad([this.W]);
    const v = await loss.item();
    loss.release();
    if (!Number.isFinite(v)) throw new Error(`M2: loss is ${v} at epoch ${this.epoch} step ${i}`);
    return v;
  }

  /** The classifier table on the host (L × D); unit rows under the softmax losses (cosine classifiers). */
  async classifiers(): Promise<Float32Array> {
    if (this.cfg.kind !== 'triplet') {
      // A table over one binding is kept as row shards (src/tensor/webgpu/shards.ts), which the
      // normalization cannot take whole: it then runs on blocks of rows that fit one binding
      // (row by row the same arithmetic, so the same values).
      const { dim, backend } = this;
      const rowsPer = Math.max(1, Math.floor(backend.maxTensorBytes / (dim * 4)));
      if (this.Y.cols <= rowsPer) {
        const n = T.noGrad(() => T.l2Normalize(this.W));
        const host = (await n.data()) as Float32Array;
        n.release();
        return host;
      }
      const raw = (await this.W.data()) as Float32Array;
      for (let r0 = 0; r0 < this.Y.cols; r0 += rowsPer) {
        const block = raw.subarray(r0 * dim, Math.min(r0 + rowsPer, this.Y.cols) * dim);
        const n = T.noGrad(() => T.scope(() => T.l2Normalize(T.tensor(block, [block.length / dim, dim], { backend }))));
        block.set((await n.data()) as Float32Array);
        n.release();
      }
      return raw;
    }
    return (await this.W.data()) as Float32Array;
  }

  dispose(): void {
    this.opt?.dispose();
    this.dense?.dispose();
    this.W.release();
  }
}
