// Inverse propensity of each label (Jain, Prabhu & Varma, KDD 2016), as pyxclib's
// compute_inv_propesity: ip_l = 1 + C·(n_l + B)^(−A), C = (ln N − 1)·(B + 1)^A,
// N = number of training documents, n_l = training documents carrying label l.
// Rare labels get large weights, so PSP@k rewards getting the tail right.
import type { CSR } from '../data/csr';
import { columnCounts } from '../data/csr';

export const DEFAULT_A = 0.55;
export const DEFAULT_B = 1.5;

/** (labels) inverse propensities from the training label matrix (docs × labels). */
export function inversePropensity(trainY: CSR, A = DEFAULT_A, B = DEFAULT_B): Float64Array {
  const N = trainY.rows;
  if (N < 1) throw new Error('inversePropensity: the training label matrix has no rows');
  const freq = columnCounts(trainY);
  const C = (Math.log(N) - 1) * Math.pow(B + 1, A);
  const ip = new Float64Array(trainY.cols);
  for (let l = 0; l < ip.length; l++) ip[l] = 1 + C * Math.pow(freq[l] + B, -A);
  return ip;
}
