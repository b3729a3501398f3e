// The WebGPU runtime every kernel goes through. It owns:
// - a pipeline cache keyed by WGSL source (one compile per distinct shader per process);
// - one command encoder and one open compute pass that many dispatches share; work is submitted
//   only at a step boundary (flush) or when data is read, never one submit per op;
// - a uniform arena: each dispatch's uniforms (shapes, strides, scalars) take a 256-byte slot of
//   one buffer written once per submit, so one pipeline serves every shape;
// - the buffer pool (size classes, explicit release) and readbacks (one map per read request).
// Kernels are data: a name, a WGSL source, the buffers to bind, uniforms and a workgroup count.

import { BufferPool } from './pool';
import type { GpuContext } from './device';

/** A compute kernel: binding 0 is the uniform struct (when the kernel has uniforms), then storage buffers 1..n in order. */
export interface Kernel {
  name: string;
  wgsl: string;
  /** Whether binding 0 is a uniform struct. Default true. */
  uniforms?: boolean;
}

export interface Dispatch {
  /** Storage buffers in binding order (bindings 1, 2, ...). */
  buffers: GPUBuffer[];
  /** Uniform bytes (<= 256), see UniformWriter. */
  uniforms?: ArrayBuffer;
  /** Workgroup counts; use grid() for large 1D counts. */
  workgroups: [number, number?, number?];
}

const SLOT = 256; // minUniformBufferOffsetAlignment
const ARENA_SLOTS = 2048;

/** Packs uniform scalars with WGSL's layout rules (4-byte scalars, 16-byte vec4s). */
export class UniformWriter {
  private view = new DataView(new ArrayBuffer(SLOT));
  private off = 0;
  u32(x: number): this { this.view.setUint32(this.off, x >>> 0, true); this.off += 4; return this; }
  i32(x: number): this { this.view.setInt32(this.off, x | 0, true); this.off += 4; return this; }
  f32(x: number): this { this.view.setFloat32(this.off, x, true); this.off += 4; return this; }
  /** Fills up to the next 16-byte boundary (before a vec4 or array member). */
  align16(): this { this.off = Math.ceil(this.off / 16) * 16; return this; }
  /** An array<vec4<u32>, len/4> member: values padded with `pad` to `len` (a multiple of 4). */
  u32Array(values: readonly number[], len: number, pad = 0): this {
    this.align16();
    for (let i = 0; i < len; i++) this.u32(i < values.length ? values[i] : pad);
    return this;
  }
  done(): ArrayBuffer {
    if (this.off > SLOT) throw new Error(`uniforms take ${this.off} bytes, more than ${SLOT}`);
    return this.view.buffer.slice(0, Math.max(16, Math.ceil(this.off / 16) * 16));
  }
}

export class Runtime {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  /** When true, every alloc() is filled with NaN bits (0xffffffff) so unwritten outputs show. */
  poison = false;
  private pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private arena: GPUBuffer;
  private arenaData = new Uint8Array(SLOT * ARENA_SLOTS);
  private arenaUsed = 0;
  /** Buffers bound by work recorded but not yet submitted: host writes (upload) must not target them. */
  private pending = new Set<GPUBuffer>();
  /** Kernel names in the batch being recorded, for error messages. */
  private batchKernels: string[] = [];
  /** Counters for benchmarks. */
  readonly counters = { dispatches: 0, submits: 0, readbacks: 0, pipelines: 0 };
  /**
   * Profiling mode for benchmarks: when set, every dispatch is submitted and waited for on its
   * own and its wall time is added here by kernel name. Far slower than normal batching; on
   * backends whose submit does not block (real GPUs) the times include only the CPU side.
   */
  profile: Map<string, { count: number; ms: number }> | null = null;

  constructor(readonly ctx: GpuContext, poolCapBytes = 1 << 30) {
    this.device = ctx.device;
    this.pool = new BufferPool(this.device, poolCapBytes, this.device.limits.maxStorageBufferBindingSize);
    this.arena = this.device.createBuffer({
      size: SLOT * ARENA_SLOTS,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'uniform-arena',
    });
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Splits a large 1D workgroup count into x*y under the per-dimension limit. Use `linearIndex` in WGSL. */
  grid(groups: number): [number, number] {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [Math.max(1, groups), 1];
    const y = Math.ceil(groups / max);
    return [Math.ceil(groups / y), y];
  }

  private pipeline(k: Kernel): GPUComputePipeline {
    let p = this.pipelines.get(k.wgsl);
    if (!p) {
      const module = this.device.createShaderModule({ code: k.wgsl, label: k.name });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: k.name });
      this.pipelines.set(k.wgsl, p);
      this.counters.pipelines++;
    }
    return p;
  }

  private openPass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private closePass(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Records one dispatch. Nothing runs until flush() or a read. */
  run(k: Kernel, d: Dispatch): void {
    const hasUniforms = k.uniforms !== false;
    if (hasUniforms && !d.uniforms) throw new Error(`kernel ${k.name}: uniforms missing`);
    if (hasUniforms && this.arenaUsed === ARENA_SLOTS) this.flush();
    const pipeline = this.pipeline(k);
    const entries: GPUBindGroupEntry[] = [];
    if (hasUniforms) {
      const u = new Uint8Array(d.uniforms!);
      const offset = this.arenaUsed * SLOT;
      this.arenaData.set(u, offset);
      this.arenaUsed++;
      entries.push({ binding: 0, resource: { buffer: this.arena, offset, size: u.byteLength } });
    }
    d.buffers.forEach((buffer, i) => {
      entries.push({ binding: i + 1, resource: { buffer } });
      this.pending.add(buffer);
    });
    const [x, y = 1, z = 1] = d.workgroups;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new Error(`kernel ${k.name}: workgroup count (${x}, ${y}, ${z}) exceeds ${max} per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: k.name });
    const pass = this.openPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
    if (this.batchKernels.length < 64) this.batchKernels.push(k.name);
    if (this.profile) {
      const t0 = performance.now();
      this.flush();
      const e = this.profile.get(k.name) ?? { count: 0, ms: 0 };
      e.count++;
      e.ms += performance.now() - t0;
      this.profile.set(k.name, e);
    }
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder && !this.pass) return;
    const enc = this.closePass();
    if (this.arenaUsed > 0) {
      this.device.queue.writeBuffer(this.arena, 0, this.arenaData, 0, this.arenaUsed * SLOT);
    }
    this.device.queue.submit([enc.finish()]);
    this.counters.submits++;
    this.encoder = null;
    this.arenaUsed = 0;
    this.pending.clear();
    this.pool.afterSubmit();
    this.throwIfErrors();
    this.batchKernels = [];
  }

  /** Turns errors Dawn reported into an exception naming the kernels of the batch. */
  throwIfErrors(): void {
    const errs = this.ctx.uncaptured;
    if (errs.length === 0) return;
    const msg = errs.splice(0, errs.length).join('\n');
    const names = [...new Set(this.batchKernels)].join(', ');
    this.batchKernels = [];
    throw new Error(`WebGPU error (kernels in this batch: ${names || 'none'}):\n${msg}`);
  }

  alloc(bytes: number, label = 'tensor'): GPUBuffer {
    if (!this.poison) return this.pool.acquire(bytes, label);
    // clearBuffer only writes zeros, so write NaN bits from the host: like upload(), into a
    // buffer that no recorded-but-unsubmitted work binds.
    const buf = this.pool.acquire(bytes, label, this.pending);
    this.device.queue.writeBuffer(buf, 0, new Uint32Array(buf.size / 4).fill(0xffffffff));
    return buf;
  }

  release(buf: GPUBuffer): void {
    this.pool.release(buf);
  }

  /**
   * Copies host data into a pooled buffer, without a submit. queue.writeBuffer lands before any
   * recorded-but-unsubmitted work, so the buffer must be one that work does not bind: the pool
   * hands out a parked buffer outside `pending` (or a new one). A step's inputs (ids, mask,
   * scatter plans, sparse rows) are therefore written while the step is being recorded, and the
   * step is one submit, at its readback.
   */
  upload(data: ArrayBufferView, label = 'upload'): GPUBuffer {
    const buf = this.pool.acquire(data.byteLength, label, this.pending);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4 === 0) {
      this.device.queue.writeBuffer(buf, 0, bytes);
    } else {
      const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      padded.set(bytes);
      this.device.queue.writeBuffer(buf, 0, padded);
    }
    return buf;
  }

  /** Records a zero fill of the whole buffer (ordered with the dispatches around it). */
  clear(buf: GPUBuffer): void {
    const enc = this.closePass();
    enc.clearBuffer(buf);
    this.pending.add(buf);
  }

  /** Records a buffer-to-buffer copy (ordered with the dispatches around it). */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    const enc = this.closePass();
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, Math.ceil(bytes / 4) * 4);
    this.pending.add(src);
    this.pending.add(dst);
  }

  /** Submits pending work and reads `bytes` from the buffer: one readback per call. */
  async read(buf: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
    this.copy(buf, staging, size);
    this.flush();
    this.counters.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ);
      const out = staging.getMappedRange().slice(0, bytes);
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
      this.throwIfErrors();
    }
  }
}

/** WGSL snippet: the flat invocation index for a dispatch made with Runtime.grid(). */
export const LINEAR_INDEX_WGSL = `
fn linearIndex(gid: vec3<u32>, nwg: vec3<u32>, wgSize: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wgSize;
}`;
