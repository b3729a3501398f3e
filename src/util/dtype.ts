// Element types. f32 is the working type on every backend; f64 exists on the cpu backend only,
// for finite-difference gradient checks; i32/u32 hold indices and masks.

export type DType = 'f32' | 'f64' | 'i32' | 'u32';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array;

export const BYTES: Record<DType, number> = { f32: 4, f64: 8, i32: 4, u32: 4 };

export function allocArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'f32': return new Float32Array(n);
    case 'f64': return new Float64Array(n);
    case 'i32': return new Int32Array(n);
    case 'u32': return new Uint32Array(n);
  }
}

export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  return 'u32';
}

export function isFloat(d: DType): boolean {
  return d === 'f32' || d === 'f64';
}

/** Copy `src` into a new array of `dtype` (no-op copy when the types already match). */
export function castArray(src: ArrayLike<number>, dtype: DType): TypedArray {
  const out = allocArray(dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i];
  return out;
}
