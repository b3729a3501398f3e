// Fused, numerically stable softmax and logSoftmax over the last axis of x: (rows, cols), and
// their backward passes. The reference (xxxRef) is the oracle; the WGSL twin (xxxGpu) runs one
// kernel per call.
//
// Stability: each row subtracts its max before exp, so exp never overflows.
// -Infinity inputs (masked attention): an entry of -Infinity in a row that also holds a finite
// value gives softmax 0 (logSoftmax -Infinity) there. A row whose entries are ALL -Infinity has
// max = -Infinity, x - max = NaN, and gives NaN everywhere (both backends); callers must not mask
// a whole row.

import { allocArray, dtypeOf, type TypedArray } from '../util/dtype';
import { LINEAR_INDEX_WGSL, UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';

function checkRows(fn: string, name: string, a: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new Error(`${fn}: bad shape rows=${rows}, cols=${cols}`);
  }
  if (a.length < rows * cols) throw new Error(`${fn}: ${name} has ${a.length} elements, need rows*cols = ${rows * cols}`);
}

/** y = softmax(x) (or logSoftmax when `log`) over each row of x: (rows, cols). Output dtype = x's. */
export function softmaxRef(x: TypedArray, rows: number, cols: number, log: boolean): TypedArray {
  checkRows('softmaxRef', 'x', x, rows, cols);
  const y = allocArray(dtypeOf(x), rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[o + c] - max);
    if (log) {
      const lse = Math.log(sum);
      for (let c = 0; c < cols; c++) y[o + c] = x[o + c] - max - lse;
    } else {
      for (let c = 0; c < cols; c++) y[o + c] = Math.exp(x[o + c] - max) / sum;
    }
  }
  return y;
}

/**
 * Backward of softmax / logSoftmax given the forward output y and the upstream gradient dy
 * (both (rows, cols)). softmax: dx = y * (dy - sum(dy * y)); logSoftmax: dx = dy - exp(y) * sum(dy).
 * See docs/backward.md.
 */
export function softmaxGradRef(y: TypedArray, dy: TypedArray, rows: number, cols: number, log: boolean): TypedArray {
  checkRows('softmaxGradRef', 'y', y, rows, cols);
  checkRows('softmaxGradRef', 'dy', dy, rows, cols);
  const dx = allocArray(dtypeOf(y), rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    if (log) {
      for (let c = 0; c < cols; c++) s += dy[o + c];
      for (let c = 0; c < cols; c++) dx[o + c] = dy[o + c] - Math.exp(y[o + c]) * s;
    } else {
      for (let c = 0; c < cols; c++) s += dy[o + c] * y[o + c];
      for (let c = 0; c < cols; c++) dx[o + c] = y[o + c] * (dy[o + c] - s);
    }
  }
  return dx;
}

// ---------------------------------------------------------------------------------------------
// WGSL. Softmax, layerNorm and their backward passes are all "row programs": a few reductions
// over each row (max, sums), then one write per element. rowKernelWgsl turns such a program into
// one of two kernels:
//   'row': one invocation per row, a plain loop over the columns. No shared memory, no barriers:
//          what suits llvmpipe, and short rows (attention: cols = 32, rows = 16k) anywhere.
//   'wg':  one workgroup per row; each invocation strides over the columns, then a shared-memory
//          tree reduction combines the partials. Suits long rows (cols = 42k) on a real GPU, or
//          few long rows on llvmpipe.

export type RowVariant = 'row' | 'wg';
export interface RowKernelOptions {
  /** Force a variant (tests use this to exercise both on any adapter). */
  variant?: RowVariant;
}

/** A reduction over the row: `term` is a WGSL expression of the column `c` (and row offset `o`). */
export interface RowAcc {
  name: string;
  op: 'sum' | 'max';
  term: string;
  /** Initial value; max needs one of the row's own values (WGSL has no -inf literal). Default 0.0. */
  init?: string;
}

export interface RowProgram {
  name: string;
  /** Extra uniform struct fields after `rows: u32, cols: u32` (e.g. "eps: f32,"). */
  uniformFields: string;
  /** Storage declarations, bindings 1.. */
  bindings: string;
  /** Statements run once per row before the first stage (e.g. load per-row statistics). */
  prelude?: string;
  /** Each stage: statements inside the column loop (`pre`), reductions, then `after`, run once per row. */
  stages: { pre?: string; accs: RowAcc[]; after: string }[];
  /** Statements run once per column after the last stage (write outputs at o + c). */
  write: string;
  /** Statements run once per row by one invocation (write per-row outputs). */
  rowWrite?: string;
}

const ROW_WG = 64;

function wgSizeFor(rt: Runtime): number {
  return rt.ctx.kind === 'gpu' ? 256 : 64;
}

/**
 * Per-adapter choice. llvmpipe: always 'row' (measured on 2 cores: softmax 512x42000 221 vs 565 ms,
 * 16384x32 13 vs 181 ms, 1x42000 2.7 ms both; layerNorm 4096x768 106 vs 176 ms). A real GPU:
 * 'row' for short rows, a workgroup per row otherwise.
 */
export function pickRowVariant(rt: Runtime, _rows: number, cols: number): RowVariant {
  if (rt.ctx.kind === 'gpu') return cols <= 64 ? 'row' : 'wg';
  return 'row';
}

export function rowKernelWgsl(p: RowProgram, variant: RowVariant, wg: number): string {
  const head = `struct Params { rows: u32, cols: u32, ${p.uniformFields} }
@group(0) @binding(0) var<uniform> P: Params;
${p.bindings}
`;
  const loop = variant === 'row' ? 'for (var c = 0u; c < P.cols; c++)' : 'for (var c = lid; c < P.cols; c += WG)';
  let body = `  ${p.prelude ?? ''}\n`;
  for (const st of p.stages) {
    for (const a of st.accs) body += `  var ${a.name}: f32 = ${a.init ?? '0.0'};\n`;
    body += `  ${loop} {\n    ${st.pre ?? ''}\n`;
    for (const a of st.accs) {
      body += a.op === 'sum' ? `    ${a.name} += ${a.term};\n` : `    ${a.name} = max(${a.name}, ${a.term});\n`;
    }
    body += '  }\n';
    if (variant === 'wg') for (const a of st.accs) body += `  ${a.name} = reduce_${a.op}(${a.name}, lid);\n`;
    body += `  ${st.after}\n`;
  }
  body += `  ${loop} {\n    ${p.write}\n  }\n`;
  if (variant === 'row') {
    return `${head}${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${ROW_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linearIndex(gid, nwg, ${ROW_WG}u);
  if (row >= P.rows) { return; }
  let o = row * P.cols;
${body}  ${p.rowWrite ?? ''}
}
`;
  }
  return `${head}
const WG = ${wg}u;
var<workgroup> red: array<f32, ${wg}>;

fn reduce_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_max(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= P.rows) { return; }
  let lid = lid3.x;
  let o = row * P.cols;
${body}  if (lid == 0u) { ${p.rowWrite ?? ''} }
}
`;
}

/** Kernels bind whole buffers; one over the adapter's binding limit (128 MiB on llvmpipe) fails. */
export function checkBindable(rt: Runtime, fn: string, bufs: Record<string, { size: number }>): void {
  const limit = rt.limits.maxStorageBufferBindingSize;
  for (const [name, b] of Object.entries(bufs)) {
    if (b.size > limit) {
      throw new Error(`${fn}: ${name} takes ${b.size} bytes, more than the adapter's storage binding limit ${limit}; split the rows`);
    }
  }
}

const rowKernels = new Map<string, Kernel>();

/** The cached Kernel for a row program (same WGSL string every call, so the pipeline cache hits). */
export function rowKernel(rt: Runtime, key: string, p: () => RowProgram, rows: number, cols: number, opts: RowKernelOptions = {}):
  { kernel: Kernel; workgroups: [number, number] } {
  const variant = opts.variant ?? pickRowVariant(rt, rows, cols);
  const wg = wgSizeFor(rt);
  const cacheKey = `${key}/${variant}/${wg}`;
  let k = rowKernels.get(cacheKey);
  if (!k) {
    const prog = p();
    k = { name: `${prog.name}_${variant}`, wgsl: rowKernelWgsl(prog, variant, wg) };
    rowKernels.set(cacheKey, k);
  }
  const workgroups = variant === 'row' ? rt.grid(Math.ceil(rows / ROW_WG)) : rt.grid(rows);
  return { kernel: k, workgroups };
}

function softmaxProgram(log: boolean): RowProgram {
  return {
    name: log ? 'logsoftmax' : 'softmax',
    uniformFields: '',
    bindings: `@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;`,
    stages: [
      { accs: [{ name: 'mx', op: 'max', term: 'x[o + c]', init: 'x[o]' }], after: '' },
      { accs: [{ name: 's', op: 'sum', term: 'exp(x[o + c] - mx)' }], after: log ? 'let lse = log(s);' : 'let inv = 1.0 / s;' },
    ],
    write: log ? 'y[o + c] = x[o + c] - mx - lse;' : 'y[o + c] = exp(x[o + c] - mx) * inv;',
  };
}

function softmaxGradProgram(log: boolean): RowProgram {
  return {
    name: log ? 'logsoftmax_grad' : 'softmax_grad',
    uniformFields: '',
    bindings: `@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;`,
    stages: [{ accs: [{ name: 's', op: 'sum', term: log ? 'dy[o + c]' : 'dy[o + c] * y[o + c]' }], after: '' }],
    write: log ? 'dx[o + c] = dy[o + c] - exp(y[o + c]) * s;' : 'dx[o + c] = y[o + c] * (dy[o + c] - s);',
  };
}

function checkGpuShape(fn: string, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new Error(`${fn}: bad shape rows=${rows}, cols=${cols}`);
  }
}

/** f32 softmax / logSoftmax of x (rows, cols) on the GPU: one dispatch. */
export function softmaxGpu(rt: Runtime, x: GPUBuffer, rows: number, cols: number, log: boolean, opts: RowKernelOptions = {}): GPUBuffer {
  checkGpuShape('softmaxGpu', rows, cols);
  checkBindable(rt, 'softmaxGpu', { x });
  const y = rt.alloc(rows * cols * 4, 'softmax');
  const { kernel, workgroups } = rowKernel(rt, `softmax/${log}`, () => softmaxProgram(log), rows, cols, opts);
  rt.run(kernel, { buffers: [x, y], uniforms: new UniformWriter().u32(rows).u32(cols).done(), workgroups });
  return y;
}

/** f32 backward of softmaxGpu given its output y and the upstream gradient dy: one dispatch. */
export function softmaxGradGpu(rt: Runtime, y: GPUBuffer, dy: GPUBuffer, rows: number, cols: number, log: boolean, opts: RowKernelOptions = {}): GPUBuffer {
  checkGpuShape('softmaxGradGpu', rows, cols);
  checkBindable(rt, 'softmaxGradGpu', { y, dy });
  const dx = rt.alloc(rows * cols * 4, 'softmax_grad');
  const { kernel, workgroups } = rowKernel(rt, `softmax_grad/${log}`, () => softmaxGradProgram(log), rows, cols, opts);
  rt.run(kernel, { buffers: [y, dy, dx], uniforms: new UniformWriter().u32(rows).u32(cols).done(), workgroups });
  return dx;
}
