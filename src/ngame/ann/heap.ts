// A binary min-heap of (key, id) pairs on typed arrays: no objects per entry, grows by
// doubling. A max-heap is the same heap with negated keys.
export class MinHeap {
  keys: Float64Array;
  ids: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    this.keys = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  push(key: number, id: number): void {
    if (this.size === this.keys.length) {
      const k = new Float64Array(this.size * 2);
      k.set(this.keys);
      const i = new Int32Array(this.size * 2);
      i.set(this.ids);
      this.keys = k;
      this.ids = i;
    }
    const keys = this.keys, ids = this.ids;
    let c = this.size++;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (keys[p] <= key) break;
      keys[c] = keys[p];
      ids[c] = ids[p];
      c = p;
    }
    keys[c] = key;
    ids[c] = id;
  }

  topKey(): number {
    return this.keys[0];
  }

  topId(): number {
    return this.ids[0];
  }

  /** Remove the smallest entry (read it first with topKey/topId). */
  pop(): void {
    const n = --this.size;
    if (n <= 0) return;
    this.siftDown(this.keys[n], this.ids[n], n);
  }

  /** Replace the smallest entry (the heap must not be empty) by (key, id): one sift instead of a pop and a push. */
  replaceTop(key: number, id: number): void {
    this.siftDown(key, id, this.size);
  }

  /** Put (key, id) at the root of the first n slots and move it down to its place. */
  private siftDown(key: number, id: number, n: number): void {
    const keys = this.keys, ids = this.ids;
    let c = 0;
    for (;;) {
      let w = 2 * c + 1;
      if (w >= n) break;
      if (w + 1 < n && keys[w + 1] < keys[w]) w++;
      if (keys[w] >= key) break;
      keys[c] = keys[w];
      ids[c] = ids[w];
      c = w;
    }
    keys[c] = key;
    ids[c] = id;
  }
}
