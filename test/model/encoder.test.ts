// The encoder: finite-difference gradient checks (float64, cpu) of masked attention and of whole
// layers, pooling/masking properties, webgpu against cpu (forward and every parameter gradient),
// and learning an in-batch contrastive task on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../src/tensor';
import { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { closeGpu } from '../../src/kernels/webgpu/device';
import { Rng } from '../../src/util/rng';
import { cpu, gradCheck } from '../tensor/gradcheck';
import { attentionBias, MultiHeadAttention } from '../../src/model/attention';
import { Encoder, encoderConfig, TransformerLayer } from '../../src/model/encoder';
import { geluErf } from '../../src/model/layers';
import { Params } from '../../src/model/params';
import { AdamW } from '../../src/model/optim';
import { Tokenizer } from '../../src/model/tokenizer';
import { relErr as relErrShared } from '../helpers/relerr';
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number => relErrShared(a, b, { floor });

let gpu: WebGpuBackend;
beforeAll(async () => {
  gpu = await WebGpuBackend.create();
});
afterAll(async () => {
  await closeGpu();
});

const TOL = 1e-5;
const noDrop = { p: 0, training: false };

/** Gradient-check inputs: x first, then every parameter of `params` (values injected by name). */
function paramInputs(params: Params): { shape: number[] }[] {
  return params.names().map((n) => ({ shape: params.spec(n).shape }));
}
function inject(params: Params, xs: T.Tensor[]): void {
  params.names().forEach((n, i) => params.set(n, xs[i]));
}

describe('gradient checks (float64, cpu)', () => {
  // Row 0 has 2 real tokens of 3, row 1 all 3: padded keys must get no gradient path.
  const mask = [1, 1, 0, 1, 1, 1];
  const B = 2;
  const Tn = 3;

  it('multi-head attention with a padding mask', () => {
    const params = new Params(cpu, 'f64', 1);
    const attn = new MultiHeadAttention(params, 'attn', 4, 2);
    const bias = T.keep(attentionBias(mask, B, Tn, cpu, 'f64'));
    const err = gradCheck(([x, ...ws]) => {
      inject(params, ws);
      return attn.forward(x, bias, noDrop);
    }, [{ shape: [B, Tn, 4] }, ...paramInputs(params)], 3);
    expect(err).toBeLessThan(TOL);
    bias.release();
  });

  it('padded keys do not influence real positions', () => {
    const params = new Params(cpu, 'f64', 2);
    const attn = new MultiHeadAttention(params, 'attn', 4, 2);
    const rng = new Rng(5);
    const x = Float64Array.from({ length: B * Tn * 4 }, () => rng.normal());
    const y = Float64Array.from(x);
    for (let c = 0; c < 4; c++) y[2 * 4 + c] += 10; // change the padded token of row 0
    const run = (v: Float64Array) => T.scope(() => attn.forward(T.tensor(v, [B, Tn, 4], { backend: cpu }), attentionBias(mask, B, Tn, cpu, 'f64'), noDrop).dataSync());
    const a = run(x);
    const b = run(y);
    for (const i of [0, 1, 2, 3, 4, 5, 6, 7]) expect(b[i]).toBeCloseTo(a[i], 12); // row 0, tokens 0..1
  });

  for (const layout of ['pre', 'post'] as const) {
    for (const act of ['gelu_tanh', 'gelu'] as const) {
      it(`a full ${layout}-LN layer (${act})`, () => {
        const cfg = encoderConfig({ vocabSize: 5, dim: 4, heads: 2, ffn: 6, layers: 1, maxLen: 3, dropout: 0, layout, act });
        const params = new Params(cpu, 'f64', 3);
        const layer = new TransformerLayer(params, 'layers.0', cfg);
        const bias = T.keep(attentionBias(mask, B, Tn, cpu, 'f64'));
        const err = gradCheck(([x, ...ws]) => {
          inject(params, ws);
          return layer.forward(x, bias, noDrop);
        }, [{ shape: [B, Tn, 4] }, ...paramInputs(params)], 4);
        expect(err).toBeLessThan(TOL);
        bias.release();
      });
    }
  }

  it('the whole encoder (embeddings, pooling, projection, normalisation)', () => {
    const enc = new Encoder({ vocabSize: 7, dim: 4, heads: 2, ffn: 6, layers: 1, maxLen: 4, dropout: 0, projDim: 3 }, { backend: cpu, dtype: 'f64', seed: 1 });
    const ids = [1, 2, 3, 0, 4, 5, 6, 2];
    const m = [1, 1, 1, 0, 1, 1, 1, 1];
    const err = gradCheck((ws) => {
      inject(enc.params, ws);
      return enc.forward(ids, m, 2, 4);
    }, paramInputs(enc.params), 6);
    expect(err).toBeLessThan(TOL);
  });

  it('erf GELU matches Φ to 1e-6', () => {
    const xs = [-4, -1.5, -0.3, 0, 0.2, 1, 2.5, 5];
    const y = T.scope(() => geluErf(T.tensor(xs, [xs.length], { backend: cpu, dtype: 'f64' })).dataSync());
    // Φ(x) by numeric integration of the normal density (Simpson, fine grid).
    const phi = (x: number) => {
      const n = 20000;
      const a = -10;
      const h = (x - a) / n;
      let s = 0;
      for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-((a + i * h) ** 2) / 2);
      return (s * h) / 3 / Math.sqrt(2 * Math.PI);
    };
    xs.forEach((x, i) => expect(Math.abs(y[i] - x * phi(x))).toBeLessThan(1e-6));
  });
});

describe('encoder properties (cpu)', () => {
  it('rows are unit vectors and padding content does not matter', () => {
    const enc = new Encoder({ vocabSize: 30, dim: 8, heads: 2, ffn: 16, layers: 2, maxLen: 6, dropout: 0.1, projDim: 5 }, { backend: cpu, seed: 9 });
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 1000 }), (lens, seed) => {
      const rng = new Rng(seed);
      const B = lens.length;
      const ids = new Int32Array(B * 6);
      const mask = new Uint8Array(B * 6);
      lens.forEach((len, b) => { for (let t = 0; t < len; t++) { ids[b * 6 + t] = 1 + rng.int(29); mask[b * 6 + t] = 1; } });
      const other = Int32Array.from(ids, (v, i) => (mask[i] ? v : rng.int(30)));
      const [a, b] = T.scope(() => [enc.forward(ids, mask, B, 6).dataSync(), enc.forward(other, mask, B, 6).dataSync()]);
      for (let r = 0; r < B; r++) {
        let n2 = 0;
        for (let c = 0; c < 5; c++) n2 += a[r * 5 + c] ** 2;
        expect(Math.sqrt(n2)).toBeCloseTo(1, 5);
      }
      a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
    }), { seed: 42, numRuns: 15 });
  });

  it('dropout is reproducible from the rng and off at inference', () => {
    const enc = new Encoder({ vocabSize: 10, dim: 8, heads: 2, ffn: 16, layers: 1, maxLen: 4, dropout: 0.3 }, { backend: cpu, seed: 3 });
    const ids = [1, 2, 3, 4, 5, 6, 0, 0];
    const mask = [1, 1, 1, 1, 1, 1, 0, 0];
    const run = (opts: { training?: boolean; rng?: Rng }) => T.scope(() => enc.forward(ids, mask, 2, 4, opts).dataSync());
    expect(run({ training: true, rng: new Rng(1) })).toEqual(run({ training: true, rng: new Rng(1) }));
    expect(run({ training: true, rng: new Rng(1) })).not.toEqual(run({ training: true, rng: new Rng(2) }));
    expect(run({})).toEqual(run({ training: false, rng: new Rng(7) }));
    expect(() => run({ training: true })).toThrow(/rng/);
  });

  it('bad input gives clear errors', () => {
    const enc = new Encoder({ vocabSize: 10, dim: 8, heads: 2, ffn: 16, layers: 1, maxLen: 4 }, { backend: cpu });
    expect(() => enc.forward([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], 1, 5)).toThrow(/exceeds maxLen 4/);
    expect(() => enc.forward([1, 2, 3], [1, 1, 1, 1], 1, 4)).toThrow(/ids has 3 entries/);
    expect(() => T.scope(() => enc.forward([1, 2, 3, 99], [1, 1, 1, 1], 1, 4))).toThrow(/out of range/);
    expect(() => encoderConfig({ vocabSize: 10, dim: 10, heads: 3 })).toThrow(/not divisible/);
    expect(() => encoderConfig({ vocabSize: 10, dropout: 1 })).toThrow(/dropout/);
  });
});

/** Relative error ‖a − b‖ / max(‖b‖, floor). */

describe('webgpu against cpu', () => {
  for (const layout of ['pre', 'post'] as const) {
    it(`${layout}-LN encoder: forward and every parameter gradient (rel. error < 1e-3)`, async () => {
      const cfg = { vocabSize: 50, dim: 16, heads: 4, ffn: 32, layers: 2, maxLen: 8, dropout: 0.1, layout, projDim: 12 };
      const rng = new Rng(11);
      const B = 5;
      const Tn = 8;
      const ids = Int32Array.from({ length: B * Tn }, () => rng.int(50));
      const mask = new Uint8Array(B * Tn);
      [8, 3, 5, 1, 7].forEach((len, b) => mask.fill(1, b * Tn, b * Tn + len));
      const w = Float32Array.from({ length: B * 12 }, () => rng.normal());
      const results = [];
      for (const backend of [cpu, gpu]) {
        const enc = new Encoder(cfg, { backend, seed: 21 });
        const out = await T.scopeAsync(async () => {
          const y = enc.forward(ids, mask, B, Tn, { training: true, rng: new Rng(4) });
          T.backward(T.sumAll(T.mul(y, T.tensor(w, [B, 12], { backend }))));
          return y.data();
        });
        const grads: Record<string, ArrayLike<number>> = {};
        for (const [name, p] of enc.params.entries()) grads[name] = await p.grad!.data();
        results.push({ out, grads });
        enc.dispose();
      }
      expect(relErr(results[1].out, results[0].out)).toBeLessThan(1e-3);
      for (const name of Object.keys(results[0].grads)) {
        // The key bias's true gradient is 0 (softmax ignores a shift shared by all keys): there
        // both sides are rounding noise, so it is compared with an absolute floor instead.
        const floor = name.endsWith('attn.k.bias') ? 1e-3 : 0;
        expect(relErr(results[1].grads[name], results[0].grads[name], floor), name).toBeLessThan(1e-3);
      }
    });
  }
});

// 16 (document, label) pairs with little word overlap between pairs.
const PAIRS: [string, string][] = [
  ['fresh red apples from the orchard', 'apple fruit'], ['a fast sports car with a loud engine', 'sports cars'],
  ['how to bake sourdough bread at home', 'bread baking'], ['the history of the roman empire', 'roman history'],
  ['learning to play jazz piano', 'piano lessons'], ['tips for growing tomatoes in pots', 'tomato gardening'],
  ['cheap flights to tokyo in spring', 'japan travel'], ['repairing a flat bicycle tyre', 'bike repair'],
  ['the best hiking boots for winter', 'hiking gear'], ['training a puppy to sit', 'dog training'],
  ['knitting a warm wool scarf', 'knitting patterns'], ['brewing coffee with a french press', 'coffee brewing'],
  ['saving money for retirement', 'personal finance'], ['watching birds in the wetlands', 'bird watching'],
  ['writing poems about the sea', 'poetry writing'], ['fixing a leaking kitchen tap', 'plumbing help'],
];

/** In-batch contrastive loss: mean over i of -log softmax_j(d_i·l_j / τ) at j = i. */
function contrastiveLoss(d: T.Tensor, l: T.Tensor, eye: T.Tensor, temperature: number): T.Tensor {
  const logits = T.scale(T.matmul(d, l, { transB: true }), 1 / temperature); // (16, 16)
  return T.scale(T.sumAll(T.mul(T.logSoftmax(logits), eye)), -1 / d.shape[0]);
}

describe('learning: in-batch contrastive loss on 16 pairs', () => {
  const tok = Tokenizer.learn(PAIRS.flat(), 200);
  const maxLen = 10;
  const docs = tok.encodeBatch(PAIRS.map((p) => p[0]), maxLen);
  const labels = tok.encodeBatch(PAIRS.map((p) => p[1]), maxLen);
  const eye = Float32Array.from({ length: 256 }, (_, i) => (i % 17 === 0 ? 1 : 0));

  for (const which of ['cpu', 'webgpu'] as const) {
    it(`${which}: a 1-layer Siamese encoder drives the loss below 0.05`, async () => {
      const backend = which === 'cpu' ? cpu : gpu;
      const enc = new Encoder({ vocabSize: tok.vocabSize, dim: 32, heads: 2, ffn: 64, layers: 1, maxLen, dropout: 0 }, { backend, seed: 1 });
      const opt = new AdamW(enc.params, { lr: 3e-3, weightDecay: 0, clipNorm: 1 });
      const eyeT = T.keep(T.tensor(eye, [16, 16], { backend }));
      const losses: number[] = [];
      for (let step = 0; step < 80; step++) {
        const loss = T.scope(() => {
          const l = contrastiveLoss(enc.forwardBatch(docs), enc.forwardBatch(labels), eyeT, 0.05);
          T.backward(l);
          return l;
        });
        const info = await opt.step({ loss });
        loss.release();
        opt.zeroGrad();
        losses.push(info.loss!);
        if (info.loss! < 0.02) break;
      }
      expect(losses[0]).toBeGreaterThan(1);
      expect(Math.min(...losses.slice(-3))).toBeLessThan(0.05);
      eyeT.release();
      opt.dispose();
      enc.dispose();
    });
  }
});
