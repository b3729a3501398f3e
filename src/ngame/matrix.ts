// A tiny dense row-major matrix used by clustering and search: rows × cols float32 values.
// Row i occupies data[i*cols .. (i+1)*cols).

export interface Mat {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** Wrap (or allocate) a row-major matrix, checking that the sizes agree. */
export function mat(rows: number, cols: number, data?: Float32Array): Mat {
  if (!Number.isInteger(rows) || rows < 0) throw new Error(`mat: rows must be a non-negative integer, got ${rows}`);
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`mat: cols must be a positive integer, got ${cols}`);
  const d = data ?? new Float32Array(rows * cols);
  if (d.length !== rows * cols) {
    throw new Error(`mat: data has ${d.length} values but rows*cols = ${rows}*${cols} = ${rows * cols}`);
  }
  return { rows, cols, data: d };
}

/** A view (no copy) of row i. */
export function row(m: Mat, i: number): Float32Array {
  if (!(i >= 0 && i < m.rows)) throw new Error(`row: index ${i} out of range [0, ${m.rows})`);
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** Dot product of a[aOff .. aOff+n) and b[bOff .. bOff+n), unrolled by 4 for speed. */
export function dot(a: Float32Array, b: Float32Array, n = a.length, aOff = 0, bOff = 0): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += a[aOff + j] * b[bOff + j];
    s1 += a[aOff + j + 1] * b[bOff + j + 1];
    s2 += a[aOff + j + 2] * b[bOff + j + 2];
    s3 += a[aOff + j + 3] * b[bOff + j + 3];
  }
  for (; j < n; j++) s0 += a[aOff + j] * b[bOff + j];
  return s0 + s1 + s2 + s3;
}

/**
 * L2-normalize every row into a new matrix. Zero rows stay zero (documented special case:
 * a zero vector has cosine 0 to everything, so it is placed deterministically by index order).
 */
export function normalizeRows(m: Mat): Mat {
  const out = mat(m.rows, m.cols, new Float32Array(m.data));
  normalizeRowsInPlace(out);
  return out;
}

export function normalizeRowsInPlace(m: Mat): void {
  const { rows, cols, data } = m;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const n = Math.sqrt(dot(data, data, cols, off, off));
    if (n > 0) {
      const inv = 1 / n;
      for (let j = 0; j < cols; j++) data[off + j] *= inv;
    }
  }
}

/** Throw a clear error if the matrix is malformed or holds NaN/Infinity; `what` names the argument. */
export function checkMat(m: Mat, what: string): void {
  if (!m || !(m.data instanceof Float32Array)) throw new Error(`${what}: expected a Mat { rows, cols, data: Float32Array }`);
  if (m.data.length !== m.rows * m.cols) {
    throw new Error(`${what}: data has ${m.data.length} values but rows*cols = ${m.rows * m.cols}`);
  }
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new Error(`${what}: non-finite value ${d[i]} at row ${Math.floor(i / m.cols)}, column ${i % m.cols}`);
    }
  }
}

/** Copy selected rows into a new matrix. */
export function gatherRows(m: Mat, idx: ArrayLike<number>): Mat {
  const out = mat(idx.length, m.cols);
  for (let i = 0; i < idx.length; i++) {
    out.data.set(m.data.subarray(idx[i] * m.cols, (idx[i] + 1) * m.cols), i * m.cols);
  }
  return out;
}
