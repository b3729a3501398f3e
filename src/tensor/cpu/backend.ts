// The cpu backend: the reference every other backend is tested against. Each method runs the
// plain-TS reference that sits beside its WGSL twin in src/kernels. Supports f32, f64 (for
// gradient checks), i32 and u32.

import type { AdamHyper, Backend, BackendBuffer, BinaryOp, MatmulParams, MemoryStats, ReduceOp, UnaryOp } from '../backend';
import { allocArray, type DType, type TypedArray } from '../../util/dtype';
import { binaryRef, dropoutMaskRef, fillRef, unaryGradRef, unaryRef, whereRef } from '../../kernels/elementwise';
import { concat2Ref, stridedRef } from '../../kernels/layout';
import { reduceRef } from '../../kernels/reduce';
import { matmulRef } from '../../kernels/matmul';
import { softmaxGradRef, softmaxRef } from '../../kernels/softmax';
import { layerNormGradRef, layerNormRef } from '../../kernels/layernorm';
import { gatherRef, scatterAddRef, scatterColsRef } from '../../kernels/gather';
import { topkRef } from '../../kernels/topk';
import { BAG_CHUNK, embeddingBagRef } from '../../kernels/embedding-bag';
import { adamRowsRef, adamwRef } from '../../kernels/optim';

export class CpuBuffer implements BackendBuffer {
  constructor(public data: TypedArray) {}
  get bytes(): number {
    return this.data.byteLength;
  }
}

const d = (b: BackendBuffer): TypedArray => (b as CpuBuffer).data;

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly deviceName = 'cpu (plain TypeScript reference)';
  readonly maxTensorBytes = Infinity;
  readonly rowShards = false;
  private mem: MemoryStats = { liveBytes: 0, pooledBytes: 0, peakBytes: 0 };
  private live = new Set<CpuBuffer>();

  supports(_dtype: DType): boolean {
    return true;
  }

  private wrap(a: TypedArray): CpuBuffer {
    const b = new CpuBuffer(a);
    this.live.add(b);
    this.mem.liveBytes += a.byteLength;
    if (this.mem.liveBytes > this.mem.peakBytes) this.mem.peakBytes = this.mem.liveBytes;
    return b;
  }

  upload(data: TypedArray): BackendBuffer {
    return this.wrap(data.slice());
  }
  alloc(n: number, dtype: DType): BackendBuffer {
    return this.wrap(allocArray(dtype, n));
  }
  async read(buf: BackendBuffer, n: number, _dtype: DType): Promise<TypedArray> {
    return d(buf).slice(0, n);
  }
  readSync(buf: BackendBuffer, n: number, _dtype: DType): TypedArray {
    return d(buf).slice(0, n);
  }
  release(buf: BackendBuffer): void {
    const b = buf as CpuBuffer;
    if (!this.live.delete(b)) throw new Error('cpu backend: buffer released twice');
    this.mem.liveBytes -= b.data.byteLength;
  }
  flush(): void {}
  memory(): MemoryStats {
    return { ...this.mem };
  }
  resetPeak(): void {
    this.mem.peakBytes = this.mem.liveBytes;
  }

  fill(n: number, dtype: DType, value: number) {
    return this.wrap(fillRef(n, dtype, value));
  }
  unary(op: UnaryOp, x: BackendBuffer, _n: number, _dtype: DType, alpha = 0) {
    return this.wrap(unaryRef(op, d(x), alpha));
  }
  unaryGrad(op: UnaryOp, x: BackendBuffer, y: BackendBuffer, dy: BackendBuffer, _n: number, _dtype: DType, alpha = 0) {
    return this.wrap(unaryGradRef(op, d(x), d(y), d(dy), alpha));
  }
  binary(op: BinaryOp, a: BackendBuffer, b: BackendBuffer, outShape: readonly number[], aS: readonly number[], bS: readonly number[], _dtype: DType) {
    return this.wrap(binaryRef(op, d(a), d(b), outShape, aS, bS));
  }
  where(c: BackendBuffer, a: BackendBuffer, b: BackendBuffer, outShape: readonly number[], cS: readonly number[], aS: readonly number[], bS: readonly number[]) {
    return this.wrap(whereRef(d(c), d(a), d(b), outShape, cS, aS, bS));
  }
  strided(x: BackendBuffer, outShape: readonly number[], strides: readonly number[], offset: number) {
    return this.wrap(stridedRef(d(x), outShape, strides, offset));
  }
  concat2(a: BackendBuffer, b: BackendBuffer, outer: number, la: number, lb: number, inner: number) {
    return this.wrap(concat2Ref(d(a), d(b), outer, la, lb, inner));
  }
  dropoutMask(n: number, p: number, seed: number) {
    return this.wrap(dropoutMaskRef(n, p, seed));
  }
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, len: number, inner: number) {
    return this.wrap(reduceRef(op, d(x), outer, len, inner));
  }
  matmul(a: BackendBuffer, b: BackendBuffer, p: MatmulParams) {
    return this.wrap(matmulRef(d(a), d(b), p));
  }
  softmax(x: BackendBuffer, rows: number, cols: number, log: boolean) {
    return this.wrap(softmaxRef(d(x), rows, cols, log));
  }
  softmaxGrad(y: BackendBuffer, dy: BackendBuffer, rows: number, cols: number, log: boolean) {
    return this.wrap(softmaxGradRef(d(y), d(dy), rows, cols, log));
  }
  layerNorm(x: BackendBuffer, g: BackendBuffer, b: BackendBuffer, rows: number, cols: number, eps: number) {
    const r = layerNormRef(d(x), d(g), d(b), rows, cols, eps);
    return { y: this.wrap(r.y), mean: this.wrap(r.mean), rstd: this.wrap(r.rstd) };
  }
  layerNormGrad(dy: BackendBuffer, x: BackendBuffer, g: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, rows: number, cols: number) {
    const r = layerNormGradRef(d(dy), d(x), d(g), d(mean), d(rstd), rows, cols);
    return { dx: this.wrap(r.dx), dgamma: this.wrap(r.dgamma), dbeta: this.wrap(r.dbeta) };
  }
  gather(table: BackendBuffer, idx: BackendBuffer, n: number, numRows: number, cols: number) {
    return this.wrap(gatherRef(d(table), d(idx) as Int32Array, n, numRows, cols));
  }
  scatterAdd(src: BackendBuffer, idx: Int32Array, numRows: number, cols: number) {
    return this.wrap(scatterAddRef(d(src), idx, numRows, cols));
  }
  embeddingBag(table: BackendBuffer, ids: Int32Array, weights: Float32Array | Float64Array, offsets: Int32Array, B: number, numRows: number, cols: number) {
    return this.wrap(embeddingBagRef(d(table), ids, weights, offsets, B, numRows, cols, BAG_CHUNK, true)); // validated by the caller (Backend.embeddingBag)
  }
  topk(x: BackendBuffer, rows: number, cols: number, k: number) {
    const r = topkRef(d(x), rows, cols, k);
    return { k, values: this.wrap(r.values), indices: this.wrap(r.indices) };
  }
  scatterCols(src: BackendBuffer, idx: BackendBuffer, rows: number, k: number, cols: number) {
    return this.wrap(scatterColsRef(d(src), d(idx) as Int32Array, rows, k, cols));
  }
  adamw(param: BackendBuffer, grad: BackendBuffer, m: BackendBuffer, v: BackendBuffer, _n: number, h: AdamHyper): void {
    adamwRef(d(param), d(grad), d(m), d(v), h);
  }
  adamRows(param: BackendBuffer, grad: BackendBuffer, m: BackendBuffer, v: BackendBuffer, rows: Int32Array, cols: number, h: AdamHyper, compact = false): void {
    adamRowsRef(d(param), d(grad), d(m), d(v), rows, cols, h, compact);
  }
}

