// The CLI faults that lost a user's work (issue 17): a signal that left training running, a
// failed or repeated `train` that destroyed the run in its --out, model and bank files that were
// read unchecked, and a --pretrained directory whose config.json was believed before its weights.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/model/checkpoint-io';
import { Encoder } from '../../src/model/encoder';
import { exportPretrained } from '../../src/model/pretrained';
import { encodeSafetensors, readSafetensors } from '../../src/model/safetensors';
import { Tokenizer } from '../../src/model/tokenizer';
import { writeRunFile } from '../../src/ngame/run-dir';
import { CpuBackend } from '../../src/tensor';
import { ngame, runLog, snapshot, start, tinyConfig, writeTinyDataset } from '../helpers/cli';

let dir = '';
let cfg = '';
let base = ''; // a finished run, copied by the tests that damage one

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-safety-'));
  mkdirSync(join(dir, 'data'));
  writeTinyDataset(join(dir, 'data'));
  cfg = join(dir, 'tiny.json');
  writeFileSync(cfg, JSON.stringify({ ...tinyConfig, data: join(dir, 'data') }));
  base = join(dir, 'base');
  const t = await ngame(['train', '--config', cfg, '--out', base, '--quiet']);
  expect(t.code, t.err).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const copyRun = (name: string) => {
  const to = join(dir, name);
  cpSync(base, to, { recursive: true });
  return to;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('signals stop a training at a safe point, and nothing keeps running', () => {
  for (const [signal, code, mode] of [['SIGINT', 130, 'in-process'], ['SIGTERM', 143, 'child process']] as const) {
    it(`${signal} (launcher running the CLI ${mode}): exit ${code}, the last checkpoint intact, --resume continues`, async () => {
      const run = join(dir, `sig-${signal}`);
      const { child, done } = start(['train', '--config', cfg, '--epochs', '100000', '--m2-epochs', '0', '--out', run, '--quiet'], { env: mode === 'child process' ? { NGAME_CHILD_PROCESS: '1' } : {} });
      for (let i = 0; i < 600 && !existsSync(join(run, 'checkpoint', 'latest.json')); i++) await sleep(50);
      await sleep(300);
      child.kill(signal); // the launcher alone, as `kill -INT PID` from a shell
      const r = await done;
      expect(r.code, r.err).toBe(code);
      expect(r.err).toMatch(new RegExp(`stopped by ${signal}: .*--resume`));
      // Nothing trains on after the exit.
      const log = readFileSync(join(run, 'log.jsonl'), 'utf8');
      await sleep(1500);
      expect(readFileSync(join(run, 'log.jsonl'), 'utf8')).toBe(log);
      expect(existsSync(join(run, 'metrics.json'))).toBe(false);
      // The checkpoint loads (sizes and checksums verified) and holds every logged epoch.
      const epochs = runLog(run).filter((e) => e.stage === 'M1').length;
      expect(epochs).toBeGreaterThan(0);
      expect(loadCheckpoint(join(run, 'checkpoint')).state.extra).toMatchObject({ epoch: epochs });
      if (signal === 'SIGINT') {
        const res = await ngame(['train', '--config', cfg, '--epochs', String(epochs + 1), '--m2-epochs', '0', '--out', run, '--resume', '--quiet']);
        expect(res.code, res.err).toBe(0);
        expect(runLog(run).filter((e) => e.stage === 'M1').map((e) => e.epoch)).toEqual(Array.from({ length: epochs + 1 }, (_, i) => i));
      }
    });
  }
});

describe('an interrupted compare continues where it stopped', () => {
  it('SIGTERM, then the same command: the unfinished run resumes from its checkpoint, not from scratch', async () => {
    const out = join(dir, 'cmp-sig');
    const run = join(out, 'random');
    const args = ['compare', '--config', cfg, '--samplers', 'random', '--epochs', '40', '--m2-epochs', '0', '--out', out, '--quiet'];
    const { child, done } = start(args);
    for (let i = 0; i < 600 && !existsSync(join(run, 'checkpoint', 'latest.json')); i++) await sleep(50);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code, r.err).toBe(143);
    expect(r.err).toMatch(/stopped by SIGTERM: .*run the same command again/);
    const before = runLog(run).filter((e) => e.stage === 'M1').length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(40);

    const resume = await ngame([...args, '--resume']);
    expect(resume.code).toBe(2);
    expect(resume.err).toMatch(/compare continues unfinished runs .* by itself: drop --resume/);

    const again = await ngame(args);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/random: unfinished with this configuration, continued from its checkpoint/);
    const log = runLog(run);
    // Every epoch once: the ones before the signal were kept, not trained again.
    expect(log.filter((e) => e.stage === 'M1').map((e) => e.epoch)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(log.find((e) => e.stage === 'final')).toMatchObject({ resumedAtEpoch: before });
  });
});

describe('a run directory is touched only by a valid run, and replaced only with --force', () => {
  it('refuses to overwrite a finished run; failed runs (bad data, bad batch size) leave it as it was', async () => {
    const run = copyRun('keep');
    const before = snapshot(run);
    const again = await ngame(['train', '--config', cfg, '--out', run, '--quiet']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/holds a finished run .*pass --force to replace it with a new run, or --resume to continue/);
    expect(snapshot(run)).toEqual(before);

    // A dataset with a label id out of range, and a batch larger than the data: refused before
    // anything in the directory changes, even with --force.
    const bad = join(dir, 'bad-data');
    cpSync(join(dir, 'data'), bad, { recursive: true });
    const tst = readFileSync(join(bad, 'tst_X_Y.txt'), 'utf8').split('\n');
    tst[3] = '99:1.0';
    writeFileSync(join(bad, 'tst_X_Y.txt'), tst.join('\n'));
    const badData = await ngame(['train', '--config', cfg, '--data', bad, '--out', run, '--force', '--quiet']);
    expect(badData.code).toBe(1);
    expect(badData.err).toMatch(/tst_X_Y\.txt:4: column 99 >= num_cols 16/);
    expect(snapshot(run)).toEqual(before);
    const badBatch = await ngame(['train', '--config', cfg, '--batch-size', '1000', '--out', run, '--force', '--quiet']);
    expect(badBatch.code).toBe(1);
    expect(badBatch.err).toMatch(/m1\.batchSize 1000 exceeds the 48 trainable documents/);
    expect(snapshot(run)).toEqual(before);
    const both = await ngame(['train', '--config', cfg, '--out', run, '--force', '--resume', '--quiet']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--force and --resume exclude each other/);
    expect(snapshot(run)).toEqual(before);

    // The run still evaluates; --force replaces it with a new one (here without M2).
    expect((await ngame(['eval', run, '--device', 'cpu'])).code).toBe(0);
    const forced = await ngame(['train', '--config', cfg, '--m2-epochs', '0', '--out', run, '--force', '--quiet']);
    expect(forced.code, forced.err).toBe(0);
    expect(runLog(run).filter((e) => e.stage === 'final')).toHaveLength(1);
    expect(readSafetensors(join(run, 'model.safetensors')).tensors.classifiers).toBeUndefined();
  });
});

describe('model.safetensors and bank.safetensors are checked like the checkpoint', () => {
  it('a flipped byte, a NaN weight, a damaged or missing bank: refused with the file (and tensor) named', async () => {
    const run = copyRun('damaged');
    const model = join(run, 'model.safetensors');
    const bytes = readFileSync(model);
    bytes.fill(0x7f, bytes.length - 64, bytes.length - 48); // 16 bytes of one label's embedding
    writeFileSync(model, bytes);
    for (const cmd of [['eval', run, '--device', 'cpu'], ['predict', run, '--device', 'cpu']]) {
      const r = await ngame(cmd, 'a compiler item\n');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/damaged.model\.safetensors is corrupted \(sha256 differs from .*manifest\.json\)/);
    }
    // A NaN in a file whose manifest agrees (written by a broken tool, say): refused, naming the tensor.
    const t = readSafetensors(join(base, 'model.safetensors'));
    t.tensors.labelEmbeddings.data[3 * t.tensors.labelEmbeddings.shape[1] + 2] = NaN;
    writeRunFile(run, 'model.safetensors', encodeSafetensors(t.tensors, t.metadata));
    const nan = await ngame(['eval', run, '--device', 'cpu']);
    expect(nan.code).toBe(1);
    expect(nan.err).toMatch(/tensor "labelEmbeddings" holds NaN at row 3, column 2/);

    // The memory bank a --resume restores.
    const bank = join(run, 'bank.safetensors');
    const b = readFileSync(bank);
    b[b.length - 5] ^= 0xff;
    writeFileSync(bank, b);
    const resume = ['train', '--config', cfg, '--epochs', '2', '--out', run, '--resume', '--quiet'];
    const flipped = await ngame(resume);
    expect(flipped.code).toBe(1);
    expect(flipped.err).toMatch(/bank\.safetensors is corrupted .*record for epoch 1/);
    rmSync(bank);
    const missing = await ngame(resume);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/bank\.safetensors is missing/);
  });
});

describe('--pretrained is checked before anything is allocated', () => {
  it('sizes in config.json that the tensors do not have, or beyond sane bounds, fail naming file and key', async () => {
    const texts = readFileSync(join(dir, 'data', 'trn_X.txt'), 'utf8').split('\n');
    const tok = Tokenizer.learn(texts, 150);
    const enc = new Encoder({ vocabSize: tok.vocabSize, dim: 24, layers: 1, heads: 2, ffn: 48, maxLen: 16, dropout: 0, layout: 'post', eps: 1e-12 }, { backend: new CpuBackend(), seed: 3 });
    const pre = join(dir, 'pre');
    await exportPretrained(enc, pre, { kind: 'distilbert', tokenizer: tok });
    enc.dispose();
    const config = JSON.parse(readFileSync(join(pre, 'config.json'), 'utf8'));
    const out = join(dir, 'pre-run');
    const attempt = async (over: Record<string, number>) => {
      writeFileSync(join(pre, 'config.json'), JSON.stringify({ ...config, ...over }));
      return ngame(['train', '--config', cfg, '--pretrained', pre, '--out', out, '--quiet']);
    };
    // hidden 2048, ffn 8192, 4 layers over a file of a 24-wide, 1-layer encoder.
    const big = await attempt({ dim: 2048, hidden_dim: 8192, n_layers: 4, n_heads: 16 });
    expect(big.code).toBe(1);
    expect(big.err).toMatch(/model\.safetensors: "embeddings\.word_embeddings\.weight" has shape \[\d+, 24\], config\.json implies \[\d+, 2048\] \("dim" is 2048 in .*pre.config\.json\)/);
    const layers = await attempt({ n_layers: 4 });
    expect(layers.err).toMatch(/config\.json: "n_layers" is 4 but .*model\.safetensors has no tensor "transformer\.layer\.1\./);
    const vocab = await attempt({ vocab_size: 2_000_000_000 });
    expect(vocab.code).toBe(1);
    expect(vocab.err).toMatch(/pre.config\.json: "vocab_size" is 2000000000, outside the sane range \[1, 16777216\]/);
    expect(existsSync(out)).toBe(false);
  });
});
