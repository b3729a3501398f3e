// Tensor: a shape, a dtype and a reference-counted buffer on one backend, plus the autograd
// links that say how it was made. Lifetimes are explicit: every tensor created inside `scope()`
// is released when the scope ends unless it is returned or kept, and `release()` frees one now.
// GPU memory never waits for the garbage collector.

import type { Backend, BackendBuffer } from './backend';
import type { DType, TypedArray } from '../util/dtype';
import { numel, shapeStr, type Shape } from '../util/shape';

/** A buffer shared by a tensor and its views (reshape); freed when the last holder releases it. */
export class Storage {
  refs = 1;
  constructor(readonly backend: Backend, readonly buf: BackendBuffer) {}
  retain(): this {
    this.refs++;
    return this;
  }
  drop(): void {
    if (--this.refs === 0) this.backend.release(this.buf);
  }
}

/**
 * A row-sparse gradient of a (numRows, cols) table: row rows[j] of the gradient is values[j, :]
 * (values: (R, cols), R = rows.length), every other row is zero; rows are ascending and unique.
 * Ops whose gradient touches few rows of a big table (embeddingBag) return one from their
 * backward. Autograd keeps it on a leaf as `sparseGrad` (coalescing repeated uses), densifies it
 * for any other tensor; the row-sparse optimizer steps read it at cost O(R · cols).
 * The holder owns `values` (release() frees it).
 */
export class RowSparse {
  constructor(readonly rows: Int32Array, readonly values: Tensor, readonly numRows: number) {
    if (values.rank !== 2 || values.shape[0] !== rows.length) {
      throw new Error(`RowSparse: values ${shapeStr(values.shape)} must be (rows, cols) with ${rows.length} rows`);
    }
    for (let j = 0; j < rows.length; j++) {
      if (!(rows[j] >= 0 && rows[j] < numRows) || (j > 0 && rows[j] <= rows[j - 1])) {
        throw new Error(`RowSparse: rows must be ascending, unique and in [0, ${numRows}); rows[${j}] = ${rows[j]}`);
      }
    }
  }
  get cols(): number {
    return this.values.shape[1];
  }
  /** The dense shape this gradient stands for: (numRows, cols). */
  get shape(): number[] {
    return [this.numRows, this.cols];
  }
  release(): void {
    this.values.release();
  }
}

/** What a backward returns per input: a dense gradient (same shape), a row-sparse one, or null. */
export type Grad = Tensor | RowSparse | null;

/** How a tensor was made: its inputs and the function that maps its gradient to theirs. */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  /** Returns one gradient per input (null where an input needs none). */
  backward: (grad: Tensor) => Grad[];
  /** The profiling label (withLabel) in force when the op ran; backward runs under it again. */
  label?: string | null;
}

let nextId = 1;

export class Tensor {
  readonly id = nextId++;
  readonly shape: number[];
  readonly size: number;
  requiresGrad = false;
  /** Dense gradient of a leaf, same shape as the tensor (accumulates until zeroGrad). */
  grad: Tensor | null = null;
  /**
   * Row-sparse gradient of a leaf table, kept apart from `grad` (which stays dense): the leaf's
   * full gradient is grad + (sparseGrad scattered to its rows). Set by backward through ops such
   * as embeddingBag; coalesced (rows sorted, duplicates summed) when several arrive.
   */
  sparseGrad: RowSparse | null = null;
  node: GradNode | null = null;
  /** Host copy of integer index tensors made from host data (scatter-add needs the indices on the host). */
  host: Int32Array | null = null;
  private released = false;

  constructor(readonly storage: Storage, shape: Shape, readonly dtype: DType) {
    this.shape = [...shape];
    this.size = numel(shape);
    track(this);
  }

  get backend(): Backend {
    return this.storage.backend;
  }
  get buf(): BackendBuffer {
    if (this.released) throw new Error(`tensor #${this.id} ${shapeStr(this.shape)}: use of a released tensor`);
    return this.storage.buf;
  }
  get rank(): number {
    return this.shape.length;
  }
  get isReleased(): boolean {
    return this.released;
  }

  /** Frees this tensor's hold on its buffer (and its gradients). Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.storage.drop();
    this.node = null;
    if (this.grad) {
      this.grad.release();
      this.grad = null;
    }
    if (this.sparseGrad) {
      this.sparseGrad.release();
      this.sparseGrad = null;
    }
    untrack(this);
  }

  /** Copies the values to the host (submits pending GPU work; one readback). */
  async data(): Promise<TypedArray> {
    return this.backend.read(this.buf, this.size, this.dtype);
  }

  /** Synchronous copy to the host; cpu backend only. */
  dataSync(): TypedArray {
    if (!this.backend.readSync) throw new Error(`dataSync: backend ${this.backend.name} has no synchronous read; use await t.data()`);
    return this.backend.readSync(this.buf, this.size, this.dtype);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has shape ${shapeStr(this.shape)}, not one element`);
    return (await this.data())[0];
  }

  /** Marks this tensor as a leaf that accumulates a gradient. Returns this. */
  param(): this {
    this.requiresGrad = true;
    return this;
  }

  toString(): string {
    return `Tensor(${shapeStr(this.shape)}, ${this.dtype}, ${this.backend.name}${this.requiresGrad ? ', grad' : ''})`;
  }
}

// ---------------------------------------------------------------------------------------------
// Scopes: explicit lifetimes without the garbage collector.

const scopes: Set<Tensor>[] = [];

function track(t: Tensor): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(t);
}

function untrack(t: Tensor): void {
  for (const s of scopes) s.delete(t);
}

/** Removes t from every open scope: it survives them until released by hand. Returns t. */
export function keep<T extends Tensor | null>(t: T): T {
  if (t) untrack(t);
  return t;
}

function collect(x: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 4 || x === null || x === undefined) return;
  if (x instanceof Tensor) out.add(x);
  else if (x instanceof RowSparse) out.add(x.values);
  else if (Array.isArray(x)) for (const v of x) collect(v, out, depth + 1);
  else if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x as object)) collect(v, out, depth + 1);
  }
}

/**
 * Runs fn; every tensor created inside and not returned (directly, in a RowSparse, or in an
 * array or plain object) is released at the end. Returned tensors move to the enclosing scope.
 */
export function scope<T>(fn: () => T): T {
  const mine = new Set<Tensor>();
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise) throw new Error('scope: fn returned a Promise; use scopeAsync for async code');
  return closeScope(mine, result);
}

/** Async variant of scope: do not interleave two scopeAsync calls concurrently. */
export async function scopeAsync<T>(fn: () => Promise<T>): Promise<T> {
  const mine = new Set<Tensor>();
  scopes.push(mine);
  let result: T;
  try {
    result = await fn();
  } finally {
    const i = scopes.lastIndexOf(mine);
    if (i >= 0) scopes.splice(i, 1);
  }
  return closeScope(mine, result);
}

/** The end of a scope: tensors in `result` move to the enclosing scope, the rest of `mine` are released. */
function closeScope<T>(mine: Set<Tensor>, result: T): T {
  const survivors = new Set<Tensor>();
  collect(result, survivors);
  for (const t of mine) {
    if (survivors.has(t)) track(t);
    else t.release();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Gradient mode.

let gradEnabled = true;

/** Runs fn without recording the autograd graph (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

let label: string | null = null;

/**
 * Runs fn under a profiling label (innermost wins), for benchmarks that attribute kernels to a
 * part of a model: currentLabel() says which part an op is recorded for, and the graph nodes made
 * inside keep the label so their backward ops are attributed to the same part. No effect on results.
 */
export function withLabel<R>(name: string | null, fn: () => R): R {
  const prev = label;
  label = name;
  try {
    return fn();
  } finally {
    label = prev;
  }
}

export function currentLabel(): string | null {
  return label;
}

/**
 * Wraps a freshly computed buffer as the output of an op. When gradients are on and an input
 * needs one, records the node so backward() can call `backward`.
 */
export function makeOutput(
  op: string,
  backend: Backend,
  buf: BackendBuffer,
  shape: Shape,
  dtype: DType,
  inputs: Tensor[],
  backward?: (grad: Tensor) => Grad[],
): Tensor {
  const t = new Tensor(new Storage(backend, buf), shape, dtype);
  if (backward && gradEnabled && inputs.some((x) => x.requiresGrad)) {
    t.requiresGrad = true;
    t.node = { op, inputs, backward, label };
  }
  return t;
}

/** A tensor viewing the same storage with another shape (no copy). */
export function makeView(src: Tensor, shape: Shape, op: string, backward?: (grad: Tensor) => Grad[]): Tensor {
  const t = new Tensor(src.storage.retain(), shape, src.dtype);
  if (backward && gradEnabled && src.requiresGrad) {
    t.requiresGrad = true;
    t.node = { op, inputs: [src], backward, label };
  }
  return t;
}

/** The same values, cut from the graph (shares storage). */
export function detach(t: Tensor): Tensor {
  return new Tensor(t.storage.retain(), t.shape, t.dtype);
}
