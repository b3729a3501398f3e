// Data for the search tests: isotropic normal, or points around random centres.
import { Rng } from '../../../src/util/rng';
import { Mat, mat } from '../../../src/ngame/matrix';

export function dataset(kind: 'random' | 'clustered', n: number, d: number, seed: number): { items: Mat; queries: Mat } {
  const rng = new Rng(seed);
  const K = 40;
  const cent = Array.from({ length: K }, () => Float32Array.from({ length: d }, () => rng.normal()));
  const fill = (m: Mat) => {
    for (let i = 0; i < m.rows; i++) {
      const c = cent[rng.int(K)];
      for (let j = 0; j < d; j++) m.data[i * d + j] = kind === 'random' ? rng.normal() : c[j] + 0.5 * rng.normal();
    }
    return m;
  };
  return { items: fill(mat(n, d)), queries: fill(mat(100, d)) };
}
