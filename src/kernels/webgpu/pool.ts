// A size-class GPU buffer pool. A request is rounded up to its size class (a multiple of 16
// bytes up to 256, above that four classes per power of two: 1.25, 1.5, 1.75 and 2 × 2^n, so at
// most 25% more than asked); released buffers are parked by class and handed out again for the
// next request of the same class. A training step whose shapes repeat reuses the same buffers,
// and so does one whose shapes vary a little from batch to batch (a bag batch's token count, a
// mined label pool's size): with exact sizes each such step made new buffers, and Dawn's
// createBuffer (with its zero fill) took 2.9 s of main-thread CPU in a 2-epoch FOLDOC ance run on
// llvmpipe, 0.26 s with the pool (docs/results.md). GPU memory stays flat. Nothing here depends on garbage collection: a buffer returns to the pool
// only through an explicit release. Kernels bound their work by the tensor's shape, never by the
// buffer's size (no WGSL arrayLength), so a larger buffer than asked is harmless.

/** The bytes each pooled buffer was last acquired for (its tensor's size; the buffer may be larger). */
const requested = new WeakMap<GPUBuffer, number>();

/**
 * The bytes a buffer holds for its current owner: what was asked of the pool (rounded up to 4),
 * or the buffer's size for one made elsewhere. Kernels check their arguments against this, so
 * reading past a tensor is caught even when its buffer is larger.
 */
export function bytesOf(buf: GPUBuffer): number {
  return requested.get(buf) ?? buf.size;
}

/** Bytes allocated for a request of `bytes` (never more than `limit` when the request fits it). */
export function sizeClass(bytes: number, limit = Infinity): number {
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  let cls: number;
  if (size <= 256) cls = Math.ceil(size / 16) * 16;
  else {
    const step = 2 ** (Math.floor(Math.log2(size - 1)) - 2); // a quarter of the power of two below
    cls = Math.ceil(size / step) * step;
  }
  return cls > limit && size <= limit ? size : cls;
}

/** Device memory, as both backends report it (Backend.memory(); the cpu backend keeps the same counts). */
export interface MemoryStats {
  /** Bytes held by live (unreleased) buffers. */
  liveBytes: number;
  /** Bytes parked in the pool for reuse. */
  pooledBytes: number;
  /** Highest liveBytes seen since the last resetPeak(). */
  peakBytes: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private live = new Set<GPUBuffer>();
  private stats: MemoryStats = { liveBytes: 0, pooledBytes: 0, peakBytes: 0 };
  /** Buffers to destroy once the work that may still read them has been submitted. */
  private doomed: GPUBuffer[] = [];

  /** Buffers made by createBuffer so far (a pool that works makes none in a steady state). */
  created = 0;

  constructor(
    private device: GPUDevice,
    /** Most bytes parked in the pool; beyond it released buffers are destroyed. */
    private capBytes: number,
    /** Largest size a class may round up to (the device's storage binding limit). */
    private limitBytes = Infinity,
  ) {}

  static usage(): GPUBufferUsageFlags {
    return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  }

  /**
   * A buffer of at least `bytes` (its size class). `avoid`: parked buffers not to hand out (the
   * runtime passes the buffers bound by recorded-but-unsubmitted work when the caller will write
   * to the buffer from the host); when every parked buffer of the size is avoided a new one is
   * made. The pool then holds at most one extra buffer per such write in a step, reused from the
   * next step on, so it stops growing after the first steps.
   */
  acquire(bytes: number, label: string, avoid?: ReadonlySet<GPUBuffer>): GPUBuffer {
    const size = sizeClass(bytes, this.limitBytes);
    const list = this.free.get(size);
    let buf: GPUBuffer | undefined;
    if (list && list.length > 0) {
      if (!avoid) buf = list.pop();
      else {
        // Oldest first: those released earliest are the least likely to be in the open encoder.
        const i = list.findIndex((b) => !avoid.has(b));
        if (i >= 0) buf = list.splice(i, 1)[0];
      }
    }
    if (buf) {
      this.stats.pooledBytes -= size;
    } else {
      buf = this.device.createBuffer({ size, usage: BufferPool.usage(), label });
      this.created++;
    }
    this.live.add(buf);
    requested.set(buf, Math.max(4, Math.ceil(bytes / 4) * 4));
    this.stats.liveBytes += size;
    if (this.stats.liveBytes > this.stats.peakBytes) this.stats.peakBytes = this.stats.liveBytes;
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) throw new Error('BufferPool.release: buffer is not live (released twice?)');
    const size = buf.size;
    this.stats.liveBytes -= size;
    if (this.stats.pooledBytes + size > this.capBytes) {
      this.doomed.push(buf);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
    this.stats.pooledBytes += size;
  }

  /** Called after a submit: buffers over the cap can now be destroyed safely. */
  afterSubmit(): void {
    for (const b of this.doomed) b.destroy();
    this.doomed = [];
  }

  /** Destroys every parked buffer (live ones are untouched). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) this.doomed.push(b);
    this.free.clear();
    this.stats.pooledBytes = 0;
  }

  memory(): MemoryStats {
    return { ...this.stats };
  }

  resetPeak(): void {
    this.stats.peakBytes = this.stats.liveBytes;
  }
}
