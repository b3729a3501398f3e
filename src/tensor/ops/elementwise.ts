// Elementwise ops: the forward calls one backend kernel, the backward is written next to it.
// Binary ops broadcast (NumPy rules); their backward sums the gradient back to each input's
// shape with sumTo.

import type { BinaryOp, UnaryOp } from '../backend';
import { isFloat } from '../../util/dtype';
import { broadcastShapes, broadcastStrides, shapeStr } from '../../util/shape';
import { makeOutput, type Tensor } from '../tensor';
import { full, sameBackend, sameDtype } from './creation';
import { sumTo } from './broadcast';

function binary(op: BinaryOp, a: Tensor, b: Tensor, backward?: (g: Tensor, out: Tensor) => (Tensor | null)[]): Tensor {
  const be = sameBackend(op, a, b);
  const dtype = sameDtype(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const buf = be.binary(op, a.buf, b.buf, shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), dtype);
  const out: Tensor = makeOutput(op, be, buf, shape, dtype, [a, b], backward && ((g) => backward(g, out)));
  return out;
}

/** a + b */
export function add(a: Tensor, b: Tensor): Tensor {
  return binary('add', a, b, (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

/** a - b */
export function sub(a: Tensor, b: Tensor): Tensor {
  return binary('sub', a, b, (g) => [sumTo(g, a.shape), sumTo(neg(g), b.shape)]);
}

/** a * b: d/da = g*b, d/db = g*a */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary('mul', a, b, (g) => [
    a.requiresGrad ? sumTo(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(mul(g, a), b.shape) : null,
  ]);
}

/** a / b: d/da = g/b, d/db = -g*a/b² = -g*out/b */
export function div(a: Tensor, b: Tensor): Tensor {
  return binary('div', a, b, (g, out) => [
    a.requiresGrad ? sumTo(div(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(neg(div(mul(g, out), b)), b.shape) : null,
  ]);
}

/** max(a, b) elementwise; the gradient goes to a where a >= b, else to b. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return binary('max', a, b, (g) => {
    const takeA = ge(a, b);
    return [sumTo(where(takeA, g, zerosLike(g)), a.shape), sumTo(where(takeA, zerosLike(g), g), b.shape)];
  });
}

/** 1 where a == b else 0 (same dtype; no gradient). */
export function eq(a: Tensor, b: Tensor): Tensor {
  return binary('eq', a, b);
}

/** 1 where a > b else 0 (same dtype; no gradient). */
export function gt(a: Tensor, b: Tensor): Tensor {
  return binary('gt', a, b);
}

/** 1 where a >= b else 0 (= 1 - (b > a)). */
export function ge(a: Tensor, b: Tensor): Tensor {
  return shift(neg(gt(b, a)), 1);
}

function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t.dtype, t.backend);
}

function unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  const be = sameBackend(op, x);
  if (!isFloat(x.dtype) && op !== 'neg' && op !== 'abs') throw new Error(`${op}: needs a float tensor, got ${x.dtype}${shapeStr(x.shape)}`);
  const buf = be.unary(op, x.buf, x.size, x.dtype, alpha);
  const out: Tensor = makeOutput(op, be, buf, x.shape, x.dtype, [x], (g) => [
    makeOutput(`${op}.grad`, be, be.unaryGrad(op, x.buf, out.buf, g.buf, x.size, x.dtype, alpha), x.shape, x.dtype, []),
  ]);
  return out;
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** GELU, tanh form: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const square = (x: Tensor): Tensor => unary('square', x);
/** x^p for a scalar p. */
export const pow = (x: Tensor, p: number): Tensor => unary('pow', x, p);
/** s·x for a scalar s. */
export const scale = (x: Tensor, s: number): Tensor => unary('scale', x, s);
/** x + s for a scalar s. */
export const shift = (x: Tensor, s: number): Tensor => unary('shift', x, s);

/** cond ? a : b elementwise with broadcasting; cond is any dtype (nonzero = true), no gradient to cond. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const be = sameBackend('where', cond, a, b);
  const dtype = sameDtype('where', a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const buf = be.where(
    cond.buf, a.buf, b.buf, shape,
    broadcastStrides(cond.shape, shape), broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape),
    dtype, cond.dtype,
  );
  return makeOutput('where', be, buf, shape, dtype, [cond, a, b], (g) => {
    const z = zerosLike(g);
    return [null, a.requiresGrad ? sumTo(where(cond, g, z), a.shape) : null, b.requiresGrad ? sumTo(where(cond, z, g), b.shape) : null];
  });
}

/** x with `value` wherever mask is nonzero (mask broadcasts to x). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const v = full([1], value, x.dtype, x.backend);
  return where(mask, v, x);
}
