// The webgpu backend: each method records the WGSL twin of a src/kernels reference on the
// shared Runtime (no submit per op). Supports f32, i32 and u32; f64 has no WGSL type.

import type { AdamHyper, Backend, BackendBuffer, BinaryOp, MatmulParams, MemoryStats, ReduceOp, UnaryOp } from '../backend';
import { BYTES, type DType, type TypedArray } from '../../util/dtype';
import { gpuContext, type GpuContext } from '../../kernels/webgpu/device';
import { Runtime } from '../../kernels/webgpu/runtime';
import { binaryGpu, dropoutMaskGpu, fillGpu, unaryGpu, unaryGradGpu, whereGpu } from '../../kernels/elementwise';
import { concat2Gpu, stridedGpu } from '../../kernels/layout';
import { reduceGpu } from '../../kernels/reduce';
import { matmulGpu } from '../../kernels/matmul';
import { softmaxGpu, softmaxGradGpu } from '../../kernels/softmax';
import { layerNormGpu, layerNormGradGpu } from '../../kernels/layernorm';
import { gatherGpu, scatterAddGpu, scatterColsGpu } from '../../kernels/gather';
import { topkGpu } from '../../kernels/topk';
import { BAG_CHUNK, embeddingBagGpu } from '../../kernels/embedding-bag';
import { adamRowsGpu, adamwGpu } from '../../kernels/optim';
import { ShardedBuffer, adamRowsShards, adamwShards, embeddingBagShards, gatherShards, readShards, scatterAddShards, shardPlan, uploadShards } from './shards';

export class GpuBuffer implements BackendBuffer {
  released = false;
  constructor(public buffer: GPUBuffer) {}
  get bytes(): number {
    return this.buffer.size;
  }
}

const g = (b: BackendBuffer): GPUBuffer => {
  if (b instanceof ShardedBuffer) {
    throw new Error(`webgpu backend: this op needs its ${(b.bytes / 2 ** 20).toFixed(1)} MiB table in one binding, but the table is split into ${b.shards.length} row shards (tables over one binding's limit are; only upload, fill, read, gather, embeddingBag, adamw and adamRows take one: shards.ts)`);
  }
  const gb = b as GpuBuffer;
  if (gb.released) throw new Error('webgpu backend: use of a released buffer');
  return gb.buffer;
};

const live = (b: ShardedBuffer): ShardedBuffer => {
  if (b.released) throw new Error('webgpu backend: use of a released buffer');
  return b;
};

function typed(buf: ArrayBuffer, dtype: DType): TypedArray {
  switch (dtype) {
    case 'f32': return new Float32Array(buf);
    case 'i32': return new Int32Array(buf);
    case 'u32': return new Uint32Array(buf);
    default: throw new Error(`webgpu backend: dtype ${dtype} is not supported (f64 exists on cpu only)`);
  }
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly deviceName: string;
  readonly maxTensorBytes: number;
  readonly rowShards = true;

  /**
   * opts.maxBindingBytes lowers the binding limit tables are sharded at (tests force a small one);
   * the limit is never above the adapter's maxStorageBufferBindingSize and maxBufferSize.
   */
  constructor(readonly rt: Runtime, opts: { maxBindingBytes?: number } = {}) {
    this.deviceName = rt.ctx.name;
    const lim = rt.limits;
    this.maxTensorBytes = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize, opts.maxBindingBytes ?? Infinity);
  }

  static async create(poolCapBytes?: number, opts: { maxBindingBytes?: number } = {}): Promise<WebGpuBackend> {
    const ctx: GpuContext = await gpuContext();
    return new WebGpuBackend(new Runtime(ctx, poolCapBytes), opts);
  }

  supports(dtype: DType): boolean {
    return dtype !== 'f64';
  }

  private check(dtype: DType): void {
    if (dtype === 'f64') throw new Error('webgpu backend: f64 is not supported (use the cpu backend for float64)');
  }

  private w(b: GPUBuffer): GpuBuffer {
    return new GpuBuffer(b);
  }

  upload(data: TypedArray, rowLen?: number): BackendBuffer {
    if (data instanceof Float64Array) this.check('f64');
    const plan = shardPlan(data.length, rowLen, this.maxTensorBytes);
    if (plan) return uploadShards(this.rt, data, plan, rowLen!);
    return this.w(this.rt.upload(data));
  }
  alloc(n: number, dtype: DType, rowLen?: number): BackendBuffer {
    this.check(dtype);
    const plan = shardPlan(n, rowLen, this.maxTensorBytes);
    if (plan) {
      const shards = Array.from({ length: plan.count }, (_, s) => this.rt.alloc(Math.min(plan.rowsPer, plan.numRows - s * plan.rowsPer) * rowLen! * 4, 'table_shard'));
      return new ShardedBuffer(shards, plan.numRows, rowLen!, plan.rowsPer);
    }
    return this.w(this.rt.alloc(n * BYTES[dtype]));
  }
  async read(buf: BackendBuffer, n: number, dtype: DType): Promise<TypedArray> {
    this.check(dtype);
    if (buf instanceof ShardedBuffer) {
      if (buf.released) throw new Error('webgpu backend: use of a released buffer');
      return typed((await readShards(this.rt, buf)).slice(0, n * BYTES[dtype]), dtype);
    }
    return typed(await this.rt.read(g(buf), n * BYTES[dtype]), dtype);
  }
  release(buf: BackendBuffer): void {
    if (buf instanceof ShardedBuffer) {
      if (buf.released) throw new Error('webgpu backend: buffer released twice');
      buf.released = true;
      for (const s of buf.shards) this.rt.release(s);
      return;
    }
    const gb = buf as GpuBuffer;
    if (gb.released) throw new Error('webgpu backend: buffer released twice');
    gb.released = true;
    this.rt.release(gb.buffer);
  }
  flush(): void {
    this.rt.flush();
  }
  memory(): MemoryStats {
    return this.rt.pool.memory();
  }
  resetPeak(): void {
    this.rt.pool.resetPeak();
  }

  fill(n: number, dtype: DType, value: number, rowLen?: number): BackendBuffer {
    this.check(dtype);
    const plan = shardPlan(n, rowLen, this.maxTensorBytes);
    if (plan) {
      const shards = Array.from({ length: plan.count }, (_, s) => fillGpu(this.rt, Math.min(plan.rowsPer, plan.numRows - s * plan.rowsPer) * rowLen!, dtype, value));
      return new ShardedBuffer(shards, plan.numRows, rowLen!, plan.rowsPer);
    }
    return this.w(fillGpu(this.rt, n, dtype, value));
  }
  unary(op: UnaryOp, x: BackendBuffer, n: number, dtype: DType, alpha = 0) {
    this.check(dtype);
    return this.w(unaryGpu(this.rt, op, g(x), n, dtype, alpha));
  }
  unaryGrad(op: UnaryOp, x: BackendBuffer, y: BackendBuffer, dy: BackendBuffer, n: number, dtype: DType, alpha = 0) {
    this.check(dtype);
    return this.w(unaryGradGpu(this.rt, op, g(x), g(y), g(dy), n, dtype, alpha));
  }
  binary(op: BinaryOp, a: BackendBuffer, b: BackendBuffer, outShape: readonly number[], aS: readonly number[], bS: readonly number[], dtype: DType) {
    this.check(dtype);
    return this.w(binaryGpu(this.rt, op, g(a), g(b), outShape, aS, bS, dtype));
  }
  where(c: BackendBuffer, a: BackendBuffer, b: BackendBuffer, outShape: readonly number[], cS: readonly number[], aS: readonly number[], bS: readonly number[], dtype: DType, condDtype: DType) {
    this.check(dtype);
    return this.w(whereGpu(this.rt, g(c), g(a), g(b), outShape, cS, aS, bS, dtype, condDtype));
  }
  strided(x: BackendBuffer, outShape: readonly number[], strides: readonly number[], offset: number, dtype: DType) {
    this.check(dtype);
    return this.w(stridedGpu(this.rt, g(x), outShape, strides, offset, dtype));
  }
  concat2(a: BackendBuffer, b: BackendBuffer, outer: number, la: number, lb: number, inner: number, dtype: DType) {
    this.check(dtype);
    return this.w(concat2Gpu(this.rt, g(a), g(b), outer, la, lb, inner, dtype));
  }
  dropoutMask(n: number, p: number, seed: number) {
    return this.w(dropoutMaskGpu(this.rt, n, p, seed));
  }
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, len: number, inner: number, dtype: DType) {
    this.check(dtype);
    return this.w(reduceGpu(this.rt, op, g(x), outer, len, inner, dtype));
  }
  matmul(a: BackendBuffer, b: BackendBuffer, p: MatmulParams, dtype: DType) {
    this.check(dtype);
    return this.w(matmulGpu(this.rt, g(a), g(b), p));
  }
  softmax(x: BackendBuffer, rows: number, cols: number, log: boolean, dtype: DType) {
    this.check(dtype);
    return this.w(softmaxGpu(this.rt, g(x), rows, cols, log));
  }
  softmaxGrad(y: BackendBuffer, dy: BackendBuffer, rows: number, cols: number, log: boolean, dtype: DType) {
    this.check(dtype);
    return this.w(softmaxGradGpu(this.rt, g(y), g(dy), rows, cols, log));
  }
  layerNorm(x: BackendBuffer, gamma: BackendBuffer, beta: BackendBuffer, rows: number, cols: number, eps: number, dtype: DType) {
    this.check(dtype);
    const r = layerNormGpu(this.rt, g(x), g(gamma), g(beta), rows, cols, eps);
    return { y: this.w(r.y), mean: this.w(r.mean), rstd: this.w(r.rstd) };
  }
  layerNormGrad(dy: BackendBuffer, x: BackendBuffer, gamma: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, rows: number, cols: number, dtype: DType) {
    this.check(dtype);
    const r = layerNormGradGpu(this.rt, g(dy), g(x), g(gamma), g(mean), g(rstd), rows, cols);
    return { dx: this.w(r.dx), dgamma: this.w(r.dgamma), dbeta: this.w(r.dbeta) };
  }
  gather(table: BackendBuffer, idx: BackendBuffer, n: number, numRows: number, cols: number, dtype: DType): BackendBuffer {
    this.check(dtype);
    if (table instanceof ShardedBuffer) return this.w(gatherShards(this.rt, live(table), g(idx), n, cols));
    return this.w(gatherGpu(this.rt, g(table), g(idx), n, numRows, cols));
  }
  /** A result over one binding (the dense gradient of a sharded table) is kept as row shards. */
  scatterAdd(src: BackendBuffer, idx: Int32Array, numRows: number, cols: number, dtype: DType): BackendBuffer {
    this.check(dtype);
    const plan = shardPlan(numRows * cols, cols, this.maxTensorBytes);
    if (plan) return scatterAddShards(this.rt, g(src), idx, plan, cols);
    return this.w(scatterAddGpu(this.rt, g(src), idx, numRows, cols));
  }
  embeddingBag(table: BackendBuffer, ids: Int32Array, weights: Float32Array | Float64Array, offsets: Int32Array, B: number, numRows: number, cols: number, dtype: DType) {
    this.check(dtype);
    if (table instanceof ShardedBuffer) return this.w(embeddingBagShards(this.rt, live(table), ids, Float32Array.from(weights), offsets, B, cols));
    return this.w(embeddingBagGpu(this.rt, g(table), ids, weights, offsets, B, numRows, cols, BAG_CHUNK, true)); // validated by the caller (Backend.embeddingBag)
  }
  topk(x: BackendBuffer, rows: number, cols: number, k: number, dtype: DType) {
    this.check(dtype);
    const r = topkGpu(this.rt, g(x), rows, cols, k);
    return { k, values: this.w(r.values), indices: this.w(r.indices) };
  }
  scatterCols(src: BackendBuffer, idx: BackendBuffer, rows: number, k: number, cols: number, dtype: DType) {
    this.check(dtype);
    return this.w(scatterColsGpu(this.rt, g(src), g(idx), rows, k, cols));
  }
  adamw(param: BackendBuffer, grad: BackendBuffer, m: BackendBuffer, v: BackendBuffer, n: number, h: AdamHyper): void {
    if (param instanceof ShardedBuffer) {
      if (!(grad instanceof ShardedBuffer && m instanceof ShardedBuffer && v instanceof ShardedBuffer)) throw new Error('adamw: a sharded parameter needs its gradient and moments sharded like it');
      adamwShards(this.rt, live(param), live(grad), live(m), live(v), h);
      return;
    }
    adamwGpu(this.rt, g(param), g(grad), g(m), g(v), n, h);
  }
  adamRows(param: BackendBuffer, grad: BackendBuffer, m: BackendBuffer, v: BackendBuffer, rows: Int32Array, cols: number, h: AdamHyper, compact = false): void {
    if (param instanceof ShardedBuffer) {
      if (!(m instanceof ShardedBuffer && v instanceof ShardedBuffer)) throw new Error('adamRows: a sharded parameter needs moments sharded like it');
      adamRowsShards(this.rt, live(param), grad instanceof ShardedBuffer ? live(grad) : g(grad), live(m), live(v), rows, cols, h, compact);
      return;
    }
    adamRowsGpu(this.rt, g(param), g(grad), g(m), g(v), rows, cols, h, compact);
  }
}
