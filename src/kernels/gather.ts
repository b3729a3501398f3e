// Row gather (embedding lookup), its transpose scatter-add (the embedding backward), and the
// column scatter that routes top-k gradients back to their columns.
//   gather:     out (n, cols)       = table[idx[i], :]
//   scatterAdd: out (numRows, cols) = 0, then out[idx[i], :] += src[i, :]  (deterministic order)
//   scatterCols: out (rows, cols)   = 0, then out[r, idx[r, j]] = src[r, j]
// gather and scatterAdd also serve a table kept as row shards (src/tensor/webgpu/shards.ts):
// one call per shard, for the rows [lo, lo + shard rows) of a table of numRows rows; every other
// row is left to the other shards' calls, so the shards' calls together write what one call on
// the whole table writes, value for value.

import { allocArray, dtypeOf, type TypedArray } from '../util/dtype';
import { LINEAR_INDEX_WGSL, UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';

function checkIndex(fn: string, name: string, idx: ArrayLike<number>, pos: number, limit: number): number {
  const t = idx[pos];
  if (!Number.isInteger(t) || t < 0 || t >= limit) {
    throw new Error(`${fn}: ${name}[${pos}] = ${t} is out of range [0, ${limit})`);
  }
  return t;
}

function checkLen(fn: string, name: string, a: ArrayLike<number>, n: number): void {
  if (a.length < n) throw new Error(`${fn}: ${name} has ${a.length} elements, need ${n}`);
}

/** out[i, :] = table[idx[i], :]; table (numRows, cols), idx (n). Throws on an out-of-range index. */
export function gatherRef(table: TypedArray, idx: Int32Array, n: number, numRows: number, cols: number): TypedArray {
  const fn = 'gatherRef';
  checkLen(fn, 'table', table, numRows * cols);
  checkLen(fn, 'idx', idx, n);
  const out = allocArray(dtypeOf(table), n * cols);
  for (let i = 0; i < n; i++) {
    const t = checkIndex(fn, 'idx', idx, i, numRows);
    out.set(table.subarray(t * cols, t * cols + cols), i * cols);
  }
  return out;
}

/**
 * out (numRows, cols) = 0, then out[idx[i], :] += src[i, :] for i = 0, 1, ... in increasing i
 * (the GPU twin sums in the same order). src is (idx.length, cols).
 */
export function scatterAddRef(src: TypedArray, idx: Int32Array, numRows: number, cols: number): TypedArray {
  const fn = 'scatterAddRef';
  const n = idx.length;
  checkLen(fn, 'src', src, n * cols);
  const out = allocArray(dtypeOf(src), numRows * cols);
  for (let i = 0; i < n; i++) {
    const t = checkIndex(fn, 'idx', idx, i, numRows);
    for (let c = 0; c < cols; c++) out[t * cols + c] += src[i * cols + c];
  }
  return out;
}

/** out (rows, cols) = 0, then out[r, idx[r, j]] = src[r, j]; src and idx are (rows, k). */
export function scatterColsRef(src: TypedArray, idx: Int32Array, rows: number, k: number, cols: number): TypedArray {
  const fn = 'scatterColsRef';
  checkLen(fn, 'src', src, rows * k);
  checkLen(fn, 'idx', idx, rows * k);
  const out = allocArray(dtypeOf(src), rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      const c = checkIndex(fn, 'idx', idx, r * k + j, cols);
      out[r * cols + c] = src[r * k + j];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// WGSL. gather and scatterCols move 32-bit words (array<u32>), so they serve f32, i32 and u32.
// Each invocation handles one row and a block of V consecutive columns: V = 4 on llvmpipe (more
// work per invocation amortises its per-invocation cost), V = 1 on a real GPU (more parallelism).

const WG = 64;

function colsPerInvocation(rt: Runtime): number {
  return rt.ctx.kind === 'gpu' ? 1 : 4;
}

const kernels = new Map<string, Kernel>();
function cached(name: string, v: number, make: () => string): Kernel {
  const key = `${name}/${v}`;
  let k = kernels.get(key);
  if (!k) kernels.set(key, (k = { name, wgsl: make() }));
  return k;
}

function gatherWgsl(v: number): string {
  return `struct Params { n: u32, numRows: u32, cols: u32, blocks: u32, lo: u32, shardRows: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linearIndex(gid, nwg, ${WG}u);
  if (id >= P.n * P.blocks) { return; }
  let i = id / P.blocks;
  let c0 = (id % P.blocks) * ${v}u;
  let t = idx[i];
  // The host validates indices; an out-of-range one still never reads out of bounds: it gives 0
  // (written by the call for the first rows, lo = 0). A row of another shard is not written.
  let ok = t >= 0 && u32(t) < P.numRows;
  let mine = ok && u32(t) >= P.lo && u32(t) - P.lo < P.shardRows;
  if (ok && !mine) { return; }
  if (!ok && P.lo != 0u) { return; }
  for (var c = c0; c < min(c0 + ${v}u, P.cols); c++) {
    var w = 0u;
    if (mine) { w = table[(u32(t) - P.lo) * P.cols + c]; }
    out[i * P.cols + c] = w;
  }
}
`;
}

/**
 * out (n, cols) = table[idx[i], :]; 32-bit elements of any type; idx is an i32 GPU buffer. With
 * `shard`, table holds only rows [shard.lo, shard.lo + shard.rows) of the numRows and the rows
 * of `shard.out` (allocated by the call for lo = 0) are written only for those indices.
 */
export function gatherGpu(rt: Runtime, table: GPUBuffer, idx: GPUBuffer, n: number, numRows: number, cols: number, shard?: { lo: number; rows: number; out?: GPUBuffer }): GPUBuffer {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(cols) || cols < 1) throw new Error(`gatherGpu: bad shape n=${n}, cols=${cols}`);
  const v = colsPerInvocation(rt);
  const blocks = Math.ceil(cols / v);
  const out = shard?.out ?? rt.alloc(n * cols * 4, 'gather');
  rt.run(cached('gather', v, () => gatherWgsl(v)), {
    buffers: [table, idx, out],
    uniforms: new UniformWriter().u32(n).u32(numRows).u32(cols).u32(blocks).u32(shard?.lo ?? 0).u32(shard?.rows ?? numRows).done(),
    workgroups: rt.grid(Math.ceil((n * blocks) / WG)),
  });
  return out;
}

/**
 * Source positions grouped by target row (a counting sort, stable in i): the sources of row t
 * are positions[offsets[t] .. offsets[t + 1]), in increasing i. Throws on an index out of
 * [0, numRows). With `range`, only the rows [range.lo, range.lo + range.rows) are planned, as
 * rows 0 .. range.rows − 1 (the sources of the other rows are left out).
 */
export function scatterPlan(idx: Int32Array, numRows: number, range = { lo: 0, rows: numRows }): { offsets: Int32Array; positions: Int32Array } {
  const { lo, rows } = range;
  const offsets = new Int32Array(rows + 1);
  let n = 0;
  for (let i = 0; i < idx.length; i++) {
    const t = checkIndex('scatterAddGpu', 'idx', idx, i, numRows) - lo;
    if (t >= 0 && t < rows) {
      offsets[t + 1]++;
      n++;
    }
  }
  for (let t = 0; t < rows; t++) offsets[t + 1] += offsets[t];
  const cursor = offsets.slice(0, rows);
  const positions = new Int32Array(n);
  for (let i = 0; i < idx.length; i++) {
    const t = idx[i] - lo;
    if (t >= 0 && t < rows) positions[cursor[t]++] = i;
  }
  return { offsets, positions };
}

function scatterAddWgsl(v: number): string {
  return `struct Params { numRows: u32, cols: u32, blocks: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> offsets: array<i32>;
@group(0) @binding(3) var<storage, read> positions: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linearIndex(gid, nwg, ${WG}u);
  if (id >= P.numRows * P.blocks) { return; }
  let t = id / P.blocks;
  let c0 = (id % P.blocks) * ${v}u;
  let start = u32(offsets[t]);
  let end = u32(offsets[t + 1u]);
  // Each output element is owned by one invocation and summed in increasing source order:
  // deterministic, no atomics; a row nobody targets gets 0.
  for (var c = c0; c < min(c0 + ${v}u, P.cols); c++) {
    var acc = 0.0;
    for (var p = start; p < end; p++) {
      acc += src[u32(positions[p]) * P.cols + c];
    }
    out[t * P.cols + c] = acc;
  }
}
`;
}

/**
 * f32 out (numRows, cols) = 0, then out[idx[i], :] += src[i, :], summed in increasing i. idx on
 * the host. With `range`, out is only the rows [range.lo, range.lo + range.rows) of that result
 * (one row shard of it).
 */
export function scatterAddGpu(rt: Runtime, src: GPUBuffer, idx: Int32Array, numRows: number, cols: number, range = { lo: 0, rows: numRows }): GPUBuffer {
  if (!Number.isInteger(numRows) || numRows < 0 || !Number.isInteger(cols) || cols < 1) {
    throw new Error(`scatterAddGpu: bad shape numRows=${numRows}, cols=${cols}`);
  }
  const { offsets, positions } = scatterPlan(idx, numRows, range);
  const v = colsPerInvocation(rt);
  const blocks = Math.ceil(cols / v);
  const offBuf = rt.upload(offsets, 'scatter_offsets');
  const posBuf = rt.upload(positions.length > 0 ? positions : new Int32Array(1), 'scatter_positions');
  const out = rt.alloc(range.rows * cols * 4, 'scatter_add');
  rt.run(cached('scatter_add', v, () => scatterAddWgsl(v)), {
    buffers: [src, offBuf, posBuf, out],
    uniforms: new UniformWriter().u32(range.rows).u32(cols).u32(blocks).done(),
    workgroups: rt.grid(Math.ceil((range.rows * blocks) / WG)),
  });
  // Safe to release now: a later kernel's reuse is ordered after this dispatch, and uploads never
  // take a buffer that unsubmitted work binds (Runtime.upload).
  rt.release(offBuf);
  rt.release(posBuf);
  return out;
}

const SCATTER_COLS: Kernel = {
  name: 'scatter_cols',
  wgsl: `struct Params { rows: u32, k: u32, cols: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linearIndex(gid, nwg, ${WG}u);
  if (id >= P.rows * P.k) { return; }
  let r = id / P.k;
  let c = idx[id];
  // Out-of-range column indices are skipped (the host validates them).
  if (c >= 0 && u32(c) < P.cols) { out[r * P.cols + u32(c)] = src[id]; }
}
`,
};

/** out (rows, cols) = 0, then out[r, idx[r, j]] = src[r, j]; src (rows, k) 32-bit, idx i32 (rows, k). */
export function scatterColsGpu(rt: Runtime, src: GPUBuffer, idx: GPUBuffer, rows: number, k: number, cols: number): GPUBuffer {
  if (![rows, k, cols].every((a) => Number.isInteger(a) && a >= 0) || cols < 1) {
    throw new Error(`scatterColsGpu: bad shape rows=${rows}, k=${k}, cols=${cols}`);
  }
  const out = rt.alloc(rows * cols * 4, 'scatter_cols');
  rt.clear(out);
  rt.run(SCATTER_COLS, {
    buffers: [src, idx, out],
    uniforms: new UniformWriter().u32(rows).u32(k).u32(cols).done(),
    workgroups: rt.grid(Math.ceil((rows * k) / WG)),
  });
  return out;
}
