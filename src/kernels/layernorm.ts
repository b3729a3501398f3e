// Fused layer normalisation over the last axis of x: (rows, cols), with per-column gain gamma
// and bias beta (cols). Forward also returns the per-row mean and rstd = 1/sqrt(var + eps)
// (rows) that the backward pass reuses. Variance is the biased (population) one, as in PyTorch.
// Backward derivation: docs/backward.md.

import { allocArray, dtypeOf, type TypedArray } from '../util/dtype';
import { LINEAR_INDEX_WGSL, UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';
import { checkBindable, rowKernel, type RowKernelOptions, type RowProgram } from './softmax';

function check(fn: string, name: string, a: ArrayLike<number>, n: number): void {
  if (a.length < n) throw new Error(`${fn}: ${name} has ${a.length} elements, need ${n}`);
}

function checkShape(fn: string, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new Error(`${fn}: bad shape rows=${rows}, cols=${cols}`);
  }
}

/** y = (x - mean) * rstd * gamma + beta per row; returns y (rows, cols), mean and rstd (rows). */
export function layerNormRef(x: TypedArray, gamma: TypedArray, beta: TypedArray, rows: number, cols: number, eps: number):
  { y: TypedArray; mean: TypedArray; rstd: TypedArray } {
  checkShape('layerNormRef', rows, cols);
  check('layerNormRef', 'x', x, rows * cols);
  check('layerNormRef', 'gamma', gamma, cols);
  check('layerNormRef', 'beta', beta, cols);
  const dt = dtypeOf(x);
  const y = allocArray(dt, rows * cols);
  const mean = allocArray(dt, rows);
  const rstd = allocArray(dt, rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[o + c];
    const mu = s / cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[o + c] - mu) * (x[o + c] - mu);
    const rs = 1 / Math.sqrt(v / cols + eps);
    for (let c = 0; c < cols; c++) y[o + c] = (x[o + c] - mu) * rs * gamma[c] + beta[c];
    mean[r] = mu;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}

/**
 * Backward of layerNorm. With xhat = (x - mean) * rstd and gdy = gamma * dy (per row):
 *   dx = rstd * (gdy - mean(gdy) - xhat * mean(gdy * xhat))
 *   dgamma = sum over rows of dy * xhat,  dbeta = sum over rows of dy.
 */
export function layerNormGradRef(dy: TypedArray, x: TypedArray, gamma: TypedArray, mean: TypedArray, rstd: TypedArray, rows: number, cols: number):
  { dx: TypedArray; dgamma: TypedArray; dbeta: TypedArray } {
  const fn = 'layerNormGradRef';
  checkShape(fn, rows, cols);
  check(fn, 'dy', dy, rows * cols);
  check(fn, 'x', x, rows * cols);
  check(fn, 'gamma', gamma, cols);
  check(fn, 'mean', mean, rows);
  check(fn, 'rstd', rstd, rows);
  const dt = dtypeOf(x);
  const dx = allocArray(dt, rows * cols);
  // Column sums accumulate in float64 and are rounded to the dtype once at the end.
  const dgamma64 = new Float64Array(cols);
  const dbeta64 = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = mean[r];
    const rs = rstd[r];
    let sumG = 0;
    let sumGX = 0;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[o + c] - mu) * rs;
      const gdy = gamma[c] * dy[o + c];
      sumG += gdy;
      sumGX += gdy * xhat;
      dgamma64[c] += dy[o + c] * xhat;
      dbeta64[c] += dy[o + c];
    }
    const meanG = sumG / cols;
    const meanGX = sumGX / cols;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[o + c] - mu) * rs;
      dx[o + c] = rs * (gamma[c] * dy[o + c] - meanG - xhat * meanGX);
    }
  }
  const dgamma = allocArray(dt, cols);
  const dbeta = allocArray(dt, cols);
  dgamma.set(dgamma64);
  dbeta.set(dbeta64);
  return { dx, dgamma, dbeta };
}

// ---------------------------------------------------------------------------------------------
// WGSL. The per-row parts (forward; dx in backward) are row programs (see softmax.ts): 'row'
// variant = one invocation per row, 'wg' = one workgroup per row with a shared-memory reduction.
// dgamma/dbeta are column sums over all rows, done deterministically without atomics:
//   1. layernorm_grad_cols: invocation (block b, column c) sums rows [b*rb, (b+1)*rb) in order
//      into partials (2, nb, cols);
//   2. layernorm_grad_cols_sum: invocation c sums its nb partials in order.

const LN_FWD: RowProgram = {
  name: 'layernorm',
  uniformFields: 'eps: f32,',
  bindings: `@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;`,
  stages: [
    { accs: [{ name: 'sx', op: 'sum', term: 'x[o + c]' }], after: 'let mu = sx / f32(P.cols);' },
    // Two-pass variance (sum of squared deviations), as the reference: no cancellation.
    { pre: 'let d = x[o + c] - mu;', accs: [{ name: 'sv', op: 'sum', term: 'd * d' }], after: 'let rs = inverseSqrt(sv / f32(P.cols) + P.eps);' },
  ],
  write: 'y[o + c] = (x[o + c] - mu) * rs * gamma[c] + beta[c];',
  rowWrite: 'mean[row] = mu; rstd[row] = rs;',
};

const LN_GRAD_DX: RowProgram = {
  name: 'layernorm_grad_dx',
  uniformFields: '',
  bindings: `@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;`,
  prelude: 'let mu = mean[row]; let rs = rstd[row];',
  stages: [{
    pre: 'let xh = (x[o + c] - mu) * rs; let gd = gamma[c] * dy[o + c];',
    accs: [{ name: 'sg', op: 'sum', term: 'gd' }, { name: 'sgx', op: 'sum', term: 'gd * xh' }],
    after: 'let mg = sg / f32(P.cols); let mgx = sgx / f32(P.cols);',
  }],
  write: 'let xh = (x[o + c] - mu) * rs; dx[o + c] = rs * (gamma[c] * dy[o + c] - mg - xh * mgx);',
};

const COL_WG = 64;

const LN_GRAD_COLS: Kernel = {
  name: 'layernorm_grad_cols',
  wgsl: `struct Params { rows: u32, cols: u32, rb: u32, nb: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
// part: (2, nb, cols): dgamma partials, then dbeta partials.
@group(0) @binding(5) var<storage, read_write> part: array<f32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${COL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linearIndex(gid, nwg, ${COL_WG}u);
  if (id >= P.nb * P.cols) { return; }
  let b = id / P.cols;
  let c = id % P.cols;
  let r1 = min((b + 1u) * P.rb, P.rows);
  var sg = 0.0;
  var sb = 0.0;
  for (var r = b * P.rb; r < r1; r++) {
    let d = dy[r * P.cols + c];
    sg += d * (x[r * P.cols + c] - mean[r]) * rstd[r];
    sb += d;
  }
  part[id] = sg;
  part[P.nb * P.cols + id] = sb;
}
`,
};

const LN_GRAD_COLS_SUM: Kernel = {
  name: 'layernorm_grad_cols_sum',
  wgsl: `struct Params { cols: u32, nb: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> dbeta: array<f32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${COL_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = linearIndex(gid, nwg, ${COL_WG}u);
  if (c >= P.cols) { return; }
  var sg = 0.0;
  var sb = 0.0;
  for (var b = 0u; b < P.nb; b++) {
    sg += part[b * P.cols + c];
    sb += part[(P.nb + b) * P.cols + c];
  }
  dgamma[c] = sg;
  dbeta[c] = sb;
}
`,
};

/** Row blocks for the column sums: enough (block, column) invocations to fill the adapter. */
export function columnBlocks(rt: Runtime, rows: number, cols: number): { rb: number; nb: number } {
  if (rows === 0) return { rb: 1, nb: 0 };
  const target = rt.ctx.kind === 'gpu' ? 65536 : 1024;
  const want = Math.min(Math.ceil(rows / 8), Math.max(1, Math.ceil(target / cols)));
  const rb = Math.ceil(rows / want);
  return { rb, nb: Math.ceil(rows / rb) };
}

function checkGpuShape(fn: string, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new Error(`${fn}: bad shape rows=${rows}, cols=${cols}`);
  }
}

/** f32 layerNorm on the GPU: one dispatch writing y (rows, cols), mean and rstd (rows). */
export function layerNormGpu(rt: Runtime, x: GPUBuffer, gamma: GPUBuffer, beta: GPUBuffer, rows: number, cols: number, eps: number,
  opts: RowKernelOptions = {}): { y: GPUBuffer; mean: GPUBuffer; rstd: GPUBuffer } {
  checkGpuShape('layerNormGpu', rows, cols);
  checkBindable(rt, 'layerNormGpu', { x });
  const y = rt.alloc(rows * cols * 4, 'layernorm_y');
  const mean = rt.alloc(rows * 4, 'layernorm_mean');
  const rstd = rt.alloc(rows * 4, 'layernorm_rstd');
  const { kernel, workgroups } = rowKernel(rt, 'layernorm', () => LN_FWD, rows, cols, opts);
  const uniforms = new UniformWriter().u32(rows).u32(cols).f32(eps).done();
  rt.run(kernel, { buffers: [x, gamma, beta, y, mean, rstd], uniforms, workgroups });
  return { y, mean, rstd };
}

/** f32 layerNorm backward on the GPU: dx (one dispatch), dgamma and dbeta (two dispatches). */
export function layerNormGradGpu(rt: Runtime, dy: GPUBuffer, x: GPUBuffer, gamma: GPUBuffer, mean: GPUBuffer, rstd: GPUBuffer,
  rows: number, cols: number, opts: RowKernelOptions = {}): { dx: GPUBuffer; dgamma: GPUBuffer; dbeta: GPUBuffer } {
  checkGpuShape('layerNormGradGpu', rows, cols);
  checkBindable(rt, 'layerNormGradGpu', { dy, x });
  const dx = rt.alloc(rows * cols * 4, 'layernorm_dx');
  const dgamma = rt.alloc(cols * 4, 'layernorm_dgamma');
  const dbeta = rt.alloc(cols * 4, 'layernorm_dbeta');
  const { kernel, workgroups } = rowKernel(rt, 'layernorm_grad_dx', () => LN_GRAD_DX, rows, cols, opts);
  rt.run(kernel, { buffers: [dy, x, gamma, mean, rstd, dx], uniforms: new UniformWriter().u32(rows).u32(cols).done(), workgroups });

  const { rb, nb } = columnBlocks(rt, rows, cols);
  const part = rt.alloc(Math.max(1, 2 * nb * cols) * 4, 'layernorm_partials');
  rt.run(LN_GRAD_COLS, {
    buffers: [dy, x, mean, rstd, part],
    uniforms: new UniformWriter().u32(rows).u32(cols).u32(rb).u32(nb).done(),
    workgroups: rt.grid(Math.ceil((nb * cols) / COL_WG)),
  });
  rt.run(LN_GRAD_COLS_SUM, {
    buffers: [part, dgamma, dbeta],
    uniforms: new UniformWriter().u32(cols).u32(nb).done(),
    workgroups: rt.grid(Math.ceil(cols / COL_WG)),
  });
  rt.release(part); // safe: later work that reuses it is ordered after these dispatches
  return { dx, dgamma, dbeta };
}
