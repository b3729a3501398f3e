// Dataset statistics: the counts of a dataset table plus the long-tail figures that explain why
// extreme classification is hard (labels with few or no training documents).
import { columnCounts, nnz } from './csr';
import type { Dataset } from './dataset';

export interface DatasetStats {
  name: string;
  trainDocs: number;
  testDocs: number;
  labels: number;
  trainPositives: number;
  testPositives: number;
  /** Mean labels per training document. */
  labelsPerDoc: number;
  /** Mean training documents per label, over labels with at least one (the XC repository's convention). */
  docsPerLabel: number;
  /** Training-frequency quantiles of all labels: [q, value] for q = 0, .25, .5, .75, .9, .99, 1. */
  labelFreqQuantiles: [number, number][];
  /** Labels with 1..5 training documents. */
  labelsWith1to5: number;
  /** Labels with no training document. */
  labelsWithoutTrainDocs: number;
  /** Share of test positives (document, label) whose label has no training document. */
  testPositivesOnUnseenLabels: number;
  filterTrainPairs: number;
  filterTestPairs: number;
}

const QUANTILES = [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1];

export function datasetStats(ds: Dataset): DatasetStats {
  const freq = columnCounts(ds.trainY); // (labels) training documents per label
  const sorted = Int32Array.from(freq).sort();
  const L = freq.length;
  let used = 0;
  let with1to5 = 0;
  for (const f of freq) {
    if (f > 0) used++;
    if (f >= 1 && f <= 5) with1to5++;
  }
  let unseenPos = 0;
  const testNnz = nnz(ds.testY);
  for (let i = 0; i < testNnz; i++) if (freq[ds.testY.indices[i]] === 0) unseenPos++;
  const trainNnz = nnz(ds.trainY);
  return {
    name: ds.name,
    trainDocs: ds.trainY.rows,
    testDocs: ds.testY.rows,
    labels: L,
    trainPositives: trainNnz,
    testPositives: testNnz,
    labelsPerDoc: ds.trainY.rows ? trainNnz / ds.trainY.rows : 0,
    docsPerLabel: used ? trainNnz / used : 0,
    // Nearest-rank quantile: the value at position floor(q·(L−1)) of the sorted frequencies.
    labelFreqQuantiles: QUANTILES.map((q) => [q, L ? sorted[Math.floor(q * (L - 1))] : 0]),
    labelsWith1to5: with1to5,
    labelsWithoutTrainDocs: L - used,
    testPositivesOnUnseenLabels: testNnz ? unseenPos / testNnz : 0,
    filterTrainPairs: ds.filterTrain.row.length,
    filterTestPairs: ds.filterTest.row.length,
  };
}

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A readable two-column table of the statistics. */
export function formatStats(s: DatasetStats): string {
  const rows: [string, string][] = [
    ['dataset', s.name],
    ['train docs', int(s.trainDocs)],
    ['test docs', int(s.testDocs)],
    ['labels', int(s.labels)],
    ['train positives', int(s.trainPositives)],
    ['test positives', int(s.testPositives)],
    ['labels / train doc', s.labelsPerDoc.toFixed(2)],
    ['train docs / label', `${s.docsPerLabel.toFixed(2)} (labels with ≥1 train doc)`],
    ['label frequency quantiles', s.labelFreqQuantiles.map(([q, v]) => `q${Math.round(q * 100)}=${v}`).join(' ')],
    ['labels with 1-5 train docs', `${int(s.labelsWith1to5)} (${pct(s.labels ? s.labelsWith1to5 / s.labels : 0)})`],
    ['labels without train docs', `${int(s.labelsWithoutTrainDocs)} (${pct(s.labels ? s.labelsWithoutTrainDocs / s.labels : 0)})`],
    ['test positives on such labels', pct(s.testPositivesOnUnseenLabels)],
    ['filter pairs train / test', `${int(s.filterTrainPairs)} / ${int(s.filterTestPairs)}`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
