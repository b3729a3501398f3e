// How documents find their labels at scale: the `search` setting of a run (run-config.ts).
//   'exact'  every label scored (search.ts: the device's matmul and top-k, or the host's scan);
//   'hnsw'   an HNSW graph over the label table (ann/hnsw.ts), built once per table: at the end
//            of training for inference (and saved in the run directory), once for the M2
//            shortlist, at each refresh of the mined samplers;
//   'auto'   HNSW above HNSW_AUTO_LABELS labels, exact below, so every label set of the
//            documented runs (FOLDOC's 8,073 and DebianDeps' 42,224 labels) stays exact and
//            gives the same results as before the setting existed.
// Scores are inner products (metric 'ip'): label embeddings and M2's cosine classifiers are unit
// rows, so 1 − x·y is the graph's distance. A search for k labels uses ef = max(efSearch, k):
// a k larger than the configured beam raises the beam to k rather than failing (hnsw.ts).

import type { Backend } from '../tensor';
import type { HnswIndex } from './ann/hnsw';
import { buildHnsw } from './ann/hnsw-build';
import { searchParallel } from './ann/hnsw-parallel';
import { exactTopK, recallAtK } from './ann/exact';
import { mat } from './matrix';
import { searchTopK } from './search';
import type { TopK } from '../util/topk';
import { Rng } from '../util/rng';

export type SearchMode = 'exact' | 'hnsw' | 'auto';
export const SEARCH_MODES: SearchMode[] = ['exact', 'hnsw', 'auto'];

/**
 * Above this many labels 'auto' searches through HNSW. At 2 cores on llvmpipe, dim 256, with as
 * many queries as labels (test documents ≈ labels in the XC sets), an exact search costs
 * queries × labels products while the index costs its build (labels × efConstruction-ish
 * products, once) plus queries × ef × 2M products; docs/search.md has the bench behind the
 * figure: since the SIMD kernel and the parallel build a graph pays from ~5,000 documents at
 * 20,000 labels, but below 100,000 labels exact search costs minutes at most and keeps the
 * documented results (DebianDeps' 42,224 labels) exact, so the threshold stays here.
 */
export const HNSW_AUTO_LABELS = 100_000;

/** The HNSW graph's parameters (ann/hnsw.ts): links per node, beam while building, beam while searching. */
export interface HnswParams {
  M: number;
  efConstruction: number;
  /** Beam of inference: the dual shortlist's top-k (topK 100) from each graph. */
  efSearch: number;
  /**
   * Beam of the training-time searches for a few labels per document: the M2 shortlist (32)
   * and the mined samplers' refresh. A negative needs to be hard, not the exact k-th: on the
   * 131K shape's label embeddings, recall@32 is 0.96 at ef 100 in 0.89 ms per query against
   * 0.99 at ef 300 in 2.45 ms (docs/scale.md), and that search runs once per training document.
   */
  efShortlist: number;
}

/** A search setting with its graph parameters, as the trainers and inference take it. */
export interface LabelSearch {
  mode: SearchMode;
  hnsw: HnswParams;
  /** Seed of the graphs' level draws. */
  seed: number;
}

/** What `mode` means for a table of `labels` rows: exact or HNSW. */
export function resolveSearch(mode: SearchMode, labels: number): 'exact' | 'hnsw' {
  if (mode === 'auto') return labels > HNSW_AUTO_LABELS ? 'hnsw' : 'exact';
  if (mode !== 'exact' && mode !== 'hnsw') throw new Error(`search must be one of ${SEARCH_MODES.join(', ')}, got "${mode}"`);
  return mode;
}

/** An HNSW graph over the rows of `table` (L × dim), by inner product, built on every core (ann/hnsw-build.ts). */
export function buildLabelIndex(table: Float32Array, dim: number, p: HnswParams, seed: number): Promise<HnswIndex> {
  return buildHnsw(mat(table.length / dim, dim, table), { dim, metric: 'ip', M: p.M, efConstruction: p.efConstruction, efSearch: p.efSearch, seed });
}

/**
 * For each document row (n × dim), the index's k best labels (beam max(ef, k); ef defaults to the
 * index's efSearch). A row for
 * which the graph yields fewer than k labels (possible in a graph that is not connected) is
 * searched exactly over the index's own vectors instead, so every row holds k labels.
 */
export async function indexTopK(index: HnswIndex, docs: Float32Array, k: number, ef = index.efSearch): Promise<TopK> {
  const dim = index.dim;
  const n = docs.length / dim;
  const kk = Math.min(k, index.size);
  const top = await searchParallel(index, mat(n, dim, docs), kk, ef); // on every core (hnsw-parallel.ts)
  const short: number[] = [];
  for (let q = 0; q < n; q++) if (top.indices[q * kk + kk - 1] < 0) short.push(q);
  if (short.length > 0) {
    const q = new Float32Array(short.length * dim);
    short.forEach((r, i) => q.set(docs.subarray(r * dim, (r + 1) * dim), i * dim));
    const exact = exactTopK(mat(short.length, dim, q), mat(index.size, dim, index.vecs.subarray(0, index.size * dim)), kk);
    short.forEach((r, i) => {
      top.indices.set(exact.indices.subarray(i * kk, (i + 1) * kk), r * kk);
      top.values.set(exact.values.subarray(i * kk, (i + 1) * kk), r * kk);
    });
  }
  return top;
}

/** Documents of the fixed sample an index's recall is measured on. */
export const RECALL_DOCS = 1000;

/**
 * The k best labels of each document by inner product with `table`: an exact search, or, when
 * `search` resolves to HNSW for this table, a graph built for this call and searched; then,
 * with `recallSeed`, the graph's recall@k against exact search on RECALL_DOCS documents drawn
 * with that seed (null for an exact search); and the graph (null for an exact search), which
 * the caller may reuse: it is buildLabelIndex(table, dim, search.hnsw, search.seed), or `built`
 * when the caller already has that graph. The graph is searched with the beam search.hnsw.efShortlist
 * (the callers want a few hard labels per document, not inference's top-k).
 */
export async function labelTopK(backend: Backend, docs: Float32Array, table: Float32Array, dim: number, k: number, search?: LabelSearch, recallSeed?: number, built?: HnswIndex | null): Promise<{ top: TopK; recall: IndexRecall | null; index: HnswIndex | null }> {
  const L = table.length / dim;
  if (!search || resolveSearch(search.mode, L) === 'exact') return { top: await searchTopK(backend, docs, table, dim, Math.min(k, L)), recall: null, index: null };
  const index = built ?? (await buildLabelIndex(table, dim, search.hnsw, search.seed));
  const ef = search.hnsw.efShortlist;
  const top = await indexTopK(index, docs, k, ef);
  return { top, recall: recallSeed === undefined ? null : await sampleRecall(backend, index, docs, table, k, RECALL_DOCS, recallSeed, ef), index };
}

/** Recall of an index against exact search, measured on a fixed sample of documents. */
export interface IndexRecall {
  k: number;
  /** Documents in the sample. */
  docs: number;
  recall: number;
  /**
   * recall@5 of the same searches (the metrics' cut-off: P@5, PSP@5). The end of a top-100 is a
   * long run of near-equal scores that a graph misses more often than the head.
   */
  recall5?: number;
}

/** The fixed document sample recalls are measured on: m = min(sample, n) row ids drawn with `seed`. */
export function recallSample(n: number, sample: number, seed: number): Int32Array {
  return new Rng(seed).permutation(n).slice(0, Math.min(sample, n));
}

/**
 * recall@k of `index` over `table` against the exact search, on `sample` documents of `docs`
 * (n × dim) drawn without replacement with generator `seed` (the same documents every time),
 * the graph searched with beam `ef` (default its efSearch).
 */
export async function sampleRecall(backend: Backend, index: HnswIndex, docs: Float32Array, table: Float32Array, k: number, sample: number, seed: number, ef = index.efSearch): Promise<IndexRecall> {
  const dim = index.dim;
  const ids = recallSample(docs.length / dim, sample, seed);
  const m = ids.length;
  const q = new Float32Array(m * dim);
  ids.forEach((r, i) => q.set(docs.subarray(r * dim, (r + 1) * dim), i * dim));
  const kk = Math.min(k, index.size);
  const exact = await searchTopK(backend, q, table, dim, kk);
  const approx = await indexTopK(index, q, kk, ef);
  return { k: kk, docs: m, recall: recallAtK(approx, exact, kk), recall5: recallAtK(approx, exact, Math.min(5, kk)) };
}

/** A run's search setting (run-config.ts `search`, `hnsw`, `seed`) as the trainers and inference take it. */
export function runSearch(cfg: { search: SearchMode; hnsw: HnswParams; seed: number }): LabelSearch {
  return { mode: cfg.search, hnsw: { ...cfg.hnsw }, seed: cfg.seed };
}

/** What the final log record says of a run searched through HNSW: its graphs, their build time and recall. */
export interface SearchRecord {
  mode: 'hnsw';
  hnsw: HnswParams;
  /** Seconds building the graphs at the end of training (not the one reused from the M2 shortlist). */
  buildSeconds: number;
  /** The label embeddings' graph is the M2 shortlist's (built during M2, counted in its epoch). */
  embFromShortlist?: boolean;
  /** recall@k of each graph against exact search, on a fixed sample of test documents. */
  emb: IndexRecall;
  clf: IndexRecall | null;
  /**
   * What inference returns: the dual shortlist's fused top-k (both graphs' candidates re-scored)
   * against the exact fused top-k over every label, on the same documents (dual-shortlist.ts).
   */
  fused?: IndexRecall;
}
