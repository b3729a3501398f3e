// The label pool of one batch for the samplers that add negatives to the in-batch positives
// (ance, mips-uniform, mips, meta): the sampled positives first (labels[i] is document i's
// positive, the diagonal of the score matrix), then every added label once, in the order added.
// The pool also remembers which document each added label was drawn for: the 'bce-own' loss
// counts only each document's own candidates (its positives in the pool and its own negatives).
import { isPositive, targetMatrix } from '../batching';
import type { CSR } from '../data';
import type { Rng } from '../../util/rng';
import type { BatchPlan } from './types';

export class LabelPool {
  private readonly labels: number[];
  /** label -> its column in the pool */
  private readonly column = new Map<number, number>();
  /** (batch row, pool column) pairs, flat: the label was drawn as a negative for that document */
  private readonly owned: number[] = [];

  constructor(positives: Int32Array) {
    this.labels = Array.from(positives);
    this.labels.forEach((l, j) => { if (!this.column.has(l)) this.column.set(l, j); });
  }

  /** Adds `label` (once) as a negative drawn for the document in batch row `row`. */
  add(label: number, row: number): void {
    let j = this.column.get(label);
    if (j === undefined) {
      j = this.labels.length;
      this.column.set(label, j);
      this.labels.push(label);
    }
    this.owned.push(row, j);
  }

  /** For each document, `perDoc` uniform draws over all labels; draws that hit one of its positives are dropped. */
  addUniform(Y: CSR, docs: Int32Array, perDoc: number, rng: Rng): void {
    docs.forEach((d, i) => {
      for (let u = 0; u < perDoc; u++) {
        const l = rng.int(Y.cols);
        if (!isPositive(Y, d, l)) this.add(l, i);
      }
    });
  }

  /** The batch: docs, the pool, the (docs × pool) targets (1 for every positive in the pool), and the drawn pairs. */
  plan(Y: CSR, docs: Int32Array): BatchPlan {
    const labels = Int32Array.from(this.labels);
    return { docs, labels, targets: targetMatrix(Y, docs, labels), drawn: Int32Array.from(this.owned) };
  }
}

/**
 * (B, L) row-major 0/1, the pairs the 'bce-own' loss counts: 1 where labels[j] is a positive of
 * docs[i] or was drawn as a negative for it; null for a plan without drawn pairs (in-batch
 * samplers). Built only by the step that needs it, from plan.targets and plan.drawn.
 */
export function ownMask(plan: BatchPlan): Float32Array | null {
  if (!plan.drawn) return null;
  const L = plan.labels.length;
  const own = plan.targets.slice();
  for (let a = 0; a < plan.drawn.length; a += 2) own[plan.drawn[a] * L + plan.drawn[a + 1]] = 1;
  return own;
}
