// NGAME's second module (M2): one classifier vector per label on top of the frozen encoder.
//
//   - document embeddings are computed once, with dropout on (as at training time), and kept;
//   - classifier w_l starts at the label's unit embedding (so M2 starts where M1 ends);
//   - batches are NGAME batches: clusters of the fixed document embeddings, with the curriculum;
//   - the label pool is the union of all positives of the batch's documents, so each document
//     sees all its positives and its cluster-mates' positives as hard negatives;
//   - the loss is the multi-positive triplet (3 lowest positives × 5 hardest negatives);
//   - row-sparse Adam updates only the classifiers in the pool.

import * as T from '../tensor';
import type { Backend, Tensor } from '../tensor';
import { SparseAdam } from '../model/sparse-adam';
import type { CSR } from './data';
import { clusterBatches, clusterDocuments, clusterSizeAt, MemoryBank, randomBatches, targetMatrix, trainableDocuments, type Curriculum } from './batching';
import { tripletMultiPositive, type MultiPositiveOptions } from './losses';
import { Rng } from '../util/rng';

export interface M2Config {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  curriculum: Curriculum;
  loss: MultiPositiveOptions;
}

export const DEFAULT_M2: M2Config = {
  epochs: 5, batchSize: 256, lr: 2e-3, seed: 0,
  curriculum: { warmupEpochs: 0, startSize: 8, doubleAt: [], maxSize: 8, reclusterEvery: 1000 },
  loss: { numPositives: 3, numNegatives: 5, margin: 0.2, tau: 0.1 },
};

export interface M2EpochLog {
  stage: 'M2';
  epoch: number;
  steps: number;
  loss: number;
  clusterSize: number | null;
  overheadMs: number;
  epochMs: number;
  peakBytes: number;
}

/** Union of the positives of `docs`, in first-seen order. */
function positivePool(Y: CSR, docs: Int32Array): Int32Array {
  const seen = new Set<number>();
  for (const d of docs) for (let a = Y.indptr[d]; a < Y.indptr[d + 1]; a++) seen.add(Y.indices[a]);
  return Int32Array.from(seen);
}

export class M2Trainer {
  readonly cfg: M2Config;
  /** (L, D) classifier table, a leaf tensor on the backend. */
  readonly W: Tensor;
  private readonly opt: SparseAdam;
  private readonly bank: MemoryBank;
  private readonly docs: Int32Array;
  private readonly rng: Rng;
  private clusters: Int32Array[] | null = null;
  epoch = 0;

  /**
   * docEmb: (N, D) training-document embeddings (dropout on); labelEmb: (L, D) unit label
   * embeddings (the classifiers' starting point).
   */
  constructor(readonly backend: Backend, readonly Y: CSR, docEmb: Float32Array, labelEmb: Float32Array, readonly dim: number, cfg: Partial<M2Config> = {}) {
    this.cfg = { ...DEFAULT_M2, ...cfg, loss: { ...DEFAULT_M2.loss, ...cfg.loss } };
    this.W = T.keep(T.tensor(labelEmb, [Y.cols, dim], { backend, requiresGrad: true }));
    this.opt = new SparseAdam([{ name: 'W', get: () => this.W }], { lr: this.cfg.lr });
    this.bank = new MemoryBank(Y.rows, dim);
    this.bank.update(Int32Array.from({ length: Y.rows }, (_, i) => i), docEmb);
    this.docs = trainableDocuments(Y).docs;
    this.rng = new Rng(this.cfg.seed);
  }

  async trainEpoch(onStep?: (i: number, n: number, loss: number) => void): Promise<M2EpochLog> {
    const t0 = performance.now();
    this.backend.resetPeak();
    const size = clusterSizeAt(this.epoch, this.cfg.curriculum);
    let overheadMs = 0;
    let batches: Int32Array[];
    if (size === null) {
      batches = randomBatches(this.docs, this.cfg.batchSize, this.rng);
    } else {
      if (!this.clusters || this.epoch % this.cfg.curriculum.reclusterEvery === 0) {
        const c0 = performance.now();
        this.clusters = clusterDocuments(this.bank, this.docs, size, this.cfg.seed + this.epoch);
        overheadMs = performance.now() - c0;
      }
      batches = clusterBatches(this.clusters, this.cfg.batchSize, this.rng);
    }
    let lossSum = 0;
    for (let i = 0; i < batches.length; i++) {
      const docs = batches[i];
      const pool = positivePool(this.Y, docs);
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
      this.opt.step({ W: pool });
      T.zeroGrad([this.W]);
      const v = await loss.item();
      loss.release();
      if (!Number.isFinite(v)) throw new Error(`M2: loss is ${v} at epoch ${this.epoch} step ${i}`);
      lossSum += v;
      onStep?.(i + 1, batches.length, v);
    }
    const log: M2EpochLog = {
      stage: 'M2', epoch: this.epoch, steps: batches.length, loss: lossSum / batches.length, clusterSize: size,
      overheadMs, epochMs: performance.now() - t0, peakBytes: this.backend.memory().peakBytes,
    };
    this.epoch++;
    return log;
  }

  /** The classifier table on the host (L × D). */
  async classifiers(): Promise<Float32Array> {
    return (await this.W.data()) as Float32Array;
  }

  dispose(): void {
    this.W.release();
  }
}
