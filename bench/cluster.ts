// Balanced 2-means benchmark: exact (src/ngame/cluster) vs a deliberately plain TS version of
// the same algorithm, and the sampled approximation's quality ratio and speed-up.
// usage: npm run bench -- cluster [--n 100000] [--d 128] [--s 64] [--plain-n N] [--json]
import { parseArgs } from 'node:util';
import { Rng } from '../src/util/rng';
import { Mat, mat } from '../src/ngame/matrix';
import { approxBalanced2Means, balanced2Means, meanCentroidSimilarity, targetClusterCount } from '../src/ngame/cluster';

/** Clustered test data: 1,000 random centres, normal noise. */
function data(n: number, d: number, seed: number): Mat {
  const rng = new Rng(seed);
  const K = 1000;
  const cent = Array.from({ length: K }, () => Float32Array.from({ length: d }, () => rng.normal()));
  const x = mat(n, d);
  for (let i = 0; i < n; i++) {
    const c = cent[rng.int(K)];
    for (let j = 0; j < d; j++) x.data[i * d + j] = c[j] + 1.5 * rng.normal();
  }
  return x;
}

/** The same algorithm written plainly: arrays of rows, full sorts, centroids from scratch. */
function plain2Means(x: Mat, s: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const rows: number[][] = [];
  for (let i = 0; i < x.rows; i++) {
    const r = Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols));
    const n = Math.hypot(...r) || 1;
    rows.push(r.map((v) => v / n));
  }
  const dotp = (a: number[], b: number[]) => a.reduce((acc, v, j) => acc + v * b[j], 0);
  const centroid = (ids: number[]) => {
    const c = new Array(x.cols).fill(0);
    for (const i of ids) rows[i].forEach((v, j) => (c[j] += v));
    const n = Math.hypot(...c) || 1;
    return c.map((v) => v / n);
  };
  let clusters: number[][] = [Array.from({ length: x.rows }, (_, i) => i)];
  const C = targetClusterCount(x.rows, s);
  while (clusters.length < C) {
    const next: number[][] = [];
    for (const ids of clusters) {
      if (ids.length < 2) {
        next.push(ids);
        continue;
      }
      const i0 = rng.int(ids.length);
      let i1 = rng.int(ids.length - 1);
      if (i1 >= i0) i1++;
      let c0 = rows[ids[i0]], c1 = rows[ids[i1]];
      let prev = -Infinity, left: number[] = [], right: number[] = [];
      for (let it = 0; it < 25; it++) {
        const sorted = ids.map((i) => ({ i, k: dotp(rows[i], c1) - dotp(rows[i], c0) })).sort((a, b) => a.k - b.k || a.i - b.i);
        const half = ids.length >> 1;
        left = sorted.slice(0, half).map((e) => e.i);
        right = sorted.slice(half).map((e) => e.i);
        c0 = centroid(left);
        c1 = centroid(right);
        const obj = (left.reduce((a, i) => a + dotp(rows[i], c0), 0) + right.reduce((a, i) => a + dotp(rows[i], c1), 0)) / ids.length;
        if (obj - prev < 1e-4) break;
        prev = obj;
      }
      next.push(left, right);
    }
    clusters = next;
  }
  const assign = new Int32Array(x.rows);
  clusters.forEach((ids, c) => ids.forEach((i) => (assign[i] = c)));
  return assign;
}

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, (performance.now() - t) / 1000];
}

export default async function (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { n: { type: 'string', default: '100000' }, d: { type: 'string', default: '128' }, s: { type: 'string', default: '64' }, 'plain-n': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const n = Number(values.n), d = Number(values.d), s = Number(values.s);
  const plainN = Number(values['plain-n'] ?? n);
  const x = data(n, d, 1);
  const rows: Record<string, string | number>[] = [];
  const [exact, tExact] = time(() => balanced2Means(x, { clusterSize: s, seed: 1 }));
  const qExact = meanCentroidSimilarity(x, exact.assign);
  rows.push({ method: 'exact 2-means', n, d, s, clusters: exact.clusters.length, seconds: tExact, quality: qExact, ratio: 1, speedup: 1 });
  for (const mult of [4, 8, 16]) {
    const sampleSize = mult * targetClusterCount(n, s);
    const [ap, tAp] = time(() => approxBalanced2Means(x, { clusterSize: s, seed: 1, sampleSize }));
    const q = meanCentroidSimilarity(x, ap.assign);
    rows.push({ method: `approx (sample ${ap.sampleSize})`, n, d, s, clusters: ap.clusters.length, seconds: tAp, quality: q, ratio: q / qExact, speedup: tExact / tAp });
  }
  const xp = plainN < n ? mat(plainN, d, x.data.subarray(0, plainN * d)) : x;
  const [pa, tPlain] = time(() => plain2Means(xp, s, 1));
  const [ex2, tEx2] = plainN < n ? time(() => balanced2Means(xp, { clusterSize: s, seed: 1 })) : [exact, tExact];
  rows.push({ method: 'plain TS 2-means', n: plainN, d, s, clusters: new Set(pa).size, seconds: tPlain, quality: meanCentroidSimilarity(xp, pa), ratio: meanCentroidSimilarity(xp, pa) / meanCentroidSimilarity(xp, ex2.assign), speedup: tEx2 / tPlain });
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify({ bench: 'cluster', ...r }));
    return;
  }
  console.log('method                      n       d    s   clusters  seconds  quality  ratio  speed-up vs exact');
  for (const r of rows) {
    console.log(
      `${String(r.method).padEnd(26)} ${String(r.n).padStart(7)} ${String(r.d).padStart(4)} ${String(r.s).padStart(4)} ${String(r.clusters).padStart(9)} ${(r.seconds as number).toFixed(2).padStart(8)} ${(r.quality as number).toFixed(4).padStart(8)} ${(r.ratio as number).toFixed(3).padStart(6)} ${(r.speedup as number).toFixed(2).padStart(9)}`,
    );
  }
}
