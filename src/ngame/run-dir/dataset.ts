// The dataset a run was trained on, recorded in its manifest.json when the run claims its
// directory: the counts, and sha256 sums of the label texts and of the training data. Every
// command that reads a run's dataset (eval, embed, predict, metrics --run, train --resume) takes
// --data and checks the dataset by this content, not by its path, before any work: a dataset
// moved or copied elsewhere is accepted, another one is refused naming the run and the dataset
// (eval used to encode the test set for 22 s before failing on the label count).
// Runs written before the record existed are checked on what they have: the label texts' sum in
// the manifest (labels.jsonl), else the label count of their model.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, type Dataset } from '../data';
import type { RunConfig } from '../run-config';
import { readManifest } from './files';
import { LABELS_FILE, MANIFEST } from './layout';

export interface DatasetRecord {
  /** The directory's name when the run was trained (informative only: datasets move). */
  name: string;
  train: number;
  test: number;
  labels: number;
  /** sha256 of the label texts, one JSON string per line: the bytes of labels.jsonl. */
  labelTexts: string;
  /** sha256 of what M1 and M2 train on: the training texts and their label rows. */
  training: string;
}

const bytes = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The record of `data` (the whole dataset, before any validation split). */
export function datasetRecord(data: Dataset): DatasetRecord {
  const labels = createHash('sha256');
  for (const t of data.labelTexts) labels.update(JSON.stringify(t) + '\n');
  const training = createHash('sha256');
  for (const t of data.trainTexts) training.update(JSON.stringify(t) + '\n');
  training.update(bytes(data.trainY.indptr)).update(bytes(data.trainY.indices));
  return {
    name: data.name, train: data.trainTexts.length, test: data.testTexts.length, labels: data.labelTexts.length,
    labelTexts: labels.digest('hex'), training: training.digest('hex'),
  };
}

export interface DatasetCheck {
  /** Also the training data (train --resume): counts and sum; otherwise the labels alone. */
  training?: boolean;
  /** The run's label count from its model, for runs that recorded nothing else. */
  labelRows?: number;
}

/** Throws, naming `data` and the run `dir`, unless `data` is the dataset the run was trained on. */
export function checkRunDataset(dir: string, data: Dataset, opts: DatasetCheck = {}): void {
  const manifest = readManifest(dir);
  const rec = manifest?.dataset;
  const now = datasetRecord(data);
  const refuse = (why: string, source: string) => {
    throw new Error(`${data.dir} is not the dataset ${dir} was trained on: ${why} (${source}); pass --data with the run's dataset`);
  };
  const m = join(dir, MANIFEST);
  if (rec) {
    const count = (k: 'labels' | 'train' | 'test', what: string) => {
      if (rec[k] !== now[k]) refuse(`it has ${now[k]} ${what}, the run ${rec[k]}`, m);
    };
    count('labels', 'labels');
    if (rec.labelTexts !== now.labelTexts) refuse(`its ${now.labels} label texts differ from the run's (sha256)`, m);
    if (!opts.training) return;
    count('train', 'training documents');
    count('test', 'test documents');
    if (rec.training !== now.training) refuse(`its ${now.train} training documents or their labels differ from the run's (sha256)`, m);
    return;
  }
  if (opts.labelRows !== undefined && opts.labelRows !== now.labels) refuse(`it has ${now.labels} labels, the run ${opts.labelRows}`, join(dir, 'model.safetensors'));
  const labels = manifest?.files[LABELS_FILE];
  if (labels && labels.sha256 !== now.labelTexts) refuse(`its ${now.labels} label texts differ from the run's`, join(dir, LABELS_FILE));
}

/**
 * The run's dataset: `dataDir` (--data) when given, else where the run was trained
 * (config.json), in the run's text variant; checked against the run's record before it is used.
 */
export async function loadRunDataset(dir: string, cfg: RunConfig, dataDir?: string, opts: DatasetCheck = {}): Promise<Dataset> {
  if (dataDir === undefined && cfg.data !== null && !existsSync(cfg.data)) {
    throw new Error(`${dir} was trained on ${cfg.data}, which does not exist (any more): pass --data with the dataset's directory`);
  }
  const data = await loadDataset(dataDir ?? cfg.data ?? undefined, { text: cfg.text });
  checkRunDataset(dir, data, opts);
  return data;
}
