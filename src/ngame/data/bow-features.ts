// Bag-of-words feature files of the Extreme Classification Repository, beside a dataset's texts:
//
//   trn_X_Xf.txt   (train docs × features)
//   tst_X_Xf.txt   (test docs × features)
//   lbl_X_Xf.txt   (labels × features)     — also accepted under the name Y_Xf.txt
//
// Same sparse format as trn_X_Y.txt (header `num_rows num_cols`, one `col:value ...` line per
// row; plain, .gz or .br), values are the repository's precomputed TF-IDF weights. When present
// they replace the computed TF-IDF as the bag-of-embeddings encoder's input. Rows come out
// L2-normalised (the repository's files are not always), as the computed TF-IDF rows are.
// The three files belong together: one or two of them alone is an error, since a half-copied
// set would otherwise silently fall back to computed TF-IDF.
import type { CSR } from './csr';
import { l2NormalizeRows } from './csr';
import { DataFormatError, findDataFile } from './lines';
import { readSparseMatrix } from './sparse-file';

export interface BowFeatures {
  /** (train docs × features), rows L2-normalised; row i belongs to trainTexts[i]. */
  train: CSR;
  /** (test docs × features), rows L2-normalised. */
  test: CSR;
  /** (labels × features), rows L2-normalised; row l belongs to labelTexts[l]. */
  labels: CSR;
  /** The paths the three matrices were read from (after a validation split, train's rows are a subset). */
  files: { train: string; test: string; labels: string };
}

/** File names, in the order they are looked for (the first label name wins over the second). */
export const BOW_FEATURE_FILES = {
  train: 'trn_X_Xf.txt',
  test: 'tst_X_Xf.txt',
  labels: ['lbl_X_Xf.txt', 'Y_Xf.txt'] as readonly string[],
} as const;

/** The three feature files of `dir`, or null when it has none; an incomplete set is an error. */
export function findBowFeatureFiles(dir: string): BowFeatures['files'] | null {
  const train = findDataFile(dir, BOW_FEATURE_FILES.train);
  const test = findDataFile(dir, BOW_FEATURE_FILES.test);
  const labelHits = BOW_FEATURE_FILES.labels.map((n) => findDataFile(dir, n)).filter((p): p is string => p !== null);
  if (labelHits.length > 1) {
    throw new Error(`loadDataset: ${dir} holds both ${labelHits.join(' and ')}; keep one label-features file`);
  }
  const labels = labelHits[0] ?? null;
  if (!train && !test && !labels) return null;
  if (!train || !test || !labels) {
    const missing = [!train && BOW_FEATURE_FILES.train, !test && BOW_FEATURE_FILES.test, !labels && BOW_FEATURE_FILES.labels.join(' or ')].filter(Boolean);
    throw new Error(
      `loadDataset: ${dir} holds some bag-of-words feature files but not ${missing.join(', ')}; ` +
        'add the missing ones or remove the others (all three are needed, or none)',
    );
  }
  return { train, test, labels };
}

/** Rows each feature matrix must have: the dataset's number of texts per split. */
export interface BowRowCounts {
  train: number;
  test: number;
  labels: number;
}

const SPLIT_WORDS: Record<keyof BowRowCounts, string> = { train: 'training documents', test: 'test documents', labels: 'labels' };

/**
 * Reads the feature files of `dir` when it has them (undefined when it has none) and checks them
 * against the dataset: row counts equal to `counts`, one column count for all three. Column ids
 * beyond the header's num_cols are caught by readSparseMatrix. Every error names file and line
 * (line 1, the header, for count mismatches).
 */
export async function readBowFeatures(dir: string, counts: BowRowCounts): Promise<BowFeatures | undefined> {
  const files = findBowFeatureFiles(dir);
  if (!files) return undefined;
  const [train, test, labels] = await Promise.all([readSparseMatrix(files.train), readSparseMatrix(files.test), readSparseMatrix(files.labels)]);
  const mats = { train, test, labels };
  for (const k of ['train', 'test', 'labels'] as const) {
    if (mats[k].rows !== counts[k]) {
      throw new DataFormatError(files[k], 1, `header declares ${mats[k].rows} rows but the dataset has ${counts[k]} ${SPLIT_WORDS[k]}`);
    }
  }
  for (const k of ['test', 'labels'] as const) {
    if (mats[k].cols !== train.cols) {
      throw new DataFormatError(files[k], 1, `header declares ${mats[k].cols} feature columns but ${files.train} declares ${train.cols}; the three feature files must share one feature space`);
    }
  }
  return { train: l2NormalizeRows(train), test: l2NormalizeRows(test), labels: l2NormalizeRows(labels), files };
}

/**
 * Warnings for feature files whose every row is empty (or all zeros): a model trained on them
 * gets no input for those texts, which trains without an error but learns nothing from them.
 */
export function emptyFeatureFiles(f: BowFeatures): string[] {
  const out: string[] = [];
  for (const k of ['train', 'test', 'labels'] as const) {
    const m = f[k];
    if (m.rows > 0 && m.values.every((v) => v === 0)) {
      out.push(`${f.files[k]}: every one of its ${m.rows} rows is empty: the bag encoder gets no input for the ${SPLIT_WORDS[k]} (check the file, or train on the texts with features.source "text")`);
    }
  }
  return out;
}
