// The bounded hardness diagnostic: the probe's fixed sample and device search against the host
// reference (negativeHardness), and the 5% time budget.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DiagnosticBudget, HardnessProbe, negativeHardness } from '../../src/ngame/diagnostics';
import { MemoryBank, trainableDocuments } from '../../src/ngame/batching';
import { makeSampler, type BatchPlan, type SamplerEnv } from '../../src/ngame/samplers';
import { plantedProblem } from '../../src/ngame/synthetic';
import { Rng } from '../../src/util/rng';
import { CpuBackend } from '../../src/tensor';
import { tinyTrainer } from '../helpers/tiny-ngame';

const cpu = new CpuBackend();

describe('HardnessProbe', () => {
  it('with every document sampled, measures what negativeHardness measures on the host', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 4, max: 16 }), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 0, max: 999 }), async (groups, B, seed) => {
      const p = plantedProblem({ groups, docsPerGroup: 5, labelsPerGroup: 3, positivesPerDoc: 2, dim: 8, noise: 0.3, seed });
      const N = p.Y.rows;
      const bank = new MemoryBank(N, p.dim);
      bank.update(Int32Array.from({ length: N }, (_, i) => i), p.docs);
      const docs = trainableDocuments(p.Y).docs;
      const env: SamplerEnv = { Y: p.Y, docs, batchSize: B, bank, backend: cpu, step: 0, seed, encodeAllLabels: async () => p.labels };
      const s = makeSampler('random');
      const rng = new Rng(seed);
      const plans: BatchPlan[] = [];
      for (const b of (await s.epoch(0, env, rng)).batches) plans.push(await s.plan(b, env, rng));
      const probe = new HardnessProbe(docs, docs.length, seed);
      for (const plan of plans) probe.observe(plan);
      const got = await probe.measure(cpu, p.Y, p.docs, p.labels, p.dim);
      const want = negativeHardness(plans, p.Y, p.docs, p.labels, p.dim, Infinity);
      expect(got.docs).toBe(want.docs);
      expect(Math.abs(got.inBatch - want.inBatch)).toBeLessThan(1e-12); // the same products, summed in another order
      // the exact side: one f32-rounded search against f64 dot products
      expect(Math.abs(got.exact - want.exact)).toBeLessThan(1e-5);
      // measured documents are forgotten
      expect((await probe.measure(cpu, p.Y, p.docs, p.labels, p.dim)).docs).toBe(0);
    }), { seed: 7, numRuns: 20 });
  });

  it('draws a fixed sample from its own seed', () => {
    const docs = Int32Array.from({ length: 1000 }, (_, i) => 3 * i);
    const a = new HardnessProbe(docs, 50, 11);
    expect(Array.from(a.docs)).toEqual(Array.from(new HardnessProbe(docs, 50, 11).docs));
    expect(Array.from(a.docs)).not.toEqual(Array.from(new HardnessProbe(docs, 50, 12).docs));
    expect(new Set(a.docs).size).toBe(50);
    for (const d of a.docs) expect(d % 3).toBe(0);
    expect(new HardnessProbe(docs.subarray(0, 10), 50, 1).docs.length).toBe(10);
  });
});

describe('DiagnosticBudget', () => {
  it('keeps the diagnostic within 5% of the epochs, except its first and last runs', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 2, maxLength: 40 }), fc.double({ min: 0.1, max: 2000, noNaN: true }), (epochs, cost) => {
      const b = new DiagnosticBudget(0.05);
      let spent = 0, total = 0, runs = 0;
      epochs.forEach((ms, e) => {
        total += ms;
        const last = e === epochs.length - 1;
        if (b.due(ms, last)) {
          if (runs > 0 && !last) expect(spent + cost).toBeLessThanOrEqual(0.05 * total + 1e-9);
          b.spent(cost);
          spent += cost;
          runs++;
        }
        if (e === 0 || last) expect(runs).toBeGreaterThan(0);
      });
      // a cheap diagnostic runs after every epoch
      const cheap = new DiagnosticBudget(0.05);
      cheap.due(1000, false);
      cheap.spent(1);
      expect(cheap.due(1000, false)).toBe(true);
    }), { seed: 3, numRuns: 200 });
  });
});

describe('the diagnostic in M1', () => {
  it('changes nothing M1 computes, and measures the last epoch', async () => {
    const losses = async (hardnessDocs: number) => {
      const tr = tinyTrainer(makeSampler('ngame', { warmupEpochs: 1, startSize: 2, doubleAt: [], maxSize: 2, reclusterEvery: 1 }), { epochs: 3, hardnessDocs });
      const logs = [];
      for (let e = 0; e < 3; e++) logs.push(await tr.trainEpoch());
      return { logs, bank: tr.bank.data.slice() };
    };
    const off = await losses(0);
    const on = await losses(10);
    expect(on.logs.map((l) => l.loss)).toEqual(off.logs.map((l) => l.loss));
    expect(Array.from(on.bank)).toEqual(Array.from(off.bank));
    expect(on.logs[0].hardness?.docs).toBe(10);
    expect(on.logs[2].hardness?.ratio).toBeGreaterThan(0);
    expect(off.logs.every((l) => l.hardness === undefined)).toBe(true);
  });
});
