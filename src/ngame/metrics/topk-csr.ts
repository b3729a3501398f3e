// Score matrices from top-k selections, the one place they become CSR: each row the k best
// labels, best first, in the one top-k order of src/util/topk.ts (higher score first, equal
// scores by lower label id, NaN last). A whole selection (rows, k) from a search or a kernel goes
// through topkToCSR; rows of different lengths (the baselines' heaps) through TopKRowsBuilder.
import type { CSR } from '../data/csr';
import { TopKHeap, type TopK } from '../../util/topk';

/**
 * A top-k selection (rows, k), each row best first, as a score matrix (rows × cols, k entries
 * per row, in the same order). `rows` is needed only when k = 0.
 */
export function topkToCSR(t: TopK, cols: number, rows = t.indices.length / t.k): CSR {
  const indptr = new Int32Array(rows + 1);
  for (let r = 0; r <= rows; r++) indptr[r] = r * t.k;
  return { rows, cols, indptr, indices: Int32Array.from(t.indices), values: Float32Array.from(t.values) };
}

/** Builds a CSR score matrix row by row from TopK selections (each row best first). */
export class TopKRowsBuilder {
  private indptr: number[] = [0];
  private idx: number[] = [];
  private val: number[] = [];
  constructor(readonly cols: number) {}

  addRow(top: TopKHeap): void {
    const s = top.sorted();
    this.addSorted(s.indices, s.values);
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
  const kk = Math.min(k, cols);
  const top = new TopKHeap(kk);
  const sel = { k: kk, indices: new Int32Array(rows * kk), values: new Float32Array(rows * kk) }; // (rows, kk)
  for (let r = 0; r < rows; r++) {
    top.clear();
    const base = r * cols;
    for (let c = 0; c < cols; c++) top.push(c, scores[base + c]);
    const s = top.sorted();
    sel.indices.set(s.indices, r * kk);
    sel.values.set(s.values, r * kk);
  }
  return topkToCSR(sel, cols, rows);
}
