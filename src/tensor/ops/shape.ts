// Ops that move elements without arithmetic. reshape is a view (no copy); permute, slice and
// concat copy through the backend's strided/concat kernels. Each backward is the inverse move.

import { normAxis, numel, shapeStr, stridesOf, type Shape } from '../../util/shape';
import { makeOutput, makeView, type Tensor } from '../tensor';
import { sameBackend, sameDtype, full } from './creation';

/** Same values, new shape (one axis may be -1). Shares storage. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const known = s.reduce((a, d, i) => (i === free ? a : a * d), 1);
    s[free] = known === 0 ? 0 : x.size / known;
  }
  if (numel(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot view ${shapeStr(x.shape)} as ${shapeStr(shape)}`);
  }
  sameBackend('reshape', x);
  return makeView(x, s, 'reshape', (g) => [reshape(g, x.shape)]);
}

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const be = sameBackend('permute', x);
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of the ${x.rank} axes of ${shapeStr(x.shape)}`);
  }
  const inStrides = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]);
  const buf = be.strided(x.buf, outShape, perm.map((p) => inStrides[p]), 0, x.dtype);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return makeOutput('permute', be, buf, outShape, x.dtype, [x], (g) => [permute(g, inverse)]);
}

/** Swaps two axes. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const i = normAxis('transpose', a, x.rank);
  const j = normAxis('transpose', b, x.rank);
  const perm = x.shape.map((_, k) => k);
  perm[i] = j;
  perm[j] = i;
  return permute(x, perm);
}

/** Elements start..end-1 along one axis. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const be = sameBackend('slice', x);
  const ax = normAxis('slice', axis, x.rank);
  const len = x.shape[ax];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > len || start > end) {
    throw new Error(`slice: range [${start}, ${end}) out of bounds for axis ${axis} of ${shapeStr(x.shape)}`);
  }
  const outShape = x.shape.map((d, i) => (i === ax ? end - start : d));
  const strides = stridesOf(x.shape);
  const buf = be.strided(x.buf, outShape, strides, start * strides[ax], x.dtype);
  return makeOutput('slice', be, buf, outShape, x.dtype, [x], (g) => {
    // Backward: put g back between zeros.
    const parts: Tensor[] = [];
    if (start > 0) parts.push(full(x.shape.map((d, i) => (i === ax ? start : d)), 0, g.dtype, g.backend));
    parts.push(g);
    if (end < len) parts.push(full(x.shape.map((d, i) => (i === ax ? len - end : d)), 0, g.dtype, g.backend));
    return [parts.length === 1 ? g : concat(parts, ax)];
  });
}

/** Joins tensors along an axis (all other axes equal). */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  if (xs.length === 1) return makeView(xs[0], xs[0].shape, 'concat', (g) => [g]);
  const be = sameBackend('concat', ...xs);
  const dtype = sameDtype('concat', ...xs);
  const ax = normAxis('concat', axis, xs[0].rank);
  for (const t of xs) {
    if (t.rank !== xs[0].rank || t.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new Error(`concat: shapes ${xs.map((q) => shapeStr(q.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const outer = xs[0].shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = xs[0].shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  // Fold pairwise through the two-input kernel.
  let buf = xs[0].buf;
  let acc = xs[0].shape[ax];
  for (let i = 1; i < xs.length; i++) {
    const next = be.concat2(buf, xs[i].buf, outer, acc, xs[i].shape[ax], inner, dtype);
    if (i > 1) be.release(buf);
    buf = next;
    acc += xs[i].shape[ax];
  }
  const outShape = xs[0].shape.map((d, i) => (i === ax ? acc : d));
  return makeOutput('concat', be, buf, outShape, dtype, [...xs], (g) => {
    let off = 0;
    return xs.map((t) => {
      const part = slice(g, ax, off, off + t.shape[ax]);
      off += t.shape[ax];
      return part;
    });
  });
}

/** Inserts an axis of length 1. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = axis < 0 ? axis + x.rank + 1 : axis;
  const s = [...x.shape];
  s.splice(ax, 0, 1);
  return reshape(x, s);
}
