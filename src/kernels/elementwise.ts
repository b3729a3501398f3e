// Elementwise kernels without broadcasting: fill, the unary family and its gradients, and the
// dropout mask. Binary ops and `where` (which broadcast through strides) live in
// elementwise-binary.ts and are re-exported here, so this module is the one import for the family.
//
// Each op has a plain-TS reference (`xxxRef`, the oracle: float math in double precision, stored
// in the input's dtype) and a WGSL twin (`xxxGpu`). Floats follow the formulas below; integer
// dtypes (i32/u32) support only the ops that stay integers: neg, abs, square, relu, and
// scale/shift by an integer alpha (wrapping mod 2^32 like WGSL).

import type { UnaryOp } from './op-types';
import { allocArray, BYTES, dtypeOf, isFloat, type DType, type TypedArray } from '../util/dtype';
import { UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';
import { bytesOf } from './webgpu/pool';
import { dropThreshold, hash32, HASH_WGSL } from './random';
import { elementwiseLaunch, ENTRY_PARAMS_WGSL, FLAT_GROUP_WGSL, launchBlocks, scalarBits, wgslType, type Launch } from './layout';

export { binaryRef, binaryGpu, whereRef, whereGpu } from './elementwise-binary';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** Ops defined on integer dtypes (the others need fractions). */
const INT_OPS: ReadonlySet<UnaryOp> = new Set<UnaryOp>(['neg', 'abs', 'square', 'relu', 'scale', 'shift']);

function checkIntOp(where: string, op: UnaryOp, dtype: DType, alpha: number): void {
  if (isFloat(dtype)) return;
  if (!INT_OPS.has(op)) throw new Error(`${where}: op '${op}' is not defined for dtype ${dtype}`);
  if ((op === 'scale' || op === 'shift') && !Number.isInteger(alpha)) {
    throw new Error(`${where}: op '${op}' on ${dtype} needs an integer alpha, got ${alpha}`);
  }
}

// ---------------------------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------------------------

export function fillRef(n: number, dtype: DType, value: number): TypedArray {
  return allocArray(dtype, n).fill(value);
}

/** Numerically stable logistic function. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
}

function geluGrad(x: number): number {
  const t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x);
}

function unaryFloat(op: UnaryOp, x: number, alpha: number): number {
  switch (op) {
    case 'neg': return -x;
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'sqrt': return Math.sqrt(x);
    case 'rsqrt': return 1 / Math.sqrt(x);
    case 'tanh': return Math.tanh(x);
    case 'relu': return x > 0 ? x : 0;
    case 'gelu': return gelu(x);
    case 'sigmoid': return sigmoid(x);
    case 'pow': return Math.pow(x, alpha);
    case 'scale': return alpha * x;
    case 'shift': return x + alpha;
    case 'abs': return Math.abs(x);
    case 'square': return x * x;
  }
}

/** Integer ops wrap mod 2^32 (the typed-array store does the final wrap). */
function unaryInt(op: UnaryOp, x: number, alpha: number): number {
  switch (op) {
    case 'neg': return -x;
    case 'abs': return Math.abs(x);
    case 'square': return Math.imul(x, x);
    case 'relu': return x > 0 ? x : 0;
    case 'scale': return Math.imul(x, alpha);
    case 'shift': return (x + alpha) | 0;
    default: throw new Error(`unaryRef: op '${op}' is not defined for integer dtypes`);
  }
}

/** out = f(x), same dtype as x. */
export function unaryRef(op: UnaryOp, x: TypedArray, alpha = 0): TypedArray {
  const dtype = dtypeOf(x);
  checkIntOp('unaryRef', op, dtype, alpha);
  const out = allocArray(dtype, x.length);
  const f = isFloat(dtype) ? unaryFloat : unaryInt;
  for (let i = 0; i < x.length; i++) out[i] = f(op, x[i], alpha);
  return out;
}

/** f'(x), given x and y = f(x). relu'(0) = abs'(0) = 0. */
function derivative(op: UnaryOp, x: number, y: number, alpha: number): number {
  switch (op) {
    case 'neg': return -1;
    case 'exp': return y;
    case 'log': return 1 / x;
    case 'sqrt': return 0.5 / y;
    case 'rsqrt': return -0.5 * y * y * y;
    case 'tanh': return 1 - y * y;
    case 'relu': return x > 0 ? 1 : 0;
    case 'gelu': return geluGrad(x);
    case 'sigmoid': return y * (1 - y);
    case 'pow': return alpha === 0 ? 0 : alpha * Math.pow(x, alpha - 1);
    case 'scale': return alpha;
    case 'shift': return 1;
    case 'abs': return x > 0 ? 1 : x < 0 ? -1 : 0;
    case 'square': return 2 * x;
  }
}

/** dx = dy * f'(x), same dtype as x. Float dtypes only. */
export function unaryGradRef(op: UnaryOp, x: TypedArray, y: TypedArray, dy: TypedArray, alpha = 0): TypedArray {
  const dtype = dtypeOf(x);
  if (!isFloat(dtype)) throw new Error(`unaryGradRef: gradients need a float dtype, got ${dtype}`);
  if (y.length !== x.length || dy.length !== x.length) {
    throw new Error(`unaryGradRef(${op}): lengths differ: x ${x.length}, y ${y.length}, dy ${dy.length}`);
  }
  const out = allocArray(dtype, x.length);
  for (let i = 0; i < x.length; i++) out[i] = dy[i] * derivative(op, x[i], y[i], alpha);
  return out;
}

/** f32 mask: element i is 0 when hash32(seed, i) < threshold(p), else 1/(1-p). */
export function dropoutMaskRef(n: number, p: number, seed: number): Float32Array {
  const threshold = dropThreshold(p);
  const keep = Math.fround(1 / (1 - p));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = hash32(seed, i) < threshold ? 0 : keep;
  return out;
}

// ---------------------------------------------------------------------------------------------
// WGSL twins. Thread `lid` of flat workgroup `group` handles elements
// group*wg*per + k*wg + lid for k < per: consecutive threads touch consecutive elements.
// ---------------------------------------------------------------------------------------------

const kernels = new Map<string, Kernel>();

function cached(key: string, name: string, make: () => string): Kernel {
  let k = kernels.get(key);
  if (!k) kernels.set(key, (k = { name, wgsl: make() }));
  return k;
}

/** A kernel over n elements: `body` computes element i (declared) from the bindings. */
function flatKernelWgsl(l: Launch, header: string, body: string): string {
  return `${header}
@compute @workgroup_size(${l.wg})
fn main(${ENTRY_PARAMS_WGSL}) {
  ${FLAT_GROUP_WGSL}
  let first = group * ${l.wg * l.per}u + lid;
  for (var k = 0u; k < ${l.per}u; k++) {
    let i = first + k * ${l.wg}u;
    if (i >= u.n) { return; }
    ${body}
  }
}`;
}

// Float helpers shared by the unary shaders. tanh goes through a clamp: tanh(±10) is ±1 in f32,
// and some drivers evaluate tanh as a ratio of exponentials that overflows to NaN for large |x|.
const FLOAT_HELPERS_WGSL = `
fn tanhSafe(x: f32) -> f32 { return tanh(clamp(x, -10.0, 10.0)); }
fn sigmoidSafe(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
// x^a; negative x with an integer exponent keeps the sign rule of (-x)^a.
fn powSafe(x: f32, a: f32) -> f32 {
  if (a == 0.0) { return 1.0; }
  // (WGSL constants cannot be inf or NaN, so these come from runtime arithmetic.)
  if (x == 0.0) { return select(0.0, 1.0 / x, a < 0.0); }
  if (x > 0.0) { return pow(x, a); }
  if (a != floor(a)) { return sqrt(x); } // NaN, as for a negative base with a fractional power
  let m = pow(-x, a);
  return select(m, -m, (i32(a) & 1) == 1);
}
fn geluF(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanhSafe(${SQRT_2_OVER_PI} * (x + ${GELU_C} * x * x * x)));
}
fn geluGrad(x: f32) -> f32 {
  let t = tanhSafe(${SQRT_2_OVER_PI} * (x + ${GELU_C} * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * ${SQRT_2_OVER_PI} * (1.0 + ${3 * GELU_C} * x * x);
}`;

/** WGSL expression of f(x) (x: T, a: the alpha uniform of type T). */
function unaryExpr(op: UnaryOp, t: string): string {
  switch (op) {
    case 'neg': return t === 'u32' ? '0u - x' : '-x';
    case 'exp': return 'exp(x)';
    case 'log': return 'log(x)';
    case 'sqrt': return 'sqrt(x)';
    case 'rsqrt': return '1.0 / sqrt(x)';
    case 'tanh': return 'tanhSafe(x)';
    case 'relu': return `max(x, ${t}(0))`;
    case 'gelu': return 'geluF(x)';
    case 'sigmoid': return 'sigmoidSafe(x)';
    case 'pow': return 'powSafe(x, a)';
    case 'scale': return 'a * x';
    case 'shift': return 'x + a';
    case 'abs': return 'abs(x)';
    case 'square': return 'x * x';
  }
}

/** WGSL expression of f'(x) given x and y = f(x) (f32 only). */
function derivExpr(op: UnaryOp): string {
  switch (op) {
    case 'neg': return '-1.0';
    case 'exp': return 'y';
    case 'log': return '1.0 / x';
    case 'sqrt': return '0.5 / y';
    case 'rsqrt': return '-0.5 * y * y * y';
    case 'tanh': return '1.0 - y * y';
    case 'relu': return 'select(0.0, 1.0, x > 0.0)';
    case 'gelu': return 'geluGrad(x)';
    case 'sigmoid': return 'y * (1.0 - y)';
    case 'pow': return 'select(a * powSafe(x, a - 1.0), 0.0, a == 0.0)';
    case 'scale': return 'a';
    case 'shift': return '1.0';
    case 'abs': return 'sign(x)';
    case 'square': return '2.0 * x';
  }
}

function elementCount(where: string, n: number, buffers: GPUBuffer[], dtype: DType): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${where}: n must be a non-negative integer, got ${n}`);
  for (const b of buffers) {
    if (bytesOf(b) < n * BYTES[dtype]) throw new Error(`${where}: a ${bytesOf(b)}-byte buffer is too small for ${n} ${dtype} elements`);
  }
}

/** GPU twin of fillRef. */
export function fillGpu(rt: Runtime, n: number, dtype: DType, value: number): GPUBuffer {
  wgslType(dtype);
  elementCount('fillGpu', n, [], dtype);
  const out = rt.alloc(n * BYTES[dtype]);
  if (n === 0) return out;
  const l = elementwiseLaunch(rt);
  const k = cached(`fill:${l.wg}:${l.per}`, 'fill', () => flatKernelWgsl(l,
    `struct U { n: u32, bits: u32 };
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;`,
    'y[i] = u.bits;'));
  rt.run(k, { buffers: [out], uniforms: new UniformWriter().u32(n).u32(scalarBits(value, dtype)).done(), workgroups: launchBlocks(rt, n, l) });
  return out;
}

function alphaUniforms(n: number, alpha: number, dtype: DType): ArrayBuffer {
  const w = new UniformWriter().u32(n);
  if (dtype === 'f32') w.f32(alpha);
  else if (dtype === 'i32') w.i32(alpha);
  else w.u32(alpha);
  return w.done();
}

/** GPU twin of unaryRef. */
export function unaryGpu(rt: Runtime, op: UnaryOp, x: GPUBuffer, n: number, dtype: DType, alpha = 0): GPUBuffer {
  const t = wgslType(dtype);
  checkIntOp('unaryGpu', op, dtype, alpha);
  elementCount(`unaryGpu(${op})`, n, [x], dtype);
  const out = rt.alloc(n * BYTES[dtype]);
  if (n === 0) return out;
  const l = elementwiseLaunch(rt);
  const k = cached(`unary:${op}:${t}:${l.wg}:${l.per}`, `unary:${op}`, () => flatKernelWgsl(l,
    `struct U { n: u32, a: ${t} };
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> xs: array<${t}>;
@group(0) @binding(2) var<storage, read_write> ys: array<${t}>;
${t === 'f32' ? FLOAT_HELPERS_WGSL : ''}`,
    `let x = xs[i]; let a = u.a; ys[i] = ${unaryExpr(op, t)};`));
  rt.run(k, { buffers: [x, out], uniforms: alphaUniforms(n, alpha, dtype), workgroups: launchBlocks(rt, n, l) });
  return out;
}

/** GPU twin of unaryGradRef (f32). */
export function unaryGradGpu(rt: Runtime, op: UnaryOp, x: GPUBuffer, y: GPUBuffer, dy: GPUBuffer, n: number, dtype: DType, alpha = 0): GPUBuffer {
  if (dtype !== 'f32') throw new Error(`unaryGradGpu(${op}): gradients need dtype f32, got ${dtype}`);
  elementCount(`unaryGradGpu(${op})`, n, [x, y, dy], dtype);
  const out = rt.alloc(n * 4);
  if (n === 0) return out;
  const l = elementwiseLaunch(rt);
  const k = cached(`unaryGrad:${op}:${l.wg}:${l.per}`, `unaryGrad:${op}`, () => flatKernelWgsl(l,
    `struct U { n: u32, a: f32 };
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> ys: array<f32>;
@group(0) @binding(3) var<storage, read> dys: array<f32>;
@group(0) @binding(4) var<storage, read_write> dxs: array<f32>;
${FLOAT_HELPERS_WGSL}`,
    `let x = xs[i]; let y = ys[i]; let a = u.a; dxs[i] = dys[i] * (${derivExpr(op)});`));
  rt.run(k, { buffers: [x, y, dy, out], uniforms: alphaUniforms(n, alpha, 'f32'), workgroups: launchBlocks(rt, n, l) });
  return out;
}

/** GPU twin of dropoutMaskRef: the same u32 hash, so the masks agree bit for bit. */
export function dropoutMaskGpu(rt: Runtime, n: number, p: number, seed: number): GPUBuffer {
  const threshold = dropThreshold(p);
  elementCount('dropoutMaskGpu', n, [], 'f32');
  const out = rt.alloc(n * 4);
  if (n === 0) return out;
  const l = elementwiseLaunch(rt);
  const k = cached(`dropout:${l.wg}:${l.per}`, 'dropoutMask', () => flatKernelWgsl(l,
    `struct U { n: u32, seed: u32, threshold: u32, keep: f32 };
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read_write> mask: array<f32>;
${HASH_WGSL}`,
    'mask[i] = select(u.keep, 0.0, hash32(u.seed, i) < u.threshold);'));
  const uniforms = new UniformWriter().u32(n).u32(seed >>> 0).u32(threshold).f32(1 / (1 - p)).done();
  rt.run(k, { buffers: [out], uniforms, workgroups: launchBlocks(rt, n, l) });
  return out;
}
