// Weighted bag sums (EmbeddingBag with mode "sum" and per-token weights):
//   out (B, cols): out[b, :] = Σ_{t in [offsets[b], offsets[b+1])} weights[t] · table[ids[t], :]
// An empty bag gives a row of zeros. Tokens are summed in increasing t, in the same order on
// both backends (deterministic, no atomics). The same kernel computes the row-sparse backward
// (src/tensor/ops/bag.ts): there the "bags" are the tokens of one table row, sorted by id.
//
// llvmpipe silently stops a shader's loops after 65,535 iterations per invocation, counted over
// all of its loops together (src/kernels/reduce.ts). One invocation sums one bag for at most 4
// columns, so it runs about 5 · (bag length) iterations; a bag longer than BAG_CHUNK tokens is
// therefore summed in chunks of BAG_CHUNK tokens, and the chunk sums are summed again by the same
// kernel (weights 1). The reference does exactly the same, so both backends add in the same order.

import { allocArray, dtypeOf, type TypedArray } from '../util/dtype';
import { LINEAR_INDEX_WGSL, UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';
import { bytesOf } from './webgpu/pool';

/** Most tokens one invocation sums in one pass: (4 + 1) · 8192 loop iterations < 65,535. */
export const BAG_CHUNK = 8192;

/**
 * Throws `${fn}: ...` unless the bags are well formed: one weight per id, every weight finite,
 * offsets (B + 1) starting at 0, non-decreasing, ending at nnz = ids.length, ids in [0, numRows).
 */
export function validateBags(
  fn: string, ids: Int32Array, weights: ArrayLike<number>, offsets: Int32Array, B: number, numRows: number,
): void {
  const nnz = ids.length;
  if (!Number.isInteger(B) || B < 0) throw new Error(`${fn}: the number of bags must be an integer >= 0, got ${B}`);
  if (weights.length !== nnz) throw new Error(`${fn}: weights has ${weights.length} elements but ids has ${nnz}; need one weight per id`);
  if (offsets.length !== B + 1) throw new Error(`${fn}: offsets has ${offsets.length} elements, need B + 1 = ${B + 1}`);
  if (offsets[0] !== 0) throw new Error(`${fn}: offsets[0] = ${offsets[0]}, must be 0`);
  for (let b = 0; b < B; b++) {
    if (offsets[b + 1] < offsets[b]) throw new Error(`${fn}: offsets decrease at position ${b + 1} (${offsets[b + 1]} after ${offsets[b]})`);
  }
  if (offsets[B] !== nnz) throw new Error(`${fn}: offsets[${B}] = ${offsets[B]} must equal the number of ids (${nnz})`);
  for (let t = 0; t < nnz; t++) {
    if (ids[t] < 0 || ids[t] >= numRows) throw new Error(`${fn}: ids[${t}] = ${ids[t]} is out of range [0, ${numRows})`);
    if (!Number.isFinite(weights[t])) throw new Error(`${fn}: weights[${t}] = ${weights[t]} is not finite`);
  }
}

/**
 * How bags longer than `chunk` tokens are split: null when none is. Otherwise `sub` (nChunks + 1)
 * are offsets of chunks over the same tokens (each bag cut into pieces of `chunk` tokens, the
 * last one shorter; an empty bag has no chunk), and `perBag` (B + 1) are, per bag, its range of
 * chunks: out[b] = Σ_{k in [perBag[b], perBag[b+1])} chunkSum[k], in increasing k.
 */
export function bagChunks(offsets: Int32Array, B: number, chunk = BAG_CHUNK): { sub: Int32Array; perBag: Int32Array } | null {
  // chunk >= 2: each level divides the longest bag by chunk, so the recursion ends.
  if (!Number.isInteger(chunk) || chunk < 2) throw new Error(`bagChunks: chunk must be an integer >= 2, got ${chunk}`);
  let n = 0;
  let long = false;
  for (let b = 0; b < B; b++) {
    const len = offsets[b + 1] - offsets[b];
    if (len > chunk) long = true;
    n += Math.ceil(len / chunk);
  }
  if (!long) return null;
  const sub = new Int32Array(n + 1);
  const perBag = new Int32Array(B + 1);
  let k = 0;
  for (let b = 0; b < B; b++) {
    for (let s = offsets[b]; s < offsets[b + 1]; s += chunk) sub[++k] = Math.min(s + chunk, offsets[b + 1]);
    perBag[b + 1] = k;
  }
  return { sub, perBag };
}

function iota(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** One pass of bag sums: no chunking; the inputs are already validated. */
function bagSumsRef(table: TypedArray, ids: Int32Array, weights: ArrayLike<number>, offsets: Int32Array, B: number, cols: number): TypedArray {
  const out = allocArray(dtypeOf(table), B * cols);
  const f32 = out instanceof Float32Array;
  for (let b = 0; b < B; b++) {
    const o = b * cols;
    for (let t = offsets[b]; t < offsets[b + 1]; t++) {
      const w = weights[t];
      const r = ids[t] * cols;
      // f32: round the product before adding, as the WGSL twin's separate multiply and add do.
      if (f32) for (let c = 0; c < cols; c++) out[o + c] += Math.fround(w * table[r + c]);
      else for (let c = 0; c < cols; c++) out[o + c] += w * table[r + c];
    }
  }
  return out;
}

/**
 * out (B, cols) = weighted bag sums of the rows of table (numRows, cols), in the table's dtype
 * (f32 or f64); f32 weights are rounded to f32 first. `chunk`: see bagChunks (tests shrink it to
 * exercise the two-level path). Throws on malformed bags (validateBags) unless `checked` says the
 * caller has validated them already: the backends pass true, since the tensor op validates its
 * bags and the backward builds valid ones, so each call is validated once; so does the second
 * level here, whose bags are valid by construction.
 */
export function embeddingBagRef(
  table: TypedArray, ids: Int32Array, weights: ArrayLike<number>, offsets: Int32Array,
  B: number, numRows: number, cols: number, chunk = BAG_CHUNK, checked = false,
): TypedArray {
  const fn = 'embeddingBagRef';
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`${fn}: bad cols = ${cols}`);
  if (table.length < numRows * cols) throw new Error(`${fn}: table has ${table.length} elements, need ${numRows} · ${cols}`);
  if (!checked) validateBags(fn, ids, weights, offsets, B, numRows);
  const w = table instanceof Float32Array && !(weights instanceof Float32Array) ? Float32Array.from(weights) : weights;
  const plan = bagChunks(offsets, B, chunk);
  if (!plan) return bagSumsRef(table, ids, w, offsets, B, cols);
  const nChunks = plan.sub.length - 1;
  const partial = bagSumsRef(table, ids, w, plan.sub, nChunks, cols); // (nChunks, cols)
  return embeddingBagRef(partial, iota(nChunks), allocArray(dtypeOf(table), nChunks).fill(1), plan.perBag, B, nChunks, cols, chunk, true);
}

// ---------------------------------------------------------------------------------------------
// WGSL: one invocation per (bag, block of V columns), looping over the bag's tokens only. V = 4
// on llvmpipe (amortises its per-invocation cost, loads ids/weights once per 4 columns), V = 1 on
// a real GPU (more parallelism) and when cols < 4. Column reads are clamped into the row so an
// edge block never reads out of bounds; its surplus sums are never stored.

const WG = 64;

const kernels = new Map<number, Kernel>();
function bagKernel(v: number): Kernel {
  let k = kernels.get(v);
  if (k) return k;
  const lanes = Array.from({ length: v }, (_, i) => i);
  const wgsl = `struct Params { B: u32, numRows: u32, cols: u32, blocks: u32, nnz: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read> offsets: array<i32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linearIndex(gid, nwg, ${WG}u);
  if (id >= P.B * P.blocks) { return; }
  let b = id / P.blocks;
  let c0 = (id % P.blocks) * ${v}u;
  let last = P.cols - 1u;
  // The host validates bags; clamp anyway so a bad offset or id never reads out of bounds.
  let end = min(u32(max(offsets[b + 1u], 0)), P.nnz);
  let start = min(u32(max(offsets[b], 0)), end);
${lanes.map((i) => `  var acc${i} = 0.0;`).join('\n')}
  for (var t = start; t < end; t++) {
    let r = ids[t];
    if (r < 0 || u32(r) >= P.numRows) { continue; }
    let w = weights[t];
    let base = u32(r) * P.cols;
${lanes.map((i) => `    acc${i} += w * table[base + min(c0 + ${i}u, last)];`).join('\n')}
  }
  let o = b * P.cols + c0;
${lanes.map((i) => `  if (c0 + ${i}u < P.cols) { out[o + ${i}u] = acc${i}; }`).join('\n')}
}
`;
  kernels.set(v, (k = { name: 'embedding_bag', wgsl }));
  return k;
}

/** One pass (no chunking) on validated bags: out (B, cols) f32. */
function bagPassGpu(rt: Runtime, table: GPUBuffer, ids: Int32Array, weights: Float32Array, offsets: Int32Array, B: number, numRows: number, cols: number): GPUBuffer {
  const out = rt.alloc(B * cols * 4, 'embedding_bag');
  if (B === 0) return out;
  const v = cols < 4 || rt.ctx.kind === 'gpu' ? 1 : 4;
  const blocks = Math.ceil(cols / v);
  // Empty bindings are invalid: an empty id list still binds one (never read) element.
  const idBuf = rt.upload(ids.length > 0 ? ids : new Int32Array(1), 'bag_ids');
  const wBuf = rt.upload(weights.length > 0 ? weights : new Float32Array(1), 'bag_weights');
  const offBuf = rt.upload(offsets, 'bag_offsets');
  rt.run(bagKernel(v), {
    buffers: [table, idBuf, wBuf, offBuf, out],
    uniforms: new UniformWriter().u32(B).u32(numRows).u32(cols).u32(blocks).u32(ids.length).done(),
    workgroups: rt.grid(Math.ceil((B * blocks) / WG)),
  });
  // Safe to release now: a later kernel's reuse is ordered after this dispatch, and uploads never
  // take a buffer that unsubmitted work binds (Runtime.upload).
  for (const b of [idBuf, wBuf, offBuf]) rt.release(b);
  return out;
}

/**
 * f32 out (B, cols) = weighted bag sums of the rows of table (numRows, cols), a GPU buffer; ids,
 * weights and offsets on the host (validated here unless `checked`, as for embeddingBagRef, then
 * uploaded). Same order as embeddingBagRef.
 */
export function embeddingBagGpu(
  rt: Runtime, table: GPUBuffer, ids: Int32Array, weights: ArrayLike<number>, offsets: Int32Array,
  B: number, numRows: number, cols: number, chunk = BAG_CHUNK, checked = false,
): GPUBuffer {
  const fn = 'embeddingBagGpu';
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`${fn}: bad cols = ${cols}`);
  if (bytesOf(table) < numRows * cols * 4) throw new Error(`${fn}: table holds ${bytesOf(table)} bytes, (${numRows}, ${cols}) f32 needs ${numRows * cols * 4}`);
  if (!checked) validateBags(fn, ids, weights, offsets, B, numRows);
  const w = weights instanceof Float32Array ? weights : Float32Array.from(weights);
  const plan = bagChunks(offsets, B, chunk);
  if (!plan) return bagPassGpu(rt, table, ids, w, offsets, B, numRows, cols);
  const nChunks = plan.sub.length - 1;
  const partial = bagPassGpu(rt, table, ids, w, plan.sub, nChunks, numRows, cols); // (nChunks, cols)
  const out = embeddingBagGpu(rt, partial, iota(nChunks), new Float32Array(nChunks).fill(1), plan.perBag, B, nChunks, cols, chunk, true);
  rt.release(partial);
  return out;
}
