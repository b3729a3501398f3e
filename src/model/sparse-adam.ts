// Row-sparse Adam for big tables (per-label classifiers, token embeddings): a step reads and
// changes only the rows the batch touched, so its cost scales with the batch, not the table.
// The update itself, lazy on rows, and its moment state live in adam-update.ts, shared with the
// dense AdamW (optim.ts).

import {
  adamHyper, adamRowsUpdate, adamSparseUpdate, Moments, stepGrad, unionRows,
  type AdamCoefficients, type AdamState, type OptimTarget,
} from './adam-update';

/**
 * Standalone row-sparse Adam over one or more tables, e.g. the per-label classifier of NGAME's
 * second stage. No clipping, no schedule: pass `lr` per step to schedule it from outside.
 */
export class SparseAdam {
  readonly coeffs: AdamCoefficients;
  private moments: Moments;
  /** Updates done so far. */
  stepCount = 0;

  constructor(private targets: readonly OptimTarget[], coeffs: Partial<AdamCoefficients> = {}) {
    this.coeffs = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...coeffs };
    this.moments = new Moments(targets);
  }

  /**
   * One update per table. A table with a row-sparse gradient (param.sparseGrad) updates exactly
   * its rows (rows[name] is not needed). A table with a dense gradient updates the listed rows
   * (`rows[name]`: any ids, deduplicated here) and is left alone without an entry. With both
   * gradients, their sum is applied to the listed rows and the sparse gradient's rows.
   */
  step(rows: Record<string, ArrayLike<number>> = {}, opts: { lr?: number; gradScale?: number } = {}): void {
    this.stepCount++;
    const h = adamHyper(this.coeffs, this.stepCount, opts.lr ?? this.coeffs.lr, this.coeffs.weightDecay, opts.gradScale ?? 1);
    for (const t of this.targets) {
      const ids = rows[t.name];
      const p = t.get();
      if (!ids && !p.sparseGrad) continue;
      const g = stepGrad(p);
      if (!g) continue;
      const m = this.moments.m.get(t.name)!;
      const v = this.moments.v.get(t.name)!;
      if (g.sparse) adamSparseUpdate(p, m, v, g.sparse, h, t.name);
      else adamRowsUpdate(p, m, v, unionRows(ids, g.touched, p.shape[0]), h, t.name, g.dense);
      g.temp?.release();
    }
  }

  exportState(): Promise<AdamState> {
    return this.moments.export(this.stepCount);
  }

  importState(state: AdamState): void {
    this.moments.import(state, 'SparseAdam.importState');
    this.stepCount = state.step;
  }

  dispose(): void {
    this.moments.dispose();
  }
}
