// The negative-quality guarantees of NGAME batching (docs/negatives.md), as property tests.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryBank, trainableDocuments, isPositive, type Curriculum } from '../../../src/ngame/batching';
import { makeSampler, ownMask, SAMPLER_NAMES, type BatchPlan, type SamplerEnv } from '../../../src/ngame/samplers';
import { hardestNegative, negativeHardness } from '../../../src/ngame/diagnostics';
import { plantedProblem, type Planted } from '../../../src/ngame/synthetic';
import { Rng } from '../../../src/util/rng';
import { CpuBackend } from '../../../src/tensor';

const cpu = new CpuBackend();

function env(p: Planted, batchSize: number, seed: number): SamplerEnv {
  const N = p.Y.rows;
  const bank = new MemoryBank(N, p.dim);
  bank.update(Int32Array.from({ length: N }, (_, i) => i), p.docs);
  return {
    Y: p.Y, docs: trainableDocuments(p.Y).docs, batchSize, bank, backend: cpu, step: 0, seed,
    encodeAllLabels: async () => p.labels,
  };
}

const clustered = (size: number): Curriculum => ({ warmupEpochs: 0, startSize: size, doubleAt: [], maxSize: size, reclusterEvery: 1 });

async function epochPlans(name: string, e: SamplerEnv, seed: number, curriculum?: Curriculum): Promise<BatchPlan[]> {
  const s = makeSampler(name, curriculum);
  const rng = new Rng(seed);
  const ep = await s.epoch(1, e, rng);
  const plans: BatchPlan[] = [];
  for (const b of ep.batches) {
    plans.push(await s.plan(b, e, rng));
    e.step++;
  }
  return plans;
}

const dot = (a: Float32Array, i: number, b: Float32Array, j: number, d: number) => {
  let s = 0;
  for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t];
  return s;
};

describe('negative quality', () => {
  it('1. a positive of a document is never used as its negative, under every sampler', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 9 }), fc.constantFrom(...SAMPLER_NAMES), fc.integer({ min: 1, max: 999 }),
      async (groups, B, name, seed) => {
        const p = plantedProblem({ groups, docsPerGroup: 6, labelsPerGroup: 5, positivesPerDoc: 3, dim: 8, noise: 0.3, seed });
        const e = env(p, B, seed);
        for (const plan of await epochPlans(name, e, seed, clustered(2))) {
          const L = plan.labels.length;
          for (let i = 0; i < plan.docs.length; i++) {
            expect(plan.targets[i * L + i]).toBe(1); // the sampled positive on the diagonal
            for (let j = 0; j < L; j++) {
              expect(plan.targets[i * L + j]).toBe(isPositive(p.Y, plan.docs[i], plan.labels[j]) ? 1 : 0);
            }
          }
        }
      }), { seed: 42, numRuns: 25 });
  });

  it("1b. own: each document's positives in the pool and the negatives drawn for it; every added label is some document's", async () => {
    const perDoc: Record<string, number> = { ance: 4, 'mips-uniform': 8, mips: 8, meta: 5 };
    await fc.assert(fc.asyncProperty(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 9 }), fc.constantFrom(...SAMPLER_NAMES), fc.integer({ min: 1, max: 999 }),
      async (groups, B, name, seed) => {
        const p = plantedProblem({ groups, docsPerGroup: 6, labelsPerGroup: 5, positivesPerDoc: 3, dim: 8, noise: 0.3, seed });
        for (const plan of await epochPlans(name, env(p, B, seed), seed, clustered(2))) {
          if (name === 'random' || name === 'ngame') {
            expect(ownMask(plan)).toBeNull(); // in-batch: nothing is drawn per document
            continue;
          }
          const own = ownMask(plan)!;
          const L = plan.labels.length;
          const owners = new Array(L).fill(0);
          for (let i = 0; i < plan.docs.length; i++) {
            let drawn = 0;
            for (let j = 0; j < L; j++) {
              if (plan.targets[i * L + j]) expect(own[i * L + j]).toBe(1);
              else if (own[i * L + j]) drawn++;
              expect([0, 1]).toContain(own[i * L + j]);
              owners[j] += own[i * L + j];
            }
            expect(drawn).toBeLessThanOrEqual(perDoc[name]);
          }
          for (let j = plan.docs.length; j < L; j++) expect(owners[j]).toBeGreaterThan(0);
        }
      }), { seed: 43, numRuns: 25 });
  });

  it('2. cosine bound 1 − (2r + ε)²/2 holds for cluster-mates\' positives under NGAME, and fails under random batching', async () => {
    // Powers of two everywhere: N / size is a power of two, so every cluster has exactly `size`
    // documents and a batch of `size` is exactly one cluster.
    await fc.assert(fc.asyncProperty(fc.constantFrom(2, 4, 8, 16), fc.constantFrom(4, 8), fc.integer({ min: 1, max: 999 }), async (groups, size, seed) => {
      const p = plantedProblem({ groups, docsPerGroup: 8, labelsPerGroup: 4, positivesPerDoc: 2, dim: 16, noise: 0.05, seed });
      const d = p.dim;
      const N = p.Y.rows;
      // ε: the farthest any document is from one of its positives.
      let eps = 0;
      for (let i = 0; i < N; i++) for (let a = p.Y.indptr[i]; a < p.Y.indptr[i + 1]; a++) eps = Math.max(eps, Math.sqrt(Math.max(0, 2 - 2 * dot(p.docs, i, p.labels, p.Y.indices[a], d))));
      const e = env(p, size, seed); // batch = exactly one cluster
      const plans = await epochPlans('ngame', e, seed, clustered(size));
      let rMax = 0;
      let checked = 0;
      for (const plan of plans) {
        // radius of this batch's cluster around its mean
        const c = new Float64Array(d);
        for (const doc of plan.docs) for (let t = 0; t < d; t++) c[t] += p.docs[doc * d + t] / plan.docs.length;
        let r = 0;
        for (const doc of plan.docs) {
          let s = 0;
          for (let t = 0; t < d; t++) s += (p.docs[doc * d + t] - c[t]) ** 2;
          r = Math.max(r, Math.sqrt(s));
        }
        rMax = Math.max(rMax, r);
        const bound = 1 - (2 * r + eps) ** 2 / 2;
        const L = plan.labels.length;
        for (let i = 0; i < plan.docs.length; i++) for (let j = 0; j < L; j++) {
          if (plan.targets[i * L + j] === 0) {
            // label j is the sampled positive of cluster-mate j: the guarantee applies
            expect(dot(p.docs, plan.docs[i], p.labels, plan.labels[j], d)).toBeGreaterThanOrEqual(bound - 1e-5);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(0);
      // Random batching: with the same r and ε, some in-batch negative falls below the bound.
      const randomPlans = await epochPlans('random', env(p, size, seed), seed);
      const bound = 1 - (2 * rMax + eps) ** 2 / 2;
      let violated = false;
      for (const plan of randomPlans) {
        const L = plan.labels.length;
        for (let i = 0; i < plan.docs.length; i++) for (let j = 0; j < L; j++) {
          if (plan.targets[i * L + j] === 0 && dot(p.docs, plan.docs[i], p.labels, plan.labels[j], d) < bound) violated = true;
        }
      }
      expect(violated).toBe(true);
    }), { seed: 42, numRuns: 15 });
  });

  it('3. NGAME in-batch negatives are ≥ 0.9× as hard as the exact hardest negatives, and clearly harder than random', async () => {
    // Many groups relative to the batch size, so a random batch rarely holds a group-mate; a
    // power-of-two group count, so the target cluster size (8) is met exactly.
    await fc.assert(fc.asyncProperty(fc.constantFrom(32, 64), fc.integer({ min: 1, max: 999 }), async (groups, seed) => {
      const p = plantedProblem({ groups, docsPerGroup: 8, labelsPerGroup: 4, positivesPerDoc: 1, dim: 16, noise: 0.08, seed });
      const ng = negativeHardness(await epochPlans('ngame', env(p, 8, seed), seed, clustered(8)), p.Y, p.docs, p.labels, p.dim);
      const rnd = negativeHardness(await epochPlans('random', env(p, 8, seed), seed), p.Y, p.docs, p.labels, p.dim);
      expect(ng.ratio).toBeGreaterThanOrEqual(0.9);
      expect(ng.ratio).toBeGreaterThan(rnd.ratio + 0.2);
    }), { seed: 42, numRuns: 10 });
  });
});

describe('hardestNegative', () => {
  it('equals one plain dot product per label, bit for bit, skipping positives', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 23 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 0, max: 999 }), (L, dim, seed) => {
        const rng = new Rng(seed);
        const N = 3;
        const docs = Float32Array.from({ length: N * dim }, () => rng.normal());
        const labels = Float32Array.from({ length: L * dim }, () => rng.normal());
        // Each document has up to two positives.
        const rows = Array.from({ length: N }, () => [...new Set([rng.int(L), rng.int(L)])].sort((a, b) => a - b).slice(0, rng.int(3)));
        const Y = { rows: N, cols: L, indptr: Int32Array.from([0, ...rows.map((_, i) => rows.slice(0, i + 1).flat().length)]), indices: Int32Array.from(rows.flat()), values: new Float32Array(rows.flat().length).fill(1) };
        for (let d = 0; d < N; d++) {
          let want = -Infinity;
          for (let l = 0; l < L; l++) {
            let s = 0;
            for (let t = 0; t < dim; t++) s += docs[d * dim + t] * labels[l * dim + t];
            if (s > want && !isPositive(Y, d, l)) want = s;
          }
          expect(Object.is(hardestNegative(docs, d, labels, L, dim, Y), want)).toBe(true);
        }
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});
