// Score files in the Extreme Classification Repository's sparse format, the format in which
// pyxclib and the XC models (the official NGAME code, LightXML, ...) exchange predictions:
//
//   num_rows num_labels
//   label:score label:score ...     ← one line per document, 0-based label ids; empty line = no prediction
//
// the format of trn_X_Y.txt (src/ngame/data/sparse-file.ts reads and writes it). Scores are
// written as the shortest decimal that reads back as the same float32, so a file written here
// and read back gives bit-identical metrics. Rows are written best first (score descending,
// ties to the lower label id: the order the metrics rank in); readers may list them in any order.
import type { CSR, Dataset } from './data';
import { readSparseMatrix, writeSparseMatrix } from './data';
import { computeMetrics, type Metrics } from './metrics';
import { compareRanked } from '../util/topk';

/**
 * Writes `scores` (documents × labels) atomically, each row best first (the one top-k order) and,
 * with `k`, cut to its k best (fused scores hold the union of two top-K lists: up to 2K per row);
 * .gz / .br compress.
 */
export function writeScores(path: string, scores: CSR, k = Infinity): void {
  const indptr = new Int32Array(scores.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < scores.rows; r++) {
    const a = scores.indptr[r];
    const order = Array.from({ length: scores.indptr[r + 1] - a }, (_, j) => a + j);
    order.sort((x, y) => compareRanked(scores.values[x], scores.indices[x], scores.values[y], scores.indices[y]));
    for (const src of order.slice(0, k)) {
      indices.push(scores.indices[src]);
      values.push(scores.values[src]);
    }
    indptr[r + 1] = indices.length;
  }
  writeSparseMatrix(path, { rows: scores.rows, cols: scores.cols, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) });
}

/**
 * Reads a score file; with `expect`, its header must give that many rows (documents) and
 * columns (labels). Malformed lines are errors naming the file and line (NaN or infinite scores,
 * a label listed twice in a row, a label id >= num_labels, a truncated file).
 */
export async function readScores(path: string, expect?: { rows: number; cols: number; what: string }): Promise<CSR> {
  const m = await readSparseMatrix(path);
  if (expect && (m.rows !== expect.rows || m.cols !== expect.cols)) {
    throw new Error(`${path}:1: the header gives ${m.rows} rows × ${m.cols} labels, but ${expect.what} has ${expect.rows} documents × ${expect.cols} labels`);
  }
  return m;
}

export interface ScoreMetricOptions {
  K?: number;
  A?: number;
  B?: number;
}

/**
 * The test metrics of a score matrix on `data`, computed as `ngame eval` computes them: the
 * test filter pairs removed from the predictions before ranking, inverse propensities from
 * `data`'s training labels.
 */
export function scoreMetrics(scores: CSR, data: Dataset, opts: ScoreMetricOptions = {}): Metrics {
  return computeMetrics(scores, data.testY, { filter: data.filterTest, trainY: data.trainY, K: opts.K ?? 5, A: opts.A, B: opts.B });
}
