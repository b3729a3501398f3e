// The mined samplers (ance, mips-uniform, mips): their exact search on the WebGPU backend plans
// exactly what the host's exact search plans; with an IVF index over the label table instead,
// scanning every list gives exactly the exact-search plans, scanning one list still never turns a
// positive into a negative, and the run config rejects a bad `mining` block. With the run's search
// forced to HNSW, a graph whose beam covers every label plans what exact search plans.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryBank, trainableDocuments, isPositive } from '../../../src/ngame/batching';
import { makeSampler, type BatchPlan, type MiningSearch, type SamplerEnv } from '../../../src/ngame/samplers';
import { plantedProblem, type Planted } from '../../../src/ngame/synthetic';
import { DEFAULT_RUN, mergeConfig } from '../../../src/ngame/run-config';
import { Rng } from '../../../src/util/rng';
import { CpuBackend, type Backend } from '../../../src/tensor';
import { WebGpuBackend } from '../../../src/tensor/webgpu/backend';
import { closeGpu } from '../../../src/kernels/webgpu/device';

afterAll(closeGpu);
const cpu = new CpuBackend();

function env(p: Planted, batchSize: number, seed: number, backend: Backend = cpu): SamplerEnv {
  const N = p.Y.rows;
  const bank = new MemoryBank(N, p.dim);
  bank.update(Int32Array.from({ length: N }, (_, i) => i), p.docs);
  return { Y: p.Y, docs: trainableDocuments(p.Y).docs, batchSize, bank, backend, step: 0, seed, encodeAllLabels: async () => p.labels };
}

/** Every batch plan of one epoch after the warm-up (epoch 1), from a fresh sampler and RNG. */
async function plans(name: string, p: Planted, B: number, seed: number, search: MiningSearch, backend: Backend = cpu): Promise<BatchPlan[]> {
  const e = env(p, B, seed, backend);
  const s = makeSampler(name, undefined, search);
  const rng = new Rng(seed);
  const out: BatchPlan[] = [];
  for (const b of (await s.epoch(1, e, rng)).batches) {
    out.push(await s.plan(b, e, rng));
    e.step++;
  }
  s.release();
  return out;
}

const MINED = ['ance', 'mips-uniform', 'mips'] as const;
// 30 labels: nlist 5 lists of about 6, which the document's top-k (hard + 16 ≥ 20) overflows.
const problem = (seed: number) => plantedProblem({ groups: 5, docsPerGroup: 7, labelsPerGroup: 6, positivesPerDoc: 2, dim: 8, noise: 0.3, seed });

describe('mined samplers with exact search on the WebGPU backend', () => {
  it('plan exactly what the host search plans (same labels, same order)', async () => {
    const gpu = await WebGpuBackend.create();
    await fc.assert(fc.asyncProperty(fc.constantFrom(...MINED), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 999 }), async (name, B, seed) => {
      const p = problem(seed);
      const exact = { index: 'exact', nlist: 0, nprobe: 0 } as const;
      const host = await plans(name, p, B, seed, exact, cpu);
      const dev = await plans(name, p, B, seed, exact, gpu);
      expect(dev.map((q) => Array.from(q.labels))).toEqual(host.map((q) => Array.from(q.labels)));
      expect(dev.map((q) => Array.from(q.targets))).toEqual(host.map((q) => Array.from(q.targets)));
    }), { seed: 9, numRuns: 15 });
    expect(gpu.memory().liveBytes).toBe(0); // release() gave the label table back
  });
});

describe('mined samplers with search hnsw (forced on a small label set)', () => {
  it('a beam covering every label plans what exact search plans; auto on 30 labels is exact search', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...MINED), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 999 }), async (name, B, seed) => {
      const p = problem(seed);
      const exact = await plans(name, p, B, seed, { index: 'exact', nlist: 0, nprobe: 0 });
      const search = (mode: 'hnsw' | 'auto') => ({ index: 'exact', nlist: 0, nprobe: 0, search: { mode, hnsw: { M: 4, efConstruction: 32, efSearch: 64, efShortlist: 64 }, seed } }) as const;
      const hnsw = await plans(name, p, B, seed, search('hnsw'));
      expect(hnsw.map((q) => Array.from(q.labels))).toEqual(exact.map((q) => Array.from(q.labels)));
      const auto = await plans(name, p, B, seed, search('auto'));
      expect(auto.map((q) => Array.from(q.targets))).toEqual(exact.map((q) => Array.from(q.targets)));
    }), { seed: 13, numRuns: 15 });
  });

  it('a narrow graph still never uses a positive as a negative', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...MINED), fc.integer({ min: 1, max: 999 }), async (name, seed) => {
      const p = problem(seed);
      const search = { index: 'exact', nlist: 0, nprobe: 0, search: { mode: 'hnsw', hnsw: { M: 2, efConstruction: 2, efSearch: 1, efShortlist: 1 }, seed } } as const;
      for (const plan of await plans(name, p, 5, seed, search)) {
        const L = plan.labels.length;
        for (let i = 0; i < plan.docs.length; i++) for (let j = 0; j < L; j++) expect(plan.targets[i * L + j]).toBe(isPositive(p.Y, plan.docs[i], plan.labels[j]) ? 1 : 0);
      }
    }), { seed: 17, numRuns: 10 });
  });
});

describe('mined samplers with an IVF index', () => {
  it('scanning every list (nprobe = nlist) gives the exact-search plans', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...MINED), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 999 }), async (name, B, seed) => {
      const p = problem(seed);
      const exact = await plans(name, p, B, seed, { index: 'exact', nlist: 0, nprobe: 0 });
      const ivf = await plans(name, p, B, seed, { index: 'ivf', nlist: 5, nprobe: 5 });
      expect(ivf.length).toBe(exact.length);
      ivf.forEach((plan, t) => {
        expect(Array.from(plan.docs)).toEqual(Array.from(exact[t].docs));
        // the same labels; a near-tie at the cut of the top-k may order two labels differently
        expect(Array.from(plan.labels).sort((a, b) => a - b)).toEqual(Array.from(exact[t].labels).sort((a, b) => a - b));
      });
    }), { seed: 7, numRuns: 20 });
  });

  it('scanning one list still never uses a positive as a negative, and mines some labels', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...MINED), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 999 }), async (name, B, seed) => {
      const p = problem(seed);
      let extra = 0;
      for (const plan of await plans(name, p, B, seed, { index: 'ivf', nlist: 5, nprobe: 1 })) {
        const L = plan.labels.length;
        extra += L - plan.docs.length;
        for (let i = 0; i < plan.docs.length; i++) {
          expect(plan.targets[i * L + i]).toBe(1);
          for (let j = 0; j < L; j++) expect(plan.targets[i * L + j]).toBe(isPositive(p.Y, plan.docs[i], plan.labels[j]) ? 1 : 0);
        }
      }
      expect(extra).toBeGreaterThan(0);
    }), { seed: 8, numRuns: 20 });
  });

  it('the run config checks the mining block and names the key', () => {
    expect(mergeConfig(DEFAULT_RUN, { mining: { index: 'ivf', nprobe: 4 } }).mining).toEqual({ index: 'ivf', nlist: 0, nprobe: 4 });
    expect(() => mergeConfig(DEFAULT_RUN, { mining: { index: 'hnsw' } }, 'cfg.json')).toThrow(/cfg\.json: mining\.index must be exact or ivf, got "hnsw"/);
    expect(() => mergeConfig(DEFAULT_RUN, { mining: { nlist: -1 } })).toThrow(/mining\.nlist must be a non-negative integer/);
  });
});
