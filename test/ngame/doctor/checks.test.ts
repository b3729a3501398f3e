// The doctor's kernel checks: every WGSL kernel of src/kernels is checked (each exported *Gpu
// function called, every variant named), every check passes on this adapter, and a check whose
// reference is wrong, whose kernel leaves its output unwritten, or whose kernel throws fails,
// named with the kernel, the shape, the output and the largest difference.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../../../src/kernels/webgpu/runtime';
import { describeFailure, kernelCheck, runKernelChecks, withBufs, type KernelCheck } from '../../../src/ngame/doctor/checks';
import { KERNEL_CHECKS } from '../../../src/ngame/doctor/doctor';
import { largestDiff } from '../../../src/util/relerr';
import { poisonedGpu } from '../../helpers/gpu';

let rt: Runtime;
poisonedGpu((be) => (rt = be.rt));

const src = join(__dirname, '../../../src');

describe('the kernel checks cover src/kernels', () => {
  it('every exported *Gpu function is run by a check, and every variant has a check of its own', () => {
    const kernels = readdirSync(join(src, 'kernels')).filter((f) => f.endsWith('.ts'));
    const gpuFns = kernels.flatMap((f) => [...readFileSync(join(src, 'kernels', f), 'utf8').matchAll(/export function (\w+Gpu)\(/g)].map((m) => m[1]));
    expect(gpuFns.length).toBeGreaterThan(20);
    const cases = readdirSync(join(src, 'ngame/doctor')).filter((f) => f.startsWith('kernel-cases')).map((f) => readFileSync(join(src, 'ngame/doctor', f), 'utf8')).join('\n');
    for (const fn of gpuFns) expect(cases, fn).toMatch(new RegExp(`\\b${fn}\\(rt,`));
    const names = KERNEL_CHECKS.map((c) => c.kernel);
    expect(new Set(names).size).toBe(names.length);
    for (const v of ['matmul (naive)', 'matmul (blocked)', 'matmul (tiled)', 'reduce (serial)', 'reduce (workgroup)', 'softmax (row)', 'softmax (wg)', 'layerNormGrad (wg)', 'adamRows (compact gradient)']) {
      expect(names).toContain(v);
    }
    // Each check runs a size-1 shape.
    for (const c of KERNEL_CHECKS) expect(c.shapes.some((s) => Object.values(s).filter((v) => typeof v === 'number').every((v) => v <= 1)), c.kernel).toBe(true);
  });
});

describe('runKernelChecks', () => {
  it('every kernel agrees with its reference on this adapter', async () => {
    const results = await runKernelChecks(rt, KERNEL_CHECKS);
    expect(results.map((r) => r.kernel)).toEqual(KERNEL_CHECKS.map((c) => c.kernel));
    for (const r of results) expect(r.pass, r.pass ? r.kernel : describeFailure(r)).toBe(true);
  });

  it('a wrong reference fails, naming the kernel, the shape, the output and the largest difference', async () => {
    const matmul = KERNEL_CHECKS.find((c) => c.kernel === 'matmul (blocked)')!;
    // The reference is off by 10 at element 5, in the third shape only.
    const wrong: KernelCheck = {
      ...matmul,
      run: async (r, shape, rng) => (await matmul.run(r, shape, rng)).map((o) => {
        if (shape.M !== 67) return o;
        const want = Float64Array.from(o.want);
        want[5] += 10;
        return { ...o, want };
      }),
    };
    const [res] = await runKernelChecks(rt, [wrong]);
    expect(res.pass).toBe(false);
    expect(res.failure).toMatchObject({ shape: 'batch=2 M=67 N=45 K=129 transA=true transB=false broadcastB=true', output: 'C', index: 5 });
    expect(res.failure!.largestDiff).toBeCloseTo(10, 3);
    expect(describeFailure(res)).toMatch(/^kernel matmul \(blocked\) disagrees with its reference at shape batch=2 M=67 .* output C, largest difference 10\.0 at element 5 \(relative error .* > 0\.0001\)$/);
  });

  it('an unwritten output fails (the outputs are poisoned), and so does a kernel that throws', async () => {
    const unwritten = kernelCheck({
      kernel: 'unwritten', tol: 1e-3, shapes: [{ n: 5 }],
      run: (r, { n }) => withBufs(r, async (b) => [{ name: 'y', got: await b.f32(r.alloc(n * 4), n), want: new Float32Array(n) }]),
    });
    const throws = kernelCheck({ kernel: 'throws', tol: 0, shapes: [{ n: 1 }], run: async () => { throw new Error('boom'); } });
    const [a, b] = await runKernelChecks(rt, [unwritten, throws]);
    expect(a.pass).toBe(false);
    expect(describeFailure(a)).toMatch(/kernel unwritten .* at shape n=5: output y, largest difference NaN .* at element 0/);
    expect(b.pass).toBe(false);
    expect(describeFailure(b)).toBe('kernel throws failed to run at n=1: boom');
    expect(rt.poison).toBe(true); // restored to what it was (the test set-up poisons)
  });
});

describe('largestDiff', () => {
  it('finds the largest difference; equal arrays, ±0 and NaN against NaN are equal', () => {
    expect(largestDiff([1, 2, 3], [1, 2.5, 2])).toEqual({ diff: 1, index: 2 });
    expect(largestDiff([0, NaN, Infinity], [-0, NaN, Infinity])).toEqual({ diff: 0, index: -1 });
    expect(largestDiff([1, NaN], [1, 2])).toEqual({ diff: NaN, index: 1 });
    expect(largestDiff([1], [1, 2]).diff).toBeNaN();
  });
});
