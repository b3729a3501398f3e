// Losses: values against plain-TS references, and finite-difference gradients (f64, cpu).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../src/tensor';
import { bceWithLogits, infoNCE, maskedBceWithLogits, resolveM1Loss, tripletMultiPositive, tripletOHNM } from '../../src/ngame/losses';
import { DEFAULT_RUN } from '../../src/ngame/run-config';
import { cpu, gradCheck } from '../tensor/gradcheck';
import { Rng } from '../../src/util/rng';

function randomProblem(B: number, L: number, seed: number) {
  const rng = new Rng(seed);
  const S = new Float64Array(B * L).map(() => rng.normal() * 0.5);
  const Tg = new Float64Array(B * L);
  for (let i = 0; i < B; i++) {
    Tg[i * L + i] = 1; // the sampled positive on the diagonal
    for (let j = 0; j < L; j++) if (j !== i && rng.next() < 0.15) Tg[i * L + j] = 1;
  }
  return { S, Tg };
}

/** Plain-TS tripletOHNM, written from the definition. */
function tripletRef(S: Float64Array, Tg: Float64Array, B: number, L: number, k: number, margin: number, tau: number): number {
  let total = 0;
  for (let i = 0; i < B; i++) {
    const sp = S[i * L + i];
    const cand = [];
    for (let j = 0; j < L; j++) cand.push({ j, v: Tg[i * L + j] ? -50 : S[i * L + j] });
    cand.sort((a, b) => b.v - a.v || a.j - b.j);
    const neg = cand.slice(0, k).map((c) => c.v);
    const viol = neg.map((v) => Math.max(0, v - sp + margin));
    const logits = neg.map((v, q) => (viol[q] > 0 ? v / tau : -50 / tau));
    const mx = Math.max(...logits);
    const z = logits.reduce((a, x) => a + Math.exp(x - mx), 0);
    viol.forEach((l, q) => (total += l * Math.exp(logits[q] - mx) / z));
  }
  return total / (B * k);
}

const f64 = (a: Float64Array, shape: number[]) => T.tensor(a, shape, { backend: cpu, dtype: 'f64' });

describe('losses', () => {
  it('tripletOHNM equals its definition', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 999 }), (B, extra, k, seed) => {
      const L = B + extra;
      const { S, Tg } = randomProblem(B, L, seed);
      const got = tripletOHNM(f64(S, [B, L]), f64(Tg, [B, L]), { k, margin: 0.3, tau: 0.1 }).dataSync()[0];
      expect(got).toBeCloseTo(tripletRef(S, Tg, B, L, Math.min(k, L), 0.3, 0.1), 10);
    }), { seed: 42, numRuns: 40 });
  });

  it('a positive is never used as a negative: raising positive scores never increases the loss', () => {
    const B = 4, L = 9;
    const { S, Tg } = randomProblem(B, L, 3);
    const base = tripletOHNM(f64(S, [B, L]), f64(Tg, [B, L])).dataSync()[0];
    const S2 = S.map((v, i) => (Tg[i] && i % L !== Math.floor(i / L) ? v + 5 : v)); // push non-diagonal positives up
    const after = tripletOHNM(f64(S2, [B, L]), f64(Tg, [B, L])).dataSync()[0];
    expect(after).toBeCloseTo(base, 12);
  });

  it('gradients: tripletOHNM, multi-positive, BCE, InfoNCE', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 999 }), (B, extra, seed) => {
      const L = B + extra;
      const { S, Tg } = randomProblem(B, L, seed);
      const tg = f64(Tg, [B, L]);
      const opts = [{ shape: [B, L], values: S }];
      expect(gradCheck(([s]) => tripletOHNM(s, tg, { k: 3 }), opts, seed)).toBeLessThan(1e-5);
      expect(gradCheck(([s]) => tripletMultiPositive(s, tg), opts, seed)).toBeLessThan(1e-5);
      expect(gradCheck(([s]) => bceWithLogits(s, tg), opts, seed)).toBeLessThan(1e-6);
      expect(gradCheck(([s]) => infoNCE(s, tg, 0.5), opts, seed)).toBeLessThan(1e-6);
      const mask = Float64Array.from(Tg, (t, e) => (t || e % 3 === 0 ? 1 : 0));
      const n = mask.reduce((a, b) => a + b, 0);
      expect(gradCheck(([s]) => maskedBceWithLogits(s, tg, f64(mask, [B, L]), n), opts, seed)).toBeLessThan(1e-6);
    }), { seed: 7, numRuns: 15 });
  });

  it('masked BCE: the mean of the per-entry BCE over the entries the mask selects, and never over none', () => {
    const x = f64(Float64Array.from([-2, 0.5, 3, 1, -1, 4]), [2, 3]);
    const t = f64(Float64Array.from([1, 0, 0, 0, 1, 0]), [2, 3]);
    const m = f64(Float64Array.from([1, 1, 0, 0, 1, 1]), [2, 3]);
    const l = (v: number, y: number) => Math.max(v, 0) - v * y + Math.log1p(Math.exp(-Math.abs(v)));
    const want = (l(-2, 1) + l(0.5, 0) + l(-1, 1) + l(4, 0)) / 4;
    expect(maskedBceWithLogits(x, t, m, 4).dataSync()[0]).toBeCloseTo(want, 12);
    // an all-ones mask is plain BCE
    expect(maskedBceWithLogits(x, t, f64(new Float64Array(6).fill(1), [2, 3]), 6).dataSync()[0]).toBeCloseTo(bceWithLogits(x, t).dataSync()[0], 12);
    expect(() => maskedBceWithLogits(x, t, m, 0)).toThrow(/selects no entry/);
  });

  it('BCE with logits is stable for large logits and matches the naive formula for small ones', () => {
    const x = f64(Float64Array.from([-1000, -2, 0, 3, 1000]), [5]);
    const t = f64(Float64Array.from([0, 1, 1, 0, 1]), [5]);
    const got = bceWithLogits(x, t).dataSync()[0];
    const naive = (v: number, y: number) => -(y * Math.log(1 / (1 + Math.exp(-v))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-v))));
    const expected = (0 + naive(-2, 1) + naive(0, 1) + naive(3, 0) + 0) / 5;
    expect(got).toBeCloseTo(expected, 10);
  });
});

describe('resolveM1Loss: the one place the M1 loss is decided', () => {
  it('runs an explicit choice as asked and lets the sampler decide under auto', () => {
    expect(resolveM1Loss('auto', 'triplet')).toBe('infonce');
    expect(resolveM1Loss('auto', 'bce')).toBe('bce');
    for (const s of ['triplet', 'bce'] as const) {
      expect(resolveM1Loss('triplet', s)).toBe('triplet');
      expect(resolveM1Loss('infonce', s)).toBe('infonce');
    }
  });
  it('runs InfoNCE by default for every sampler, the BCE samplers included', () => {
    for (const s of ['triplet', 'bce'] as const) expect(resolveM1Loss(DEFAULT_RUN.m1.loss, s)).toBe('infonce');
  });
});
