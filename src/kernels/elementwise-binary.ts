// Broadcasting elementwise kernels: binary ops (add sub mul div max min eq gt) and where.
// Inputs are read through strides over the output shape (stride 0 on a broadcast axis), rank <= 6.
// Float dtypes compute in float; i32/u32 wrap mod 2^32 like WGSL (integer division truncates and
// x / 0 = x, WGSL's rule). eq/gt give 1 or 0 in the output dtype.

import type { BinaryOp } from './op-types';
import { allocArray, BYTES, dtypeOf, isFloat, type DType, type TypedArray } from '../util/dtype';
import { numel } from '../util/shape';
import type { Kernel, Runtime } from './webgpu/runtime';
import { bytesOf } from './webgpu/pool';
import { checkStrided, coalesceDims, elementwiseLaunch, launchBlocks, stridedLoopWgsl, stridedOffsets, stridedUniformStruct, stridedUniforms, wgslType } from './layout';

function floatOp(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'max': return a > b ? a : b;
    case 'min': return a < b ? a : b;
    case 'eq': return a === b ? 1 : 0;
    case 'gt': return a > b ? 1 : 0;
  }
}

/** Integer semantics of WGSL (the typed-array store wraps the result mod 2^32). */
function intOp(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return Math.imul(a, b);
    case 'div': return b === 0 ? a : Math.trunc(a / b);
    default: return floatOp(op, a, b);
  }
}

/** out[idx] = a[Σ idx_i aStrides_i] op b[Σ idx_i bStrides_i] over outShape; dtype of a. */
export function binaryRef(
  op: BinaryOp, a: TypedArray, b: TypedArray,
  outShape: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
): TypedArray {
  const dtype = dtypeOf(a);
  if (dtypeOf(b) !== dtype) throw new Error(`binaryRef(${op}): dtypes differ: ${dtype} and ${dtypeOf(b)}`);
  checkStrided(`binaryRef(${op}) a`, a.length, outShape, aStrides, 0);
  checkStrided(`binaryRef(${op}) b`, b.length, outShape, bStrides, 0);
  const ia = stridedOffsets(outShape, aStrides, 0);
  const ib = stridedOffsets(outShape, bStrides, 0);
  const out = allocArray(dtype, ia.length);
  if (isFloat(dtype)) for (let i = 0; i < out.length; i++) out[i] = floatOp(op, a[ia[i]], b[ib[i]]);
  else for (let i = 0; i < out.length; i++) out[i] = intOp(op, a[ia[i]], b[ib[i]]);
  return out;
}

/** out[idx] = cond[..] != 0 ? a[..] : b[..] over outShape; dtype of a. */
export function whereRef(
  cond: TypedArray, a: TypedArray, b: TypedArray, outShape: readonly number[],
  cStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
): TypedArray {
  const dtype = dtypeOf(a);
  if (dtypeOf(b) !== dtype) throw new Error(`whereRef: dtypes of a and b differ: ${dtype} and ${dtypeOf(b)}`);
  checkStrided('whereRef cond', cond.length, outShape, cStrides, 0);
  checkStrided('whereRef a', a.length, outShape, aStrides, 0);
  checkStrided('whereRef b', b.length, outShape, bStrides, 0);
  const ic = stridedOffsets(outShape, cStrides, 0);
  const ia = stridedOffsets(outShape, aStrides, 0);
  const ib = stridedOffsets(outShape, bStrides, 0);
  const out = allocArray(dtype, ic.length);
  for (let i = 0; i < out.length; i++) out[i] = cond[ic[i]] !== 0 ? a[ia[i]] : b[ib[i]];
  return out;
}

// ---------------------------------------------------------------------------------------------
// WGSL twins: one pipeline per (op, dtype) serves every shape; the shape and strides (after
// coalescing contiguous axes) travel in the uniforms, see stridedLoopWgsl in layout.ts.
// ---------------------------------------------------------------------------------------------

const kernels = new Map<string, Kernel>();

function binaryExpr(op: BinaryOp, t: string): string {
  switch (op) {
    case 'add': return 'va + vb';
    case 'sub': return 'va - vb';
    case 'mul': return 'va * vb';
    case 'div': return 'va / vb';
    case 'max': return 'max(va, vb)';
    case 'min': return 'min(va, vb)';
    case 'eq': return `select(${t}(0), ${t}(1), va == vb)`;
    case 'gt': return `select(${t}(0), ${t}(1), va > vb)`;
  }
}

function checkBuffers(where: string, dtype: DType, ...pairs: [string, GPUBuffer][]): void {
  for (const [name, b] of pairs) {
    if (bytesOf(b) % 4 !== 0) throw new Error(`${where}: buffer ${name} of ${bytesOf(b)} bytes does not hold ${dtype} elements`);
  }
}

/** GPU twin of binaryRef (f32, i32, u32). */
export function binaryGpu(
  rt: Runtime, op: BinaryOp, a: GPUBuffer, b: GPUBuffer,
  outShape: readonly number[], aStrides: readonly number[], bStrides: readonly number[], dtype: DType,
): GPUBuffer {
  const t = wgslType(dtype);
  const where = `binaryGpu(${op})`;
  checkBuffers(where, dtype, ['a', a], ['b', b]);
  checkStrided(`${where} a`, bytesOf(a) / 4, outShape, aStrides, 0);
  checkStrided(`${where} b`, bytesOf(b) / 4, outShape, bStrides, 0);
  const n = numel(outShape);
  const out = rt.alloc(n * BYTES[dtype]);
  if (n === 0) return out;
  const l = elementwiseLaunch(rt);
  const c = coalesceDims(outShape, [aStrides, bStrides]);
  const rank = c.shape.length;
  const key = `binary:${op}:${t}:${rank}:${l.wg}:${l.per}`;
  let k = kernels.get(key);
  if (!k) {
    const wgsl = `${stridedUniformStruct(2)}
@group(0) @binding(1) var<storage, read> a: array<${t}>;
@group(0) @binding(2) var<storage, read> b: array<${t}>;
@group(0) @binding(3) var<storage, read_write> y: array<${t}>;
${stridedLoopWgsl(2, rank, l, `let va = a[o0]; let vb = b[o1]; y[i] = ${binaryExpr(op, t)};`)}`;
    kernels.set(key, (k = { name: `binary:${op}`, wgsl }));
  }
  rt.run(k, { buffers: [a, b, out], uniforms: stridedUniforms(n, c.shape, c.strides, 0), workgroups: launchBlocks(rt, n, l) });
  return out;
}

/** GPU twin of whereRef: a, b, out of any 32-bit dtype (moved as bits); cond of condDtype. */
export function whereGpu(
  rt: Runtime, cond: GPUBuffer, a: GPUBuffer, b: GPUBuffer, outShape: readonly number[],
  cStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[], dtype: DType, condDtype: DType,
): GPUBuffer {
  wgslType(dtype);
  const ct = wgslType(condDtype);
  checkBuffers('whereGpu', dtype, ['cond', cond], ['a', a], ['b', b]);
  checkStrided('whereGpu cond', bytesOf(cond) / 4, outShape, cStrides, 0);
  checkStrided('whereGpu a', bytesOf(a) / 4, outShape, aStrides, 0);
  checkStrided('whereGpu b', bytesOf(b) / 4, outShape, bStrides, 0);
  const n = numel(outShape);
  const out = rt.alloc(n * BYTES[dtype]);
  if (n === 0) return out;
  const l = elementwiseLaunch(rt);
  const c = coalesceDims(outShape, [cStrides, aStrides, bStrides]);
  const rank = c.shape.length;
  const key = `where:${ct}:${rank}:${l.wg}:${l.per}`;
  let k = kernels.get(key);
  if (!k) {
    const wgsl = `${stridedUniformStruct(3)}
@group(0) @binding(1) var<storage, read> cond: array<${ct}>;
@group(0) @binding(2) var<storage, read> a: array<u32>;
@group(0) @binding(3) var<storage, read> b: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;
${stridedLoopWgsl(3, rank, l, `y[i] = select(b[o2], a[o1], cond[o0] != ${ct}(0));`)}`;
    kernels.set(key, (k = { name: 'where', wgsl }));
  }
  rt.run(k, { buffers: [cond, a, b, out], uniforms: stridedUniforms(n, c.shape, c.strides, 0), workgroups: launchBlocks(rt, n, l) });
  return out;
}
