// embeddingBag: weighted sums of table rows per bag, with a row-sparse, deterministic backward;
// and the row-sparse gradient helpers autograd and the optimizers use (coalesce, densify).
//   forward:  out (B, C), out[b, :] = Σ_{t in bag b} weights[t] · table[ids[t], :]
//   backward: d table[r, :] = Σ_{t : ids[t] = r} weights[t] · d out[bag(t), :], only for rows r
//             that occur: RowSparse { rows (R) ascending, values (R, C) }
// The backward is itself a bag sum over the upstream gradient (docs/backward.md): group the token
// positions by id on the host (stable), then one bag per distinct id, so the same kernel serves.

import { isFloat } from '../../util/dtype';
import { shapeStr } from '../../util/shape';
import { makeOutput, RowSparse, type Tensor } from '../tensor';
import { validateBags } from '../../kernels/embedding-bag';
import { sameBackend, sameDtype } from './creation';
import { concat } from './shape';

/**
 * Bags of table rows, as host arrays. Bag b is the tokens t in [offsets[b], offsets[b+1]):
 * row ids[t] with weight weights[t]. offsets has B + 1 entries, from 0 to ids.length,
 * non-decreasing (an empty bag is allowed); offsets = [0] is B = 0 bags.
 */
export interface Bags {
  ids: Int32Array;
  weights: Float32Array | Float64Array;
  offsets: Int32Array;
}

/**
 * Stable grouping of positions by key: `order` lists the positions 0..n-1 sorted by keys[pos]
 * (ties in increasing position), `unique` the distinct keys ascending, and the positions of
 * unique[u] are order[segOffsets[u] .. segOffsets[u + 1]). Keys lie in [0, numKeys).
 * Cost O(n log n), independent of numKeys (no counting array over a large vocabulary).
 */
export function groupByKey(keys: Int32Array, numKeys: number): { order: Int32Array; unique: Int32Array; segOffsets: Int32Array } {
  const n = keys.length;
  const order = new Int32Array(n);
  if (numKeys * n <= Number.MAX_SAFE_INTEGER) {
    // key · n + pos is exact in a double: a native numeric sort gives (key, pos) order.
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = keys[i] * n + i;
    packed.sort();
    for (let i = 0; i < n; i++) order[i] = packed[i] % n; // exact: fmod of integers below 2^53
  } else {
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => keys[a] - keys[b] || a - b);
  }
  let u = 0;
  for (let i = 0; i < n; i++) if (i === 0 || keys[order[i]] !== keys[order[i - 1]]) u++;
  const unique = new Int32Array(u);
  const segOffsets = new Int32Array(u + 1);
  u = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0 || keys[order[i]] !== keys[order[i - 1]]) {
      unique[u] = keys[order[i]];
      segOffsets[u++] = i;
    }
  }
  segOffsets[u] = n;
  return { order, unique, segOffsets };
}

/** Ones of the float dtype (weights of a plain sum). */
function ones(dtype: 'f32' | 'f64', n: number): Float32Array | Float64Array {
  return dtype === 'f64' ? new Float64Array(n).fill(1) : new Float32Array(n).fill(1);
}

/**
 * Weighted bag sums of the rows of `table` (V, C) -> (B, C), B = offsets.length − 1; an empty
 * bag gives zeros, B = 0 gives a (0, C) tensor. Tokens are summed in increasing position
 * (deterministic on both backends). Everything is validated on the host before any device work
 * (errors start with "embeddingBag:"). The host arrays are copied, so the caller may reuse them.
 * Gradient: to the table only, row-sparse (RowSparse over the ids that occur); on a leaf it lands
 * in `table.sparseGrad`, not `table.grad`. ids and weights get none (they are host data).
 */
export function embeddingBag(table: Tensor, bags: Bags): Tensor {
  const op = 'embeddingBag';
  const be = sameBackend(op, table);
  if (table.rank !== 2 || !isFloat(table.dtype)) {
    throw new Error(`${op}: table must be a float (rows, cols) tensor, got ${table.dtype}${shapeStr(table.shape)}`);
  }
  const [V, C] = table.shape;
  if (C < 1) throw new Error(`${op}: table ${shapeStr(table.shape)} has no columns`);
  if (!(bags.ids instanceof Int32Array)) throw new Error(`${op}: bags.ids must be an Int32Array`);
  if (!(bags.offsets instanceof Int32Array)) throw new Error(`${op}: bags.offsets must be an Int32Array`);
  if (!(bags.weights instanceof Float32Array || bags.weights instanceof Float64Array)) {
    throw new Error(`${op}: bags.weights must be a Float32Array or Float64Array`);
  }
  if (bags.offsets.length < 1) throw new Error(`${op}: offsets is empty; it needs B + 1 >= 1 entries ([0] for no bags)`);
  const B = bags.offsets.length - 1;
  validateBags(op, bags.ids, bags.weights, bags.offsets, B, V);
  const dtype = table.dtype as 'f32' | 'f64';
  const ids = bags.ids.slice();
  const offsets = bags.offsets.slice();
  // Rounded to the table's dtype once, here: forward and backward then use the same weights.
  const weights = dtype === 'f64' ? Float64Array.from(bags.weights) : Float32Array.from(bags.weights);
  for (let t = 0; t < weights.length; t++) {
    if (!Number.isFinite(weights[t])) throw new Error(`${op}: weights[${t}] = ${bags.weights[t]} overflows ${dtype}`);
  }
  const buf = be.embeddingBag(table.buf, ids, weights, offsets, B, V, C, dtype);
  return makeOutput(op, be, buf, [B, C], dtype, [table], (g) => {
    // g: (B, C). Regroup the tokens by id: segment u holds the tokens of row rows[u], in
    // increasing position; each token is a "bag member" pointing at row bag(t) of g.
    const { order, unique, segOffsets } = groupByKey(ids, V);
    const bagOf = new Int32Array(ids.length);
    for (let b = 0; b < B; b++) bagOf.fill(b, offsets[b], offsets[b + 1]);
    const sBag = new Int32Array(ids.length);
    const sW = dtype === 'f64' ? new Float64Array(ids.length) : new Float32Array(ids.length);
    for (let k = 0; k < order.length; k++) {
      sBag[k] = bagOf[order[k]];
      sW[k] = weights[order[k]];
    }
    const R = unique.length;
    const values = makeOutput(`${op}.grad`, be, be.embeddingBag(g.buf, sBag, sW, segOffsets, R, B, C, dtype), [R, C], dtype, []);
    return [new RowSparse(unique, values, V)];
  });
}

/**
 * One row-sparse gradient equal to the sum of `parts` (all for the same (numRows, cols) table):
 * rows and values are concatenated in order, then duplicate rows are summed by the embeddingBag
 * kernel with weights 1, in concatenation order (deterministic). Rows come out ascending, unique.
 * Returns a new RowSparse (parts are not released); a single part is returned as it is.
 */
export function coalesceRowSparse(parts: readonly RowSparse[]): RowSparse {
  if (parts.length === 0) throw new Error('coalesceRowSparse: no gradients');
  const { numRows, cols } = parts[0];
  for (const p of parts) {
    if (p.numRows !== numRows || p.cols !== cols) {
      throw new Error(`coalesceRowSparse: gradients for tables ${parts.map((q) => shapeStr(q.shape)).join(', ')} differ`);
    }
  }
  const nonEmpty = parts.filter((p) => p.rows.length > 0);
  if (parts.length === 1 || nonEmpty.length === 0) return parts[0];
  if (nonEmpty.length === 1) return nonEmpty[0];
  const vals = nonEmpty.map((p) => p.values);
  const be = sameBackend('coalesceRowSparse', ...vals);
  const dtype = sameDtype('coalesceRowSparse', ...vals) as 'f32' | 'f64';
  const all = new Int32Array(nonEmpty.reduce((n, p) => n + p.rows.length, 0));
  let off = 0;
  for (const p of nonEmpty) {
    all.set(p.rows, off);
    off += p.rows.length;
  }
  const stacked = concat(vals, 0); // (N, cols), row i belongs to all[i]
  const { order, unique, segOffsets } = groupByKey(all, numRows);
  // Bag u sums the stacked rows order[segOffsets[u] ..], i.e. every part's row unique[u].
  const summed = be.embeddingBag(stacked.buf, order, ones(dtype, order.length), segOffsets, unique.length, all.length, cols, dtype);
  stacked.release();
  return new RowSparse(unique, makeOutput('coalesceRowSparse', be, summed, [unique.length, cols], dtype, []), numRows);
}

/** The dense (numRows, cols) gradient a row-sparse one stands for (zeros outside its rows). */
export function rowSparseToDense(s: RowSparse): Tensor {
  const v = s.values;
  const be = sameBackend('rowSparseToDense', v);
  // Rows are unique, so the scatter-add only places each row.
  return makeOutput('rowSparseToDense', be, be.scatterAdd(v.buf, s.rows, s.numRows, s.cols, v.dtype), [s.numRows, s.cols], v.dtype, []);
}
