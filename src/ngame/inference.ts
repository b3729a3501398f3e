// Inference: top-K labels for each document from the label embeddings (M1) and from the
// per-label classifiers (M2), fused as  score = β·clf + (1 − β)·emb  over the union of both
// candidate lists (a candidate missing from one list scores 0 there), filter pairs removed,
// and the XC metrics computed on the result.

import type { Backend } from '../tensor';
import type { CSR, Dataset } from './data';
import { computeMetrics, topkToCSR, type Metrics } from './metrics';
import { labelTopK, type LabelSearch } from './label-search';
import { scoreWithIndexes, type LabelIndexes } from './dual-shortlist';

/** β·clf + (1 − β)·emb over the union of both candidate lists; a missing score counts 0. */
export function fuseScores(emb: CSR, clf: CSR, beta: number): CSR {
  if (emb.rows !== clf.rows || emb.cols !== clf.cols) throw new Error(`fuseScores: shapes ${emb.rows}×${emb.cols} and ${clf.rows}×${clf.cols} differ`);
  if (!(beta >= 0 && beta <= 1)) throw new Error(`fuseScores: beta must be in [0, 1], got ${beta}`);
  const indptr = new Int32Array(emb.rows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  const acc = new Map<number, number>();
  for (let r = 0; r < emb.rows; r++) {
    acc.clear();
    for (let a = emb.indptr[r]; a < emb.indptr[r + 1]; a++) acc.set(emb.indices[a], (1 - beta) * emb.values[a]);
    for (let a = clf.indptr[r]; a < clf.indptr[r + 1]; a++) acc.set(clf.indices[a], (acc.get(clf.indices[a]) ?? 0) + beta * clf.values[a]);
    for (const [l, s] of acc) {
      idx.push(l);
      val.push(s);
    }
    indptr[r + 1] = idx.length;
  }
  return { rows: emb.rows, cols: emb.cols, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
}

/**
 * Top-K labels per document by inner product with `table` (L × dim): label embeddings or
 * classifiers; exactly, or through HNSW when `search` resolves to it (label-search.ts).
 */
export async function retrieve(backend: Backend, docs: Float32Array, table: Float32Array, dim: number, K: number, search?: LabelSearch): Promise<CSR> {
  const L = table.length / dim;
  return topkToCSR((await labelTopK(backend, docs, table, dim, Math.min(K, L), search)).top, L);
}

/** Test-set metrics (k = 1..5, filter pairs removed, propensities from the training labels). */
export function testMetrics(scores: CSR, data: Dataset): Metrics {
  return computeMetrics(scores, data.testY, { filter: data.filterTest, trainY: data.trainY, K: 5 });
}

export interface ModelScores {
  /** Top-K by label embeddings (M1). */
  emb: CSR;
  /** Top-K by classifiers (M2), when there are classifiers. */
  clf: CSR | null;
  /** β·clf + (1 − β)·emb, or emb alone without classifiers. */
  fused: CSR;
}

/**
 * Retrieval with a whole model: embedding scores, classifier scores and their fusion; exact, or
 * with `indexes` (HNSW graphs over both tables) NGAME's dual shortlist (dual-shortlist.ts).
 */
export async function scoreDocuments(backend: Backend, docs: Float32Array, labelEmb: Float32Array, classifiers: Float32Array | null, dim: number, K: number, beta: number, indexes?: LabelIndexes | null): Promise<ModelScores> {
  if (indexes) return scoreWithIndexes(indexes, docs, labelEmb, classifiers, dim, Math.min(K, labelEmb.length / dim), beta);
  const emb = await retrieve(backend, docs, labelEmb, dim, K);
  const clf = classifiers ? await retrieve(backend, docs, classifiers, dim, K) : null;
  return { emb, clf, fused: clf ? fuseScores(emb, clf, beta) : emb };
}
