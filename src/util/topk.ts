// Top-k, one owner for every floor: the order, the result type and the heap.
//
// The order (ranksBefore), used by the WGSL kernel, its TS reference, search, metrics,
// baselines and samplers alike: higher value first; equal values, lower id first; NaN after
// every number (-Infinity included), NaNs among themselves by id; -0 and +0 are equal (the id
// decides). It is a total order on (value, id) pairs, so the top k of a row are one definite
// list whichever algorithm selects them: a GPU kernel and a heap give identical results.

/** True when (a, ia) ranks before (b, ib) in the one top-k order. */
export function ranksBefore(a: number, ia: number, b: number, ib: number): boolean {
  const an = a !== a; // NaN
  const bn = b !== b;
  if (an || bn) return an && bn ? ia < ib : bn;
  if (a !== b) return a > b;
  return ia < ib;
}

/** A sort comparator for the same order: negative when (a, ia) ranks first. */
export function compareRanked(a: number, ia: number, b: number, ib: number): number {
  return ranksBefore(a, ia, b, ib) ? -1 : ranksBefore(b, ib, a, ia) ? 1 : 0;
}

/**
 * A row-wise top-k: `values` and `indices` are (rows, k) row-major, each row best first.
 * V and I are host arrays by default; the kernels' GPU wrapper returns buffers, the backends
 * their buffers, and the tensor op `topk` tensors, all under these names.
 */
export interface TopK<V = Float32Array, I = Int32Array> {
  k: number;
  values: V;
  indices: I;
}

type Store = Float32Array | Float64Array;

/**
 * Keeps the k best (value, id) pairs pushed into it. A binary heap with the worst kept pair at
 * the root, so each push is O(log k), and a pair worse than the worst kept costs one compare.
 * Values are stored as f32 by default; pass Float64Array to keep f64 values exactly.
 */
export class TopKHeap<V extends Store = Float32Array> {
  readonly ids: Int32Array;
  /** The kept values, in heap order (ids[i] goes with values[i]). */
  readonly values: V;
  size = 0;

  constructor(readonly k: number, store: { new (n: number): V } = Float32Array as unknown as { new (n: number): V }) {
    this.ids = new Int32Array(k);
    this.values = new store(k);
  }

  clear(): void {
    this.size = 0;
  }

  push(id: number, value: number): void {
    const { ids, values } = this;
    if (this.size === this.k && value < values[0]) return; // fast path: worse than the worst kept
    if (this.size < this.k) {
      // Sift up: parents must rank after (be worse than) children.
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!ranksBefore(values[p], ids[p], value, id)) break;
        ids[i] = ids[p];
        values[i] = values[p];
        i = p;
      }
      ids[i] = id;
      values[i] = value;
      return;
    }
    if (this.k === 0 || !ranksBefore(value, id, values[0], ids[0])) return;
    // Replace the root (the worst) and sift down.
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let w = l; // the worse child
      const r = l + 1;
      if (r < n && ranksBefore(values[l], ids[l], values[r], ids[r])) w = r;
      if (!ranksBefore(value, id, values[w], ids[w])) break; // the new pair is no better than the worse child
      ids[i] = ids[w];
      values[i] = values[w];
      i = w;
    }
    ids[i] = id;
    values[i] = value;
  }

  /** The kept pairs, best first (does not change the heap). */
  sorted(): { indices: Int32Array; values: V } {
    // Heap-sort a copy: repeatedly take the worst (the root) and fill the output from the back.
    const n = this.size;
    const ids = this.ids.slice(0, n);
    const values = this.values.slice(0, n) as V;
    const outIds = new Int32Array(n);
    const outValues = values.slice(0, n) as V; // (a typed array of the store's kind; every slot is overwritten)
    for (let m = n; m > 0; m--) {
      outIds[m - 1] = ids[0];
      outValues[m - 1] = values[0];
      // Move the last pair to the root of the m-1 remaining ones and sift it down.
      const id = ids[m - 1];
      const value = values[m - 1];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m - 1) break;
        let w = l;
        if (l + 1 < m - 1 && ranksBefore(values[l], ids[l], values[l + 1], ids[l + 1])) w = l + 1;
        if (!ranksBefore(value, id, values[w], ids[w])) break;
        ids[i] = ids[w];
        values[i] = values[w];
        i = w;
      }
      ids[i] = id;
      values[i] = value;
    }
    return { indices: outIds, values: outValues };
  }

  /**
   * Writes the kept pairs best first into out arrays at `off` (k slots; unfilled slots get
   * -1 / -Infinity) and empties the heap for the next row.
   */
  drainSorted(outIds: Int32Array, outValues: Store, off: number): void {
    const s = this.sorted();
    for (let t = 0; t < this.k; t++) {
      outIds[off + t] = t < s.indices.length ? s.indices[t] : -1;
      outValues[off + t] = t < s.indices.length ? s.values[t] : -Infinity;
    }
    this.clear();
  }
}
