// The interface every negative sampler implements, so training runs differ only in the sampler.
// A sampler decides (1) how the epoch's documents are grouped into batches and (2) which labels
// each batch encodes: its label pool. The pool always starts with one sampled positive per
// document (labels[i] is document i's positive, the diagonal of the score matrix); samplers
// that mine extra negatives append them after.

import type { CSR } from '../data';
import type { EpochBatches, MemoryBank } from '../batching';
import type { Rng } from '../../util/rng';
import type { Backend, Tensor } from '../../tensor';

export type SamplerName = 'random' | 'ngame' | 'ance' | 'mips-uniform' | 'mips' | 'meta';

export interface BatchPlan {
  /** (B) document ids. */
  docs: Int32Array;
  /** (L >= B) label ids to encode; labels[i] is a sampled positive of docs[i] for i < B. */
  labels: Int32Array;
  /** (B, L) row-major: 1 iff labels[j] is a positive of docs[i]. Never 0 for a positive. */
  targets: Float32Array;
  /**
   * From the samplers that draw negatives per document (LabelPool): flat (i, j) pairs, labels[j]
   * drawn as a negative for docs[i]. With targets they make the pairs the 'bce-own' loss counts
   * (pool.ts ownMask). Absent for the in-batch samplers.
   */
  drawn?: Int32Array;
}

/** An epoch's batches, cluster size and overhead (for the mined samplers: index rebuilds too). */
export type EpochPlan = EpochBatches;

export interface SamplerEnv {
  /** Training label matrix (documents × labels). */
  Y: CSR;
  /** Trainable documents (at least one positive). */
  docs: Int32Array;
  batchSize: number;
  /** Document embeddings from the training forward passes. */
  bank: MemoryBank;
  /** Encodes every label with the current encoder: (labels × dim) row-major, unit rows. */
  encodeAllLabels(): Promise<Float32Array>;
  /** The training backend (the mined samplers search the label table on it). */
  backend: Backend;
  /** Global step counter (batches done so far). */
  step: number;
  seed: number;
}

export interface Sampler {
  readonly name: SamplerName;
  /** The loss this sampler's paper trains with. */
  readonly loss: 'triplet' | 'bce';
  epoch(epoch: number, env: SamplerEnv, rng: Rng): Promise<EpochPlan>;
  plan(docs: Int32Array, env: SamplerEnv, rng: Rng): Promise<BatchPlan>;
  /** Bytes this sampler keeps between steps (memory bank, indexes), for memory accounting. */
  stateBytes(env: SamplerEnv): number;
  /**
   * Optional, for samplers with trainable parameters of their own (meta): an extra scalar loss
   * on the batch's document embeddings docEmb (B, D), called inside the step's scope and added
   * to the main loss before backward. null: nothing this step.
   */
  auxLoss?(docEmb: Tensor, plan: BatchPlan, env: SamplerEnv): Tensor | null;
  /**
   * Optional: called after the encoder's update of every step (ok = false when that update
   * failed): update the sampler's own parameters from their gradients, then release them.
   */
  afterStep?(ok: boolean): Promise<void>;
  /**
   * Frees everything the sampler keeps on the backend between steps (the mined samplers' label
   * table, meta's W and its Adam moments; nothing for the in-batch samplers), so the backend's
   * live bytes return to their level before M1. Called once M1 ends (run.ts: M2 needs the
   * memory); a later epoch() or plan() rebuilds what it needs.
   */
  release(): void;
}
