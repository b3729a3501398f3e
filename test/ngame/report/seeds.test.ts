// The seed study of `ngame report`: the t distribution against its closed forms, the paired
// test on a hand example, and the report section on made-up runs whose answers are known.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { incompleteBeta, logGamma, pairedT, tTwoSidedP } from '../../../src/ngame/report/stats';
import { seedsSection, type SeededRun } from '../../../src/ngame/report/seeds';

describe('statistics', () => {
  it('ln Γ matches factorials and Γ(1/2) = √π', () => {
    let f = 1;
    for (let n = 1; n <= 20; n++) {
      expect(logGamma(n)).toBeCloseTo(Math.log(f), 10); // Γ(n) = (n − 1)!
      f *= n;
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it('I_x(a, b) for integer a, b is a binomial tail', () => {
    // I_x(a, b) = P(Binomial(a + b − 1, x) ≥ a)
    const binomTail = (n: number, x: number, a: number) => {
      let s = 0;
      for (let j = a; j <= n; j++) {
        let c = 1;
        for (let i = 0; i < j; i++) c = (c * (n - i)) / (i + 1);
        s += c * x ** j * (1 - x) ** (n - j);
      }
      return s;
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (a, b, x) => {
        expect(incompleteBeta(x, a, b)).toBeCloseTo(binomTail(a + b - 1, x, a), 9);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('the two-sided t p-value matches the closed forms for 1 and 2 degrees of freedom, and the tables', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 50, noNaN: true }), (t) => {
        expect(tTwoSidedP(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(Math.abs(t)), 10); // Cauchy
        expect(tTwoSidedP(t, 2)).toBeCloseTo(1 - Math.abs(t) / Math.sqrt(2 + t * t), 10);
      }),
      { seed: 11, numRuns: 300 },
    );
    // Critical values at p = 0.05 from any t table; a huge df is the normal's 1.96.
    for (const [t, df] of [[12.706, 1], [4.303, 2], [2.776, 4], [2.571, 5], [2.228, 10], [1.96, 1e7]]) {
      expect(tTwoSidedP(t, df)).toBeCloseTo(0.05, 3);
    }
    expect(tTwoSidedP(0, 3)).toBe(1);
  });

  it('pairedT on a hand example', () => {
    // d = 1, 2, 3, 6: mean 3, sd √(14/3), t = 3 / (sd / 2) ≈ 2.777, 3 df
    const r = pairedT([1, 2, 3, 6]);
    expect(r.mean).toBe(3);
    expect(r.sd).toBeCloseTo(Math.sqrt(14 / 3), 12);
    expect(r.t).toBeCloseTo(6 / Math.sqrt(14 / 3), 12);
    expect(r.p).toBeCloseTo(tTwoSidedP(r.t, 3), 12);
    expect(r.p).toBeGreaterThan(0.05);
    expect(r.p).toBeLessThan(0.1); // t(0.05, 3) = 3.182, t(0.1, 3) = 2.353
    expect(r.ahead).toBe(4);
    expect(pairedT([0.5, 0.5]).p).toBeNaN(); // no spread: no test
  });
});

/** A finished run whose M1 P@1 per epoch is `p1` and whose other final metrics derive from `x`. */
function run(sampler: string, seed: number | undefined, p1: number[], x: number, hardness: number): SeededRun {
  const m = (v: number) => ({ K: 5, P: [v, v, v, v, v / 2], nDCG: [v, v, v, v, v], PSP: [v, v, v, v, v + 1] });
  return {
    sampler, seed,
    epochs: p1.map((v, e) => ({ epoch: e, metrics: m(v), hardness: { ratio: hardness } })),
    final: { m1: m(p1.at(-1)!), m2: m(x), fused: m(x + 1) },
  };
}

describe('seedsSection', () => {
  it('says nothing without a sampler run at two seeds', () => {
    expect(seedsSection([run('random', 0, [1, 2], 3, 0.8), run('ngame', 0, [1, 3], 3, 0.9)])).toEqual([]);
    expect(seedsSection([run('random', undefined, [1, 2], 3, 0.8), run('random', undefined, [1, 2], 4, 0.8)])).toEqual([]);
  });

  it('means, paired differences against random, and the epoch that reaches random', () => {
    const runs = [
      run('ngame', 0, [1, 12, 14], 20, 0.9), run('random', 0, [1, 10, 13], 21, 0.8),
      run('ngame', 1, [2, 13, 16], 22, 0.92), run('random', 1, [2, 11, 14], 21, 0.82),
      run('ngame', 2, [1, 11, 12], 19, 0.88), run('random', 2, [1, 12, 12.5], 20, 0.8),
      run('ngame', 5, [1, 11, 12], 19, 0.88), // no random run at seed 5: not paired
    ];
    const md = seedsSection(runs).join('\n');
    // ngame over seeds 0, 1, 2, 5: M1 P@1 14, 16, 12, 12 → mean 13.5, sd √(11/3) = 1.91
    expect(md).toMatch(/\| ngame \| 0, 1, 2, 5 \| 13\.50 ± 1\.91 \|/);
    expect(md).toMatch(/\| random \| 0, 1, 2 \| 13\.17 ± 0\.76 \|/);
    expect(md).toMatch(/### ngame − random, paired by seed \(0, 1, 2\)/);
    // M1 P@1 differences 1, 2, −0.5: two of three ahead
    const t = pairedT([1, 2, -0.5]);
    expect(md).toContain(`| M1 P@1 | +1.00, +2.00, -0.50 | 2/3 | +0.83 | 1.26 | ${t.t.toFixed(2)} | ${t.p.toFixed(3)} |`);
    expect(md).toMatch(/\| M2 P@1 \| -1\.00, \+1\.00, -1\.00 \| 1\/3 \|/);
    expect(md).toMatch(/\| last hardness \| \+0\.100, \+0\.100, \+0\.080 \| 3\/3 \|/);
    // random's finals 13, 14, 12.5: ngame reaches them in epochs 3, 3 and never (12 < 12.5)
    expect(md).toContain("reaches random's final M1 P@1, per seed: 3, 3, never (of 3)");
  });
});
