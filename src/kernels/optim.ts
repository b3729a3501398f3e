// Adam with decoupled weight decay (AdamW), dense and row-sparse, updating param, m and v in
// place. Per element:
//   g = grad * gradScale
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g^2
//   p -= lr * (weightDecay * p + (m / bc1) / (sqrt(v / bc2) + eps))
// bc1 = 1 - beta1^t and bc2 = 1 - beta2^t are computed on the host.
// The row-sparse variant updates only listed rows of a (numRows, cols) table. Its gradient is
// either dense (numRows, cols), read at the listed rows, or compact (R, cols): row j of the
// gradient belongs to rows[j] (a row-sparse gradient's values, src/tensor/ops/bag.ts), so the
// step costs O(R · cols) whatever the table's size. One kernel serves both (a uniform flag).

import type { AdamHyper } from './op-types';
import type { TypedArray } from '../util/dtype';
import { LINEAR_INDEX_WGSL, UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';
import { bytesOf } from './webgpu/pool';

function checkSame(fn: string, param: TypedArray, others: Record<string, TypedArray>): void {
  for (const [name, a] of Object.entries(others)) {
    if (a.length !== param.length) throw new Error(`${fn}: ${name} has ${a.length} elements but param has ${param.length}`);
  }
}

/** Updates element i of param, m, v from element gi of grad. */
function adamStep(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, i: number, h: AdamHyper, gi = i): void {
  const g = grad[gi] * h.gradScale;
  m[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
  v[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
  const update = m[i] / h.bc1 / (Math.sqrt(v[i] / h.bc2) + h.eps);
  param[i] -= h.lr * (h.weightDecay * param[i] + update);
}

/** Dense AdamW over every element of param (grad, m, v have the same length). */
export function adamwRef(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, h: AdamHyper): void {
  checkSame('adamwRef', param, { grad, m, v });
  for (let i = 0; i < param.length; i++) adamStep(param, grad, m, v, i, h);
}

/**
 * Row-sparse AdamW: only the listed rows (unique) of the (numRows, cols) param, m, v are read and
 * changed. grad is (numRows, cols), or with `compact` (rows.length, cols): row j for rows[j].
 */
export function adamRowsRef(
  param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, rows: Int32Array, cols: number, h: AdamHyper, compact = false,
): void {
  const fn = 'adamRowsRef';
  checkSame(fn, param, compact ? { m, v } : { grad, m, v });
  if (compact && grad.length !== rows.length * cols) {
    throw new Error(`${fn}: compact grad has ${grad.length} elements, need rows · cols = ${rows.length} · ${cols}`);
  }
  const numRows = Math.floor(param.length / cols);
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j];
    if (!Number.isInteger(r) || r < 0 || r >= numRows) throw new Error(`${fn}: rows[${j}] = ${r} is out of range [0, ${numRows})`);
    const g0 = compact ? j * cols : r * cols;
    for (let c = 0; c < cols; c++) adamStep(param, grad, m, v, r * cols + c, h, g0 + c);
  }
}

// ---------------------------------------------------------------------------------------------
// WGSL: one invocation per element; hyper-parameters are f32 uniforms, so one pipeline serves
// every step and every parameter tensor.

const WG = 64;

const HYPER_FIELDS = 'lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32, gradScale: f32,';

// Element i of param, m, v from element gi of grad.
const ADAM_STEP_WGSL = `
fn adamStep(i: u32, gi: u32) {
  let g = grad[gi] * P.gradScale;
  let mi = P.beta1 * m[i] + (1.0 - P.beta1) * g;
  let vi = P.beta2 * v[i] + (1.0 - P.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let update = (mi / P.bc1) / (sqrt(vi / P.bc2) + P.eps);
  param[i] = param[i] - P.lr * (P.wd * param[i] + update);
}`;

const BINDINGS = `@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;`;

const ADAMW: Kernel = {
  name: 'adamw',
  wgsl: `struct Params { n: u32, ${HYPER_FIELDS} }
@group(0) @binding(0) var<uniform> P: Params;
${BINDINGS}
${ADAM_STEP_WGSL}
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, ${WG}u);
  if (i < P.n) { adamStep(i, i); }
}
`,
};

const ADAM_ROWS: Kernel = {
  name: 'adam_rows',
  wgsl: `struct Params { count: u32, cols: u32, numRows: u32, compact: u32, ${HYPER_FIELDS} }
@group(0) @binding(0) var<uniform> P: Params;
${BINDINGS}
@group(0) @binding(5) var<storage, read> rows: array<i32>;
${ADAM_STEP_WGSL}
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Invocation id covers (j, c) over the listed rows: element (rows[j], c) of the tables, and
  // element (j, c) of a compact gradient, which is element id.
  let id = linearIndex(gid, nwg, ${WG}u);
  if (id >= P.count) { return; }
  let r = rows[id / P.cols];
  if (r < 0 || u32(r) >= P.numRows) { return; } // validated on the host; never touch memory out of bounds
  let i = u32(r) * P.cols + id % P.cols;
  adamStep(i, select(i, id, P.compact != 0u));
}
`,
};

function hyper(w: UniformWriter, h: AdamHyper): ArrayBuffer {
  return w.f32(h.lr).f32(h.beta1).f32(h.beta2).f32(h.eps).f32(h.weightDecay).f32(h.bc1).f32(h.bc2).f32(h.gradScale).done();
}

/** Dense AdamW on n f32 elements, in place. */
export function adamwGpu(rt: Runtime, param: GPUBuffer, grad: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, h: AdamHyper): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`adamwGpu: bad n = ${n}`);
  for (const [name, b] of [['param', param], ['grad', grad], ['m', m], ['v', v]] as const) {
    if (bytesOf(b) < n * 4) throw new Error(`adamwGpu: ${name} holds ${bytesOf(b)} bytes, n = ${n} needs ${n * 4}`);
  }
  rt.run(ADAMW, {
    buffers: [param, grad, m, v],
    uniforms: hyper(new UniformWriter().u32(n), h),
    workgroups: rt.grid(Math.ceil(n / WG)),
  });
}

/**
 * Row-sparse AdamW: only the listed rows (host i32, unique) of the (numRows, cols) f32 param, m,
 * v change. grad is (numRows, cols), or with `compact` (rows.length, cols): row j for rows[j].
 */
export function adamRowsGpu(
  rt: Runtime, param: GPUBuffer, grad: GPUBuffer, m: GPUBuffer, v: GPUBuffer, rows: Int32Array, cols: number, h: AdamHyper, compact = false,
): void {
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`adamRowsGpu: bad cols = ${cols}`);
  if (compact && bytesOf(grad) < rows.length * cols * 4) {
    throw new Error(`adamRowsGpu: compact grad holds ${bytesOf(grad)} bytes, rows · cols = ${rows.length} · ${cols} f32 need ${rows.length * cols * 4}`);
  }
  const numRows = Math.floor(bytesOf(param) / 4 / cols);
  for (let j = 0; j < rows.length; j++) {
    if (!Number.isInteger(rows[j]) || rows[j] < 0 || rows[j] >= numRows) {
      throw new Error(`adamRowsGpu: rows[${j}] = ${rows[j]} is out of range [0, ${numRows})`);
    }
  }
  if (rows.length === 0) return;
  const rowsBuf = rt.upload(rows, 'adam_rows');
  const count = rows.length * cols;
  rt.run(ADAM_ROWS, {
    buffers: [param, grad, m, v, rowsBuf],
    uniforms: hyper(new UniformWriter().u32(count).u32(cols).u32(numRows).u32(compact ? 1 : 0), h),
    workgroups: rt.grid(Math.ceil(count / WG)),
  });
  rt.release(rowsBuf); // later reuse is ordered after this dispatch (uploads avoid pending buffers)
}
