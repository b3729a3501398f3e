// Matrix products. C = op(A)·op(B) where op is identity or transpose (a flag, not a copy), so
// every backward is another matmul with flags: no transpose kernel is ever needed.
//   C = A·B      dA = G·Bᵀ      dB = Aᵀ·G
//   C = Aᵀ·B     dA = B·Gᵀ      dB = A·G
//   C = A·Bᵀ     dA = G·B       dB = Gᵀ·A
//   C = Aᵀ·Bᵀ    dA = Bᵀ·Gᵀ     dB = Gᵀ·Aᵀ
// Batched: leading axes are batch axes, equal on both sides, or absent on one side (that
// matrix is shared by every batch; its gradient is summed over the batch).

import { sameShape, shapeStr } from '../../util/shape';
import { makeOutput, makeView, type Tensor } from '../tensor';
import { sameBackend, sameDtype } from './creation';
import { sum } from './reduce';
import { add } from './elementwise';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** a: (..., M, K) [or (..., K, M) with transA], b: (..., K, N) [or (..., N, K) with transB] -> (..., M, N) */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const be = sameBackend('matmul', a, b);
  const dtype = sameDtype('matmul', a, b);
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: needs rank >= 2, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const M = transA ? a.shape[a.rank - 1] : a.shape[a.rank - 2];
  const K = transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const Kb = transB ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  const N = transB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  const desc = `${shapeStr(a.shape)}${transA ? 'ᵀ' : ''} · ${shapeStr(b.shape)}${transB ? 'ᵀ' : ''}`;
  if (K !== Kb) throw new Error(`matmul: inner dimensions differ in ${desc}`);

  // A batched A times a shared B without transA is one 2D product over all rows: fold the batch.
  if (b.rank === 2 && a.rank > 2 && !transA) {
    const rows = a.size / K;
    const a2 = makeView(a, [rows, K], 'matmul.fold', (g) => [makeView(g, a.shape, 'matmul.unfold')]);
    const c2 = matmul(a2, b, opts);
    const outShape = [...a.shape.slice(0, -1), N];
    return makeView(c2, outShape, 'matmul.unfold', (g) => [makeView(g, [rows, N], 'matmul.fold')]);
  }

  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (batchA.length > 0 && batchB.length > 0 && !sameShape(batchA, batchB)) {
    throw new Error(`matmul: batch axes differ in ${desc}`);
  }
  const batchShape = batchA.length > 0 ? batchA : batchB;
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const buf = be.matmul(a.buf, b.buf, {
    batch, M, N, K, transA, transB,
    strideA: batchA.length > 0 ? M * K : 0,
    strideB: batchB.length > 0 ? K * N : 0,
  }, dtype);
  const outShape = [...batchShape, M, N];
  return makeOutput('matmul', be, buf, outShape, dtype, [a, b], (g) => {
    let dA: Tensor | null = null;
    let dB: Tensor | null = null;
    if (a.requiresGrad) {
      dA = transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB });
      if (batchA.length === 0 && batchB.length > 0) dA = sumBatch(dA, batchB.length);
    }
    if (b.requiresGrad) {
      dB = transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA });
      if (batchB.length === 0 && batchA.length > 0) dB = sumBatch(dB, batchA.length);
    }
    return [dA, dB];
  });
}

/** Sums a (...batch, R, C) tensor over its `nBatch` leading axes -> (R, C). */
function sumBatch(x: Tensor, nBatch: number): Tensor {
  const batch = x.shape.slice(0, nBatch).reduce((p, q) => p * q, 1);
  const flat = makeView(x, [batch, ...x.shape.slice(nBatch)], 'flattenBatch', (g) => [makeView(g, x.shape, 'unflattenBatch')]);
  return sum(flat, 0);
}

/** x·Wᵀ + b with PyTorch's layout: W is (out, in), b is (out). x: (..., in) -> (..., out). */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = matmul(x, w, { transB: true });
  return b ? add(y, b) : y;
}
