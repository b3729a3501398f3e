// HNSW (Malkov & Yashunin 2018) in TypeScript: a layered proximity graph for approximate
// maximum-inner-product / cosine search.
//
// Storage is flat typed arrays, no per-node objects:
//   vecs    (capacity, dim)      the vectors (unit rows for 'cosine', normalised once at insert,
//                                so every search is a plain inner product), a view on the
//                                index's WebAssembly memory (`mem`), which the kernel reads
//   levels  (capacity)           top layer of each node, drawn as floor(−ln U · mL), mL = 1/ln M
//   links0  (capacity, M0 + 1)   layer-0 adjacency: [count, n1, n2, ...], M0 = 2M
//   upper   pool of (M + 1)-int blocks; node i's layer l ≥ 1 block starts at
//           upperOff[i] + (l − 1)(M + 1)
// Distance is 1 − x·y (as hnswlib's 'ip' space); returned scores are x·y.
// Neighbours are chosen with the paper's heuristic (keep a candidate only if it is closer to
// the new node than to every neighbour already kept).
// The beam search lives in hnsw-beam.ts; the distance kernel (WebAssembly SIMD) and the memory
// that holds the vectors in hnsw-dist.ts.
import { Rng } from '../../util/rng';
import { Mat, checkMat, normalizeRows } from '../matrix';
import { Beam, HnswGraph } from './hnsw-beam';
import { HnswMemory } from './hnsw-dist';
import { checkK } from './similarity';
import type { TopK } from '../../util/topk';
import { Metric } from './exact';

export interface HnswOptions {
  dim: number;
  metric?: Metric;
  /** links per node on layers ≥ 1 (layer 0 keeps 2M); default 16 */
  M?: number;
  /** beam width while inserting; default 200 */
  efConstruction?: number;
  /** beam width while searching (raised to k when smaller); default 100 */
  efSearch?: number;
  seed?: number;
  /** initial capacity in vectors; the index grows as needed */
  capacity?: number;
  /**
   * For the parallel build (hnsw-build.ts): scratch blocks for this many threads in a shared
   * memory of exactly `capacity` vectors (default 1: an ordinary memory).
   */
  slots?: number;
  /** For a worker searching a graph built in parallel: this memory (attached to the shared one) instead of a new one. */
  mem?: HnswMemory;
}

/** What an index is, as plain arrays: for files (hnsw-io.ts) and worker threads (hnsw-parallel.ts). */
export interface HnswParts {
  dim: number;
  metric: Metric;
  M: number;
  efConstruction: number;
  efSearch: number;
  count: number;
  entry: number;
  maxLevel: number;
  vecs: Float32Array;
  levels: Uint8Array;
  links0: Int32Array;
  upperOff: Int32Array;
  upper: Int32Array;
}

export class HnswIndex implements HnswGraph {
  readonly dim: number;
  readonly metric: Metric;
  readonly M: number;
  readonly M0: number;
  efConstruction: number;
  efSearch: number;
  count = 0;
  entry = -1;
  maxLevel = -1;
  readonly mem: HnswMemory;
  levels: Uint8Array;
  links0: Int32Array;
  upperOff: Int32Array;
  upper: Int32Array;
  upperLen = 0;
  rng: Rng;
  /**
   * Per node, how many leading entries of its layer-0 list are "closed": sorted nearest first
   * and already passed the neighbour heuristic among themselves (they are the output of an
   * earlier selection; later appends are not). Pruning skips the pairs known to pass, so it
   * costs O(list · new entries) products instead of O(list²); the result is the same. Not
   * saved: 0 (nothing known) is always correct, it only costs the full check once.
   */
  closed0: Uint16Array;
  private mL: number;
  private beam: Beam;
  // scratch for insert / connect, reused so that building allocates nothing per node
  private candIds = new Int32Array(0);
  private candDists = new Float64Array(0);
  private pruneIds: Int32Array;
  private pruneDists: Float64Array;
  private pruneOld: Uint8Array; // 1 = candidate from the closed prefix (see closed0)

  constructor(opts: HnswOptions) {
    const { dim } = opts;
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`HnswIndex: dim must be a positive integer, got ${dim}`);
    const M = opts.M ?? 16;
    if (!Number.isInteger(M) || M < 2 || M > 1024) throw new Error(`HnswIndex: M must be an integer in [2, 1024], got ${M}`);
    const metric = opts.metric ?? 'cosine';
    if (metric !== 'ip' && metric !== 'cosine') throw new Error(`HnswIndex: metric must be 'ip' or 'cosine', got '${metric}'`);
    this.dim = dim;
    this.metric = metric;
    this.M = M;
    this.M0 = 2 * M;
    this.efConstruction = positiveInt(opts.efConstruction ?? 200, 'efConstruction');
    this.efSearch = positiveInt(opts.efSearch ?? 100, 'efSearch');
    this.mL = 1 / Math.log(M);
    this.rng = new Rng(opts.seed ?? 0);
    const cap = Math.max(16, opts.capacity ?? 1024);
    this.mem = opts.mem ?? new HnswMemory(dim, this.M0 + 1, cap, (opts.slots ?? 1) > 1 ? { slots: opts.slots! } : undefined);
    this.levels = new Uint8Array(cap);
    this.links0 = new Int32Array(cap * (this.M0 + 1));
    this.upperOff = new Int32Array(cap).fill(-1);
    this.upper = new Int32Array(Math.max(64, (cap >> 2) * (M + 1)));
    this.beam = new Beam(cap);
    this.pruneIds = new Int32Array(this.M0 + 1);
    this.pruneDists = new Float64Array(this.M0 + 1);
    this.pruneOld = new Uint8Array(this.M0 + 1);
    this.closed0 = new Uint16Array(cap);
  }

  /** The stored vectors, (capacity × dim) row-major (a view: re-read it after adding). */
  get vecs(): Float32Array {
    return this.mem.vecs;
  }

  get size(): number {
    return this.count;
  }

  /** Insert the rows of `x`; they get ids size, size + 1, ... Returns the first id. */
  add(x: Mat): number {
    checkMat(x, 'HnswIndex.add: vectors');
    if (x.cols !== this.dim) throw new Error(`HnswIndex.add: vectors have ${x.cols} columns, index dim is ${this.dim}`);
    const src = this.metric === 'cosine' ? normalizeRows(x) : x;
    const first = this.count;
    this.reserve(this.count + x.rows);
    const need = Math.max(this.efConstruction, this.M0 + 1);
    if (this.candIds.length < need) {
      this.candIds = new Int32Array(need);
      this.candDists = new Float64Array(need);
    }
    for (let r = 0; r < x.rows; r++) {
      const id = this.count++;
      this.vecs.set(src.data.subarray(r * this.dim, (r + 1) * this.dim), id * this.dim);
      this.insert(id);
    }
    return first;
  }

  /** k best items for each query row, best first (score = inner product, or cosine). */
  search(q: Mat, k: number, efSearch = this.efSearch): TopK {
    checkMat(q, 'HnswIndex.search: queries');
    if (q.cols !== this.dim) throw new Error(`HnswIndex.search: queries have ${q.cols} columns, index dim is ${this.dim}`);
    checkK(k, this.count);
    const ef = Math.max(positiveInt(efSearch, 'efSearch'), k);
    const qs = this.metric === 'cosine' ? normalizeRows(q) : q;
    const indices = new Int32Array(q.rows * k);
    const values = new Float32Array(q.rows * k);
    const ids = new Int32Array(ef);
    const dists = new Float64Array(ef);
    const beam = this.beam;
    for (let i = 0; i < q.rows; i++) {
      const off = i * this.dim;
      beam.setQuery(this, qs.data, i * this.dim);
      let cur = this.entry;
      for (let l = this.maxLevel; l > 0; l--) cur = beam.greedy(this, cur, l);
      beam.search(this, cur, ef, 0);
      const n = beam.drainSorted(ids, dists);
      for (let t = 0; t < k; t++) {
        indices[i * k + t] = t < n ? ids[t] : -1;
        values[i * k + t] = t < n ? 1 - dists[t] : -Infinity;
      }
    }
    return { k, indices, values };
  }

  /** The index's state as plain arrays (views on its own; structured-clone them to copy). */
  parts(): HnswParts {
    const n = this.count, d = this.dim;
    return {
      dim: d, metric: this.metric, M: this.M, efConstruction: this.efConstruction, efSearch: this.efSearch,
      count: n, entry: this.entry, maxLevel: this.maxLevel,
      vecs: this.vecs.subarray(0, n * d), levels: this.levels.subarray(0, n), links0: this.links0.subarray(0, n * (this.M0 + 1)),
      upperOff: this.upperOff.subarray(0, n), upper: this.upper.subarray(0, this.upperLen),
    };
  }

  /**
   * For a worker: an index over the shared graph of `p` (a parallel build's: its arrays on
   * SharedArrayBuffers) searching with its own scratch block `slot` of the shared memory. No copy.
   */
  static attachShared(p: Omit<HnswParts, 'vecs'>, memory: unknown, slots: number, slot: number): HnswIndex {
    const mem = HnswMemory.attach(memory, p.dim, 2 * p.M + 1, p.count, slots, slot);
    const index = new HnswIndex({ dim: p.dim, metric: p.metric, M: p.M, efConstruction: p.efConstruction, efSearch: p.efSearch, capacity: 16, mem });
    index.beam.ensure(p.count);
    index.levels = p.levels;
    index.links0 = p.links0;
    index.upperOff = p.upperOff;
    index.upper = p.upper;
    index.upperLen = p.upper.length;
    index.count = p.count;
    index.entry = p.entry;
    index.maxLevel = p.maxLevel;
    return index;
  }

  /** An index holding `p` (checked by the caller: loadHnsw checks a file's, a worker trusts its parent's). */
  static fromParts(p: HnswParts): HnswIndex {
    const index = new HnswIndex({ dim: p.dim, metric: p.metric, M: p.M, efConstruction: p.efConstruction, efSearch: p.efSearch, capacity: p.count });
    index.reserve(p.count);
    index.vecs.set(p.vecs);
    index.levels.set(p.levels);
    index.links0.set(p.links0);
    index.upperOff.set(p.upperOff);
    index.upper = p.upper.length > 0 ? Int32Array.from(p.upper) : new Int32Array(64);
    index.upperLen = p.upper.length;
    index.count = p.count;
    index.entry = p.entry;
    index.maxLevel = p.maxLevel;
    return index;
  }

  /** The stored vector of item `id` (a view; unit-norm for 'cosine'). */
  vector(id: number): Float32Array {
    if (!(id >= 0 && id < this.count)) throw new Error(`HnswIndex.vector: id ${id} out of range [0, ${this.count})`);
    return this.vecs.subarray(id * this.dim, (id + 1) * this.dim);
  }

  // ---- construction ----

  private insert(id: number): void {
    const level = this.drawLevel(id);
    if (this.entry < 0) {
      this.entry = id;
      this.maxLevel = level;
      return;
    }
    const ids = this.candIds, dists = this.candDists;
    this.beam.insertionSearch(this, id, level, this.entry, this.maxLevel, this.efConstruction, ids, dists, (l, n) => this.linkLevel(id, l, ids, dists, n));
    if (level > this.maxLevel) {
      this.entry = id;
      this.maxLevel = level;
    }
  }

  /**
   * Node id's level, drawn as floor(−ln U · mL) from the index's generator, with its empty
   * adjacency blocks (layer 0 and, above, a block in the upper pool per layer). Insertion and the
   * batched build (hnsw-build.ts) draw the levels of ids in increasing order: the same levels.
   */
  drawLevel(id: number): number {
    const level = Math.min(255, Math.floor(-Math.log(1 - this.rng.next()) * this.mL));
    this.levels[id] = level;
    this.links0[id * (this.M0 + 1)] = 0;
    if (level > 0) {
      const need = level * (this.M + 1);
      if (this.upperLen + need > this.upper.length) {
        const u = new Int32Array(Math.max(this.upper.length * 2, this.upperLen + need));
        u.set(this.upper);
        this.upper = u;
      }
      this.upperOff[id] = this.upperLen;
      for (let l = 0; l < level; l++) this.upper[this.upperLen + l * (this.M + 1)] = 0;
      this.upperLen += need;
    } else {
      this.upperOff[id] = -1;
    }
    return level;
  }

  /**
   * Links node id on layer l to its neighbours chosen by the heuristic among the n candidates
   * ids/dists (sorted nearest first; compacted in place), and each of them back to it.
   */
  linkLevel(id: number, l: number, ids: Int32Array, dists: Float64Array, n: number): void {
    const kept = this.selectNeighbours(ids, dists, n, this.M, null);
    const arr = l === 0 ? this.links0 : this.upper, base = this.linkBase(id, l);
    arr[base] = kept;
    if (l === 0) this.closed0[id] = n > this.M ? kept : 0; // n ≤ M: taken unchecked
    for (let t = 0; t < kept; t++) arr[base + 1 + t] = ids[t];
    for (let t = 0; t < kept; t++) this.connect(ids[t], id, l);
  }

  /** Add the link node → other on layer l, pruning node's list with the heuristic when full. */
  private connect(node: number, other: number, l: number): void {
    const cap = l === 0 ? this.M0 : this.M;
    const arr = l === 0 ? this.links0 : this.upper, base = this.linkBase(node, l);
    const n = arr[base];
    if (n < cap) {
      arr[base + 1 + n] = other;
      arr[base] = n + 1;
      return;
    }
    // Full: rank the n current neighbours and the new one by distance to node (ties by id),
    // by insertion sort in scratch arrays (n + 1 ≤ 2M + 1 values: cheaper than a sort call).
    const ids = this.pruneIds, dists = this.pruneDists, old = this.pruneOld;
    const closed = l === 0 ? this.closed0[node] : 0;
    const mem = this.mem;
    for (let t = 0; t < n; t++) ids[t] = mem.ids[t] = arr[base + 1 + t];
    ids[n] = mem.ids[n] = other;
    mem.dots(mem.vecAt(node), n + 1);
    for (let t = 0; t <= n; t++) dists[t] = mem.out[t];
    for (let t = 0; t <= n; t++) {
      const e = ids[t], de = dists[t], eOld = t < closed ? 1 : 0;
      let p = t;
      for (; p > 0 && (dists[p - 1] > de || (dists[p - 1] === de && ids[p - 1] > e)); p--) {
        ids[p] = ids[p - 1];
        dists[p] = dists[p - 1];
        old[p] = old[p - 1];
      }
      ids[p] = e;
      dists[p] = de;
      old[p] = eOld;
    }
    const kept = this.selectNeighbours(ids, dists, n + 1, cap, old);
    arr[base] = kept;
    for (let t = 0; t < kept; t++) arr[base + 1 + t] = ids[t];
    if (l === 0) this.closed0[node] = kept;
  }

  /**
   * Heuristic neighbour selection over candidates sorted nearest first: keep e when it is
   * closer to the query than to every neighbour kept so far. Compacts the kept ones to the
   * front of ids/dists and returns how many (at most m). With `old`, candidates flagged 1 are
   * known to pass against each other (see closed0), so only pairs with a new one are checked.
   */
  private selectNeighbours(ids: Int32Array, dists: Float64Array, n: number, m: number, old: Uint8Array | null): number {
    if (n <= m) return n;
    const mem = this.mem, check = mem.ids, out = mem.out;
    let kept = 0;
    for (let t = 0; t < n && kept < m; t++) {
      const e = ids[t], de = dists[t];
      // the kept neighbours e must be checked against (an old candidate: only the new ones)
      let c = 0;
      if (old !== null && old[t] === 1) {
        for (let r = 0; r < kept; r++) if (old[r] === 0) check[c++] = ids[r];
      } else {
        for (let r = 0; r < kept; r++) check[c++] = ids[r];
      }
      let good = true;
      if (c > 0) {
        mem.dots(mem.vecAt(e), c);
        for (let r = 0; good && r < c; r++) good = !(out[r] < de);
      }
      if (good) {
        ids[kept] = e;
        dists[kept] = de;
        if (old !== null) old[kept] = old[t];
        kept++;
      }
    }
    return kept;
  }

  /** Offset of the count slot of node's adjacency on layer l (in links0, or in upper for l ≥ 1). */
  private linkBase(node: number, l: number): number {
    return l === 0 ? node * (this.M0 + 1) : this.upperOff[node] + (l - 1) * (this.M + 1);
  }

  /** Make room for `n` vectors (doubling). */
  reserve(n: number): void {
    const cap = this.levels.length;
    if (n <= cap) return;
    const next = Math.max(n, cap * 2);
    const grow = <T extends Float32Array | Int32Array | Uint8Array | Uint16Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.mem.ensure(next);
    this.levels = grow(this.levels, next);
    this.links0 = grow(this.links0, next * (this.M0 + 1));
    this.closed0 = grow(this.closed0, next);
    const uo = new Int32Array(next).fill(-1);
    uo.set(this.upperOff);
    this.upperOff = uo;
    this.beam.ensure(next);
  }
}

export function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  return v;
}
