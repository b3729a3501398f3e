// Data generators shared by the clustering tests.
import { Rng } from '../../../src/util/rng';
import { Mat, mat } from '../../../src/ngame/matrix';

export function randomMat(n: number, d: number, seed: number): Mat {
  const rng = new Rng(seed);
  const m = mat(n, d);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  return m;
}

/** K random unit centres, exactly `size` points each (shuffled order), noise of norm ≈ `noise`. */
export function planted(K: number, size: number, d: number, noise: number, seed: number): { x: Mat; labels: Int32Array } {
  const rng = new Rng(seed);
  const cent = Array.from({ length: K }, () => {
    const v = Float32Array.from({ length: d }, () => rng.normal());
    const n = Math.hypot(...v);
    return v.map((a) => a / n);
  });
  const N = K * size;
  const x = mat(N, d);
  const labels = new Int32Array(N);
  const perm = rng.permutation(N);
  const sigma = noise / Math.sqrt(d);
  for (let i = 0; i < N; i++) {
    const c = perm[i] % K;
    labels[i] = c;
    for (let j = 0; j < d; j++) x.data[i * d + j] = cent[c][j] + sigma * rng.normal();
  }
  return { x, labels };
}
