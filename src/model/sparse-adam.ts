// Row-sparse Adam for big tables (token embeddings, per-label classifiers): a step reads and
// changes only the rows the batch touched, so its cost scales with the batch, not the table.
// "Lazy" Adam: an untouched row keeps its parameters and its moments m, v unchanged (they do not
// decay on steps that skip the row); bias corrections use the global step count, as PyTorch's
// SparseAdam does. The gradient of a table (from T.embedding's scatter-add) is a dense
// (rows, cols) buffer that is zero outside the touched rows; only those rows are read.
//
// This file also holds what the dense AdamW (optim.ts) shares: moment state and its export.

import * as T from '../tensor';
import type { AdamHyper, Tensor } from '../tensor';
import type { HostTensor } from './params';

export interface AdamCoefficients {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** A table the optimizer updates: its name (for state export) and how to get its current tensor. */
export interface OptimTarget {
  name: string;
  get: () => Tensor;
}

/** Exported optimizer state: update count and moments as host tensors named `m.<param>` / `v.<param>`. */
export interface AdamState {
  step: number;
  tensors: Record<string, HostTensor>;
}

/** Bias-corrected hyper-parameters for update number `t` (1-based). */
export function adamHyper(c: AdamCoefficients, t: number, lr: number, weightDecay: number, gradScale = 1): AdamHyper {
  return {
    lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay,
    bc1: 1 - Math.pow(c.beta1, t), bc2: 1 - Math.pow(c.beta2, t), gradScale,
  };
}

/** The distinct values of `ids`, ascending, each checked to lie in [0, numRows). */
export function uniqueRows(ids: ArrayLike<number>, numRows: number): Int32Array {
  const seen = new Uint8Array(numRows);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i];
    if (!Number.isInteger(r) || r < 0 || r >= numRows) throw new Error(`uniqueRows: ids[${i}] = ${r} is out of range [0, ${numRows})`);
    if (!seen[r]) {
      seen[r] = 1;
      n++;
    }
  }
  const out = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < numRows; r++) if (seen[r]) out[k++] = r;
  return out;
}

/** Zero first and second moments shaped like each target. */
export class Moments {
  readonly m = new Map<string, Tensor>();
  readonly v = new Map<string, Tensor>();

  constructor(targets: readonly OptimTarget[]) {
    for (const t of targets) {
      const p = t.get();
      if (this.m.has(t.name)) throw new Error(`optimizer: parameter "${t.name}" is listed twice`);
      this.m.set(t.name, T.keep(T.zeros(p.shape, p.dtype, p.backend)));
      this.v.set(t.name, T.keep(T.zeros(p.shape, p.dtype, p.backend)));
    }
  }

  async export(step: number): Promise<AdamState> {
    const tensors: Record<string, HostTensor> = {};
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of map) tensors[`${kind}.${name}`] = { shape: [...t.shape], data: (await t.data()) as Float32Array | Float64Array };
    }
    return { step, tensors };
  }

  /** Replaces every moment with the exported values (all must be present, shapes equal). */
  import(state: AdamState, source = 'optimizer state'): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`${source}: step must be a non-negative integer, got ${state.step}`);
    const expected = new Set<string>();
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, old] of map) {
        const key = `${kind}.${name}`;
        expected.add(key);
        const h = state.tensors[key];
        if (!h) throw new Error(`${source}: moment "${key}" is missing`);
        if (h.shape.length !== old.shape.length || h.shape.some((d, i) => d !== old.shape[i])) {
          throw new Error(`${source}: moment "${key}" has shape [${h.shape.join(', ')}], expected [${old.shape.join(', ')}]`);
        }
        map.set(name, T.keep(T.tensor(h.data, old.shape, { backend: old.backend, dtype: old.dtype })));
        old.release();
      }
    }
    for (const key of Object.keys(state.tensors)) if (!expected.has(key)) throw new Error(`${source}: unknown moment "${key}"`);
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.release();
  }
}

/** Updates only `rows` (ascending unique, as uniqueRows gives) of a (numRows, cols) table in place. */
export function adamRowsUpdate(param: Tensor, m: Tensor, v: Tensor, rows: Int32Array, h: AdamHyper, name = 'table'): void {
  const grad = param.grad;
  if (!grad) return;
  if (param.rank !== 2) throw new Error(`sparse Adam: "${name}" must be a (rows, cols) table, got [${param.shape.join(', ')}]`);
  const [numRows, cols] = param.shape;
  for (let j = 0; j < rows.length; j++) {
    if (rows[j] < 0 || rows[j] >= numRows) throw new Error(`sparse Adam: row ${rows[j]} of "${name}" is out of range [0, ${numRows})`);
    if (j > 0 && rows[j] <= rows[j - 1]) throw new Error(`sparse Adam: rows of "${name}" must be ascending and unique (use uniqueRows)`);
  }
  if (rows.length === 0) return;
  param.backend.adamRows(param.buf, grad.buf, m.buf, v.buf, rows, cols, h);
}

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
   * One update of the listed rows of each table (`rows[name]`: any ids, deduplicated here).
   * Tables without an entry are left alone.
   */
  step(rows: Record<string, ArrayLike<number>>, opts: { lr?: number; gradScale?: number } = {}): void {
    this.stepCount++;
    const h = adamHyper(this.coeffs, this.stepCount, opts.lr ?? this.coeffs.lr, this.coeffs.weightDecay, opts.gradScale ?? 1);
    for (const t of this.targets) {
      const ids = rows[t.name];
      if (!ids) continue;
      const p = t.get();
      adamRowsUpdate(p, this.moments.m.get(t.name)!, this.moments.v.get(t.name)!, uniqueRows(ids, p.shape[0]), h, t.name);
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
