// Making tensors: from host data, constants, and seeded random initialisations.
// The default backend is where tensors go when no backend is named: the cpu backend.

import type { Backend } from '../backend';
import { CpuBackend } from '../cpu/backend';
import { allocArray, castArray, dtypeOf, type DType, type TypedArray } from '../../util/dtype';
import { numel, shapeStr, type Shape } from '../../util/shape';
import { makeOutput, Tensor } from '../tensor';
import type { Rng } from '../../util/rng';

const defaultBackend: Backend = new CpuBackend();

export function getDefaultBackend(): Backend {
  return defaultBackend;
}

export interface TensorOptions {
  dtype?: DType;
  backend?: Backend;
  requiresGrad?: boolean;
}

/** A tensor holding `data` (copied) with `shape`. Integer tensors keep a host copy of their values. */
export function tensor(data: ArrayLike<number> | TypedArray, shape: Shape, opts: TensorOptions = {}): Tensor {
  const be = opts.backend ?? defaultBackend;
  const dtype = opts.dtype ?? (ArrayBuffer.isView(data) ? dtypeOf(data as TypedArray) : 'f32');
  if (numel(shape) !== data.length) {
    throw new Error(`tensor: ${data.length} values do not fill shape ${shapeStr(shape)}`);
  }
  if (!be.supports(dtype)) throw new Error(`tensor: backend ${be.name} does not support ${dtype}`);
  const arr = ArrayBuffer.isView(data) && dtypeOf(data as TypedArray) === dtype ? (data as TypedArray) : castArray(data, dtype);
  const t = makeOutput('tensor', be, be.upload(arr, rowLenOf(shape)), shape, dtype, []);
  if (dtype === 'i32') t.host = Int32Array.from(arr as Int32Array);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

export function full(shape: Shape, value: number, dtype: DType = 'f32', backend: Backend = defaultBackend): Tensor {
  return makeOutput('full', backend, backend.fill(numel(shape), dtype, value, rowLenOf(shape)), shape, dtype, []);
}

/** A table's row length (its last dimension) for 2-D tensors, which a backend may keep as row shards (Backend.rowShards). */
function rowLenOf(shape: Shape): number | undefined {
  return shape.length === 2 ? shape[1] : undefined;
}

export function zeros(shape: Shape, dtype: DType = 'f32', backend: Backend = defaultBackend): Tensor {
  return full(shape, 0, dtype, backend);
}

export function ones(shape: Shape, dtype: DType = 'f32', backend: Backend = defaultBackend): Tensor {
  return full(shape, 1, dtype, backend);
}

/** Normal(0, std²) values from a seeded generator. */
export function randn(shape: Shape, rng: Rng, std = 1, opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? 'f32';
  const a = allocArray(dtype, numel(shape));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal() * std;
  return tensor(a, shape, { ...opts, dtype });
}

/** Uniform values in [lo, hi) from a seeded generator. */
export function uniform(shape: Shape, rng: Rng, lo = 0, hi = 1, opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? 'f32';
  const a = allocArray(dtype, numel(shape));
  for (let i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * rng.next();
  return tensor(a, shape, { ...opts, dtype });
}

/** Copies a tensor to another backend (reads it back; cuts it from the graph). */
export async function toBackend(t: Tensor, backend: Backend, dtype: DType = t.dtype): Promise<Tensor> {
  const data = await t.data();
  return tensor(dtype === t.dtype ? data : castArray(data, dtype), t.shape, { backend, dtype });
}

/** Throws unless every tensor lives on the same backend and none is released. Returns the backend. */
export function sameBackend(op: string, ...ts: Tensor[]): Backend {
  const be = ts[0].backend;
  for (const t of ts) {
    if (t.isReleased) throw new Error(`${op}: use of a released tensor ${shapeStr(t.shape)}`);
    if (t.backend !== be) throw new Error(`${op}: tensors on different backends (${be.name} and ${t.backend.name})`);
  }
  return be;
}

/** Throws unless every tensor has the same dtype. Returns it. */
export function sameDtype(op: string, ...ts: Tensor[]): DType {
  const d = ts[0].dtype;
  for (const t of ts) {
    if (t.dtype !== d) throw new Error(`${op}: dtype mismatch (${ts.map((x) => `${x.dtype}${shapeStr(x.shape)}`).join(' vs ')})`);
  }
  return d;
}
