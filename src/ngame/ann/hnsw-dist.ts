// The distance kernel of HNSW: dist = 1 − q·v, for one query against a list of stored vectors,
// in WebAssembly SIMD (four f32 lanes), with its plain-TS reference `dotsRef`.
//
// Why WebAssembly: JavaScript has no SIMD, and at dim 256 the scalar loop (bounds-checked f32
// loads widened to f64, two accumulators) was ~85% of an HNSW build or search. The 4-lane
// kernel measured 10× faster on vectors in cache and 2.6× on 131,000 × 256 random rows out of
// cache (where the first cache line of each vector is the wait), 2026-12-07 on this 2-core
// machine; bench/ann.ts compares whole builds and searches. The kernel is assembled at load
// time by wasm-asm.ts, so there is no build step and no dependency.
//
// Memory: an index keeps its vectors inside its own WebAssembly.Memory (HnswMemory), so the
// kernel reads them in place: a scratch block at byte 0 (the query, a list of ids, the output
// distances), then the vectors, row-major, `dim` f32 each. Growing the memory detaches every
// view, so HnswMemory re-creates its views and the index re-reads `vecs` after each growth.
// The parallel build (hnsw-build.ts) uses a shared memory of a fixed size with one scratch
// block per thread ("slots"); each worker attaches to it with its own slot. Growing a shared
// memory beyond its size moves the contents into an ordinary one.
//
// Arithmetic, exactly (dotsRef follows it step by step): lanes l = 0..3 of two accumulators,
// a over elements 8i + l and b over 8i + 4 + l for the full blocks of 8, then one block of 4
// into a when dim mod 8 ≥ 4; a += b lane-wise; s = (a0 + a1) + (a2 + a3); the last dim mod 4
// elements added to s in order; result 1 − s. Every step is one f32 operation (mul and add
// are not fused). Products commute, so dist(x, y) = dist(y, x) bit for bit: the pruning
// shortcut of hnsw.ts (closed0) relies on a pair always getting the same distance.

import { I32, V128, F32, assemble, op, type WasmFunc } from './wasm-asm';

// dots(q, V, ids, n, d, out): out[t] = 1 − q·V[ids[t]] for t < n; all pointers are byte offsets.
const P = { q: 0, V: 1, ids: 2, n: 3, d: 4, out: 5, t: 6, p: 7, j: 8, d8: 9, dBytes: 10, a: 11, b: 12, s: 13 };
const { get, set } = op;
const DOTS_FUNCS: WasmFunc[] = [{
  name: 'dots',
  params: [I32, I32, I32, I32, I32, I32],
  results: [],
  locals: [[5, I32], [2, V128], [1, F32]],
  code: [
    get(P.d), op.i32(-8), op.i32And, op.i32(2), op.i32Shl, set(P.d8), // bytes in full blocks of 8
    get(P.d), op.i32(2), op.i32Shl, set(P.dBytes),
    op.i32(0), set(P.t),
    op.block, op.loop,
    get(P.t), get(P.n), op.i32GeU, op.brIf(1),
    // p = V + ids[t] · d · 4
    get(P.V), get(P.ids), get(P.t), op.i32(2), op.i32Shl, op.i32Add, op.i32Load(), get(P.dBytes), op.i32Mul, op.i32Add, set(P.p),
    op.v128Zero, set(P.a), op.v128Zero, set(P.b), op.i32(0), set(P.j),
    op.block, op.loop,
    get(P.j), get(P.d8), op.i32GeU, op.brIf(1),
    get(P.a), get(P.q), get(P.j), op.i32Add, op.v128Load(), get(P.p), get(P.j), op.i32Add, op.v128Load(), op.f32x4Mul, op.f32x4Add, set(P.a),
    get(P.b), get(P.q), get(P.j), op.i32Add, op.v128Load(16), get(P.p), get(P.j), op.i32Add, op.v128Load(16), op.f32x4Mul, op.f32x4Add, set(P.b),
    get(P.j), op.i32(32), op.i32Add, set(P.j), op.br(0),
    op.end, op.end,
    get(P.d), op.i32(4), op.i32And, op.if, // one block of 4 left
    get(P.a), get(P.q), get(P.j), op.i32Add, op.v128Load(), get(P.p), get(P.j), op.i32Add, op.v128Load(), op.f32x4Mul, op.f32x4Add, set(P.a),
    get(P.j), op.i32(16), op.i32Add, set(P.j),
    op.end,
    get(P.a), get(P.b), op.f32x4Add, set(P.a),
    get(P.a), op.f32x4Lane(0), get(P.a), op.f32x4Lane(1), op.f32Add, get(P.a), op.f32x4Lane(2), get(P.a), op.f32x4Lane(3), op.f32Add, op.f32Add, set(P.s),
    op.block, op.loop, // the last d mod 4 elements
    get(P.j), get(P.dBytes), op.i32GeU, op.brIf(1),
    get(P.s), get(P.q), get(P.j), op.i32Add, op.f32Load(), get(P.p), get(P.j), op.i32Add, op.f32Load(), op.f32Mul, op.f32Add, set(P.s),
    get(P.j), op.i32(4), op.i32Add, set(P.j), op.br(0),
    op.end, op.end,
    get(P.out), get(P.t), op.i32(2), op.i32Shl, op.i32Add, op.f32(1), get(P.s), op.f32Sub, op.f32Store(),
    get(P.t), op.i32(1), op.i32Add, set(P.t), op.br(0),
    op.end, op.end,
  ],
}];
const DOTS = assemble(DOTS_FUNCS);
const DOTS_SHARED = assemble(DOTS_FUNCS, true);

// The parts of the WebAssembly API used here (the node typings of this TypeScript setup do not
// declare the global; node has it).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (desc: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object | null = null;
let compiledShared: object | null = null;
function instantiate(memory: WasmMemory, shared: boolean): HnswMemory['kernel'] {
  const module = shared ? (compiledShared ??= new Wasm.Module(DOTS_SHARED)) : (compiled ??= new Wasm.Module(DOTS));
  return new Wasm.Instance(module, { e: { m: memory } }).exports.dots as HnswMemory['kernel'];
}

const PAGE = 65536;
/** wasm32 memories stop at 4 GiB (65,536 pages). */
const MAX_PAGES = 65536;
/** The most bytes of vectors (and the kernel's scratch) one HNSW graph can hold. */
export const HNSW_MAX_BYTES = MAX_PAGES * PAGE;

/**
 * One index's WebAssembly memory: the kernel's scratch (query, ids, distances) and the index's
 * vectors, with typed-array views on each (re-created whenever the memory grows).
 */
export class HnswMemory {
  readonly dim: number;
  readonly maxIds: number;
  private memory: WasmMemory;
  private shared: boolean;
  private kernel: (q: number, V: number, ids: number, n: number, d: number, out: number) => void;
  /** byte offsets of this thread's scratch blocks and of the vectors */
  readonly qPtr: number;
  readonly idsPtr: number;
  readonly outPtr: number;
  readonly vecPtr: number;
  /** scratch blocks (threads) the memory has room for */
  readonly slots: number;
  q!: Float32Array;
  ids!: Int32Array;
  out!: Float32Array;
  vecs!: Float32Array;
  capacity = 0;

  /**
   * Room for `capacity` vectors. `shared`: a shared memory of exactly that size, with `slots`
   * scratch blocks (this object uses slot 0; workers attach with theirs).
   */
  constructor(dim: number, maxIds: number, capacity: number, shared?: { slots: number }, attach?: { memory: WasmMemory; slot: number }) {
    this.dim = dim;
    this.maxIds = maxIds;
    const align = (b: number) => Math.ceil(b / 64) * 64;
    const block = align(dim * 4) + 2 * align(maxIds * 4);
    const slots = shared?.slots ?? 1;
    this.slots = slots;
    const slot = attach?.slot ?? 0;
    this.qPtr = slot * block;
    this.idsPtr = this.qPtr + align(dim * 4);
    this.outPtr = this.idsPtr + align(maxIds * 4);
    this.vecPtr = slots * block;
    this.shared = shared !== undefined;
    if (attach) {
      this.memory = attach.memory;
    } else if (shared) {
      const pages = this.pagesFor(capacity);
      this.memory = new Wasm.Memory({ initial: pages, maximum: pages, shared: true });
    } else {
      this.memory = new Wasm.Memory({ initial: 1, maximum: MAX_PAGES });
    }
    this.kernel = instantiate(this.memory, this.shared);
    this.ensure(capacity);
  }

  /** A view of a shared memory made by another thread's HnswMemory (`sharedMemory`), using scratch `slot`. */
  static attach(memory: unknown, dim: number, maxIds: number, capacity: number, slots: number, slot: number): HnswMemory {
    return new HnswMemory(dim, maxIds, capacity, { slots }, { memory: memory as WasmMemory, slot });
  }

  /** The shared WebAssembly.Memory, to post to workers (null for an ordinary one). */
  get sharedMemory(): unknown {
    return this.shared ? this.memory : null;
  }

  private pagesFor(capacity: number): number {
    const bytes = this.vecPtr + capacity * this.dim * 4;
    if (bytes > HNSW_MAX_BYTES) {
      throw new Error(`HNSW index: ${capacity} vectors of dim ${this.dim} take ${(bytes / 2 ** 30).toFixed(2)} GiB, more than the 4 GiB a WebAssembly memory can hold; index fewer vectors per graph or a smaller dim`);
    }
    return Math.ceil(bytes / PAGE);
  }

  /** Room for `capacity` vectors (the contents are kept). */
  ensure(capacity: number): void {
    const pages = this.pagesFor(capacity);
    const have = this.memory.buffer.byteLength / PAGE;
    if (pages > have && this.shared) {
      // a shared memory cannot move: copy everything into an ordinary one that can grow
      const old = new Uint8Array(this.memory.buffer);
      this.memory = new Wasm.Memory({ initial: pages, maximum: MAX_PAGES });
      new Uint8Array(this.memory.buffer).set(old);
      this.shared = false;
      this.kernel = instantiate(this.memory, false);
    } else if (pages > have) {
      this.memory.grow(pages - have);
    }
    const buf = this.memory.buffer;
    this.q = new Float32Array(buf, this.qPtr, this.dim);
    this.ids = new Int32Array(buf, this.idsPtr, this.maxIds);
    this.out = new Float32Array(buf, this.outPtr, this.maxIds);
    this.capacity = Math.max(this.capacity, capacity);
    this.vecs = new Float32Array(buf, this.vecPtr, this.capacity * this.dim);
  }

  /** Byte offset of stored vector `id`. */
  vecAt(id: number): number {
    return this.vecPtr + id * this.dim * 4;
  }

  /** out[t] = 1 − q·vecs[ids[t]] for t < n, where q is the vector at byte offset `qPtr` (the scratch query or a stored vector). */
  dots(qPtr: number, n: number): void {
    this.kernel(qPtr, this.vecPtr, this.idsPtr, n, this.dim, this.outPtr);
  }
}

/**
 * The plain-TS reference of the kernel, in the same f32 steps: out[t] = 1 − q·V[ids[t]] for
 * t < n, q = Q[qo .. qo + d). (A product or sum of f32 values computed in f64 and rounded with
 * Math.fround is the correctly rounded f32 result, so this matches the kernel bit for bit.)
 */
export function dotsRef(Q: Float32Array, qo: number, V: Float32Array, d: number, ids: ArrayLike<number>, n: number, out: Float32Array): void {
  const f = Math.fround;
  const a = [0, 0, 0, 0], b = [0, 0, 0, 0];
  for (let t = 0; t < n; t++) {
    const p = ids[t] * d;
    a.fill(0);
    b.fill(0);
    let j = 0;
    for (; j + 8 <= d; j += 8) {
      for (let l = 0; l < 4; l++) {
        a[l] = f(a[l] + f(Q[qo + j + l] * V[p + j + l]));
        b[l] = f(b[l] + f(Q[qo + j + 4 + l] * V[p + j + 4 + l]));
      }
    }
    if (d & 4) {
      for (let l = 0; l < 4; l++) a[l] = f(a[l] + f(Q[qo + j + l] * V[p + j + l]));
      j += 4;
    }
    for (let l = 0; l < 4; l++) a[l] = f(a[l] + b[l]);
    let s = f(f(a[0] + a[1]) + f(a[2] + a[3]));
    for (; j < d; j++) s = f(s + f(Q[qo + j] * V[p + j]));
    out[t] = f(1 - s);
  }
}
