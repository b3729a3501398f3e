// Timing a kernel on the device, for the benchmarks (bench/kernels.ts) and `ngame doctor`: one
// warm-up run (the shader compile), then the median of several timed runs. A run is timed from
// recording to the queue reporting the work done (flush + onSubmittedWorkDone), which is right on
// a real GPU too, where submit returns before the work finishes.
import type { Runtime } from './runtime';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Releases whatever a kernel returned: one buffer or an object of buffers. */
function releaseAll(rt: Runtime, out: unknown): void {
  if (out && typeof out === 'object' && 'size' in out && 'destroy' in out) rt.release(out as GPUBuffer);
  else if (out && typeof out === 'object') for (const v of Object.values(out)) releaseAll(rt, v);
}

/** Warm-up, then the median ms of `runs` timed runs of `record` (which records GPU work and returns its outputs, released after each run). */
export async function timeKernel(rt: Runtime, record: () => unknown, runs: number): Promise<number> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const out = record();
    rt.flush();
    await rt.device.queue.onSubmittedWorkDone();
    const ms = performance.now() - t0;
    releaseAll(rt, out);
    return ms;
  };
  await once();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push(await once());
  return median(times);
}
