// The sparse-matrix type of ngame-ts: compressed sparse rows (CSR). It lives on the bottom floor
// because src/model (the TF-IDF featurizer, the bag-of-embeddings encoder) produces and consumes
// it as well as src/ngame; the helpers that operate on it stay in src/ngame/data/csr.ts, which
// re-exports this type.
//
//   row r holds columns indices[indptr[r] .. indptr[r+1]) with values values[same range].

export interface CSR {
  rows: number;
  cols: number;
  /** (rows + 1) offsets into indices/values; indptr[0] = 0, indptr[rows] = nnz. */
  indptr: Int32Array;
  /** (nnz) column ids. */
  indices: Int32Array;
  /** (nnz) values; 1.0 for label matrices, scores for prediction matrices, weights for features. */
  values: Float32Array;
}
