// Exact top-k search by inner product or cosine on the host: the reference every approximate
// index is measured against, and the host path of the one exact search (search.ts BackendIndex:
// on a device, matmul and the top-k kernel, refinable to exactly this result). The arithmetic is
// the blocked loops of ann/similarity.ts.
import { Mat, checkMat, normalizeRows } from '../matrix';
import { checkDims, checkK, hostTopK, type HostBlocks } from './similarity';
import type { TopK } from '../../util/topk';

export type Metric = 'ip' | 'cosine';

export interface ExactTopKOptions {
  metric?: Metric;
  /** Block sizes of the host loops (tests vary them; results do not depend on them). */
  blocks?: HostBlocks;
}

/**
 * For each query row, the k items with the largest score, best first; ties go to the lower
 * item index. With metric 'cosine' both sides are L2-normalized (zero rows score 0).
 */
export function exactTopK(queries: Mat, items: Mat, k: number, opts: ExactTopKOptions = {}): TopK {
  checkMat(queries, 'exactTopK queries');
  checkMat(items, 'exactTopK items');
  checkDims(queries, items);
  checkK(k, items.rows);
  const metric = opts.metric ?? 'ip';
  if (metric !== 'ip' && metric !== 'cosine') throw new Error(`exactTopK: unknown metric '${metric}'`);
  if (metric === 'cosine') return hostTopK(normalizeRows(queries), normalizeRows(items), k, opts.blocks);
  return hostTopK(queries, items, k, opts.blocks);
}

/** Mean over queries of |approx ∩ exact| / k for the first k columns of each result. */
export function recallAtK(approx: TopK, exact: TopK, k: number): number {
  const nq = exact.indices.length / exact.k;
  let hit = 0;
  for (let i = 0; i < nq; i++) {
    const truth = new Set<number>();
    for (let t = 0; t < k; t++) truth.add(exact.indices[i * exact.k + t]);
    for (let t = 0; t < k; t++) if (truth.has(approx.indices[i * approx.k + t])) hit++;
  }
  return hit / (nq * k);
}
