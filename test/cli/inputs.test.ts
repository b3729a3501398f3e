// Data and input faults a new user meets through the CLI (issue 29, items 1-3 and 10): numbers
// that overflow float32, runs trained on bag-of-words feature files, blank and non-UTF-8 input
// lines, all-empty feature rows, and the number of labels a score file holds per row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../../src/model/safetensors';
import { ngame, tinyConfig, writeTinyDataset, writeTinyFeatures } from '../helpers/cli';

let dir = '';
let data = ''; // the tiny dataset
let feat = ''; // the same with bag-of-words feature files
let run = ''; // trained on `data`
let featRun = ''; // trained on `feat`'s feature files

const config = (d: string) => {
  const p = join(dir, `${d.split('/').pop()}.json`);
  writeFileSync(p, JSON.stringify({ ...tinyConfig, data: d }));
  return p;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-inputs-'));
  data = join(dir, 'data');
  mkdirSync(data);
  writeTinyDataset(data);
  feat = join(dir, 'feat');
  cpSync(data, feat, { recursive: true });
  writeTinyFeatures(feat);
  run = join(dir, 'run');
  featRun = join(dir, 'feat-run');
  const [a, b] = await Promise.all([
    ngame(['train', '--config', config(data), '--out', run, '--quiet']),
    ngame(['train', '--config', config(feat), '--out', featRun, '--quiet']),
  ]);
  expect(a.code, a.err).toBe(0);
  expect(b.code, b.err).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('numbers beyond float32 (item 1)', () => {
  it('a score of 1e39 is refused naming the file and line, not read as +Infinity', async () => {
    const file = join(dir, 'huge-scores.txt');
    writeFileSync(file, `16 16\n${'1:0.5\n'.repeat(5)}2:1e39 3:0.25\n${'\n'.repeat(10)}`);
    const m = await ngame(['metrics', file, '--data', data]);
    expect(m.code).toBe(1);
    expect(m.err).toContain(`${file}:7: value '1e39' is not finite as a float32`);
  });

  it('a feature weight of 1e39 stops train at the data check, naming the file and line, before the run directory exists', async () => {
    const bad = join(dir, 'feat-huge');
    cpSync(feat, bad, { recursive: true });
    const lines = readFileSync(join(bad, 'trn_X_Xf.txt'), 'utf8').split('\n');
    lines[4] = '0:1e39'; // row 3
    writeFileSync(join(bad, 'trn_X_Xf.txt'), lines.join('\n'));
    const out = join(dir, 'huge-run');
    const t = await ngame(['train', '--config', config(bad), '--out', out, '--quiet']);
    expect(t.code).toBe(1);
    expect(t.err).toContain(`${join(bad, 'trn_X_Xf.txt')}:5: value '1e39' is not finite as a float32`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('predict and embed input: one row per line, strict UTF-8 (items 3 and 10)', () => {
  it('a blank line keeps its row in the output and in --scores', async () => {
    const file = join(dir, 'blank-scores.txt');
    const p = await ngame(['predict', run, '-k', '2', '--json', '--scores', file], 'a compiler item\n\nthe mutex lock item\n');
    expect(p.code, p.err).toBe(0);
    const rows = p.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.text)).toEqual(['a compiler item', '', 'the mutex lock item']);
    expect(rows[1].labels).toHaveLength(2);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('3 16');
    expect(lines.slice(1, 4).map((l) => l.split(' ').length)).toEqual([2, 2, 2]);
    // A byte-order mark and CRLF ends change nothing; a blank line last keeps its row too.
    const crlf = await ngame(['predict', run, '-k', '2', '--json'], '\ufeffa compiler item\r\n\r\nthe mutex lock item\r\n\r\n');
    expect(crlf.out.trim().split('\n').map((l) => JSON.parse(l).text)).toEqual(['a compiler item', '', 'the mutex lock item', '']);
    // embed --what FILE: row i is line i too.
    const texts = join(dir, 'texts.txt');
    writeFileSync(texts, 'a compiler item\n\nthe mutex lock item\n');
    const out = join(dir, 'texts.safetensors');
    const e = await ngame(['embed', run, '--what', texts, '--out', out]);
    expect(e.code, e.err).toBe(0);
    expect(readSafetensors(out).tensors.embeddings.shape).toEqual([3, 16]);
  });

  it('invalid UTF-8 on standard input is refused naming the line, as the dataset reader refuses it', async () => {
    const bytes = Buffer.concat([Buffer.from('a compiler item\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from(' item\nok\n')]);
    const p = await ngame(['predict', run], bytes);
    expect(p.code).toBe(1);
    expect(p.err).toContain('standard input:2: invalid UTF-8');
    const file = join(dir, 'bad-utf8.txt');
    writeFileSync(file, bytes);
    const e = await ngame(['embed', run, '--what', file, '--out', join(dir, 'bad.safetensors')]);
    expect(e.code).toBe(1);
    expect(e.err).toContain(`${file}:2: invalid UTF-8`);
    expect(existsSync(join(dir, 'bad.safetensors'))).toBe(false);
  });
});

describe('eval --write-scores writes exactly K labels per row (item 10)', () => {
  it('fused scores, the union of two top-K lists, are cut to the run\'s top K, best first', async () => {
    const file = join(dir, 'fused-scores.txt');
    const e = await ngame(['eval', run, '--write-scores', file, '--json']);
    expect(e.code, e.err).toBe(0);
    const rows = readFileSync(file, 'utf8').split('\n').slice(1, -1);
    expect(rows).toHaveLength(16);
    for (const row of rows) {
      const scores = row.split(' ').map((p) => Number(p.split(':')[1]));
      expect(scores).toHaveLength(tinyConfig.topK);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
  });
});

describe('a run trained on bag-of-words feature files (items 2 and 10)', () => {
  it('embed --what labels|train|test embeds the rows the dataset provides; only new raw texts are refused', async () => {
    const model = readSafetensors(join(featRun, 'model.safetensors')).tensors.labelEmbeddings;
    for (const [what, rows] of [['labels', 16], ['train', 48], ['test', 16]] as const) {
      const out = join(dir, `feat-${what}.safetensors`);
      const e = await ngame(['embed', featRun, '--what', what, '--out', out]);
      expect(e.code, e.err).toBe(0);
      const emb = readSafetensors(out).tensors.embeddings;
      expect(emb.shape).toEqual([rows, 16]);
      // The label rows embed to the label embeddings the run saved.
      if (what === 'labels') emb.data.forEach((v, i) => expect(v).toBeCloseTo(model.data[i], 5));
    }
    const texts = join(dir, 'raw.txt');
    writeFileSync(texts, 'a compiler item\n');
    const raw = await ngame(['embed', featRun, '--what', texts, '--out', join(dir, 'raw.safetensors')]);
    expect(raw.code).toBe(1);
    expect(raw.err).toMatch(/cannot featurize new raw texts/);
  });

  it('a feature file whose rows are all empty trains with a warning naming the file, even with --quiet', async () => {
    const empty = join(dir, 'feat-empty');
    cpSync(feat, empty, { recursive: true });
    writeFileSync(join(empty, 'trn_X_Xf.txt'), `48 ${readFileSync(join(feat, 'trn_X_Xf.txt'), 'utf8').split(/[ \n]/)[1]}\n${'\n'.repeat(48)}`);
    const t = await ngame(['train', '--config', config(empty), '--m2-epochs', '0', '--out', join(dir, 'empty-run'), '--quiet']);
    expect(t.code, t.err).toBe(0);
    expect(t.err).toContain(`warning: ${join(empty, 'trn_X_Xf.txt')}: every one of its 48 rows is empty`);
    const plain = await ngame(['train', '--config', config(feat), '--m2-epochs', '0', '--out', join(dir, 'plain-run'), '--quiet']);
    expect(plain.err).toBe('');
  });
});
