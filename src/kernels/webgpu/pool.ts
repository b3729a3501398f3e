// An exact-size GPU buffer pool. Released buffers are parked by byte size and handed out again
// for the next request of the same size, so a training step that allocates the same shapes every
// iteration reuses the same buffers and GPU memory stays flat. Nothing here depends on garbage
// collection: a buffer returns to the pool only through an explicit release.

export interface PoolStats {
  liveBytes: number;
  pooledBytes: number;
  peakBytes: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private live = new Set<GPUBuffer>();
  private stats: PoolStats = { liveBytes: 0, pooledBytes: 0, peakBytes: 0 };
  /** Buffers to destroy once the work that may still read them has been submitted. */
  private doomed: GPUBuffer[] = [];

  constructor(
    private device: GPUDevice,
    /** Most bytes parked in the pool; beyond it released buffers are destroyed. */
    private capBytes: number,
  ) {}

  static usage(): GPUBufferUsageFlags {
    return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  }

  /**
   * A buffer of at least `bytes` (rounded up to 4). `avoid`: parked buffers not to hand out (the
   * runtime passes the buffers bound by recorded-but-unsubmitted work when the caller will write
   * to the buffer from the host); when every parked buffer of the size is avoided a new one is
   * made. The pool then holds at most one extra buffer per such write in a step, reused from the
   * next step on, so it stops growing after the first steps.
   */
  acquire(bytes: number, label: string, avoid?: ReadonlySet<GPUBuffer>): GPUBuffer {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
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
    }
    this.live.add(buf);
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

  memory(): PoolStats {
    return { ...this.stats };
  }

  resetPeak(): void {
    this.stats.peakBytes = this.stats.liveBytes;
  }
}
