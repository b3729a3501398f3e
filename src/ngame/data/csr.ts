// The one sparse-matrix type of ngame-ts: compressed sparse rows (CSR).
// Label matrices (docs × labels), filter pairs and score matrices (top-K predictions per row,
// values = scores) all use it.
//
//   row r holds columns indices[indptr[r] .. indptr[r+1]) with values values[same range].
//
// Readers in this folder produce rows with strictly increasing column ids (no duplicates);
// score matrices may keep their columns in any order (metrics rank by value, not position).

// The interface itself is defined in src/util/csr.ts (src/model needs it too); re-exported here so
// every import from this folder keeps working.
import type { CSR } from '../../util/csr';
export type { CSR };

/** A list of (row, col) pairs, e.g. the filter pairs of a dataset. */
export interface Pairs {
  row: Int32Array;
  col: Int32Array;
}

export function nnz(m: CSR): number {
  return m.indptr[m.rows];
}

/** Column ids and values of row r (views, not copies). */
export function rowSlice(m: CSR, r: number): { indices: Int32Array; values: Float32Array } {
  if (!(r >= 0 && r < m.rows)) throw new Error(`rowSlice: row ${r} out of range [0, ${m.rows})`);
  const a = m.indptr[r];
  const b = m.indptr[r + 1];
  return { indices: m.indices.subarray(a, b), values: m.values.subarray(a, b) };
}

/** Number of stored entries in each column: (cols). For a label matrix: docs per label. */
export function columnCounts(m: CSR): Int32Array {
  const out = new Int32Array(m.cols);
  const end = m.indptr[m.rows];
  for (let i = 0; i < end; i++) out[m.indices[i]]++;
  return out;
}

/** Transpose (cols × rows); rows of the result have increasing column ids. */
export function transpose(m: CSR): CSR {
  const counts = columnCounts(m);
  const indptr = new Int32Array(m.cols + 1);
  for (let c = 0; c < m.cols; c++) indptr[c + 1] = indptr[c] + counts[c];
  const fill = indptr.slice(0, m.cols);
  const n = nnz(m);
  const indices = new Int32Array(n);
  const values = new Float32Array(n);
  for (let r = 0; r < m.rows; r++) {
    for (let i = m.indptr[r]; i < m.indptr[r + 1]; i++) {
      const dst = fill[m.indices[i]]++;
      indices[dst] = r;
      values[dst] = m.values[i];
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, values };
}

/**
 * Build a CSR from (row, col) pairs, values 1 unless given. Rows come out with sorted columns;
 * repeated pairs are kept once (their values summed would be surprising, so the first wins).
 */
export function csrFromPairs(rows: number, cols: number, pairs: Pairs, values?: Float32Array): CSR {
  const n = pairs.row.length;
  if (pairs.col.length !== n) throw new Error(`csrFromPairs: ${n} rows but ${pairs.col.length} cols`);
  for (let i = 0; i < n; i++) {
    const r = pairs.row[i];
    const c = pairs.col[i];
    if (!(r >= 0 && r < rows && c >= 0 && c < cols)) {
      throw new Error(`csrFromPairs: pair ${i} (${r}, ${c}) outside a ${rows} × ${cols} matrix`);
    }
  }
  // Counting sort by row, then sort each row's columns.
  const indptr = new Int32Array(rows + 1);
  for (let i = 0; i < n; i++) indptr[pairs.row[i] + 1]++;
  for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
  const fill = indptr.slice(0, rows);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[fill[pairs.row[i]]++] = i;
  const outIdx: number[] = [];
  const outVal: number[] = [];
  const outPtr = new Int32Array(rows + 1);
  for (let r = 0; r < rows; r++) {
    const items = Array.from(order.subarray(indptr[r], indptr[r + 1]));
    items.sort((a, b) => pairs.col[a] - pairs.col[b] || a - b);
    let last = -1;
    for (const i of items) {
      if (pairs.col[i] === last) continue;
      last = pairs.col[i];
      outIdx.push(last);
      outVal.push(values ? values[i] : 1);
    }
    outPtr[r + 1] = outIdx.length;
  }
  return { rows, cols, indptr: outPtr, indices: Int32Array.from(outIdx), values: Float32Array.from(outVal) };
}

/** Build a CSR from per-row column lists (values 1). Columns are sorted and de-duplicated. */
export function csrFromRows(cols: number, rowsOfCols: ArrayLike<number>[]): CSR {
  const row: number[] = [];
  const col: number[] = [];
  rowsOfCols.forEach((cs, r) => {
    for (let j = 0; j < cs.length; j++) {
      row.push(r);
      col.push(cs[j]);
    }
  });
  return csrFromPairs(rowsOfCols.length, cols, { row: Int32Array.from(row), col: Int32Array.from(col) });
}

/** Rows `ids` of m, in that order, as a new CSR. */
export function selectRows(m: CSR, ids: ArrayLike<number>): CSR {
  const indptr = new Int32Array(ids.length + 1);
  for (let i = 0; i < ids.length; i++) indptr[i + 1] = indptr[i] + m.indptr[ids[i] + 1] - m.indptr[ids[i]];
  const indices = new Int32Array(indptr[ids.length]);
  const values = new Float32Array(indptr[ids.length]);
  for (let i = 0; i < ids.length; i++) {
    const a = m.indptr[ids[i]];
    const b = m.indptr[ids[i] + 1];
    indices.set(m.indices.subarray(a, b), indptr[i]);
    values.set(m.values.subarray(a, b), indptr[i]);
  }
  return { rows: ids.length, cols: m.cols, indptr, indices, values };
}

/** The stored (row, col) positions of m as pairs. */
export function csrToPairs(m: CSR): Pairs {
  const n = nnz(m);
  const row = new Int32Array(n);
  for (let r = 0; r < m.rows; r++) row.fill(r, m.indptr[r], m.indptr[r + 1]);
  return { row, col: m.indices.slice(0, n) };
}

/** Throws if m breaks a CSR invariant (lengths, monotone indptr, columns in range). */
export function checkCSR(m: CSR, what = 'matrix'): void {
  const fail = (msg: string) => {
    throw new Error(`${what}: ${msg}`);
  };
  if (!Number.isInteger(m.rows) || m.rows < 0 || !Number.isInteger(m.cols) || m.cols < 0) fail(`bad shape ${m.rows} × ${m.cols}`);
  if (m.indptr.length !== m.rows + 1) fail(`indptr has length ${m.indptr.length}, expected ${m.rows + 1}`);
  if (m.indptr[0] !== 0) fail('indptr[0] must be 0');
  for (let r = 0; r < m.rows; r++) if (m.indptr[r + 1] < m.indptr[r]) fail(`indptr decreases at row ${r}`);
  const n = m.indptr[m.rows];
  if (m.indices.length < n || m.values.length < n) fail(`indices/values shorter than nnz ${n}`);
  for (let i = 0; i < n; i++) if (!(m.indices[i] >= 0 && m.indices[i] < m.cols)) fail(`column ${m.indices[i]} out of range at entry ${i}`);
}

/** Exact equality of shape, structure and values. */
export function csrEqual(a: CSR, b: CSR): boolean {
  if (a.rows !== b.rows || a.cols !== b.cols) return false;
  for (let r = 0; r <= a.rows; r++) if (a.indptr[r] !== b.indptr[r]) return false;
  const n = a.indptr[a.rows];
  for (let i = 0; i < n; i++) {
    if (a.indices[i] !== b.indices[i]) return false;
    if (!Object.is(a.values[i], b.values[i])) return false;
  }
  return true;
}

/**
 * Scales every row of m in place to unit L2 norm (sum of squares in float64, then one float32
 * rounding per value); rows with norm 0 (empty, or all zeros) are left as they are. Returns m.
 */
export function l2NormalizeRows(m: CSR): CSR {
  for (let r = 0; r < m.rows; r++) {
    const a = m.indptr[r];
    const b = m.indptr[r + 1];
    let ss = 0;
    for (let i = a; i < b; i++) ss += m.values[i] * m.values[i];
    if (!(ss > 0)) continue;
    const norm = Math.sqrt(ss);
    for (let i = a; i < b; i++) m.values[i] = m.values[i] / norm;
  }
  return m;
}
