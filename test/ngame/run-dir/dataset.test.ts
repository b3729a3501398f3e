// The dataset record of a run directory (src/ngame/run-dir/dataset.ts): a copy of the dataset
// anywhere passes, another dataset is refused naming what differs, and runs written before the
// record fall back to what they have (the label texts' sum, the model's label count).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset, type Dataset } from '../../../src/ngame/data';
import { checkRunDataset, datasetRecord, prepareRunDir, readManifest } from '../../../src/ngame/run-dir';
import { writeTinyDataset } from '../../helpers/cli';

const root = mkdtempSync(join(tmpdir(), 'ngame-dsrec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let data: Dataset;

/** A copy of the tiny dataset with `change` applied to its files. */
async function variant(name: string, change: (dir: string) => void): Promise<Dataset> {
  const dir = join(root, name);
  cpSync(data.dir, dir, { recursive: true });
  change(dir);
  return loadDataset(dir);
}
const edit = (file: string, f: (text: string) => string) => writeFileSync(file, f(readFileSync(file, 'utf8')));

beforeAll(async () => {
  mkdirSync(join(root, 'data'));
  writeTinyDataset(join(root, 'data'));
  data = await loadDataset(join(root, 'data'));
});

describe('datasetRecord and checkRunDataset', () => {
  it('records counts and sums; the label sum is that of labels.jsonl; a copy elsewhere passes', async () => {
    const run = join(root, 'run');
    prepareRunDir(run, {}, data.labelTexts, datasetRecord(data));
    const m = readManifest(run)!;
    expect(m.dataset).toMatchObject({ name: 'data', train: 48, test: 16, labels: 16 });
    expect(m.dataset!.labelTexts).toBe(createHash('sha256').update(readFileSync(join(run, 'labels.jsonl'))).digest('hex'));
    expect(m.dataset!.labelTexts).toBe(m.files['labels.jsonl'].sha256);
    const copy = await variant('copy', () => {});
    expect(datasetRecord(copy)).toEqual({ ...datasetRecord(data), name: 'copy' });
    expect(() => checkRunDataset(run, copy, { training: true })).not.toThrow();

    const relabelled = await variant('relabelled', (d) => edit(join(d, 'Y.txt'), (t) => t.replace('compiler parser', 'compiler linker')));
    expect(() => checkRunDataset(run, relabelled)).toThrow(`${relabelled.dir} is not the dataset ${run} was trained on: its 16 label texts differ from the run's (sha256) (${join(run, 'manifest.json')})`);
    // Other training rows: fine for eval (the labels are the run's), refused for a resume.
    const retrained = await variant('retrained', (d) => edit(join(d, 'trn_X_Y.txt'), (t) => t.replace('\n0:1.0\n', '\n0:1.0 1:1.0\n')));
    expect(() => checkRunDataset(run, retrained)).not.toThrow();
    expect(() => checkRunDataset(run, retrained, { training: true })).toThrow(/its 48 training documents or their labels differ from the run's/);
    const fewer = await variant('fewer', (d) => {
      edit(join(d, 'tst_X.txt'), (t) => t.split('\n').slice(1).join('\n'));
      edit(join(d, 'tst_X_Y.txt'), (t) => t.replace(/^16 /, '15 ').replace(/\n[^\n]*/, ''));
    });
    expect(() => checkRunDataset(run, fewer, { training: true })).toThrow(/it has 15 test documents, the run 16/);
  });

  it('a run without the record: the label texts of labels.jsonl, else the model\'s label count', async () => {
    const old = join(root, 'old');
    prepareRunDir(old, {}, data.labelTexts); // as before the record existed
    expect(readManifest(old)!.dataset).toBeUndefined();
    expect(() => checkRunDataset(old, data, { training: true })).not.toThrow();
    const relabelled = await variant('relabelled-2', (d) => edit(join(d, 'Y.txt'), (t) => t.replace('compiler parser', 'compiler linker')));
    expect(() => checkRunDataset(old, relabelled)).toThrow(/its 16 label texts differ from the run's \(.*old.labels\.jsonl\)/);
    const bare = join(root, 'bare'); // no manifest at all
    mkdirSync(bare);
    expect(() => checkRunDataset(bare, data, { labelRows: 16 })).not.toThrow();
    expect(() => checkRunDataset(bare, data, { labelRows: 8073 })).toThrow(`it has 16 labels, the run 8073 (${join(bare, 'model.safetensors')})`);
  });
});
