// Samplers that mine extra negative labels from a search index over all label embeddings, and
// so must encode those extra labels in the step (the cost NGAME avoids):
//   ance:         k hardest labels per document by inner product, index refreshed every R steps
//                 with a full re-encode of the labels (ANCE-style, Xiong et al. 2021);
//   mips-uniform: the meta-classifier-free sampler of Qaraei & Babbar: per document a few
//                 (default 5) MIPS-mined labels plus labels drawn uniformly, BCE loss, and
//                 uniform-only warm-up epochs;
//   mips:         negatives from the index only, to show the instability that paper describes.
// The document side of the search uses the memory bank (the document's embedding from its
// latest training pass); documents not yet seen get no mined negatives. The label side is
// searched exactly (default) or through an IVF index rebuilt at each refresh (`index: 'ivf'`,
// the index Qaraei & Babbar use; exact search is affordable at 10^4 labels, IVF at 10^6).
// The exact search runs on the training backend with the label table uploaded once per refresh
// (search.ts BackendIndex), its candidates re-scored on the host, so the mined labels are the
// ones the host's exact search would pick, at a fraction of its cost. When the run's `search`
// setting resolves to HNSW for the label count (label-search.ts), an exact-mode refresh builds
// an HNSW graph over the label embeddings instead, and mining searches it.

import { randomBatches, samplePositives, isPositive } from '../batching';
import { LabelPool } from './pool';
import { BackendIndex } from '../search';
import { IvfIndex } from '../ann/ivf';
import type { HnswIndex } from '../ann/hnsw';
import { buildLabelIndex, indexTopK, resolveSearch, type LabelSearch } from '../label-search';
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
  /** How the label table is searched: exactly, or through an IVF index rebuilt at each refresh. */
  index: 'exact' | 'ivf';
  /** IVF lists (0: round(√labels)). */
  nlist: number;
  /** IVF lists scanned per document (0: max(1, nlist / 8)). */
  nprobe: number;
  /** The run's search setting: with index 'exact', HNSW where it resolves to HNSW (absent: exact). */
  search?: LabelSearch;
}

/** The search options every mined sampler shares unless told otherwise. */
const EXACT_SEARCH = { index: 'exact', nlist: 0, nprobe: 0 } as const;

abstract class MinedSampler implements Sampler {
  abstract readonly name: SamplerName;
  abstract readonly loss: 'triplet' | 'bce';
  private labelEmb: Float32Array | null = null;
  private ivf: IvfIndex | null = null;
  private exact: BackendIndex | null = null;
  private hnsw: HnswIndex | null = null;
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
    if (this.opts.index === 'ivf') {
      const dim = env.bank.dim;
      const L = this.labelEmb.length / dim;
      const nlist = Math.min(L, this.opts.nlist || Math.max(1, Math.round(Math.sqrt(L))));
      const nprobe = this.opts.nprobe || Math.max(1, Math.floor(nlist / 8));
      this.ivf = IvfIndex.build(mat(L, dim, this.labelEmb), { nlist, nprobe, seed: env.seed + env.step });
    } else if (this.opts.search && resolveSearch(this.opts.search.mode, this.labelEmb.length / env.bank.dim) === 'hnsw') {
      this.hnsw = await buildLabelIndex(this.labelEmb, env.bank.dim, this.opts.search.hnsw, env.seed + env.step);
    } else {
      this.exact?.release();
      this.exact = BackendIndex.build(env.backend, this.labelEmb, env.bank.dim);
    }
    this.builtAt = env.step;
    this.overhead += performance.now() - t0;
  }

  async plan(docs: Int32Array, env: SamplerEnv, rng: Rng): Promise<BatchPlan> {
    const warm = this.epochNo < this.opts.warmupEpochs;
    if (!warm && this.opts.hard > 0 && env.step - this.builtAt >= this.opts.refreshEvery) await this.refresh(env);
    const pool = new LabelPool(samplePositives(env.Y, docs, rng));
    if (!warm && this.labelEmb && this.opts.hard > 0) {
      for (const { row, labels } of await this.mine(docs, env)) labels.forEach((l) => pool.add(l, row));
    }
    pool.addUniform(env.Y, docs, this.opts.uniform, rng);
    return pool.plan(env.Y, docs);
  }

  /** For each document seen before (row: its place in the batch), its `hard` highest-scoring labels that are not its positives. */
  private async mine(docs: Int32Array, env: SamplerEnv): Promise<{ row: number; labels: number[] }[]> {
    const rows = Array.from(docs.keys()).filter((i) => env.bank.seen[docs[i]] > 0);
    const seen = rows.map((i) => docs[i]);
    if (seen.length === 0 || !this.labelEmb) return [];
    const dim = env.bank.dim;
    const L = this.labelEmb.length / dim;
    const k = Math.min(L, this.opts.hard + 16);
    const queries = env.bank.rows(seen);
    // (an IVF list scan may find fewer than k labels: its empty slots hold index −1)
    const top = this.ivf ? this.ivf.search(mat(seen.length, dim, queries), k)
      : this.hnsw ? await indexTopK(this.hnsw, queries, k, this.opts.search!.hnsw.efShortlist)
      : await this.exact!.search(queries, k, { refine: true });
    return seen.map((d, q) => {
      const out: number[] = [];
      for (let j = 0; j < k && out.length < this.opts.hard; j++) {
        const l = top.indices[q * k + j];
        if (l >= 0 && !isPositive(env.Y, d, l)) out.push(l);
      }
      return { row: rows[q], labels: out };
    });
  }

  /** Frees the device's label table; a later plan() refreshes from scratch. */
  release(): void {
    this.exact?.release();
    this.exact = null;
    this.labelEmb = null;
    this.ivf = null;
    this.hnsw = null;
    this.builtAt = -Infinity;
  }

  stateBytes(env: SamplerEnv): number {
    const ivfBytes = this.ivf ? this.ivf.vecs.byteLength + this.ivf.ids.byteLength + this.ivf.centroids.data.byteLength : 0;
    const hnswBytes = this.hnsw ? this.hnsw.vecs.byteLength + this.hnsw.links0.byteLength + this.hnsw.upper.byteLength : 0;
    return env.bank.bytes() + (this.labelEmb ? this.labelEmb.byteLength : 0) + ivfBytes + hnswBytes;
  }
}

export class AnceSampler extends MinedSampler {
  readonly name = 'ance' as const;
  readonly loss = 'triplet' as const;
  constructor(opts: Partial<MinedOptions> = {}) {
    super({ hard: 4, uniform: 0, refreshEvery: 1000, warmupEpochs: 1, ...EXACT_SEARCH, ...opts });
  }
}

export class MipsUniformSampler extends MinedSampler {
  readonly name = 'mips-uniform' as const;
  readonly loss = 'bce' as const;
  constructor(opts: Partial<MinedOptions> = {}) {
    super({ hard: 5, uniform: 3, refreshEvery: 1000, warmupEpochs: 1, ...EXACT_SEARCH, ...opts });
  }
}

export class PureMipsSampler extends MinedSampler {
  readonly name = 'mips' as const;
  readonly loss = 'bce' as const;
  constructor(opts: Partial<MinedOptions> = {}) {
    super({ hard: 8, uniform: 0, refreshEvery: 1000, warmupEpochs: 0, ...EXACT_SEARCH, ...opts });
  }
}
