// `ngame doctor`: on this machine's adapter every kernel is listed with pass and the timings are
// taken; --require-gpu exits 1 on a software renderer (0 on a GPU); with no adapter it says so and
// that the cpu backend runs (exit 0, or 1 with --require-gpu); a kernel that disagrees with its
// reference makes it exit 1 naming the kernel, the shape and the largest difference.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { start } from '../helpers/cli';
import { doctor } from '../../src/cli/commands/doctor';
import { KERNEL_CHECKS, LIMITS, type DoctorReport } from '../../src/ngame/doctor/doctor';
import type { KernelCheck } from '../../src/ngame/doctor/checks';

// No adapter on any machine: the OpenGL backend forced (no Vulkan GPU tried) with EGL unusable.
const NO_ADAPTER = { NGAME_WEBGPU_BACKEND: 'opengl', EGL_PLATFORM: 'no-such-platform', __EGL_VENDOR_LIBRARY_FILENAMES: '/nonexistent.json' };

afterEach(() => vi.restoreAllMocks());

describe('ngame doctor', () => {
  it('--json: the adapter, its limits, every kernel with pass, and the timings', async () => {
    const r = await start(['doctor', '--json']).done;
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out) as DoctorReport;
    expect(rep.adapter).not.toBeNull();
    const a = rep.adapter!;
    expect(['gpu', 'llvmpipe']).toContain(a.kind);
    expect(a.backend).toMatch(/vulkan|opengl/);
    for (const k of LIMITS) expect(a.limits[k], k).toBeGreaterThan(0);
    expect(['naive', 'blocked', 'tiled']).toContain(a.matmul.variant);
    expect(rep.kernels.map((k) => k.kernel)).toEqual(KERNEL_CHECKS.map((c) => c.kernel));
    for (const k of rep.kernels) expect(k.pass, JSON.stringify(k)).toBe(true);
    const t = rep.timings!;
    expect(t.matmul.n).toBe(1024);
    expect(t.matmul.gflops).toBeGreaterThan(0);
    expect(t.matmul.gflops).toBeCloseTo((2 * 1024 ** 3) / t.matmul.ms / 1e6, 6);
    expect(t.bagStep.msPerStep).toBeGreaterThan(0);
    expect(t.bagStep.readbacksPerStep).toBeLessThanOrEqual(1);
    expect(t.topk.ms).toBeGreaterThan(0);
    expect(rep.problems).toEqual([]);

    // --require-gpu: a software renderer fails at once (before the checks); a GPU passes.
    const g = await start(['doctor', '--require-gpu']).done;
    if (a.kind === 'gpu') expect(g.code, g.err).toBe(0);
    else {
      expect(g.code).toBe(1);
      expect(g.out).toMatch(/software renderer/);
      expect(g.out).not.toMatch(/pass {2}fill/);
      expect(g.err).toMatch(/--require-gpu: the adapter is .*a software renderer, not a GPU/);
    }
  });

  it('with no adapter: says so and that the cpu backend runs (exit 0); --require-gpu exits 1', async () => {
    const r = await start(['doctor'], { env: NO_ADAPTER }).done;
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/adapter: none \(No WebGPU adapter found/);
    expect(r.out).toMatch(/runs on the cpu backend here/);
    const g = await start(['doctor', '--require-gpu', '--json'], { env: NO_ADAPTER }).done;
    expect(g.code).toBe(1);
    const rep = JSON.parse(g.out) as DoctorReport;
    expect(rep.adapter).toBeNull();
    expect(rep.kernels).toEqual([]);
    expect(g.err).toMatch(/ngame doctor: --require-gpu: no WebGPU adapter/);
  });

  it('a kernel that disagrees with its reference: exit 1 naming the kernel, the shape and the largest difference; no timings', async () => {
    const topk = KERNEL_CHECKS.find((c) => c.kernel === 'topk')!;
    // A reference whose top index is off by one in the 5 × 4099 shape.
    const wrong: KernelCheck = {
      ...topk,
      run: async (rt, shape, rng) => (await topk.run(rt, shape, rng)).map((o) => {
        if (o.name !== 'indices' || shape.cols !== 4099) return o;
        const want = Int32Array.from(o.want);
        want[0] += 1;
        return { ...o, want };
      }),
    };
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
    expect(await doctor(['--json'], [KERNEL_CHECKS[0], wrong])).toBe(1);
    const rep = JSON.parse(out.join('\n')) as DoctorReport;
    expect(rep.kernels.map((k) => k.pass)).toEqual([true, false]);
    expect(rep.timings).toBeNull();
    expect(rep.timingsSkipped).toMatch(/disagrees/);
    expect(err[0]).toMatch(/^ngame doctor: kernel topk disagrees with its reference at shape rows=5 cols=4099 k=100 chunk=0: output indices, largest difference 1\.00 at element 0/);
    expect(err[1]).toBe('ngame doctor: 1 of 2 kernels disagree with their references');

    // Bad usage is exit 2, as for every command.
    const u = await start(['doctor', '--gpu']).done;
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/Unknown option '--gpu'/);
  });
});
