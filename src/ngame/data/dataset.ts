// A multi-label dataset with label text (an "LF" dataset) and its loader.
//
// A dataset directory holds, plain or compressed (.gz / .br per file), either
//   XC text format:  trn_X.txt tst_X.txt Y.txt (+ .long.txt variants), trn_X_Y.txt tst_X_Y.txt,
//                    filter_labels_train.txt filter_labels_test.txt (optional)
//   or LF JSON-lines: trn.json.gz tst.json.gz lbl.json.gz (title = short, content = long text),
//                    with the same optional filter files.
// Either layout may add the repository's bag-of-words feature files trn_X_Xf.txt tst_X_Xf.txt
// lbl_X_Xf.txt (or Y_Xf.txt), read into Dataset.features (bow-features.ts).
import { basename, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { CSR, Pairs } from './csr';
import { findDataFile } from './lines';
import { readSparseMatrix } from './sparse-file';
import { readFilterPairs, readTexts } from './text-file';
import { readLfJson, targetsToCSR } from './json-lines';
import { readBowFeatures, type BowFeatures } from './bow-features';
import { DEFAULT_DATASET_DIR, DEFAULT_DATASET_HAS_LONG_TEXT, DEFAULT_DATASET_NAME } from '../default-dataset';

export type TextKind = 'short' | 'long';

export interface Dataset {
  name: string;
  /** Directory it was loaded from. */
  dir: string;
  text: TextKind;
  trainTexts: string[];
  testTexts: string[];
  labelTexts: string[];
  /** (train docs × labels), values 1. */
  trainY: CSR;
  /** (test docs × labels), values 1. */
  testY: CSR;
  /** (train doc, label) pairs to drop from train-set predictions (document = label object). */
  filterTrain: Pairs;
  /** (test doc, label) pairs to drop from test-set predictions before computing metrics. */
  filterTest: Pairs;
  /**
   * The XC repository's bag-of-words features when the directory has the three feature files
   * (rows L2-normalised, one row per train doc / test doc / label); undefined otherwise. When
   * present they replace the computed TF-IDF as the bag-of-embeddings encoder's input.
   */
  features?: BowFeatures;
}

export interface LoadOptions {
  text?: TextKind;
  /** Read the bag-of-words feature files when present (default true); false leaves features undefined. */
  features?: boolean;
}

const NO_PAIRS = (): Pairs => ({ row: new Int32Array(0), col: new Int32Array(0) });

/** Loads a dataset directory, or the embedded FOLDOC-XRef-8K when `dir` is undefined. */
export async function loadDataset(dir?: string, opts: LoadOptions = {}): Promise<Dataset> {
  const text = opts.text ?? 'short';
  if (text !== 'short' && text !== 'long') throw new Error(`loadDataset: text must be 'short' or 'long', got '${text}'`);
  const embedded = dir === undefined;
  const root = resolve(dir ?? DEFAULT_DATASET_DIR);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`loadDataset: ${root} is not a directory`);
  if (embedded && text === 'long' && !DEFAULT_DATASET_HAS_LONG_TEXT) {
    throw new Error(
      'loadDataset: the embedded FOLDOC-XRef-8K holds short texts only; for long texts unpack the full dataset ' +
        '(see docs/data.md) and pass its directory',
    );
  }
  const name = embedded ? DEFAULT_DATASET_NAME : basename(root);

  const xcMatrix = findDataFile(root, 'trn_X_Y.txt');
  const parts = xcMatrix ? await loadXcText(root, text) : await loadLfJsonDir(root, text);
  const filterTrain = await optionalFilter(root, 'filter_labels_train.txt', parts.trainY);
  const filterTest = await optionalFilter(root, 'filter_labels_test.txt', parts.testY);
  const features =
    opts.features === false
      ? undefined
      : await readBowFeatures(root, { train: parts.trainTexts.length, test: parts.testTexts.length, labels: parts.labelTexts.length });
  // Without feature files the key stays absent, so such a Dataset looks exactly as before.
  return { name, dir: root, text, ...parts, filterTrain, filterTest, ...(features ? { features } : {}) };
}

type Parts = Pick<Dataset, 'trainTexts' | 'testTexts' | 'labelTexts' | 'trainY' | 'testY'>;

function need(dir: string, name: string): string {
  const p = findDataFile(dir, name);
  if (!p) throw new Error(`loadDataset: ${dir} has no ${name} (nor ${name}.gz / ${name}.br)`);
  return p;
}

async function loadXcText(dir: string, text: TextKind): Promise<Parts> {
  const suffix = text === 'long' ? '.long.txt' : '.txt';
  const [trainY, testY] = await Promise.all([readSparseMatrix(need(dir, 'trn_X_Y.txt')), readSparseMatrix(need(dir, 'tst_X_Y.txt'))]);
  if (trainY.cols !== testY.cols) {
    throw new Error(`loadDataset: trn_X_Y.txt has ${trainY.cols} labels but tst_X_Y.txt has ${testY.cols}`);
  }
  const [trainTexts, testTexts, labelTexts] = await Promise.all([
    readTexts(need(dir, `trn_X${suffix}`), { count: trainY.rows, what: 'the row count of trn_X_Y.txt' }),
    readTexts(need(dir, `tst_X${suffix}`), { count: testY.rows, what: 'the row count of tst_X_Y.txt' }),
    readTexts(need(dir, `Y${suffix}`), { count: trainY.cols, what: 'the label count of trn_X_Y.txt' }),
  ]);
  return { trainTexts, testTexts, labelTexts, trainY, testY };
}

async function loadLfJsonDir(dir: string, text: TextKind): Promise<Parts> {
  const trnPath = findDataFile(dir, 'trn.json');
  if (!trnPath) {
    throw new Error(`loadDataset: ${dir} holds neither trn_X_Y.txt (XC text format) nor trn.json.gz (LF JSON-lines)`);
  }
  const [trn, tst, lbl] = await Promise.all([
    readLfJson(trnPath, true),
    readLfJson(need(dir, 'tst.json'), true),
    readLfJson(need(dir, 'lbl.json'), false),
  ]);
  const L = lbl.titles.length;
  const pick = (r: { titles: string[]; contents: string[] }) => (text === 'long' ? r.contents : r.titles);
  return {
    trainTexts: pick(trn),
    testTexts: pick(tst),
    labelTexts: pick(lbl),
    trainY: targetsToCSR(trnPath, trn.targets, L),
    testY: targetsToCSR(need(dir, 'tst.json'), tst.targets, L),
  };
}

async function optionalFilter(dir: string, name: string, y: CSR): Promise<Pairs> {
  const p = findDataFile(dir, name);
  return p ? readFilterPairs(p, { rows: y.rows, cols: y.cols }) : NO_PAIRS();
}
