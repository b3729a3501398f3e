// The few statistics a seed study needs: mean, sample standard deviation and a paired t-test.
// Two samplers trained with the same seed share their initialisation, vocabulary sample and
// first (random-batch) epoch, so their difference per seed is the quantity to test:
//   d_s = metric(sampler, seed s) − metric(baseline, seed s),  t = mean(d) / (sd(d) / √n),
// with n − 1 degrees of freedom under the null hypothesis that the mean difference is zero.

export function mean(x: readonly number[]): number {
  if (x.length === 0) throw new Error('mean: empty sample');
  return x.reduce((a, v) => a + v, 0) / x.length;
}

/** Sample standard deviation (divides by n − 1); NaN for one value. */
export function sd(x: readonly number[]): number {
  const m = mean(x);
  return Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / (x.length - 1));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x); // reflection
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularized incomplete beta I_x(a, b) = front · F / a, with F its continued fraction
 * 1 / (1 + d₁ / (1 + d₂ / ...)) evaluated by the modified Lentz method, on the side where it
 * converges fast (I_x(a, b) = 1 − I_{1−x}(b, a) otherwise). Terms, for m = 1, 2, ...:
 *   d_2m = m(b − m)x / ((a + 2m − 1)(a + 2m)),  d_2m+1 = −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1)).
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1)) throw new Error(`incompleteBeta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  const nz = (v: number) => (Math.abs(v) < 1e-300 ? 1e-300 : v); // Lentz: never divide by 0
  let c = 1;
  let d = 1 / nz(1 - ((a + b) * x) / (a + 1)); // d₁
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (const num of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 / nz(1 + num * d);
      c = nz(1 + num / c);
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) return (front * f) / a;
  }
  throw new Error(`incompleteBeta: no convergence at x=${x}, a=${a}, b=${b}`);
}

/** Two-sided p-value of Student's t with df degrees of freedom: P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2). */
export function tTwoSidedP(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`tTwoSidedP: df must be > 0, got ${df}`);
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  // Pass the smaller of x = df/(df+t²) and 1 − x = t²/(df+t²) so neither is rounded to 0 or 1.
  const t2 = t * t;
  return t2 < df ? 1 - incompleteBeta(t2 / (df + t2), 0.5, df / 2) : incompleteBeta(df / (df + t2), df / 2, 0.5);
}

export interface PairedT {
  n: number;
  mean: number;
  sd: number;
  t: number;
  /** Two-sided; NaN with fewer than two pairs or when every difference is the same. */
  p: number;
  /** How many differences are > 0. */
  ahead: number;
}

/** Paired t-test of the differences d (one per seed) against a mean of zero. */
export function pairedT(d: readonly number[]): PairedT {
  const n = d.length;
  const m = mean(d);
  const s = sd(d);
  const t = m / (s / Math.sqrt(n));
  const p = n >= 2 && s > 0 ? tTwoSidedP(t, n - 1) : NaN;
  return { n, mean: m, sd: s, t, p, ahead: d.filter((v) => v > 0).length };
}
