// Adam's update, shared by the dense AdamW (optim.ts) and the row-sparse SparseAdam
// (sparse-adam.ts): the per-step coefficients (bias corrections, learning rate, decoupled weight
// decay), the moment state m, v with its export, the choice of which gradient form a step
// applies (stepGrad), and the two ways to run the update on a table's rows:
// - dense gradient (param.grad, from T.embedding's scatter-add): a (rows, cols) buffer that is
//   zero outside the touched rows, which the caller lists; only those rows are read
//   (adamRowsUpdate);
// - row-sparse gradient (param.sparseGrad, from T.embeddingBag): the touched rows and a compact
//   (R, cols) values tensor; the step reads the rows from the gradient itself, cost O(R · cols)
//   (adamSparseUpdate).
// "Lazy" Adam: an untouched row keeps its parameters and its moments m, v unchanged (they do not
// decay on steps that skip the row); bias corrections use the global step count, as PyTorch's
// SparseAdam does. Weight decay, when set, applies to the updated rows only.

import * as T from '../tensor';
import type { AdamHyper, RowSparse, Tensor } from '../tensor';
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

/**
 * Updates only `rows` (ascending unique, as uniqueRows gives) of a (numRows, cols) table in place,
 * reading the dense (numRows, cols) gradient `grad` (default param.grad) at those rows.
 */
export function adamRowsUpdate(param: Tensor, m: Tensor, v: Tensor, rows: Int32Array, h: AdamHyper, name = 'table', grad = param.grad): void {
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
 * Lazy Adam from a row-sparse gradient: only its rows of the (numRows, cols) table and moments
 * change, reading its compact (R, cols) values; cost O(R · cols), whatever numRows is.
 */
export function adamSparseUpdate(param: Tensor, m: Tensor, v: Tensor, g: RowSparse, h: AdamHyper, name = 'table'): void {
  if (param.rank !== 2 || param.shape[0] !== g.numRows || param.shape[1] !== g.cols) {
    throw new Error(`sparse Adam: row-sparse gradient for a (${g.shape.join(', ')}) table given for "${name}" [${param.shape.join(', ')}]`);
  }
  if (g.values.dtype !== param.dtype) throw new Error(`sparse Adam: gradient of "${name}" is ${g.values.dtype}, the table ${param.dtype}`);
  if (g.rows.length === 0) return;
  // RowSparse guarantees ascending unique rows in range.
  param.backend.adamRows(param.buf, g.values.buf, m.buf, v.buf, g.rows, g.cols, h, true);
}

/**
 * The gradient a step applies to `p`: its dense `.grad` or its row-sparse `.sparseGrad`; when it
 * has both, their sum as one dense tensor (`temp`, made here: release it after the update) and
 * `touched`, the rows the sparse part covers (a row-restricted update must include them).
 * null when p has no gradient.
 */
export interface StepGrad {
  dense: Tensor | null;
  sparse: RowSparse | null;
  touched: Int32Array | null;
  temp: Tensor | null;
}

export function stepGrad(p: Tensor): StepGrad | null {
  const { grad, sparseGrad } = p;
  if (grad && sparseGrad) {
    const sum = T.keep(T.noGrad(() => T.scope(() => T.add(grad, T.rowSparseToDense(sparseGrad)))));
    return { dense: sum, sparse: null, touched: sparseGrad.rows, temp: sum };
  }
  if (sparseGrad) return { dense: null, sparse: sparseGrad, touched: null, temp: null };
  if (grad) return { dense: grad, sparse: null, touched: null, temp: null };
  return null;
}

/** uniqueRows of the listed ids together with `extra` rows (either may be absent). */
export function unionRows(ids: ArrayLike<number> | undefined, extra: Int32Array | null, numRows: number): Int32Array {
  if (!extra) return uniqueRows(ids ?? [], numRows);
  if (!ids) return extra;
  const all = new Int32Array(ids.length + extra.length);
  for (let i = 0; i < ids.length; i++) all[i] = ids[i];
  all.set(extra, ids.length);
  return uniqueRows(all, numRows);
}
