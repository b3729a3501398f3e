// Neural-network ops with fused kernels (softmax, layerNorm), indexing (embedding, top-k),
// dropout, and the two similarity helpers NGAME needs (row-wise L2 normalisation, cosine
// similarity matrix). Row ops act on the last axis: x is viewed as (rows, cols).

import { isFloat } from '../../util/dtype';
import { shapeStr } from '../../util/shape';
import type { TopK } from '../../util/topk';
import { makeOutput, type Tensor } from '../tensor';
import { sameBackend, sameDtype, tensor } from './creation';
import { mul, rsqrt, shift } from './elementwise';
import { matmul } from './matmul';
import { sum } from './reduce';

function rowsCols(op: string, x: Tensor): [number, number] {
  if (x.rank < 1 || !isFloat(x.dtype)) throw new Error(`${op}: needs a float tensor of rank >= 1, got ${x.dtype}${shapeStr(x.shape)}`);
  const cols = x.shape[x.rank - 1];
  return [x.size / cols, cols];
}

function softmaxImpl(x: Tensor, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  const be = sameBackend(op, x);
  const [rows, cols] = rowsCols(op, x);
  const buf = be.softmax(x.buf, rows, cols, log, x.dtype);
  const y: Tensor = makeOutput(op, be, buf, x.shape, x.dtype, [x], (g) => [
    makeOutput(`${op}.grad`, be, be.softmaxGrad(y.buf, g.buf, rows, cols, log, x.dtype), x.shape, x.dtype, []),
  ]);
  return y;
}

/** softmax over the last axis (stable: the row max is subtracted first). */
export function softmax(x: Tensor): Tensor {
  return softmaxImpl(x, false);
}

/** log-softmax over the last axis. */
export function logSoftmax(x: Tensor): Tensor {
  return softmaxImpl(x, true);
}

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta. gamma, beta: (C). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const be = sameBackend('layerNorm', x, gamma, beta);
  const dtype = sameDtype('layerNorm', x, gamma, beta);
  const [rows, cols] = rowsCols('layerNorm', x);
  if (gamma.size !== cols || beta.size !== cols) {
    throw new Error(`layerNorm: gamma ${shapeStr(gamma.shape)} and beta ${shapeStr(beta.shape)} must have ${cols} elements for x ${shapeStr(x.shape)}`);
  }
  const r = be.layerNorm(x.buf, gamma.buf, beta.buf, rows, cols, eps, dtype);
  // mean and rstd (rows) are saved for the backward pass; they live as long as the output.
  const mean = makeOutput('layerNorm.mean', be, r.mean, [rows], dtype, []);
  const rstd = makeOutput('layerNorm.rstd', be, r.rstd, [rows], dtype, []);
  return makeOutput('layerNorm', be, r.y, x.shape, dtype, [x, gamma, beta], (g) => {
    const d = be.layerNormGrad(g.buf, x.buf, gamma.buf, mean.buf, rstd.buf, rows, cols, dtype);
    return [
      makeOutput('layerNorm.dx', be, d.dx, x.shape, dtype, []),
      makeOutput('layerNorm.dgamma', be, d.dgamma, gamma.shape, dtype, []),
      makeOutput('layerNorm.dbeta', be, d.dbeta, beta.shape, dtype, []),
    ];
  });
}

/** Rows of `table` (V, C) picked by integer `idx` (any shape) -> (...idx.shape, C). Backward: scatter-add. */
export function embedding(table: Tensor, idx: Tensor): Tensor {
  const be = sameBackend('embedding', table, idx);
  if (table.rank !== 2) throw new Error(`embedding: table must be (rows, cols), got ${shapeStr(table.shape)}`);
  if (idx.dtype !== 'i32') throw new Error(`embedding: indices must be i32, got ${idx.dtype}`);
  const [V, C] = table.shape;
  const host = idx.host;
  if (!host) throw new Error('embedding: indices must be made from host data (tensor(..., { dtype: "i32" })) so the backward pass can group them');
  for (let i = 0; i < host.length; i++) {
    if (host[i] < 0 || host[i] >= V) throw new Error(`embedding: index ${host[i]} at position ${i} out of range for table ${shapeStr(table.shape)}`);
  }
  const buf = be.gather(table.buf, idx.buf, idx.size, V, C, table.dtype);
  return makeOutput('embedding', be, buf, [...idx.shape, C], table.dtype, [table, idx], (g) => [
    makeOutput('embedding.grad', be, be.scatterAdd(g.buf, host, V, C, table.dtype), table.shape, table.dtype, []),
    null,
  ]);
}

/**
 * Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
 * The mask depends only on (seed, element index), so both backends drop the same elements.
 */
export function dropout(x: Tensor, p: number, seed: number, training = true): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const be = sameBackend('dropout', x);
  if (x.dtype !== 'f32' && x.dtype !== 'f64') throw new Error(`dropout: needs a float tensor, got ${x.dtype}`);
  let mask = makeOutput('dropout.mask', be, be.dropoutMask(x.size, p, seed >>> 0), x.shape, 'f32', []);
  // f64 (cpu, gradient checks): the same mask values, widened (0 and 1/(1-p) in f32 are exact enough to compare).
  if (x.dtype === 'f64') mask = tensor(Float64Array.from(mask.dataSync()), x.shape, { backend: be, dtype: 'f64' });
  return mul(x, mask);
}

/** Each row divided by its L2 norm: x / sqrt(Σx² + eps) over the last axis. */
export function l2Normalize(x: Tensor, eps = 1e-12): Tensor {
  return mul(x, rsqrt(shift(sum(mul(x, x), -1, true), eps)));
}

/** Cosine similarity of every row of a (n, d) with every row of b (m, d) -> (n, m). */
export function cosineSimilarity(a: Tensor, b: Tensor): Tensor {
  return matmul(l2Normalize(a), l2Normalize(b), { transB: true });
}

/**
 * Row-wise top-k over the last axis: values (descending, in the one top-k order of
 * src/util/topk.ts: ties to the lower index, NaN last) and i32 indices. Gradient flows to the
 * selected values.
 */
export function topk(x: Tensor, k: number): TopK<Tensor, Tensor> {
  const be = sameBackend('topk', x);
  const [rows, cols] = rowsCols('topk', x);
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new Error(`topk: k = ${k} must be in [1, ${cols}] for ${shapeStr(x.shape)}`);
  const r = be.topk(x.buf, rows, cols, k, x.dtype);
  const outShape = [...x.shape.slice(0, -1), k];
  const indices = makeOutput('topk.indices', be, r.indices, outShape, 'i32', []);
  const values = makeOutput('topk', be, r.values, outShape, x.dtype, [x], (g) => [
    makeOutput('topk.grad', be, be.scatterCols(g.buf, indices.buf, rows, k, cols, x.dtype), x.shape, x.dtype, []),
  ]);
  return { k, values, indices };
}
