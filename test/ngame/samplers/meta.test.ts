// The LightXML-style meta-classifier sampler (src/ngame/samplers/meta.ts): label groups, where
// its negatives come from, the meta-classifier loss (value and gradient), and M1 training with
// it end to end, including a bit-identical resume at an epoch boundary.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../../src/tensor';
import { MemoryBank, isPositive, trainableDocuments } from '../../../src/ngame/batching';
import { MetaSampler, SAMPLER_NAMES, groupLabels, groupTargets, makeSampler, metaLoss, type SamplerEnv } from '../../../src/ngame/samplers';
import { csrFromRows } from '../../../src/ngame/data';
import { plantedProblem, type Planted } from '../../../src/ngame/synthetic';
import { Rng } from '../../../src/util/rng';
import { cpu, gradCheck } from '../../tensor/gradcheck';
import { tinyTrainer } from '../../helpers/tiny-ngame';

function env(p: Planted, batchSize: number, seed: number): SamplerEnv {
  const N = p.Y.rows;
  const bank = new MemoryBank(N, p.dim);
  bank.update(Int32Array.from({ length: N }, (_, i) => i), p.docs);
  return { Y: p.Y, docs: trainableDocuments(p.Y).docs, batchSize, bank, backend: cpu, step: 0, seed, encodeAllLabels: async () => p.labels };
}

/** Groups sorted by score bankRow · W_gᵀ, best first (ties to the lower index): the brute-force reference. */
function rankGroups(p: Planted, doc: number, W: Float32Array): number[] {
  const d = p.dim;
  const G = W.length / d;
  const s = Array.from({ length: G }, (_, g) => {
    let v = 0;
    for (let t = 0; t < d; t++) v += p.docs[doc * d + t] * W[g * d + t];
    return v;
  });
  return s.map((_, g) => g).sort((a, b) => s[b] - s[a] || a - b);
}

describe('meta sampler: groups and negatives', () => {
  it('the label groups cover every label exactly once, and groupOf agrees with the member lists', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 999 }), (L, dim, size, seed) => {
      const rng = new Rng(seed);
      const emb = Float32Array.from({ length: L * dim }, () => rng.normal());
      const g = groupLabels(emb, dim, size, seed);
      const count = new Int32Array(L);
      g.members.forEach((ms, k) => {
        expect(ms.length).toBeGreaterThan(0);
        for (const l of ms) {
          count[l]++;
          expect(g.groupOf[l]).toBe(k);
        }
      });
      expect(Array.from(count).every((c) => c === 1)).toBe(true);
      expect(g.centroids.length).toBe(g.members.length * dim);
      expect(g.members.every((ms) => ms.length <= Math.min(size, L))).toBe(true);
    }), { seed: 42, numRuns: 40 });
  });

  it('mined negatives come from the top-scoring groups of their document and are never its positives', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 2, max: 8 }), fc.constantFrom(1, 4), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 999 }), async (groups, B, top, seed) => {
      const p = plantedProblem({ groups, docsPerGroup: 6, labelsPerGroup: 8, positivesPerDoc: 2, dim: 8, noise: 0.3, seed });
      const e = env(p, B, seed);
      const s = new MetaSampler({ groupSize: 4, groups: top, hard: 3, uniform: 0 });
      const rng = new Rng(seed);
      const ep = await s.epoch(1, e, rng);
      let mined = 0;
      for (const batch of ep.batches) {
        const plan = await s.plan(batch, e, rng);
        const tops = Array.from(plan.docs, (d) => new Set(rankGroups(p, d, s.wHost!).slice(0, top)));
        for (let j = plan.docs.length; j < plan.labels.length; j++) {
          const g = s.groups!.groupOf[plan.labels[j]];
          // some document of the batch has this label's group among its top groups and does not own it
          expect(plan.docs.some((d, i) => tops[i].has(g) && !isPositive(p.Y, d, plan.labels[j]))).toBe(true);
          mined++;
        }
        if (B === 1) {
          const d = plan.docs[0];
          const cand = [...tops[0]].flatMap((g) => Array.from(s.groups!.members[g])).filter((l) => !isPositive(p.Y, d, l));
          expect(plan.labels.length - 1).toBe(Math.min(3, cand.length)); // as many as there are, up to `hard`
        }
        e.step++;
      }
      expect(mined).toBeGreaterThan(0);
    }), { seed: 42, numRuns: 25 });
  });

  it('no meta negatives, groups or meta loss during the warm-up epochs', async () => {
    const p = plantedProblem({ groups: 4, docsPerGroup: 6, labelsPerGroup: 8, positivesPerDoc: 2, dim: 8, noise: 0.3, seed: 3 });
    const e = env(p, 4, 3);
    const s = new MetaSampler({ warmupEpochs: 1 });
    const rng = new Rng(3);
    const ep = await s.epoch(0, e, rng);
    for (const b of ep.batches) expect((await s.plan(b, e, rng)).labels.length).toBe(b.length);
    expect(s.groups).toBeNull();
    expect(s.auxLoss(T.zeros([4, 8], 'f32', cpu), await s.plan(ep.batches[0], e, rng), e)).toBeNull();
  });
});

describe('meta sampler: the meta-classifier loss', () => {
  const f64 = (v: number[], shape: number[]) => T.tensor(Float64Array.from(v), shape, { backend: cpu, dtype: 'f64' });

  it('multi-hot group targets and a hand-checked loss value', () => {
    // 2 documents, 4 labels in 3 groups; doc 0 has label 0 (group 0), doc 1 labels 1, 3 (groups 1, 2).
    const Y = csrFromRows(4, [[0], [1, 3]]);
    const tg = groupTargets(Y, Int32Array.from([0, 1]), Int32Array.from([0, 1, 0, 2]), 3);
    expect(Array.from(tg)).toEqual([1, 0, 0, 0, 1, 1]);
    // logits = 2 · docEmb · Wᵀ = [[2, 0, −2], [0, 2, 0]]
    const docEmb = f64([1, 0, 0, 1], [2, 2]);
    const W = f64([1, 0, 0, 1, -1, 0], [3, 2]);
    const loss = metaLoss(docEmb, W, f64(Array.from(tg), [2, 3]), 2, 0.5).dataSync()[0];
    // doc 0: sp(−2) + sp(0) + sp(−2); doc 1: sp(0) + sp(−2) + sp(0), with sp(x) = log(1 + eˣ);
    // mean over the 6 entries = (log(1 + e⁻²) + log 2) / 2, times the weight 0.5.
    expect(loss).toBeCloseTo(0.5 * (Math.log(1 + Math.exp(-2)) + Math.log(2)) / 2, 12);
  });

  it('passes a finite-difference gradient check with respect to the documents and W', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 999 }), (B, G, D, seed) => {
      const rng = new Rng(seed);
      const tg = f64(Array.from({ length: B * G }, () => rng.int(2)), [B, G]);
      expect(gradCheck(([d, w]) => metaLoss(d, w, tg, 3, 0.7), [{ shape: [B, D] }, { shape: [G, D] }], seed)).toBeLessThan(1e-6);
    }), { seed: 7, numRuns: 15 });
  });
});

// ---- M1 with the meta sampler on the tiny text dataset (test/helpers/tiny-ngame.ts) ----

describe('meta sampler: M1 training', () => {
  it('trains a few steps: finite loss, meta negatives in the pool, the meta-classifier moves', async () => {
    const s = new MetaSampler({ groupSize: 4, groups: 1, hard: 2 }); // default warm-up: 1 epoch
    const m1 = tinyTrainer(s);
    const warm = await m1.trainEpoch(); // fills the memory bank; no groups yet
    expect(Number.isFinite(warm.loss)).toBe(true);
    expect(s.groups).toBeNull();
    const ep = await s.epoch(1, m1.env, m1.rng);
    const init = s.groups!.centroids.slice();
    let extra = 0;
    for (const b of ep.batches.slice(0, 3)) {
      const plan = await s.plan(b, m1.env, m1.rng);
      extra += plan.labels.length - plan.docs.length;
      expect(Number.isFinite(await m1.step(plan))).toBe(true);
    }
    expect(extra).toBeGreaterThan(0);
    const W = Float32Array.from(await s.weights!.data());
    expect(W.length).toBe(init.length);
    expect(Math.max(...W.map((v, i) => Math.abs(v - init[i])))).toBeGreaterThan(1e-4);
    expect(s.stateBytes(m1.env)).toBeGreaterThan(m1.bank.bytes());
    s.release();
  });

  it('release() frees every sampler\'s device state: the live bytes return to their level before M1', async () => {
    // Before M1: the encoder and M1's Adam moments. After two epochs (the second past the
    // warm-up) meta holds its W and W's two Adam moments on the backend. (On the cpu backend
    // the mined samplers' label table stays on the host; mined.test.ts checks their release on
    // the WebGPU backend.)
    for (const name of SAMPLER_NAMES) {
      const s = makeSampler(name);
      const m1 = tinyTrainer(s);
      const backend = m1.ctx.backend;
      const before = backend.memory().liveBytes;
      await m1.trainEpoch();
      await m1.trainEpoch();
      const held = backend.memory().liveBytes - before;
      if (name === 'meta') {
        const G = (s as MetaSampler).groups!.members.length;
        expect(held).toBe(3 * G * m1.ctx.encoder.outDim * 4); // W (G, D) f32 and its two moments
      }
      s.release();
      expect(backend.memory().liveBytes, name).toBe(before);
    }
  });

  it('resuming at an epoch boundary is bit-identical (the sampler rebuilds its state from the encoder)', async () => {
    const opts = { warmupEpochs: 0, groupSize: 4, groups: 2, hard: 2 };
    const whole = tinyTrainer(new MetaSampler(opts));
    const losses = [(await whole.trainEpoch()).loss, (await whole.trainEpoch()).loss];
    const first = tinyTrainer(new MetaSampler(opts));
    expect((await first.trainEpoch()).loss).toBe(losses[0]);
    const resumed = tinyTrainer(new MetaSampler(opts), {}, first);
    expect((await resumed.trainEpoch()).loss).toBe(losses[1]);
    expect(resumed.env.step).toBe(whole.env.step);
    expect(Array.from(resumed.bank.data)).toEqual(Array.from(whole.bank.data));
  });
});
