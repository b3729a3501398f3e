// HNSW (Malkov & Yashunin 2018) in TypeScript: a layered proximity graph for approximate
// maximum-inner-product / cosine search.
//
// Storage is flat typed arrays, no per-node objects:
//   vecs    (capacity, dim)      the vectors (unit rows for 'cosine')
//   levels  (capacity)           top layer of each node, drawn as floor(−ln U · mL), mL = 1/ln M
//   links0  (capacity, M0 + 1)   layer-0 adjacency: [count, n1, n2, ...], M0 = 2M
//   upper   pool of (M + 1)-int blocks; node i's layer l ≥ 1 block starts at
//           upperOff[i] + (l − 1)(M + 1)
// Distance is 1 − x·y (as hnswlib's 'ip' space); returned scores are x·y.
// Neighbours are chosen with the paper's heuristic (keep a candidate only if it is closer to
// the new node than to every neighbour already kept).
import { Rng } from '../../util/rng';
import { Mat, checkMat, dot, normalizeRows } from '../matrix';
import { MinHeap } from './heap';
import { TopK, checkK } from './similarity';
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
}

export class HnswIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly M: number;
  readonly M0: number;
  efConstruction: number;
  efSearch: number;
  count = 0;
  entry = -1;
  maxLevel = -1;
  vecs: Float32Array;
  levels: Uint8Array;
  links0: Int32Array;
  upperOff: Int32Array;
  upper: Int32Array;
  upperLen = 0;
  rng: Rng;
  private mL: number;
  private visited: Uint32Array;
  private epoch = 0;
  private qbuf: Float32Array; // the current query, copied to offset 0 for the inner loop
  private cand = new MinHeap(256); // candidates to expand, nearest first
  private res = new MinHeap(256); // current best, keyed by −distance (so the farthest is on top)

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
    this.vecs = new Float32Array(cap * dim);
    this.levels = new Uint8Array(cap);
    this.links0 = new Int32Array(cap * (this.M0 + 1));
    this.upperOff = new Int32Array(cap).fill(-1);
    this.upper = new Int32Array(Math.max(64, (cap >> 2) * (M + 1)));
    this.visited = new Uint32Array(cap);
    this.qbuf = new Float32Array(dim);
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
    const scores = new Float32Array(q.rows * k);
    const ids = new Int32Array(ef);
    const dists = new Float64Array(ef);
    for (let i = 0; i < q.rows; i++) {
      const off = i * this.dim;
      let cur = this.entry;
      for (let l = this.maxLevel; l > 0; l--) cur = this.greedy(qs.data, off, cur, l);
      this.searchLayer(qs.data, off, cur, ef, 0);
      const n = this.drainSorted(ids, dists);
      for (let t = 0; t < k; t++) {
        indices[i * k + t] = t < n ? ids[t] : -1;
        scores[i * k + t] = t < n ? 1 - dists[t] : -Infinity;
      }
    }
    return { k, indices, scores };
  }

  /** The stored vector of item `id` (a view; unit-norm for 'cosine'). */
  vector(id: number): Float32Array {
    if (!(id >= 0 && id < this.count)) throw new Error(`HnswIndex.vector: id ${id} out of range [0, ${this.count})`);
    return this.vecs.subarray(id * this.dim, (id + 1) * this.dim);
  }

  // ---- construction ----

  private insert(id: number): void {
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
    if (this.entry < 0) {
      this.entry = id;
      this.maxLevel = level;
      return;
    }
    const V = this.vecs, off = id * this.dim;
    let cur = this.entry;
    for (let l = this.maxLevel; l > level; l--) cur = this.greedy(V, off, cur, l);
    const ids = new Int32Array(Math.max(this.efConstruction, this.M0 + 1));
    const dists = new Float64Array(ids.length);
    for (let l = Math.min(level, this.maxLevel); l >= 0; l--) {
      this.searchLayer(V, off, cur, this.efConstruction, l);
      const n = this.drainSorted(ids, dists);
      cur = ids[0];
      const kept = this.selectNeighbours(ids, dists, n, this.M);
      const [arr, base] = this.linkBlock(id, l);
      arr[base] = kept;
      for (let t = 0; t < kept; t++) arr[base + 1 + t] = ids[t];
      for (let t = 0; t < kept; t++) this.connect(ids[t], id, l);
    }
    if (level > this.maxLevel) {
      this.entry = id;
      this.maxLevel = level;
    }
  }

  /** Add the link node → other on layer l, pruning node's list with the heuristic when full. */
  private connect(node: number, other: number, l: number): void {
    const cap = l === 0 ? this.M0 : this.M;
    const [arr, base] = this.linkBlock(node, l);
    const n = arr[base];
    if (n < cap) {
      arr[base + 1 + n] = other;
      arr[base] = n + 1;
      return;
    }
    // full: candidates = current neighbours + the new one, sorted by distance to node
    const ids = new Int32Array(n + 1);
    const dists = new Float64Array(n + 1);
    const off = node * this.dim;
    for (let t = 0; t < n; t++) ids[t] = arr[base + 1 + t];
    ids[n] = other;
    const order = Array.from({ length: n + 1 }, (_, t) => t);
    for (let t = 0; t <= n; t++) dists[t] = 1 - dot(this.vecs, this.vecs, this.dim, off, ids[t] * this.dim);
    order.sort((a, b) => dists[a] - dists[b] || ids[a] - ids[b]);
    const sIds = Int32Array.from(order, (t) => ids[t]);
    const sDists = Float64Array.from(order, (t) => dists[t]);
    const kept = this.selectNeighbours(sIds, sDists, n + 1, cap);
    arr[base] = kept;
    for (let t = 0; t < kept; t++) arr[base + 1 + t] = sIds[t];
  }

  /**
   * Heuristic neighbour selection over candidates sorted nearest first: keep e when it is
   * closer to the query than to every neighbour kept so far. Compacts the kept ones to the
   * front of ids/dists and returns how many (at most m).
   */
  private selectNeighbours(ids: Int32Array, dists: Float64Array, n: number, m: number): number {
    if (n <= m) return n;
    const V = this.vecs, d = this.dim;
    let kept = 0;
    for (let t = 0; t < n && kept < m; t++) {
      const e = ids[t], de = dists[t];
      let good = true;
      for (let r = 0; r < kept; r++) {
        if (1 - dot(V, V, d, e * d, ids[r] * d) < de) {
          good = false;
          break;
        }
      }
      if (good) {
        ids[kept] = e;
        dists[kept] = de;
        kept++;
      }
    }
    return kept;
  }

  // ---- search primitives ----

  /** [array, offset of the count slot] of node's adjacency on layer l. */
  private linkBlock(node: number, l: number): [Int32Array, number] {
    if (l === 0) return [this.links0, node * (this.M0 + 1)];
    return [this.upper, this.upperOff[node] + (l - 1) * (this.M + 1)];
  }

  /** Greedy walk on layer l from `start` towards the query; returns the local optimum. */
  private greedy(Q: Float32Array, qOff: number, start: number, l: number): number {
    const V = this.vecs, d = this.dim;
    let cur = start;
    let curD = 1 - dot(Q, V, d, qOff, cur * d);
    let changed = true;
    while (changed) {
      changed = false;
      const [arr, base] = this.linkBlock(cur, l);
      const n = arr[base];
      for (let t = 1; t <= n; t++) {
        const nb = arr[base + t];
        const dn = 1 - dot(Q, V, d, qOff, nb * d);
        if (dn < curD) {
          curD = dn;
          cur = nb;
          changed = true;
        }
      }
    }
    return cur;
  }

  /** Beam search of width ef on layer l; leaves the best ≤ ef nodes in `res`. */
  private searchLayer(Q: Float32Array, qOff: number, ep: number, ef: number, l: number): void {
    const V = this.vecs, d = this.dim, visited = this.visited;
    const cand = this.cand, res = this.res;
    const q = this.qbuf;
    for (let j = 0; j < d; j++) q[j] = Q[qOff + j];
    if (++this.epoch === 0xffffffff) {
      visited.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    cand.clear();
    res.clear();
    const d0 = 1 - dot(q, V, d, 0, ep * d);
    visited[ep] = epoch;
    cand.push(d0, ep);
    res.push(-d0, ep);
    const stride = this.M0 + 1;
    while (cand.size > 0) {
      const cd = cand.topKey();
      if (cd > -res.topKey() && res.size >= ef) break;
      const c = cand.topId();
      cand.pop();
      let arr: Int32Array, base: number;
      if (l === 0) {
        arr = this.links0;
        base = c * stride;
      } else {
        arr = this.upper;
        base = this.upperOff[c] + (l - 1) * (this.M + 1);
      }
      const n = arr[base];
      for (let t = 1; t <= n; t++) {
        const nb = arr[base + t];
        if (visited[nb] === epoch) continue;
        visited[nb] = epoch;
        // inline 1 − q·v against the query copy at offset 0
        const o = nb * d;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let j = 0;
        for (; j + 3 < d; j += 4) {
          s0 += q[j] * V[o + j];
          s1 += q[j + 1] * V[o + j + 1];
          s2 += q[j + 2] * V[o + j + 2];
          s3 += q[j + 3] * V[o + j + 3];
        }
        for (; j < d; j++) s0 += q[j] * V[o + j];
        const dn = 1 - (s0 + s1 + s2 + s3);
        if (res.size < ef || dn < -res.topKey()) {
          cand.push(dn, nb);
          res.push(-dn, nb);
          if (res.size > ef) res.pop();
        }
      }
    }
  }

  /** Empty `res` into ids/dists nearest first; returns the count. */
  private drainSorted(ids: Int32Array, dists: Float64Array): number {
    const n = this.res.size;
    for (let t = n - 1; t >= 0; t--) {
      ids[t] = this.res.topId();
      dists[t] = -this.res.topKey();
      this.res.pop();
    }
    return n;
  }

  /** Make room for `n` vectors (doubling). */
  reserve(n: number): void {
    const cap = this.levels.length;
    if (n <= cap) return;
    const next = Math.max(n, cap * 2);
    const grow = <T extends Float32Array | Int32Array | Uint8Array | Uint32Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.vecs = grow(this.vecs, next * this.dim);
    this.levels = grow(this.levels, next);
    this.links0 = grow(this.links0, next * (this.M0 + 1));
    const uo = new Int32Array(next).fill(-1);
    uo.set(this.upperOff);
    this.upperOff = uo;
    this.visited = grow(this.visited, next);
  }
}

export function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  return v;
}
