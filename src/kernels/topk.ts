// Row-wise top-k: for x (rows, cols), the k largest values of each row in descending order and
// their column indices, in the one top-k order of src/util/topk.ts (ranksBefore): ties go to the
// lower index; NaN ranks BELOW -Infinity (a NaN is selected only when fewer than k non-NaN values
// exist; NaNs among themselves are ordered by index); -0 and +0 compare equal (index decides).
//
// GPU scheme (no shared memory, no barriers: what llvmpipe runs well, and plenty of parallelism
// on a real GPU): levels of the same kernel.
//   level 0: invocation (row, chunk) scans `chunk` consecutive columns keeping the best k in a
//            private min-heap (root = worst kept, so a candidate costs one compare unless it
//            enters), then heap-sorts them into a run of k (padded with sentinels if the chunk
//            held fewer than k). Output: (rows, nChunks * k).
//   merge:   the same over the runs, reading (value, index) pairs; since runs are sorted, the
//            first entry of a run that does not enter the heap ends that run.
// until one chunk covers the row. Values travel as f32 bits and are compared through an order-
// preserving u32 key, so the tie-breaking is exactly the reference's (value desc, index asc).
// One such pass selects at most TOPK_PASS_K (the private heap's size). A larger k runs passes:
// pass p selects the next min(TOPK_PASS_K, k - done) among the entries that rank after the last
// entry pass p - 1 selected (the order is total, so these are exactly the entries not yet
// taken), and a small kernel places each pass's columns into the (rows, k) result. So any
// k <= cols is served, in ceil(k / TOPK_PASS_K) scans of the row.

import { allocArray, dtypeOf, type TypedArray } from '../util/dtype';
import { TopKHeap, type TopK } from '../util/topk';
import { LINEAR_INDEX_WGSL, UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';
import { bytesOf } from './webgpu/pool';

function checkArgs(fn: string, x: ArrayLike<number>, rows: number, cols: number, k: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new Error(`${fn}: bad shape rows=${rows}, cols=${cols}`);
  }
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new Error(`${fn}: k = ${k} must be in [1, cols = ${cols}]`);
  if (x.length < rows * cols) throw new Error(`${fn}: x has ${x.length} elements, need rows*cols = ${rows * cols}`);
}

/** values (rows, k) with x's dtype, indices Int32Array (rows, k): the heap of src/util/topk.ts per row. */
export function topkRef(x: TypedArray, rows: number, cols: number, k: number): TopK<TypedArray> {
  checkArgs('topkRef', x, rows, cols, k);
  const values = allocArray(dtypeOf(x), rows * k);
  const indices = new Int32Array(rows * k);
  const heap = new TopKHeap(k, Float64Array); // f64 keeps f32 and f64 inputs exactly
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) heap.push(c, x[r * cols + c]);
    heap.drainSorted(indices, values as Float32Array | Float64Array, r * k);
  }
  return { k, values, indices };
}

/** Largest k one pass of topkGpu selects (the private heap's size); larger k takes several passes. */
export const TOPK_PASS_K = 256;
const HEAP_SIZES = [16, 64, 256];
const WG = 64;

export interface TopkOptions {
  /** Columns each level-0 invocation scans (default per adapter; at least k); tests use small chunks to force merge levels. */
  chunk?: number;
  /** Override of the adapter's storage binding limit (tests use it to exercise the row-block path). */
  maxBindingBytes?: number;
  /** Largest k per pass (default and maximum TOPK_PASS_K); tests use small values to force several passes. */
  passK?: number;
}

type Mode = 'scan' | 'after' | 'merge';

function topkWgsl(maxK: number, mode: Mode): string {
  const bindings = mode === 'merge'
    ? `@group(0) @binding(1) var<storage, read> vals: array<u32>;
@group(0) @binding(2) var<storage, read> idxIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> outVals: array<u32>;
@group(0) @binding(4) var<storage, read_write> outIdx: array<u32>;`
    : `@group(0) @binding(1) var<storage, read> vals: array<u32>;
@group(0) @binding(2) var<storage, read_write> outVals: array<u32>;
@group(0) @binding(3) var<storage, read_write> outIdx: array<u32>;${mode === 'after' ? `
@group(0) @binding(4) var<storage, read> thrVals: array<u32>;
@group(0) @binding(5) var<storage, read> thrIdx: array<u32>;` : ''}`;
  // 'after': only entries ranking after the row's threshold (the previous pass's last pick) count.
  const threshold = mode === 'after'
    ? `let tpos = row * P.thrStride + P.thrStride - 1u;
  let tKey = orderKey(thrVals[tpos]);
  let tId = thrIdx[tpos];`
    : '';
  const skip = mode === 'after' ? '!worse(key, id, tKey, tId)' : 'false';
  return `// input: (rows, len) entries; invocation (row, chunk) writes its sorted best k at (row * nChunks + chunk) * k.
// run: length of the sorted runs in the input (1 at level 0, k at merge levels).
struct Params { rows: u32, len: u32, chunk: u32, nChunks: u32, k: u32, run: u32, thrStride: u32 }
@group(0) @binding(0) var<uniform> P: Params;
${bindings}
${LINEAR_INDEX_WGSL}

const SENTINEL = 0xffffffffu; // index of padding entries; with key 0 it ranks after everything
var<private> hk: array<u32, ${maxK}>; // order keys
var<private> hi: array<u32, ${maxK}>; // column indices
var<private> hv: array<u32, ${maxK}>; // value bits

// u32 key whose unsigned order is the float order; NaN lowest; -0 and +0 equal.
fn orderKey(bits: u32) -> u32 {
  let mag = bits & 0x7fffffffu;
  if (mag > 0x7f800000u) { return 0u; }
  if (mag == 0u) { return 0x80000000u; }
  if ((bits & 0x80000000u) != 0u) { return ~bits; }
  return bits | 0x80000000u;
}

// (ka, ia) ranks after (kb, ib): smaller key, or equal key and larger index.
fn worse(ka: u32, ia: u32, kb: u32, ib: u32) -> bool {
  return ka < kb || (ka == kb && ia > ib);
}

// Min-heap on "worse": hk[0] is the worst entry kept. Moves (key, id, bits) down from the root.
fn siftDown(key: u32, id: u32, bits: u32, size: u32) {
  var i = 0u;
  loop {
    let l = 2u * i + 1u;
    if (l >= size) { break; }
    var c = l;
    if (l + 1u < size && worse(hk[l + 1u], hi[l + 1u], hk[l], hi[l])) { c = l + 1u; }
    if (!worse(hk[c], hi[c], key, id)) { break; }
    hk[i] = hk[c]; hi[i] = hi[c]; hv[i] = hv[c];
    i = c;
  }
  hk[i] = key; hi[i] = id; hv[i] = bits;
}

fn push(key: u32, id: u32, bits: u32, size: u32) {
  var i = size;
  while (i > 0u) {
    let p = (i - 1u) / 2u;
    if (!worse(key, id, hk[p], hi[p])) { break; }
    hk[i] = hk[p]; hi[i] = hi[p]; hv[i] = hv[p];
    i = p;
  }
  hk[i] = key; hi[i] = id; hv[i] = bits;
}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let inv = linearIndex(gid, nwg, ${WG}u);
  if (inv >= P.rows * P.nChunks) { return; }
  let row = inv / P.nChunks;
  let start = (inv % P.nChunks) * P.chunk;
  let end = min(start + P.chunk, P.len);
  let base = row * P.len;
  ${threshold}
  var size = 0u;
  var p = start;
  while (p < end) {
    let bits = vals[base + p];
    let id = ${mode === 'merge' ? 'idxIn[base + p]' : 'p'};
    let key = orderKey(bits);
    let endOfRun = min((p / P.run + 1u) * P.run, end);
    if (${skip}) {
      p += 1u; // taken by an earlier pass
    } else if (id == SENTINEL) {
      p = endOfRun; // padding closes its run
    } else if (size < P.k) {
      push(key, id, bits, size);
      size += 1u;
      p += 1u;
    } else if (worse(hk[0], hi[0], key, id)) {
      siftDown(key, id, bits, size);
      p += 1u;
    } else {
      p = endOfRun; // the rest of a sorted run is worse still
    }
  }
  // Heap sort: pop the worst into the last free slot.
  let out = inv * P.k;
  for (var j = size; j < P.k; j++) {
    outVals[out + j] = 0x7fc00000u;
    outIdx[out + j] = SENTINEL;
  }
  var n = size;
  while (n > 0u) {
    n -= 1u;
    outVals[out + n] = hv[0];
    outIdx[out + n] = hi[0];
    siftDown(hk[n], hi[n], hv[n], n);
  }
}
`;
}

// Copies a pass's (rows, kp) values and indices into columns [off, off + kp) of the (rows, k) result.
const PLACE: Kernel = {
  name: 'topk_place',
  wgsl: `struct Params { n: u32, kp: u32, k: u32, off: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> srcVals: array<u32>;
@group(0) @binding(2) var<storage, read> srcIdx: array<u32>;
@group(0) @binding(3) var<storage, read_write> dstVals: array<u32>;
@group(0) @binding(4) var<storage, read_write> dstIdx: array<u32>;
${LINEAR_INDEX_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, ${WG}u);
  if (i >= P.n) { return; }
  let r = i / P.kp;
  let o = r * P.k + P.off + (i - r * P.kp);
  dstVals[o] = srcVals[i];
  dstIdx[o] = srcIdx[i];
}
`,
};

const kernels = new Map<string, Kernel>();
function topkKernel(maxK: number, mode: Mode): Kernel {
  const key = `${maxK}/${mode}`;
  let k = kernels.get(key);
  if (!k) kernels.set(key, (k = { name: `topk_${mode}_${maxK}`, wgsl: topkWgsl(maxK, mode) }));
  return k;
}

/**
 * Default level-0 chunk: long chunks on llvmpipe (few, heavy invocations: 256 x 42,000 with k = 100
 * took 957 / 794 / 704 ms at chunk 2048 / 4096 / 8192 there), shorter on a GPU for parallelism.
 */
function defaultChunk(rt: Runtime, k: number): number {
  return rt.ctx.kind === 'gpu' ? Math.max(256, 4 * k) : Math.max(8192, 16 * k);
}

type Result = TopK<GPUBuffer, GPUBuffer>;

/**
 * Row-wise top-k of f32 x (rows, cols) on the GPU: values f32 (rows, k) descending and indices
 * i32 (rows, k), identical to topkRef, for any 1 <= k <= cols.
 */
export function topkGpu(rt: Runtime, x: GPUBuffer, rows: number, cols: number, k: number, opts: TopkOptions = {}): Result {
  checkArgs('topkGpu', { length: bytesOf(x) / 4 }, rows, cols, k);
  if (opts.chunk !== undefined && (!Number.isInteger(opts.chunk) || opts.chunk < 1)) throw new Error(`topkGpu: bad chunk ${opts.chunk}`);
  const passK = opts.passK ?? TOPK_PASS_K;
  if (!Number.isInteger(passK) || passK < 1 || passK > TOPK_PASS_K) throw new Error(`topkGpu: passK = ${passK} must be in [1, ${TOPK_PASS_K}]`);
  const kp = Math.min(k, passK);
  // A level-0 chunk shorter than k would mostly write padding: use at least k.
  const chunkFor = (kk: number) => Math.max(kk, opts.chunk ?? defaultChunk(rt, kk));

  // A storage binding is limited (128 MiB on llvmpipe; 1024 x 42,000 f32 is 172 MB): larger
  // inputs run in row blocks copied into a temporary, results copied into place.
  const maxBind = opts.maxBindingBytes ?? rt.limits.maxStorageBufferBindingSize;
  const rowBytes = 4 * Math.max(cols, Math.ceil(cols / chunkFor(kp)) * kp);
  if (rows * rowBytes <= maxBind) return topkPasses(rt, x, rows, cols, k, passK, chunkFor);
  const block = Math.floor(maxBind / rowBytes);
  if (block < 1) throw new Error(`topkGpu: one row of ${cols} columns exceeds the adapter's storage binding limit (${maxBind} bytes)`);
  const values = rt.alloc(rows * k * 4, 'topk_values');
  const indices = rt.alloc(rows * k * 4, 'topk_indices');
  for (let r0 = 0; r0 < rows; r0 += block) {
    const nr = Math.min(block, rows - r0);
    const xb = rt.alloc(nr * cols * 4, 'topk_block');
    rt.copy(x, xb, nr * cols * 4, r0 * cols * 4, 0);
    const r = topkPasses(rt, xb, nr, cols, k, passK, chunkFor);
    rt.copy(r.values, values, nr * k * 4, 0, r0 * k * 4);
    rt.copy(r.indices, indices, nr * k * 4, 0, r0 * k * 4);
    for (const b of [xb, r.values, r.indices]) rt.release(b);
  }
  return { k, values, indices };
}

/** ceil(k / passK) passes over x (rows, cols), each after the previous one's last pick, placed side by side. */
function topkPasses(rt: Runtime, x: GPUBuffer, rows: number, cols: number, k: number, passK: number, chunkFor: (k: number) => number): Result {
  if (k <= passK) return topkLevels(rt, x, rows, cols, k, chunkFor(k), null);
  const values = rt.alloc(rows * k * 4, 'topk_values');
  const indices = rt.alloc(rows * k * 4, 'topk_indices');
  let prev: (Result & { stride: number }) | null = null;
  for (let done = 0; done < k; ) {
    const kp = Math.min(passK, k - done);
    const r = topkLevels(rt, x, rows, cols, kp, chunkFor(kp), prev);
    rt.run(PLACE, {
      buffers: [r.values, r.indices, values, indices],
      uniforms: new UniformWriter().u32(rows * kp).u32(kp).u32(k).u32(done).done(),
      workgroups: rt.grid(Math.ceil((rows * kp) / WG)),
    });
    if (prev) for (const b of [prev.values, prev.indices]) rt.release(b);
    prev = { ...r, stride: kp };
    done += kp;
  }
  for (const b of [prev!.values, prev!.indices]) rt.release(b);
  return { k, values, indices };
}

/**
 * The levels (see the top of the file) over x (rows, cols), small enough to bind whole. With
 * `after`, level 0 skips every entry that ranks at or before `after`'s last column in its row.
 */
function topkLevels(rt: Runtime, x: GPUBuffer, rows: number, cols: number, k: number, chunk0: number, after: (Result & { stride: number }) | null): Result {
  const maxK = HEAP_SIZES.find((h) => h >= k)!;
  // Merge levels read runs of k; a chunk of at least 4 runs shrinks the row 4x per level.
  const mergeChunk = Math.ceil(Math.max(chunk0, 4 * k) / k) * k;

  let len = cols;
  let vals = x;
  let idx: GPUBuffer | null = null;
  for (let level = 0; ; level++) {
    const chunk = level === 0 ? chunk0 : mergeChunk;
    const nChunks = Math.ceil(len / chunk);
    const last = nChunks === 1;
    const outVals = rt.alloc(rows * nChunks * k * 4, last ? 'topk_values' : 'topk_tmp');
    const outIdx = rt.alloc(rows * nChunks * k * 4, last ? 'topk_indices' : 'topk_tmp');
    const uniforms = new UniformWriter().u32(rows).u32(len).u32(chunk).u32(nChunks).u32(k).u32(level === 0 ? 1 : k).u32(after?.stride ?? 0).done();
    const mode: Mode = level > 0 ? 'merge' : after ? 'after' : 'scan';
    const buffers = mode === 'merge' ? [vals, idx!, outVals, outIdx] : mode === 'after' ? [vals, outVals, outIdx, after!.values, after!.indices] : [vals, outVals, outIdx];
    rt.run(topkKernel(maxK, mode), { buffers, uniforms, workgroups: rt.grid(Math.ceil((rows * nChunks) / WG)) });
    if (level > 0) {
      rt.release(vals); // temporaries of the previous level (never x); reuse is ordered after this dispatch
      rt.release(idx!);
    }
    if (last) return { k, values: outVals, indices: outIdx };
    vals = outVals;
    idx = outIdx;
    len = nChunks * k;
  }
}
