// Score files in the XC repository's sparse format (eval --write-scores, predict --scores,
// ngame metrics), label texts stored in the run, and the smaller CLI faults of issue 17: CRLF
// texts, `data --help`, negative flag values, a config with a byte-order mark, embed on empty
// input, usage errors exiting 2 whatever the command.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFloat32, loadDataset } from '../../src/ngame/data';
import { readScores, scoreMetrics } from '../../src/ngame/scores-file';
import { ngame, tinyConfig, writeTinyDataset } from '../helpers/cli';

let dir = '';
let cfg = '';
let run = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-scores-'));
  mkdirSync(join(dir, 'data'));
  writeTinyDataset(join(dir, 'data'));
  cfg = join(dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify({ ...tinyConfig, data: join(dir, 'data') }));
  run = join(dir, 'run');
  const t = await ngame(['train', '--config', cfg, '--out', run, '--quiet']);
  expect(t.code, t.err).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('score files', () => {
  it('eval --write-scores, then ngame metrics on the file: the same metrics as eval, with the dataset filters', async () => {
    // The same dataset with filter pairs: the true labels of test documents 0-3 (so P@k drops).
    const filtered = join(dir, 'data-filter');
    cpSync(join(dir, 'data'), filtered, { recursive: true });
    const tst = readFileSync(join(filtered, 'tst_X_Y.txt'), 'utf8').split('\n').slice(1, 5);
    writeFileSync(join(filtered, 'filter_labels_test.txt'), tst.flatMap((row, i) => row.split(' ').map((p) => `${i} ${p.split(':')[0]}\n`)).join(''));
    writeFileSync(join(filtered, 'filter_labels_train.txt'), '');

    for (const data of [join(dir, 'data'), filtered]) {
      const file = join(dir, 'scores.txt');
      const e = await ngame(['eval', run, '--data', data, '--device', 'cpu', '--json', '--write-scores', file]);
      expect(e.code, e.err).toBe(0);
      const rows = JSON.parse(e.out);
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(lines[0]).toBe('16 16');
      expect(lines[1].split(' ')).toHaveLength(10); // topK 10 labels per document: label:score, best first
      expect(lines[1]).toMatch(/^(\d+:-?[\d.e-]+ ?)+$/);
      const m = await ngame(['metrics', file, '--data', data, '--json']);
      expect(m.code, m.err).toBe(0);
      expect(JSON.parse(m.out).metrics).toEqual(rows[2].metrics); // fused, bit for bit
      // --scores-of m1, read back in-process.
      expect((await ngame(['eval', run, '--data', data, '--device', 'cpu', '--write-scores', file, '--scores-of', 'm1'])).code).toBe(0);
      const ds = await loadDataset(data);
      expect(scoreMetrics(await readScores(file, { rows: 16, cols: 16, what: 'test' }), ds)).toEqual(rows[0].metrics);
    }
    const plain = JSON.parse((await ngame(['metrics', join(dir, 'scores.txt'), '--run', run, '--json'])).out).metrics;
    const withFilter = JSON.parse((await ngame(['metrics', join(dir, 'scores.txt'), '--data', filtered, '--json'])).out).metrics;
    expect(withFilter.P[4]).toBeLessThan(plain.P[4]);

    const wrong = join(dir, 'wrong.txt');
    writeFileSync(wrong, '3 16\n1:0.5\n\n2:nan\n');
    const w = await ngame(['metrics', wrong, '--run', run]);
    expect(w.code).toBe(1);
    expect(w.err).toMatch(/wrong\.txt:4: value 'nan' is not a number/);
    writeFileSync(wrong, '3 16\n1:0.5\n\n2:1\n');
    expect((await ngame(['metrics', wrong, '--run', run])).err).toMatch(/wrong\.txt:1: the header gives 3 rows × 16 labels, but the test set of data has 16 documents × 16 labels/);
  });

  it('predict --scores writes the k best labels of each text', async () => {
    const file = join(dir, 'pred.txt');
    const p = await ngame(['predict', run, '-k', '3', '--device', 'cpu', '--json', '--scores', file], 'a compiler and parser item\nthe mutex lock item\n');
    expect(p.code, p.err).toBe(0);
    const preds = p.out.trim().split('\n').map((l) => JSON.parse(l));
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('2 16');
    expect(lines[1]).toBe(preds[0].labels.map((l: { id: number; score: number }) => `${l.id}:${formatFloat32(l.score)}`).join(' '));
  });
});

describe('runs keep their label texts; texts and flags as users type them', () => {
  it('a run trained on CRLF files predicts without its dataset, with no \\r in any text', async () => {
    const crlf = join(dir, 'data-crlf');
    cpSync(join(dir, 'data'), crlf, { recursive: true });
    for (const f of ['trn_X.txt', 'tst_X.txt', 'Y.txt', 'trn_X_Y.txt', 'tst_X_Y.txt']) writeFileSync(join(crlf, f), readFileSync(join(crlf, f), 'utf8').replace(/\n/g, '\r\n'));
    const r = join(dir, 'run-crlf');
    expect((await ngame(['train', '--config', cfg, '--data', crlf, '--m2-epochs', '0', '--out', r, '--quiet'])).code).toBe(0);
    // Move the run, remove the dataset: predict and embed --what labels still work.
    const moved = join(dir, 'moved-run');
    renameSync(r, moved);
    rmSync(crlf, { recursive: true });
    const p = await ngame(['predict', moved, '-k', '2', '--json', '--device', 'cpu'], 'a compiler and parser item\r\nthe mutex lock item\r\n');
    expect(p.code, p.err).toBe(0);
    const preds = p.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(preds.map((x) => x.text)).toEqual(['a compiler and parser item', 'the mutex lock item']);
    const labels = readFileSync(join(dir, 'data', 'Y.txt'), 'utf8').trim().split('\n');
    for (const x of preds) for (const l of x.labels) expect(l.text).toBe(labels[l.id]);
    expect((await ngame(['embed', moved, '--what', 'labels', '--out', join(dir, 'l.safetensors'), '--device', 'cpu'])).code).toBe(0);
  });

  it('data --help, -k=-1, --epochs -1, a config with a byte-order mark, embed on empty input', async () => {
    const h = await ngame(['data', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/ngame data stats/);
    expect((await ngame(['data'])).code).toBe(2);
    const k = await ngame(['predict', run, '-k=-1'], 'a compiler item\n');
    expect(k.code).toBe(2);
    expect(k.err).toMatch(/-k must be a positive integer, got "-1"/);
    expect((await ngame(['predict', run, '-k=2', '--device', 'cpu'], 'a compiler item\n')).code).toBe(0);
    const e = await ngame(['train', '--epochs', '-1', '--out', join(dir, 'neg')]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/--epochs: m1\.epochs must be a positive integer, got -1/);
    const bom = join(dir, 'bom.json');
    writeFileSync(bom, '\uFEFF' + JSON.stringify({ ...tinyConfig, m1: { ...tinyConfig.m1, epochs: 0 } }));
    const b = await ngame(['train', '--config', bom, '--out', join(dir, 'bom-run')]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/bom\.json: m1\.epochs must be a positive integer, got 0/); // parsed, then validated
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '\n \n');
    const em = await ngame(['embed', run, '--what', empty, '--out', join(dir, 'e.safetensors')]);
    expect(em.code).toBe(2);
    expect(em.err).toMatch(/--what: no input texts in .*empty\.txt/);
    expect((await ngame(['predict', run], '')).err).toMatch(/no input texts in standard input/);
  });

  it('usage errors exit 2 whatever the command: bad values, missing paths, --resume with nothing to resume', async () => {
    const none = join(dir, 'does-not-exist');
    const cases: [string[], RegExp][] = [
      [['eval', none], /RUN_DIR .*does-not-exist is not a directory: it does not exist/],
      [['report', none], /RUN_DIR .*does-not-exist is not a directory/],
      [['data', 'stats', none], /DIR .*does-not-exist is not a directory/],
      [['metrics', none], /SCORES .*does-not-exist is not a file/],
      [['metrics'], /expected exactly one SCORES file/],
      [['train', '--data', none], /--data .*does-not-exist is not a directory/],
      [['train', '--pretrained', none], /--pretrained .*does-not-exist is not a directory/],
      [['train', '--config', cfg, '--resume', '--out', join(dir, 'fresh')], /--resume: no checkpoint in/],
      [['predict', run, '--device', 'magic'], /--device must be auto, cpu or webgpu, got "magic"/],
      [['eval', run, '--scores-of', 'm1'], /--scores-of needs --write-scores FILE/],
      [['train', '--config', cfg, '--loss', 'bce-own', '--sampler', 'ngame', '--out', join(dir, 'fresh')], /m1\.loss bce-own needs a sampler that draws negatives per document .*not "ngame"/],
      [['train', '--config', cfg, '--loss', 'hinge', '--out', join(dir, 'fresh')], /m1\.loss must be auto, triplet, infonce or bce-own, got "hinge"/],
    ];
    for (const [args, msg] of cases) {
      const r = await ngame(args, 'a text\n');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(msg);
    }
  });
});
