// Exact top-k search by inner product or cosine: the reference every approximate index is
// measured against. The arithmetic runs on a SimilarityEngine (CPU by default, GPU when given).
import { Mat, checkMat, normalizeRows } from '../matrix';
import { SimilarityEngine, checkDims, checkK, cpuSimilarity } from './similarity';
import type { TopK } from '../../util/topk';

export type Metric = 'ip' | 'cosine';

export interface ExactTopKOptions {
  metric?: Metric;
  engine?: SimilarityEngine;
}

const defaultEngine = cpuSimilarity();

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
  const engine = opts.engine ?? defaultEngine;
  if (metric === 'cosine') return engine.topk(normalizeRows(queries), normalizeRows(items), k);
  return engine.topk(queries, items, k);
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
