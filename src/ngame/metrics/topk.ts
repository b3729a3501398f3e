// Top-k selection with one fixed order used everywhere in ngame-ts:
// higher score first; equal scores → lower label id first.
import type { CSR } from '../data/csr';

/** True when (sa, ia) ranks before (sb, ib). */
export function ranksBefore(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa > sb || (sa === sb && ia < ib);
}

/**
 * Keeps the k best (score, id) pairs pushed into it. A binary heap with the worst kept pair
 * at the root, so each push is O(log k).
 */
export class TopK {
  readonly ids: Int32Array;
  readonly scores: Float32Array;
  size = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.scores = new Float32Array(k);
  }

  clear(): void {
    this.size = 0;
  }

  push(id: number, score: number): void {
    const { ids, scores } = this;
    if (this.size === this.k && score < scores[0]) return; // fast path: worse than the worst kept
    if (this.size < this.k) {
      // Sift up: parents must rank after (be worse than) children.
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!ranksBefore(scores[p], ids[p], score, id)) break;
        ids[i] = ids[p];
        scores[i] = scores[p];
        i = p;
      }
      ids[i] = id;
      scores[i] = score;
      return;
    }
    if (this.k === 0 || !ranksBefore(score, id, scores[0], ids[0])) return;
    // Replace the root (the worst) and sift down.
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let w = l; // the worse child
      const r = l + 1;
      if (r < n && ranksBefore(scores[l], ids[l], scores[r], ids[r])) w = r;
      if (!ranksBefore(score, id, scores[w], ids[w])) break; // the new pair is no better than the worse child
      ids[i] = ids[w];
      scores[i] = scores[w];
      i = w;
    }
    ids[i] = id;
    scores[i] = score;
  }

  /** The kept pairs, best first (does not change the heap). */
  sorted(): { ids: Int32Array; scores: Float32Array } {
    // Heap-sort a copy: repeatedly take the worst (the root) and fill the output from the back.
    const n = this.size;
    const ids = this.ids.slice(0, n);
    const scores = this.scores.slice(0, n);
    const outIds = new Int32Array(n);
    const outScores = new Float32Array(n);
    for (let m = n; m > 0; m--) {
      outIds[m - 1] = ids[0];
      outScores[m - 1] = scores[0];
      // Move the last pair to the root of the m-1 remaining ones and sift it down.
      const id = ids[m - 1];
      const score = scores[m - 1];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m - 1) break;
        let w = l;
        if (l + 1 < m - 1 && ranksBefore(scores[l], ids[l], scores[l + 1], ids[l + 1])) w = l + 1;
        if (!ranksBefore(score, id, scores[w], ids[w])) break;
        ids[i] = ids[w];
        scores[i] = scores[w];
        i = w;
      }
      ids[i] = id;
      scores[i] = score;
    }
    return { ids: outIds, scores: outScores };
  }
  /**
   * Writes the kept pairs best first into out arrays at `off` (k slots; unfilled slots get
   * -1 / -Infinity) and empties the selector for the next row.
   */
  drainSorted(outIds: Int32Array, outScores: Float32Array, off: number): void {
    const s = this.sorted();
    for (let t = 0; t < this.k; t++) {
      outIds[off + t] = t < s.ids.length ? s.ids[t] : -1;
      outScores[off + t] = t < s.ids.length ? s.scores[t] : -Infinity;
    }
    this.clear();
  }
}

/** Builds a CSR score matrix row by row from TopK selections (each row best first). */
export class TopKRowsBuilder {
  private indptr: number[] = [0];
  private idx: number[] = [];
  private val: number[] = [];
  constructor(readonly cols: number) {}

  addRow(top: TopK): void {
    const s = top.sorted();
    this.addSorted(s.ids, s.scores);
  }

  /** Appends a row given as label ids and scores (kept in the given order). */
  addSorted(ids: ArrayLike<number>, scores: ArrayLike<number>): void {
    for (let j = 0; j < ids.length; j++) {
      this.idx.push(ids[j]);
      this.val.push(scores[j]);
    }
    this.indptr.push(this.idx.length);
  }

  build(): CSR {
    return {
      rows: this.indptr.length - 1,
      cols: this.cols,
      indptr: Int32Array.from(this.indptr),
      indices: Int32Array.from(this.idx),
      values: Float32Array.from(this.val),
    };
  }
}

/** scores: (rows, cols) dense row-major → CSR of the top k per row, best first. */
export function topKFromDense(scores: Float32Array, rows: number, cols: number, k: number): CSR {
  if (scores.length !== rows * cols) throw new Error(`topKFromDense: ${scores.length} scores for a ${rows} × ${cols} matrix`);
  const top = new TopK(Math.min(k, cols));
  const out = new TopKRowsBuilder(cols);
  for (let r = 0; r < rows; r++) {
    top.clear();
    const base = r * cols;
    for (let c = 0; c < cols; c++) top.push(c, scores[base + c]);
    out.addRow(top);
  }
  return out.build();
}
