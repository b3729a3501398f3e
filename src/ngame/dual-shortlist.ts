// NGAME's dual shortlist, the inference of a run whose search is HNSW (label-search.ts): each
// document's candidates come from two graphs, one over the label embeddings (M1) and one over
// the M2 classifiers; the union is re-scored exactly, both scores for every candidate, and
// fused as β·clf + (1 − β)·emb. (The exact path, inference.ts fuseScores, fuses two exact top-K
// lists and counts a score missing from one list as 0; here no score is missing.)
//
// Exact re-scoring uses the host exact search's arithmetic (products summed in a double in
// dimension order, rounded to f32), so a candidate scores what exactTopK would give it.

import type { CSR } from './data';
import type { HnswIndex } from './ann/hnsw';
import type { ModelScores } from './inference';
import type { Backend } from '../tensor';
import { indexTopK, recallSample, type IndexRecall } from './label-search';
import { searchTopK } from './search';
import { compareRanked, TopKHeap, type TopK } from '../util/topk';

/** The two graphs of a run: over the label embeddings, and over the classifiers when M2 ran. */
export interface LabelIndexes {
  emb: HnswIndex;
  clf: HnswIndex | null;
}

function score(docs: Float32Array, q: number, table: Float32Array, l: number, dim: number): number {
  let s = 0;
  const a = q * dim, b = l * dim;
  for (let t = 0; t < dim; t++) s += docs[a + t] * table[b + t];
  return Math.fround(s);
}

/** A CSR row builder: rows appended in order, each row's entries sorted best first (the one top-k order). */
class Rows {
  readonly indptr: Int32Array;
  private idx: number[] = [];
  private val: number[] = [];
  private r = 0;
  constructor(readonly rows: number, readonly cols: number) {
    this.indptr = new Int32Array(rows + 1);
  }
  push(ids: number[], vals: number[]): void {
    const order = ids.map((_, i) => i).sort((a, b) => compareRanked(vals[a], ids[a], vals[b], ids[b]));
    for (const i of order) {
      this.idx.push(ids[i]);
      this.val.push(vals[i]);
    }
    this.indptr[++this.r] = this.idx.length;
  }
  csr(): CSR {
    return { rows: this.rows, cols: this.cols, indptr: this.indptr, indices: Int32Array.from(this.idx), values: Float32Array.from(this.val) };
  }
}

/**
 * Scores from candidate lists (each (n, k), index −1 for an empty slot, as HNSW returns them):
 * emb = each document's embedding candidates with their exact embedding scores, clf = its
 * classifier candidates with their exact classifier scores, fused = the union of both with
 * β·clf + (1 − β)·emb, every score exact. Rows best first; a label appears once per row.
 */
export function dualShortlist(docs: Float32Array, labelEmb: Float32Array, classifiers: Float32Array | null, dim: number, candEmb: TopK, candClf: TopK | null, beta: number): ModelScores {
  if (!(beta >= 0 && beta <= 1)) throw new Error(`dualShortlist: beta must be in [0, 1], got ${beta}`);
  if ((classifiers === null) !== (candClf === null)) throw new Error('dualShortlist: classifier candidates need the classifiers, and the other way round');
  const n = docs.length / dim;
  const L = labelEmb.length / dim;
  const emb = new Rows(n, L), clf = new Rows(n, L), fused = new Rows(n, L);
  const seen = new Set<number>();
  // A row's distinct candidates of one list, then of both (the union keeps first appearances).
  const take = (c: TopK, q: number, out: number[]) => {
    for (let t = 0; t < c.k; t++) {
      const l = c.indices[q * c.k + t];
      if (l >= 0 && !seen.has(l)) {
        seen.add(l);
        out.push(l);
      }
    }
    return out;
  };
  for (let q = 0; q < n; q++) {
    seen.clear();
    const e = take(candEmb, q, []);
    emb.push(e, e.map((l) => score(docs, q, labelEmb, l, dim)));
    if (!classifiers || !candClf) continue;
    seen.clear();
    const c = take(candClf, q, []);
    clf.push(c, c.map((l) => score(docs, q, classifiers, l, dim)));
    const u = take(candEmb, q, c.slice()); // c, then the embedding candidates not in c
    fused.push(u, u.map((l) => beta * score(docs, q, classifiers, l, dim) + (1 - beta) * score(docs, q, labelEmb, l, dim)));
  }
  const e = emb.csr();
  return { emb: e, clf: classifiers ? clf.csr() : null, fused: classifiers ? fused.csr() : e };
}

/** The dual-shortlist scores of documents (n × dim): K candidates from each graph, re-scored and fused. */
export async function scoreWithIndexes(indexes: LabelIndexes, docs: Float32Array, labelEmb: Float32Array, classifiers: Float32Array | null, dim: number, K: number, beta: number): Promise<ModelScores> {
  if (indexes.emb.dim !== dim || (indexes.clf && indexes.clf.dim !== dim)) throw new Error(`scoreWithIndexes: the indexes' dim differs from the model's ${dim}`);
  const candEmb = await indexTopK(indexes.emb, docs, K);
  const candClf = classifiers && indexes.clf ? await indexTopK(indexes.clf, docs, K) : null;
  return dualShortlist(docs, labelEmb, classifiers, dim, candEmb, candClf, beta);
}

/** Labels per block of the exact fused search below: its host and device memory stay O(block · dim). */
const FUSED_BLOCK = 65536;

/**
 * recall@k (and @5) of the dual shortlist's fused rows (`fused`, best first, as scoreWithIndexes
 * returns them for every document of `docs`) against the exact fused top-k over every label, on
 * the fixed sample recallSample(n, sample, seed). The fused score is linear in the two tables,
 * β·(x·c_l) + (1 − β)·(x·e_l) = x·(β·c_l + (1 − β)·e_l), so the exact top-k is one inner-product
 * search over the blended table, done block by block and merged.
 */
export async function fusedRecall(backend: Backend, fused: CSR, docs: Float32Array, labelEmb: Float32Array, classifiers: Float32Array, dim: number, beta: number, k: number, sample: number, seed: number): Promise<IndexRecall> {
  const L = labelEmb.length / dim;
  const ids = recallSample(docs.length / dim, sample, seed);
  const m = ids.length;
  const kk = Math.min(k, L);
  const q = new Float32Array(m * dim);
  ids.forEach((r, i) => q.set(docs.subarray(r * dim, (r + 1) * dim), i * dim));
  const heaps = Array.from({ length: m }, () => new TopKHeap(kk));
  for (let l0 = 0; l0 < L; l0 += FUSED_BLOCK) {
    const n = Math.min(FUSED_BLOCK, L - l0);
    const blend = new Float32Array(n * dim);
    for (let t = 0; t < n * dim; t++) blend[t] = beta * classifiers[l0 * dim + t] + (1 - beta) * labelEmb[l0 * dim + t];
    const top = await searchTopK(backend, q, blend, dim, Math.min(kk, n));
    for (let i = 0; i < m; i++) for (let t = 0; t < top.k; t++) heaps[i].push(l0 + top.indices[i * top.k + t], top.values[i * top.k + t]);
  }
  const at = (c: number) => {
    let hit = 0;
    heaps.forEach((h, i) => {
      const truth = [...h.ids.subarray(0, h.size)].map((id, j) => ({ id, v: h.values[j] })).sort((a, b) => compareRanked(a.v, a.id, b.v, b.id)).slice(0, c).map((e) => e.id);
      const row = fused.indices.subarray(fused.indptr[ids[i]], Math.min(fused.indptr[ids[i]] + c, fused.indptr[ids[i] + 1]));
      const got = new Set(row);
      for (const id of truth) if (got.has(id)) hit++;
    });
    return hit / (m * c);
  };
  return { k: kk, docs: m, recall: at(kk), recall5: at(Math.min(5, kk)) };
}
