// The label pool of one batch for the samplers that add negatives to the in-batch positives
// (ance, mips-uniform, mips, meta): the sampled positives first (labels[i] is document i's
// positive, the diagonal of the score matrix), then every added label once, in the order added.
import { isPositive, targetMatrix } from '../batching';
import type { CSR } from '../data';
import type { Rng } from '../../util/rng';
import type { BatchPlan } from './types';

export class LabelPool {
  private readonly labels: number[];
  private readonly inPool: Set<number>;

  constructor(positives: Int32Array) {
    this.labels = Array.from(positives);
    this.inPool = new Set(this.labels);
  }

  add(label: number): void {
    if (this.inPool.has(label)) return;
    this.inPool.add(label);
    this.labels.push(label);
  }

  /** For each document, `perDoc` uniform draws over all labels; draws that hit one of its positives are dropped. */
  addUniform(Y: CSR, docs: Int32Array, perDoc: number, rng: Rng): void {
    for (const d of docs) {
      for (let u = 0; u < perDoc; u++) {
        const l = rng.int(Y.cols);
        if (!isPositive(Y, d, l)) this.add(l);
      }
    }
  }

  /** The batch: docs, the pool, and the (docs × pool) targets (1 for every positive in the pool). */
  plan(Y: CSR, docs: Int32Array): BatchPlan {
    const labels = Int32Array.from(this.labels);
    return { docs, labels, targets: targetMatrix(Y, docs, labels) };
  }
}
