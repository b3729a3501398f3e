// The two search primitives of HNSW, shared by insertion and querying:
//   greedy  hill-climb on one layer (a beam of width 1), used on the upper layers
//   search  beam search of width ef on one layer, leaving the best ≤ ef nodes in a heap
// plus the scratch state they reuse from call to call, so the hot loops allocate nothing.
// Both work on the query set with setQuery (copied to a Float64Array; see hnsw-dist.ts).
//
// Where the time goes (`node --cpu-prof`, 100,000 × 64, efSearch 512): ~85% is the inner
// products, much of it waiting for the first cache line of each vector (25.6 MB of vectors
// do not fit in cache); the rest is the visited test and the heaps. Scoring four neighbours
// per pass (hnsw-dist.ts) measured ~15% faster there than two per pass, more than in cache,
// probably because the four vectors' cache misses overlap.
// Tried and dropped: touching each unvisited neighbour's vector before the arithmetic (a
// poor man's prefetch; JavaScript has none) measured ~10% slower, not faster.
// The visited set is a Uint16Array of epoch stamps (half the bytes of Uint32, so more of it
// stays in cache); a new search bumps the epoch instead of clearing the array, which is
// cleared only when the epoch wraps (every 65,535 searches).

import { MinHeap } from './heap';
import { dist1 } from './hnsw-dist';

/** The parts of an index the search reads (HnswIndex implements this). */
export interface HnswGraph {
  readonly dim: number;
  readonly M: number;
  readonly M0: number;
  vecs: Float32Array;
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
  /** the current query (setQuery) */
  readonly q: Float64Array;
  private visited: Uint16Array;
  private epoch = 0;
  private fresh: Int32Array; // unvisited neighbours of the node being expanded

  constructor(dim: number, maxDegree: number, capacity: number) {
    this.q = new Float64Array(dim);
    this.fresh = new Int32Array(maxDegree);
    this.visited = new Uint16Array(capacity);
  }

  /** Make room for node ids < capacity. */
  ensure(capacity: number): void {
    if (capacity <= this.visited.length) return;
    const v = new Uint16Array(capacity);
    v.set(this.visited);
    this.visited = v;
  }

  /** Copy Q[off .. off + dim) as the query of the following greedy / search calls. */
  setQuery(Q: Float32Array, off: number): void {
    const q = this.q;
    for (let j = 0; j < q.length; j++) q[j] = Q[off + j];
  }

  /** Greedy walk on layer l from `start` towards the query; returns the local optimum. */
  greedy(g: HnswGraph, start: number, l: number): number {
    const V = g.vecs, d = g.dim, q = this.q, arr = l === 0 ? g.links0 : g.upper;
    let cur = start;
    let curD = dist1(q, V, cur * d, d);
    for (let changed = true; changed; ) {
      changed = false;
      const base = l === 0 ? cur * (g.M0 + 1) : g.upperOff[cur] + (l - 1) * (g.M + 1);
      const n = arr[base];
      for (let t = 1; t <= n; t++) {
        const nb = arr[base + t];
        const dn = dist1(q, V, nb * d, d);
        if (dn < curD) {
          curD = dn;
          cur = nb;
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
    const V = g.vecs, d = g.dim, q = this.q, fresh = this.fresh, cand = this.cand;
    const visited = this.visited;
    if (++this.epoch === 0x10000) {
      visited.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    const arr = l === 0 ? g.links0 : g.upper;
    const stride0 = g.M0 + 1, strideU = g.M + 1, upperOff = g.upperOff;
    cand.clear();
    this.res.clear();
    const d0 = dist1(q, V, ep * d, d);
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
      // their distances, four at a time: dist4 of hnsw-dist.ts inlined (the hottest loop)
      let t = 0;
      for (; t + 3 < m; t += 4) {
        const na = fresh[t], nb = fresh[t + 1], nc = fresh[t + 2], ne = fresh[t + 3];
        const oa = na * d, ob = nb * d, oc = nc * d, oe = ne * d;
        let a0 = 0, a1 = 0, b0 = 0, b1 = 0, c0 = 0, c1 = 0, e0 = 0, e1 = 0;
        let j = 0;
        for (; j + 1 < d; j += 2) {
          const q0 = q[j], q1 = q[j + 1];
          a0 += q0 * V[oa + j];
          a1 += q1 * V[oa + j + 1];
          b0 += q0 * V[ob + j];
          b1 += q1 * V[ob + j + 1];
          c0 += q0 * V[oc + j];
          c1 += q1 * V[oc + j + 1];
          e0 += q0 * V[oe + j];
          e1 += q1 * V[oe + j + 1];
        }
        if (j < d) {
          const q0 = q[j];
          a0 += q0 * V[oa + j];
          b0 += q0 * V[ob + j];
          c0 += q0 * V[oc + j];
          e0 += q0 * V[oe + j];
        }
        const da = 1 - (a0 + a1), db = 1 - (b0 + b1), dc = 1 - (c0 + c1), de = 1 - (e0 + e1);
        if (da < worst) worst = this.offer(da, na, ef);
        if (db < worst) worst = this.offer(db, nb, ef);
        if (dc < worst) worst = this.offer(dc, nc, ef);
        if (de < worst) worst = this.offer(de, ne, ef);
      }
      for (; t < m; t++) {
        const dn = dist1(q, V, fresh[t] * d, d);
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
