// Sparse matrix files of the Extreme Classification Repository (trn_X_Y.txt, tst_X_Y.txt):
//
//   num_rows num_cols
//   col:value col:value ...      ← one line per row, 0-based column ids; empty line = empty row
//
// Reading is strict: every malformed line is an error naming file and line, and the file must
// end with '\n' so that a truncated last row is not mistaken for a shorter one.
import type { CSR } from './csr';
import { DataFormatError, forEachLine, writeTextFile } from './lines';

const UINT = /^\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A growable typed array, so large files do not go through JS number arrays. */
class Grow<T extends Int32Array | Float32Array> {
  len = 0;
  constructor(
    public buf: T,
    private make: (n: number) => T,
  ) {}
  push(x: number): void {
    if (this.len === this.buf.length) {
      const next = this.make(Math.max(16, this.buf.length * 2));
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = x;
  }
  done(): T {
    return this.buf.slice(0, this.len) as T;
  }
}

export function parseUint(tok: string, file: string, line: number, what: string): number {
  if (!UINT.test(tok)) throw new DataFormatError(file, line, `${what} '${tok}' is not a non-negative integer`);
  const v = Number(tok);
  if (v > 2 ** 31 - 1) throw new DataFormatError(file, line, `${what} ${tok} is too large`);
  return v;
}

/**
 * A decimal number stored as float32 (every value of these files is): finite as float32, so that
 * 1e39, which float64 holds but float32 rounds to Infinity, is an error here rather than an
 * infinite score or a NaN weight much later.
 */
export function parseFloat32(tok: string, file: string, line: number, what: string): number {
  if (!NUMBER.test(tok)) throw new DataFormatError(file, line, `${what} '${tok}' is not a number`);
  const v = Number(tok);
  if (!Number.isFinite(Math.fround(v))) throw new DataFormatError(file, line, `${what} '${tok}' is not finite as a float32 (largest magnitude 3.4028235e38)`);
  return v;
}

/** Splits a line into whitespace-separated tokens (no empty tokens). */
export function tokens(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** Reads a sparse matrix file (plain, .gz or .br). Rows come out with increasing column ids. */
export async function readSparseMatrix(path: string): Promise<CSR> {
  let rows = -1;
  let cols = -1;
  const indptr: number[] = [0];
  const indices = new Grow(new Int32Array(1024), (n) => new Int32Array(n));
  const values = new Grow(new Float32Array(1024), (n) => new Float32Array(n));
  const rowCols: number[] = [];
  const rowVals: number[] = [];

  const scan = await forEachLine(path, (line, no) => {
    if (no === 1) {
      const t = tokens(line);
      if (t.length !== 2) throw new DataFormatError(path, no, `header must be 'num_rows num_cols', got '${line.slice(0, 80)}'`);
      rows = parseUint(t[0], path, no, 'num_rows');
      cols = parseUint(t[1], path, no, 'num_cols');
      return;
    }
    if (no - 1 > rows) throw new DataFormatError(path, no, `more rows than the ${rows} the header declares`);
    rowCols.length = 0;
    rowVals.length = 0;
    let sorted = true;
    for (const tok of tokens(line)) {
      const colon = tok.indexOf(':');
      if (colon < 0 || tok.indexOf(':', colon + 1) >= 0) {
        throw new DataFormatError(path, no, `expected 'col:value', got '${tok.slice(0, 40)}'`);
      }
      const c = parseUint(tok.slice(0, colon), path, no, 'column');
      if (c >= cols) throw new DataFormatError(path, no, `column ${c} >= num_cols ${cols}`);
      const v = parseFloat32(tok.slice(colon + 1), path, no, 'value');
      if (rowCols.length > 0 && c <= rowCols[rowCols.length - 1]) sorted = false;
      rowCols.push(c);
      rowVals.push(v);
    }
    let order = rowCols.map((_, i) => i);
    if (!sorted) order = order.sort((a, b) => rowCols[a] - rowCols[b]);
    for (let j = 0; j < order.length; j++) {
      const c = rowCols[order[j]];
      if (j > 0 && c === rowCols[order[j - 1]]) throw new DataFormatError(path, no, `column ${c} appears twice in the row`);
      indices.push(c);
      values.push(rowVals[order[j]]);
    }
    indptr.push(indices.len);
  });

  if (rows < 0) throw new DataFormatError(path, 1, "empty file; expected header 'num_rows num_cols'");
  if (!scan.finalNewline) throw new DataFormatError(path, scan.lines, 'last line has no newline (truncated file?)');
  if (scan.lines - 1 !== rows) {
    throw new DataFormatError(path, scan.lines, `header declares ${rows} rows but the file has ${scan.lines - 1}`);
  }
  return { rows, cols, indptr: Int32Array.from(indptr), indices: indices.done(), values: values.done() };
}

/** Shortest decimal text that reads back as the same float32 (integers as '1.0'). */
export function formatFloat32(v: number): string {
  if (Object.is(v, -0)) return '-0.0';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toFixed(1);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** Writes m in the sparse matrix format (atomically; gzip/brotli when the name ends .gz/.br). */
export function writeSparseMatrix(path: string, m: CSR): void {
  writeTextFile(path, formatSparseMatrix(m));
}

/** The file text of m, in chunks of at most 65,536 rows (so no single huge string is built). */
export function formatSparseMatrix(m: CSR): string[] {
  const chunks: string[] = [`${m.rows} ${m.cols}\n`];
  let buf: string[] = [];
  for (let r = 0; r < m.rows; r++) {
    const parts: string[] = [];
    for (let i = m.indptr[r]; i < m.indptr[r + 1]; i++) parts.push(`${m.indices[i]}:${formatFloat32(m.values[i])}`);
    buf.push(parts.join(' '));
    if (buf.length === 65536) {
      chunks.push(buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length > 0) chunks.push(buf.join('\n') + '\n');
  return chunks;
}
