// The classical baselines any learned model must beat, all on TF-IDF vectors (see tfidf.ts):
//   labelCosine: score(q, l) = cos(tfidf(q), tfidf(label text l))
//   knn:         the `neighbours` (20) training documents most similar to q vote for their labels,
//                each vote weighted by its cosine similarity
//   fused:       knn + labelWeight (0.5) · labelCosine
// Each returns a CSR score matrix (queries × labels) with the top `topK` (100) labels per row,
// best first. Cosine similarities are sparse dot products through an inverted index
// (term → rows holding it), so only rows sharing a term with the query are touched.
import type { CSR } from '../data/csr';
import { transpose } from '../data/csr';
import { TopKHeap } from '../../util/topk';
import { TopKRowsBuilder } from '../metrics/topk-csr';
import { TfidfVectorizer } from './tfidf';

export interface BaselineInputs {
  trainTexts: string[];
  labelTexts: string[];
  /** (train docs × labels) */
  trainY: CSR;
}

export interface BaselineOptions {
  /** Training documents that vote in kNN (default 20). */
  neighbours?: number;
  /** Labels kept per query row (default 100). */
  topK?: number;
  /** Weight of the label cosine in the fused score (default 0.5). */
  labelWeight?: number;
}

export interface BaselineScores {
  labelCosine: CSR;
  knn: CSR;
  fused: CSR;
}

/**
 * Accumulates the dot products of one query with every row of an inverted index.
 * acc: (rows) running sums; touched: the rows with a nonzero sum, in first-touch order.
 */
class DotAccumulator {
  readonly acc: Float32Array;
  readonly touched: Int32Array;
  count = 0;
  constructor(
    rows: number,
    private index: CSR, // (terms × rows): postings of each term
  ) {
    this.acc = new Float32Array(rows);
    this.touched = new Int32Array(rows);
  }

  /** query: its term ids and weights. */
  run(terms: Int32Array, weights: Float32Array): void {
    this.reset();
    // Locals instead of fields inside the hot loop: ~30k postings per query on DebianDeps.
    const { acc, touched } = this;
    const { indptr, indices, values } = this.index;
    const nTerms = this.index.rows;
    let count = 0;
    for (let j = 0; j < terms.length; j++) {
      const t = terms[j];
      if (t >= nTerms) continue;
      const w = weights[j];
      const end = indptr[t + 1];
      for (let p = indptr[t]; p < end; p++) {
        const r = indices[p];
        const a = acc[r];
        if (a === 0) touched[count++] = r;
        acc[r] = a + w * values[p];
      }
    }
    this.count = count;
  }

  reset(): void {
    for (let i = 0; i < this.count; i++) this.acc[this.touched[i]] = 0;
    this.count = 0;
  }
}

/** Scores `queries` against the labels with the three baselines. */
export function tfidfBaselines(data: BaselineInputs, queries: string[], opts: BaselineOptions = {}): BaselineScores {
  const neighbours = opts.neighbours ?? 20;
  const topK = opts.topK ?? 100;
  const labelWeight = opts.labelWeight ?? 0.5;
  const L = data.trainY.cols;
  if (data.labelTexts.length !== L) throw new Error(`tfidfBaselines: ${data.labelTexts.length} label texts for ${L} labels`);
  if (data.trainTexts.length !== data.trainY.rows) {
    throw new Error(`tfidfBaselines: ${data.trainTexts.length} training texts for ${data.trainY.rows} label rows`);
  }

  const vec = new TfidfVectorizer().fit([...data.trainTexts, ...data.labelTexts]);
  const docIndex = transpose(vec.transform(data.trainTexts)); // (terms × train docs)
  const labelIndex = transpose(vec.transform(data.labelTexts)); // (terms × labels)
  const Q = vec.transform(queries); // (queries × terms)

  const docDots = new DotAccumulator(data.trainY.rows, docIndex);
  const labelDots = new DotAccumulator(L, labelIndex);
  const votes = new Float32Array(L); // kNN label scores of the current query
  const voted = new Int32Array(L);
  const isVoted = new Uint8Array(L);
  const nearest = new TopKHeap(neighbours);
  const top = new TopKHeap(topK);
  const out = { labelCosine: new TopKRowsBuilder(L), knn: new TopKRowsBuilder(L), fused: new TopKRowsBuilder(L) };

  for (let q = 0; q < Q.rows; q++) {
    const terms = Q.indices.subarray(Q.indptr[q], Q.indptr[q + 1]);
    const weights = Q.values.subarray(Q.indptr[q], Q.indptr[q + 1]);

    // Label cosine.
    labelDots.run(terms, weights);
    top.clear();
    for (let i = 0; i < labelDots.count; i++) top.push(labelDots.touched[i], labelDots.acc[labelDots.touched[i]]);
    const cosTop = top.sorted();
    out.labelCosine.addSorted(cosTop.indices, cosTop.values);

    // kNN: the most similar training documents vote their labels, weighted by similarity.
    docDots.run(terms, weights);
    nearest.clear();
    for (let i = 0; i < docDots.count; i++) nearest.push(docDots.touched[i], docDots.acc[docDots.touched[i]]);
    let nVoted = 0;
    for (let n = 0; n < nearest.size; n++) {
      const doc = nearest.ids[n];
      const sim = nearest.values[n];
      for (let p = data.trainY.indptr[doc]; p < data.trainY.indptr[doc + 1]; p++) {
        const l = data.trainY.indices[p];
        if (!isVoted[l]) {
          isVoted[l] = 1;
          voted[nVoted++] = l;
        }
        votes[l] += sim;
      }
    }
    top.clear();
    for (let i = 0; i < nVoted; i++) top.push(voted[i], votes[voted[i]]);
    out.knn.addRow(top);

    // Fused. A label without kNN votes scores 0.5·cosine, so among those only the label-cosine
    // top list can reach the fused top list: candidates = voted labels ∪ cosine top.
    top.clear();
    for (let i = 0; i < nVoted; i++) top.push(voted[i], votes[voted[i]] + labelWeight * labelDots.acc[voted[i]]);
    for (let i = 0; i < cosTop.indices.length; i++) {
      const l = cosTop.indices[i];
      if (!isVoted[l]) top.push(l, labelWeight * labelDots.acc[l]);
    }
    out.fused.addRow(top);

    for (let i = 0; i < nVoted; i++) {
      votes[voted[i]] = 0;
      isVoted[voted[i]] = 0;
    }
  }
  return { labelCosine: out.labelCosine.build(), knn: out.knn.build(), fused: out.fused.build() };
}
