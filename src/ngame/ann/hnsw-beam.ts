// The two search primitives of HNSW, shared by insertion and querying:
//   greedy  hill-climb on one layer (a beam of width 1), used on the upper layers
//   search  beam search of width ef on one layer, leaving the best ≤ ef nodes in a heap
// plus the scratch state they reuse from call to call, so the hot loops allocate nothing.
// The query is a pointer into the index's WebAssembly memory (hnsw-dist.ts): the scratch query
// (setQuery copies a search's query there) or a stored vector (insertion links a node that is
// already stored, so nothing is copied). Each expanded node's unvisited neighbours are written
// to the kernel's id list and scored in one call.
//
// Where the time went before the SIMD kernel (`node --cpu-prof`, 100,000 × 64, efSearch 512):
// ~85% the inner products, much of it waiting for the first cache line of each vector; the
// rest the visited test and the heaps. Tried and dropped then: touching each unvisited
// neighbour's vector before the arithmetic (a poor man's prefetch) measured ~10% slower.
// The visited set is a Uint16Array of epoch stamps (half the bytes of Uint32, so more of it
// stays in cache); a new search bumps the epoch instead of clearing the array, which is
// cleared only when the epoch wraps (every 65,535 searches).

import { MinHeap } from './heap';
import type { HnswMemory } from './hnsw-dist';

/** The parts of an index the search reads (HnswIndex implements this). */
export interface HnswGraph {
  readonly dim: number;
  readonly M: number;
  readonly M0: number;
  /** the vectors and the distance kernel */
  readonly mem: HnswMemory;
  /** layer 0: node i's block is [count, n1, …, n_M0] at i·(M0 + 1) */
  links0: Int32Array;
  /** layers ≥ 1: node i's layer-l block is [count, n1, …, n_M] at upperOff[i] + (l − 1)(M + 1) */
  upperOff: Int32Array;
  upper: Int32Array;
}

export class Beam {
  /** candidates still to expand, nearest first */
  readonly cand = new MinHeap(256);
  /** the best ≤ ef found so far, keyed by −distance so the farthest is on top */
  readonly res = new MinHeap(256);
  /** byte offset of the current query in the index's memory (setQuery / setStoredQuery) */
  private qPtr = 0;
  private visited: Uint16Array;
  private epoch = 0;

  constructor(capacity: number) {
    this.visited = new Uint16Array(capacity);
  }

  /** Make room for node ids < capacity. */
  ensure(capacity: number): void {
    if (capacity <= this.visited.length) return;
    const v = new Uint16Array(capacity);
    v.set(this.visited);
    this.visited = v;
  }

  /** Copy Q[off .. off + dim) into the scratch query of `g` as the query of the following calls. */
  setQuery(g: HnswGraph, Q: Float32Array, off: number): void {
    g.mem.q.set(Q.subarray(off, off + g.dim));
    this.qPtr = g.mem.qPtr;
  }

  /** Stored vector `id` of `g` as the query of the following calls (no copy). */
  setStoredQuery(g: HnswGraph, id: number): void {
    this.qPtr = g.mem.vecAt(id);
  }

  /** Distance from the query to node `id`. */
  private one(g: HnswGraph, id: number): number {
    const mem = g.mem;
    mem.ids[0] = id;
    mem.dots(this.qPtr, 1);
    return mem.out[0];
  }

  /** Greedy walk on layer l from `start` towards the query; returns the local optimum. */
  greedy(g: HnswGraph, start: number, l: number): number {
    const mem = g.mem, arr = l === 0 ? g.links0 : g.upper;
    const ids = mem.ids, out = mem.out;
    let cur = start;
    let curD = this.one(g, cur);
    for (let changed = true; changed; ) {
      changed = false;
      const base = l === 0 ? cur * (g.M0 + 1) : g.upperOff[cur] + (l - 1) * (g.M + 1);
      const n = arr[base];
      for (let t = 0; t < n; t++) ids[t] = arr[base + 1 + t];
      mem.dots(this.qPtr, n);
      // in list order, as a walk that scores one neighbour at a time would move
      for (let t = 0; t < n; t++) {
        if (out[t] < curD) {
          curD = out[t];
          cur = ids[t];
          changed = true;
        }
      }
    }
    return cur;
  }

  /**
   * Beam search of width ef on layer l from entry point `ep` (Malkov & Yashunin, alg. 2):
   * expand the nearest unexpanded candidate until it is farther than the farthest of the
   * ef best. Leaves the best ≤ ef nodes in `res` (read them with drainSorted).
   */
  search(g: HnswGraph, ep: number, ef: number, l: number): void {
    const mem = g.mem, cand = this.cand, visited = this.visited;
    const fresh = mem.ids, out = mem.out;
    if (++this.epoch === 0x10000) {
      visited.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    const arr = l === 0 ? g.links0 : g.upper;
    const stride0 = g.M0 + 1, strideU = g.M + 1, upperOff = g.upperOff;
    cand.clear();
    this.res.clear();
    const d0 = this.one(g, ep);
    visited[ep] = epoch;
    cand.push(d0, ep);
    this.res.push(-d0, ep);
    // the distance a newcomer must beat: +∞ until res holds ef nodes, then its farthest
    let worst = ef > 1 ? Infinity : d0;
    while (cand.size > 0) {
      if (cand.topKey() > worst) break;
      const c = cand.topId();
      cand.pop();
      const base = l === 0 ? c * stride0 : upperOff[c] + (l - 1) * strideU;
      const n = arr[base];
      // the neighbours not seen yet (marked now, so each node is scored once per search)
      let m = 0;
      for (let t = 1; t <= n; t++) {
        const nb = arr[base + t];
        if (visited[nb] === epoch) continue;
        visited[nb] = epoch;
        fresh[m++] = nb;
      }
      if (m === 0) continue;
      mem.dots(this.qPtr, m);
      for (let t = 0; t < m; t++) {
        const dn = out[t];
        if (dn < worst) worst = this.offer(dn, fresh[t], ef);
      }
    }
  }
  /** Take node nb at distance dn (known to beat the current worst); returns the new worst. */
  private offer(dn: number, nb: number, ef: number): number {
    const res = this.res;
    this.cand.push(dn, nb);
    if (res.size < ef) {
      res.push(-dn, nb);
      return res.size === ef ? -res.topKey() : Infinity;
    }
    res.replaceTop(-dn, nb); // drop the farthest, keep the newcomer
    return -res.topKey();
  }

  /**
   * Insertion's search for stored node `id` (its layer `level`) in a graph with entry point
   * `entry` and top layer `maxLevel`: the greedy walk down to layer level + 1, then the ef-wide
   * beam on each layer min(level, maxLevel) … 0, each from the nearest node found on the layer
   * above. Each layer's result (nearest first, in ids/dists) goes to onLayer(l, n), which may
   * reorder ids/dists (the next layer starts from ids[0] read before). One owner for hnsw.ts
   * insert and the batched build's phase A (hnsw-build.ts).
   */
  insertionSearch(g: HnswGraph, id: number, level: number, entry: number, maxLevel: number, ef: number, ids: Int32Array, dists: Float64Array, onLayer: (l: number, n: number) => void): void {
    this.setStoredQuery(g, id);
    let cur = entry;
    for (let l = maxLevel; l > level; l--) cur = this.greedy(g, cur, l);
    for (let l = Math.min(level, maxLevel); l >= 0; l--) {
      this.search(g, cur, ef, l);
      const n = this.drainSorted(ids, dists);
      cur = ids[0]; // the nearest found: the entry point for the layer below
      onLayer(l, n);
    }
  }

  /** Empty `res` into ids/dists, nearest first; returns the count. */
  drainSorted(ids: Int32Array, dists: Float64Array): number {
    const res = this.res, n = res.size;
    for (let t = n - 1; t >= 0; t--) {
      ids[t] = res.topId();
      dists[t] = -res.topKey();
      res.pop();
    }
    return n;
  }
}
