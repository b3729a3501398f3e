// Timing a recorded step kernel by kernel (bench/encoder.ts, bench/m2.ts): each recorded
// dispatch is run again alone and waited for, minus the fixed cost of an empty submit + wait.
import type { Dispatch, Kernel, Runtime } from '../src/kernels/webgpu/runtime';

/** A kernel's name, with a matmul's batch × (M × N × K) and transposes. */
export function dispatchKey(k: Kernel, d: Dispatch): string {
  if (!/matmul/.test(k.name) || !d.uniforms) return k.name;
  const u = new Uint32Array(d.uniforms);
  return `${k.name} ${u[3]}×(${u[0]}×${u[1]}×${u[2]})${u[6] ? ' Aᵀ' : ''}${u[7] ? ' Bᵀ' : ''}`;
}

/** Milliseconds of each recorded dispatch, run alone (run: the runtime's own, unpatched run). */
export async function replayTimed<R extends { k: Kernel; d: Dispatch }>(rt: Runtime, run: (k: Kernel, d: Dispatch) => void, recorded: R[]): Promise<{ rec: R; ms: number }[]> {
  const idle = async () => {
    rt.flush();
    await rt.device.queue.onSubmittedWorkDone();
  };
  await idle();
  let base = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    rt.device.queue.submit([]);
    await rt.device.queue.onSubmittedWorkDone();
    base = Math.min(base, performance.now() - t0);
  }
  const out: { rec: R; ms: number }[] = [];
  for (const rec of recorded) {
    const t0 = performance.now();
    run(rec.k, rec.d);
    await idle();
    out.push({ rec, ms: Math.max(0, performance.now() - t0 - base) });
  }
  return out;
}
