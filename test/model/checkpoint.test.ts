// Training checkpoints: save -> load is bit-exact (weights, moments, step, RNG, tokenizer), and a
// run resumed from a checkpoint takes exactly the same next steps as an uninterrupted run with
// the same seed (cpu backend, dropout on, so the RNG state matters).
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../../src/tensor';
import { CpuBackend } from '../../src/tensor';
import { Rng } from '../../src/util/rng';
import { Encoder } from '../../src/model/encoder';
import { AdamW } from '../../src/model/optim';
import { loadTraining, restoreOptimizer, restoreRng, saveTraining } from '../../src/model/checkpoint';
import { Tokenizer } from '../../src/model/tokenizer';

const cpu = new CpuBackend();
const root = mkdtempSync(join(tmpdir(), 'ngame-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TEXTS = ['red apples', 'green pears', 'fast cars', 'slow boats', 'old books', 'new phones', 'hot tea', 'cold milk'];
const tok = Tokenizer.learn(TEXTS, 60);
const CFG = { vocabSize: tok.vocabSize, dim: 16, heads: 2, ffn: 32, layers: 1, maxLen: 6, dropout: 0.2, projDim: 8 };

interface Run {
  enc: Encoder;
  opt: AdamW;
  rng: Rng;
  step: number;
}

function newRun(seed: number): Run {
  const enc = new Encoder(CFG, { backend: cpu, seed });
  return { enc, opt: new AdamW(enc.params, { lr: 1e-2, warmupSteps: 2, totalSteps: 20 }), rng: new Rng(seed), step: 0 };
}

/** One training step: a random half of the texts against the other half, contrastive loss. */
async function trainStep(r: Run): Promise<number> {
  const order = r.rng.permutation(TEXTS.length);
  const a = tok.encodeBatch([...order.slice(0, 4)].map((i) => TEXTS[i]), CFG.maxLen);
  const b = tok.encodeBatch([...order.slice(4)].map((i) => TEXTS[i]), CFG.maxLen);
  const loss = T.scope(() => {
    const sim = T.scale(T.matmul(r.enc.forwardBatch(a, { training: true, rng: r.rng }), r.enc.forwardBatch(b, { training: true, rng: r.rng }), { transB: true }), 10);
    const eye = T.tensor(Float32Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0)), [4, 4], { backend: cpu });
    const l = T.scale(T.sumAll(T.mul(T.logSoftmax(sim), eye)), -0.25);
    T.backward(l);
    return l;
  });
  const info = await r.opt.step({ loss, rows: { 'embed.tokens': [...a.ids, ...b.ids] } });
  loss.release();
  r.opt.zeroGrad();
  r.step++;
  return info.loss!;
}

async function snapshot(r: Run): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, h] of Object.entries(await r.enc.params.toHost())) out[name] = Array.from(h.data);
  for (const [name, h] of Object.entries((await r.opt.exportState()).tensors)) out[`opt:${name}`] = Array.from(h.data);
  return out;
}

describe('training checkpoints', () => {
  it('save -> load is bit-exact', async () => {
    const r = newRun(1);
    for (let i = 0; i < 3; i++) await trainStep(r);
    const dir = join(root, 'exact');
    await saveTraining(dir, { encoders: { encoder: r.enc }, optimizer: r.opt, step: r.step, rng: r.rng, tokenizer: tok, extra: { epoch: 2 } });
    const loaded = loadTraining(dir, { backend: cpu });
    const enc = loaded.encoders.encoder as Encoder;
    expect(enc.config).toEqual(r.enc.config);
    expect(loaded.step).toBe(3);
    expect(loaded.extra).toEqual({ epoch: 2 });
    expect(loaded.rngState).toEqual(r.rng.getState());
    expect(loaded.tokenizer!.toJSON()).toEqual(tok.toJSON());
    const opt = restoreOptimizer(loaded, enc.params)!;
    expect(opt.stepCount).toBe(3);
    expect(opt.config).toEqual(r.opt.config);
    const restored: Run = { enc, opt, rng: restoreRng(loaded)!, step: loaded.step };
    expect(await snapshot(restored)).toEqual(await snapshot(r));
  });

  it('resuming takes exactly the steps of an uninterrupted run', async () => {
    const straight = newRun(7);
    const lossesA: number[] = [];
    for (let i = 0; i < 6; i++) lossesA.push(await trainStep(straight));

    const first = newRun(7);
    const lossesB: number[] = [];
    for (let i = 0; i < 3; i++) lossesB.push(await trainStep(first));
    const dir = join(root, 'resume');
    await saveTraining(dir, { encoders: { encoder: first.enc }, optimizer: first.opt, step: first.step, rng: first.rng });
    first.enc.dispose();
    first.opt.dispose();

    const loaded = loadTraining(dir, { backend: cpu });
    const enc = loaded.encoders.encoder as Encoder;
    const resumed: Run = { enc, opt: restoreOptimizer(loaded, enc.params)!, rng: restoreRng(loaded)!, step: loaded.step };
    for (let i = 0; i < 3; i++) lossesB.push(await trainStep(resumed));
    expect(lossesB).toEqual(lossesA);
    expect(await snapshot(resumed)).toEqual(await snapshot(straight));
  });

  it('two towers and float64 weights round-trip; damaged files fail loudly', async () => {
    const docs = new Encoder({ ...CFG, layout: 'post' }, { backend: cpu, dtype: 'f64', seed: 2 });
    const labels = new Encoder(CFG, { backend: cpu, seed: 3 });
    const dir = join(root, 'towers');
    await saveTraining(dir, { encoders: { docs, labels }, step: 0 });
    const loaded = loadTraining(dir, { backend: cpu });
    expect(loaded.encoders.docs.params.dtype).toBe('f64');
    expect(await loaded.encoders.docs.params.toHost()).toEqual(await docs.params.toHost());
    expect(await loaded.encoders.labels.params.toHost()).toEqual(await labels.params.toHost());
    expect(restoreOptimizer(loaded, [])).toBeNull();
    expect(restoreRng(loaded)).toBeNull();

    const model = readdirSync(dir).find((f) => f.endsWith('.safetensors'))!;
    const bytes = readFileSync(join(dir, model));
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(join(dir, model), bytes);
    expect(() => loadTraining(dir)).toThrow(/corrupted/);
    writeFileSync(join(dir, model), bytes.subarray(0, 100));
    expect(() => loadTraining(dir)).toThrow(/truncated/);
    await expect(saveTraining(join(root, 'bad'), { encoders: { 'a/b': docs }, step: 0 })).rejects.toThrow(/must not contain/);
  });
});
