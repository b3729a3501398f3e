// The ngame CLI end to end on a tiny dataset the test writes itself: train, eval, predict,
// embed, report, --resume, and bad input (exit code 2 with a message naming the problem).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuBackend } from '../../src/tensor';
import { Encoder } from '../../src/model/encoder';
import { Tokenizer } from '../../src/model/tokenizer';
import { exportPretrained } from '../../src/model/pretrained';
import { ngame, tinyConfig, writeTinyDataset } from '../helpers/cli';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-cli-'));
  mkdirSync(join(dir, 'data'));
  writeTinyDataset(join(dir, 'data'));
  writeFileSync(join(dir, 'tiny.json'), JSON.stringify({ ...tinyConfig, data: join(dir, 'data') }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ngame CLI', () => {
  it('train -> eval -> predict -> embed -> report, then --resume continues', async () => {
    const run = join(dir, 'run');
    const t = await ngame(['train', '--config', join(dir, 'tiny.json'), '--out', run, '--quiet']);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/NGAME M1 \(ngame\)/);
    for (const f of ['config.json', 'log.jsonl', 'metrics.json', 'model.safetensors']) expect(existsSync(join(run, f))).toBe(true);
    const log = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((e) => e.stage === 'M1')).toHaveLength(1);
    // The log names the loss that ran: 'auto' with NGAME's sampler is InfoNCE (resolveM1Loss).
    expect(log.filter((e) => e.stage === 'M1').map((e) => e.lossName)).toEqual(['infonce']);
    expect(log.at(-1).stage).toBe('final');
    // The final record and the console's summary give the training process's peak RSS.
    expect(log.at(-1).peakRssBytes).toBeGreaterThan(30 * 2 ** 20);
    expect(t.out).toMatch(/; peak RSS \d+(\.\d+)? (MiB|GiB)\. Run directory/);

    const e = await ngame(['eval', run, '--json']);
    expect(e.code).toBe(0);
    const rows = JSON.parse(e.out);
    expect(rows.map((r: { name: string }) => r.name)).toEqual(['M1 embeddings', 'M2 classifiers', 'fused (β=0.5)']);
    expect(rows[0].metrics.P[0]).toBeCloseTo(log.at(-1).m1.P[0], 6);

    const p = await ngame(['predict', run, '-k', '3', '--json'], 'a compiler and parser item\nthe mutex lock item\n');
    expect(p.code).toBe(0);
    const preds = p.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(preds).toHaveLength(2);
    expect(preds[0].labels).toHaveLength(3);

    const emb = join(dir, 'labels.safetensors');
    expect((await ngame(['embed', run, '--what', 'labels', '--out', emb])).code).toBe(0);
    expect(existsSync(emb)).toBe(true);

    const rep = await ngame(['report', run, '--out', join(dir, 'report')]);
    expect(rep.code).toBe(0);
    expect(readFileSync(join(dir, 'report', 'report.md'), 'utf8')).toMatch(/Test metrics/);
    expect(readFileSync(join(dir, 'report', 'report.md'), 'utf8')).toMatch(/ M1 \(infonce\) /);
    expect(existsSync(join(dir, 'report', 'loss.svg'))).toBe(true);

    const r = await ngame(['train', '--config', join(dir, 'tiny.json'), '--epochs', '2', '--out', run, '--resume', '--quiet']);
    expect(r.code).toBe(0);
    const log2 = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log2.filter((x) => x.stage === 'M1').map((x) => x.epoch)).toEqual([0, 1]);
    // The resumed run's M1 time counts both epochs, the one before the resume included.
    const fin = log2.at(-1);
    expect(fin.resumedAtEpoch).toBe(1);
    const m1Ms = log2.filter((x) => x.stage === 'M1').reduce((a, x) => a + x.epochMs, 0);
    expect(fin.seconds.m1).toBeGreaterThanOrEqual(m1Ms / 1000 - 1e-6);
  });

  it('--val-fraction holds documents out of training and chooses β on them; eval and predict reuse it', async () => {
    const run = join(dir, 'run-val');
    const t = await ngame(['train', '--config', join(dir, 'tiny.json'), '--val-fraction', '0.25', '--out', run, '--quiet']);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    const fin = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    expect(fin.betaFrom).toBe('validation');
    expect(fin.validation.docs).toBe(12); // 0.25 of 48
    // The default rule (src/ngame/validation.ts): 21 points, the choice inside the tied run, within two documents' worth of the best score.
    expect(fin.validation.curve).toHaveLength(21);
    expect(fin.validation.rule).toEqual({ criterion: 'p135', band: 2, step: 0.05 });
    const [lo, hi] = fin.validation.tied;
    expect(fin.beta).toBeGreaterThanOrEqual(lo);
    expect(fin.beta).toBeLessThanOrEqual(hi);
    const best = Math.max(...fin.validation.curve.map((c: { score: number }) => c.score));
    expect(fin.validation.curve.find((c: { beta: number }) => c.beta === fin.beta).score).toBeGreaterThanOrEqual(best - 200 / fin.validation.docs);
    expect(t.out).toContain(`fused (β=${fin.beta}, from validation)`);
    // M1 trained on the 36 remaining documents only.
    const m1 = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.stage === 'M1');
    expect(m1.steps).toBe(Math.ceil(36 / 8));
    const rows = JSON.parse((await ngame(['eval', run, '--json'])).out);
    expect(rows[2].name).toBe(`fused (β=${fin.beta})`);
    expect(rows[2].metrics.P[0]).toBeCloseTo(fin.fused.P[0], 6);
    // eval uses the run's own training split for the propensities, so PSP agrees too.
    expect(rows[0].metrics.PSP[4]).toBeCloseTo(fin.m1.PSP[4], 6);
    expect(rows[2].metrics.PSP[4]).toBeCloseTo(fin.fused.PSP[4], 6);
    // --beta without a validation split is used as given.
    const fixed = await ngame(['train', '--config', join(dir, 'tiny.json'), '--beta', '0.3', '--m2-epochs', '1', '--out', join(dir, 'run-b'), '--quiet']);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'run-b', 'metrics.json'), 'utf8'))).toMatchObject({ beta: 0.3, betaFrom: 'config' });
    // --choose-beta re-runs the β stage of training: the same curve and β; --save records it as a new final record.
    const again = await ngame(['eval', run, '--choose-beta', '--save', '--json']);
    expect(again.code).toBe(0);
    expect(again.err).toContain(`β = ${fin.beta}: the middle of β ${lo}–${hi}`);
    expect(JSON.parse(again.out)[2].metrics.P[0]).toBeCloseTo(fin.fused.P[0], 6);
    const fin2 = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    expect(fin2).toMatchObject({ beta: fin.beta, betaFrom: 'validation', betaRechosen: { previous: fin.beta }, validation: { docs: 12, tied: [lo, hi] } });
    expect(fin2.validation.curve).toEqual(fin.validation.curve);
    expect(readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').filter((l) => JSON.parse(l).stage === 'final')).toHaveLength(2);
    expect(JSON.parse((await ngame(['eval', run, '--json'])).out)[2].name).toBe(`fused (β=${fin.beta})`); // the saved model still verifies
    const noVal = await ngame(['eval', join(dir, 'run-b'), '--choose-beta']);
    expect(noVal.code).toBe(1);
    expect(noVal.err).toMatch(/trained without a validation split/);
    expect((await ngame(['eval', run, '--save'])).err).toMatch(/--save needs --choose-beta/);
    expect((await ngame(['eval', run, '--choose-beta', '--beta', '0.2'])).code).toBe(2);
    const bad = await ngame(['train', '--config', join(dir, 'tiny.json'), '--val-fraction', '0.9', '--out', join(dir, 'z3'), '--quiet']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/valFraction must be in \[0, 0.5\]/);
  });

  it('--pretrained fine-tunes a BERT-layout directory (its size and vocabulary win)', async () => {
    // A tiny post-LN encoder (dim 24, unlike the config's 16) exported in DistilBERT layout.
    const texts = readFileSync(join(dir, 'data', 'trn_X.txt'), 'utf8').split('\n').concat(readFileSync(join(dir, 'data', 'Y.txt'), 'utf8').split('\n'));
    const tok = Tokenizer.learn(texts, 150);
    const enc = new Encoder({ vocabSize: tok.vocabSize, dim: 24, layers: 1, heads: 2, ffn: 48, maxLen: 16, dropout: 0, layout: 'post', eps: 1e-12 }, { backend: new CpuBackend(), seed: 3 });
    const pre = join(dir, 'pre');
    await exportPretrained(enc, pre, { kind: 'distilbert', tokenizer: tok });
    enc.dispose();

    const run = join(dir, 'run-ft');
    const r = await ngame(['train', '--config', join(dir, 'tiny.json'), '--pretrained', pre, '--out', run, '--quiet', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).fused.P[0]).toBeGreaterThanOrEqual(0);
    const state = readdirSync(join(run, 'checkpoint')).find((f) => f.startsWith('state-'))!;
    const saved = JSON.parse(readFileSync(join(run, 'checkpoint', state), 'utf8')).encoders.encoder.config;
    expect(saved).toMatchObject({ dim: 24, layout: 'post', vocabSize: tok.vocabSize });
    expect((await ngame(['predict', run], 'a compiler and parser item\n')).code).toBe(0);

    mkdirSync(join(dir, 'no-model')); // a directory without the model's files (a missing one is a usage error, exit 2)
    const bad = await ngame(['train', '--config', join(dir, 'tiny.json'), '--pretrained', join(dir, 'no-model'), '--out', join(dir, 'z'), '--quiet']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/no-model.config\.json is missing/);
    const long = await ngame(['train', '--config', join(dir, 'tiny.json'), '--pretrained', pre, '--max-len', '40', '--out', join(dir, 'z2'), '--quiet']);
    expect(long.code).toBe(1);
    expect(long.err).toMatch(/maxLen 40 exceeds the 16 positions/);
  });

  it('a non-finite loss, or a resume with another encoder, stops with exit code 1 and leaves the last checkpoint as it was', async () => {
    const run = join(dir, 'nan');
    expect((await ngame(['train', '--config', join(dir, 'tiny.json'), '--m2-epochs', '0', '--out', run, '--quiet'])).code).toBe(0);
    const saved = () => Object.fromEntries(
      [...readdirSync(join(run, 'checkpoint')).map((f) => join('checkpoint', f)), 'bank.safetensors', 'config.json', 'log.jsonl'].map((f) => [f, readFileSync(join(run, f)).toString('base64')]),
    );
    const before = saved();
    // A learning rate of 1e300 overflows the weights within a step or two of the resumed epoch.
    const bad = await ngame(['train', '--config', join(dir, 'tiny.json'), '--m2-epochs', '0', '--epochs', '2', '--lr', '1e300', '--out', run, '--resume', '--quiet']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/(M1: loss|AdamW.step: the gradient norm) is (NaN|-?Infinity) at (step|update) \d+/);
    expect(saved()).toEqual(before);
    // Resuming with another encoder size is refused before anything is written.
    const dim = await ngame(['train', '--config', join(dir, 'tiny.json'), '--m2-epochs', '0', '--epochs', '2', '--dim', '32', '--out', run, '--resume', '--quiet']);
    expect(dim.code).toBe(1);
    expect(dim.err).toMatch(/--resume: encoder\.dim is 32 here but 16 in .*config\.json/);
    expect(saved()).toEqual(before);
    // ... and the run resumes from it.
    const ok = await ngame(['train', '--config', join(dir, 'tiny.json'), '--m2-epochs', '0', '--epochs', '2', '--out', run, '--resume', '--quiet']);
    expect(ok.code, ok.err).toBe(0);
    const log = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((x) => x.stage === 'M1').map((x) => x.epoch)).toEqual([0, 1]);
  });

  it('compare --seeds: one run per sampler and seed, the seed study in the report, finished runs kept', async () => {
    const out = join(dir, 'seeds');
    const args = ['compare', '--config', join(dir, 'tiny.json'), '--m2-epochs', '0', '--samplers', 'random,ngame', '--seeds', '0,1', '--out', out, '--quiet'];
    const c = await ngame(args);
    expect(c.code, c.err).toBe(0);
    const runs = ['ngame-0', 'ngame-1', 'random-0', 'random-1'];
    expect(readdirSync(out).sort()).toEqual([...runs, 'report']);
    expect(runs.map((r) => JSON.parse(readFileSync(join(out, r, 'config.json'), 'utf8')).seed)).toEqual([0, 1, 0, 1]);
    const md = readFileSync(join(out, 'report', 'report.md'), 'utf8');
    expect(md).toMatch(/## Across seeds/);
    expect(md).toMatch(/\| random \| 0, 1 \|/);
    expect(md).toMatch(/### ngame − random, paired by seed \(0, 1\)/);
    // The same command again keeps the four finished runs; another configuration trains anew.
    const logs = () => runs.map((r) => readFileSync(join(out, r, 'log.jsonl'), 'utf8'));
    const before = logs();
    const again = await ngame(args);
    expect(again.code, again.err).toBe(0);
    expect(again.out.match(/finished already with this configuration, kept/g)).toHaveLength(4);
    expect(logs()).toEqual(before);
    const other = await ngame(['compare', '--config', join(dir, 'tiny.json'), '--m2-epochs', '0', '--samplers', 'random', '--seeds', '1', '--epochs', '2', '--out', out, '--quiet']);
    expect(other.code, other.err).toBe(0);
    expect(other.out).not.toMatch(/kept/);
    expect(readFileSync(join(out, 'random-1', 'log.jsonl'), 'utf8').match(/"stage":"M1"/g)).toHaveLength(2);

    const bad = await ngame(['compare', '--seeds', '1,x', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--seeds: expected non-negative integers/);
  });

  it('--index ivf trains a mined sampler through an IVF index over the labels', async () => {
    const run = join(dir, 'mips-ivf');
    const t = await ngame(['train', '--config', join(dir, 'tiny.json'), '--sampler', 'mips', '--index', 'ivf', '--m2-epochs', '0', '--out', run, '--quiet']);
    expect(t.code, t.err).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).mining).toEqual({ index: 'ivf', nlist: 0, nprobe: 0 });
    const log = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log[0].sampler).toBe('mips');
    expect(Number.isFinite(log[0].loss)).toBe(true);
  });

  it('bad flags and missing files give a clear error and a non-zero exit code', async () => {
    const a = await ngame(['train', '--epochs', 'many']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--epochs must be a number/);
    const b = await ngame(['train', '--sampler', 'magic', '--out', join(dir, 'x')]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/sampler must be one of/);
    const i = await ngame(['train', '--index', 'hnsw', '--out', join(dir, 'x')]);
    expect(i.code).toBe(2);
    expect(i.err).toMatch(/mining\.index must be exact or ivf, got "hnsw"/);
    const c = await ngame(['train', '--data', join(dir, 'nope'), '--device', 'cpu', '--out', join(dir, 'y'), '--quiet']);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/nope is not a directory/);
    const d = await ngame(['eval', join(dir, 'missing-run')]);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/missing-run is not a directory: it does not exist/);
    mkdirSync(join(dir, 'empty-run'));
    const d2 = await ngame(['eval', join(dir, 'empty-run')]);
    expect(d2.code).toBe(1);
    expect(d2.err).toMatch(/config.json is missing/);
    expect((await ngame(['frobnicate'])).code).toBe(2);
    expect((await ngame(['train', '--help'])).code).toBe(0);
  });
});
