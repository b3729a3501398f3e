// Shape arithmetic shared by the tensor layer and the backends. All tensors are contiguous,
// row-major: the last axis varies fastest.

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapeStr(shape: Shape): string {
  return `(${shape.join(', ')})`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Normalise a possibly negative axis; throws naming the op when out of range. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  }
  return a;
}

/** NumPy broadcasting of two shapes; throws naming the op and both shapes on mismatch. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides for reading an input of shape `inp` as if it had the broadcast shape `out`:
 * broadcast axes get stride 0, so the kernel re-reads the same element.
 */
export function broadcastStrides(inp: Shape, out: Shape): number[] {
  const s = stridesOf(inp);
  const r = out.length;
  const res = new Array<number>(r).fill(0);
  for (let i = 0; i < inp.length; i++) {
    const oi = r - inp.length + i;
    res[oi] = inp[i] === 1 && out[oi] !== 1 ? 0 : s[i];
  }
  return res;
}
