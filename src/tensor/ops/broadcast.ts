// Broadcasting's two directions, each the other's backward:
//   expandTo(x, shape): repeat x along broadcast axes   (a strided read with stride 0)
//   sumTo(g, shape):    sum g over the axes that were broadcast   (backward of expand)
// Binary ops use sumTo to bring a gradient back to each input's shape.

import { broadcastStrides, numel, sameShape, shapeStr, type Shape } from '../../util/shape';
import { makeOutput, makeView, type Tensor } from '../tensor';
import { sameBackend } from './creation';

/** x broadcast (NumPy rules) to `shape`. */
export function expandTo(x: Tensor, shape: Shape): Tensor {
  const be = sameBackend('expandTo', x);
  if (sameShape(x.shape, shape)) return makeView(x, shape, 'expandTo', (g) => [g]);
  if (x.rank > shape.length) throw new Error(`expandTo: cannot expand ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  for (let i = 0; i < x.rank; i++) {
    const d = x.shape[x.rank - 1 - i];
    const t = shape[shape.length - 1 - i];
    if (d !== t && d !== 1) throw new Error(`expandTo: cannot expand ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  }
  const strides = broadcastStrides(x.shape, shape);
  const buf = be.strided(x.buf, shape, strides, 0, x.dtype);
  return makeOutput('expandTo', be, buf, shape, x.dtype, [x], (g) => [sumTo(g, x.shape)]);
}

/** g summed over the axes where `shape` has 1 (or lacks leading axes), reshaped to `shape`. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  const be = sameBackend('sumTo', g);
  if (sameShape(g.shape, shape)) return makeView(g, shape, 'sumTo', (gg) => [gg]);
  if (numel(shape) > g.size) throw new Error(`sumTo: cannot reduce ${shapeStr(g.shape)} to ${shapeStr(shape)}`);
  const r = g.rank;
  const padded = [...new Array<number>(r - shape.length).fill(1), ...shape];
  // Reduce one axis at a time (outer, len, inner); collapse runs of consecutive axes first.
  let cur = g.buf;
  let curShape = [...g.shape];
  const temps = [];
  for (let ax = 0; ax < r; ax++) {
    if (padded[ax] === 1 && curShape[ax] !== 1) {
      const outer = curShape.slice(0, ax).reduce((a, b) => a * b, 1);
      const inner = curShape.slice(ax + 1).reduce((a, b) => a * b, 1);
      const next = be.reduce('sum', cur, outer, curShape[ax], inner, g.dtype);
      if (cur !== g.buf) temps.push(cur);
      cur = next;
      curShape[ax] = 1;
    } else if (padded[ax] !== curShape[ax]) {
      throw new Error(`sumTo: cannot reduce ${shapeStr(g.shape)} to ${shapeStr(shape)}`);
    }
  }
  for (const t of temps) be.release(t);
  // Only size-1 axes were dropped: the values are already right, so share the buffer.
  if (cur === g.buf) return makeView(g, shape, 'sumTo', (gg) => [expandTo(gg, g.shape)]);
  return makeOutput('sumTo', be, cur, shape, g.dtype, [g], (gg) => [expandTo(gg, g.shape)]);
}
