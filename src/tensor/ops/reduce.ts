// Reductions over one axis, with keepdim. The tensor is viewed as (outer, len, inner) around
// the axis, so one backend kernel serves every axis.
//   sum:  backward repeats the gradient along the axis (expandTo)
//   mean: the same, times 1/len
//   max:  the gradient goes to the elements equal to the max (all of them on ties)

import type { ReduceOp } from '../backend';
import { normAxis } from '../../util/shape';
import { makeOutput, makeView, type Tensor } from '../tensor';
import { sameBackend } from './creation';
import { expandTo } from './broadcast';
import { eq, mul, scale } from './elementwise';

function reduceAxis(op: ReduceOp, x: Tensor, axis: number, keepdim: boolean, backward?: (g: Tensor, out: Tensor) => Tensor): Tensor {
  const be = sameBackend(op, x);
  const ax = normAxis(op, axis, x.rank);
  const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const len = x.shape[ax];
  if (len === 0) throw new Error(`${op}: axis ${axis} of shape has length 0`);
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  const buf = be.reduce(op, x.buf, outer, len, inner, x.dtype);
  // Compute with keepdim, then drop the axis as a view; backward sees the keepdim shape.
  const k: Tensor = makeOutput(op, be, buf, kept, x.dtype, [x], backward && ((g) => [backward(g, k)]));
  if (keepdim) return k;
  return makeView(k, x.shape.filter((_, i) => i !== ax), `${op}.squeeze`, (g) => [makeView(g, kept, 'unsqueeze')]);
}

export function sum(x: Tensor, axis: number, keepdim = false): Tensor {
  return reduceAxis('sum', x, axis, keepdim, (g) => expandTo(g, x.shape));
}

export function mean(x: Tensor, axis: number, keepdim = false): Tensor {
  const len = x.shape[normAxis('mean', axis, x.rank)];
  return scale(sum(x, axis, keepdim), 1 / len);
}

export function max(x: Tensor, axis: number, keepdim = false): Tensor {
  return reduceAxis('max', x, axis, keepdim, (g, out) => mul(expandTo(g, x.shape), eq(x, expandTo(out, x.shape))));
}

/** Sum of every element, shape [1]. */
export function sumAll(x: Tensor): Tensor {
  return sum(makeView(x, [x.size], 'flatten', (g) => [makeView(g, x.shape, 'unflatten')]), 0, true);
}

/** Mean of every element, shape [1]. */
export function meanAll(x: Tensor): Tensor {
  return scale(sumAll(x), 1 / x.size);
}
