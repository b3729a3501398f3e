// Pretrained weights: the test writes tiny BERT- and DistilBERT-layout directories (config.json,
// model.safetensors with random weights, vocab.txt), loads them, and checks the encoder against
// a hand-written float64 post-LN reference; then export -> reload must give identical outputs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../../src/tensor';
import { CpuBackend } from '../../src/tensor';
import { Rng } from '../../src/util/rng';
import { exportPretrained, loadPretrained } from '../../src/model/pretrained';
import { checkPretrainedDir } from '../../src/model/pretrained-check';
import { hfTensorShapes, parseHfConfigJson } from '../../src/model/hf-config';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../../src/model/safetensors';
import { Encoder } from '../../src/model/encoder';

const cpu = new CpuBackend();

function freshDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
const root = mkdtempSync(join(tmpdir(), 'ngame-pretrained-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', 'sat', 'on', 'mat', 'dog', '##s', 'run'];
const DIM = 8;
const HEADS = 2;
const FFN = 12;
const LAYERS = 2;
const MAXLEN = 10;
const VOCAB_SIZE = 16; // larger than vocab.txt, as real checkpoints sometimes are

const BERT_CONFIG = {
  model_type: 'bert', vocab_size: VOCAB_SIZE, hidden_size: DIM, num_hidden_layers: LAYERS, num_attention_heads: HEADS,
  intermediate_size: FFN, hidden_act: 'gelu', max_position_embeddings: MAXLEN, type_vocab_size: 2, layer_norm_eps: 1e-12,
};
const DISTIL_CONFIG = {
  model_type: 'distilbert', vocab_size: VOCAB_SIZE, dim: DIM, n_layers: LAYERS, n_heads: HEADS, hidden_dim: FFN,
  activation: 'gelu_new', max_position_embeddings: MAXLEN,
};

/** Writes a directory with random weights; returns the weights by HF name. */
function writeModelDir(dir: string, config: Record<string, unknown>, prefix: string, seed: number): Record<string, SafeTensor> {
  const rng = new Rng(seed);
  const cfg = parseHfConfigJson(config);
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, shape] of hfTensorShapes(cfg, prefix)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNormGain = /LayerNorm\.weight$|layer_norm\.weight$/.test(name);
    const data = Float32Array.from({ length: n }, () => (isNormGain ? 1 + 0.2 * rng.normal() : 0.5 * rng.normal()));
    tensors[name] = { dtype: 'F32', shape, data };
  }
  // Heads a task model carries beside the encoder: must be ignored.
  tensors[`${prefix}pooler.dense.weight`] = { dtype: 'F32', shape: [DIM, DIM], data: new Float32Array(DIM * DIM) };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'vocab.txt'), VOCAB.join('\n') + '\n');
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return tensors;
}

// ---- A float64 reference of the HF post-LN forward pass, written without the tensor library.

function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  if (a < 3) {
    // Maclaurin series: 2/√π Σ (-1)^n a^(2n+1) / (n! (2n+1))
    let term = a;
    let sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return (s * 2 * sum) / Math.sqrt(Math.PI);
  }
  // Asymptotic erfc for a >= 3 (error far below 1e-9 here).
  let series = 1;
  let term = 1;
  for (let n = 1; n < 8; n++) {
    term *= -(2 * n - 1) / (2 * a * a);
    series += term;
  }
  return s * (1 - (Math.exp(-a * a) / (a * Math.sqrt(Math.PI))) * series);
}
const geluExact = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

type Mat = number[][]; // (rows, cols)
const get = (w: Record<string, SafeTensor>, n: string) => w[n].data;
function lin(x: Mat, W: ArrayLike<number>, b: ArrayLike<number>, out: number): Mat {
  return x.map((row) => Array.from({ length: out }, (_, o) => row.reduce((s, v, i) => s + v * W[o * row.length + i], b[o])));
}
function ln(x: Mat, g: ArrayLike<number>, b: ArrayLike<number>, eps: number): Mat {
  return x.map((row) => {
    const mu = row.reduce((s, v) => s + v, 0) / row.length;
    const va = row.reduce((s, v) => s + (v - mu) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mu) / Math.sqrt(va + eps)) * g[i] + b[i]);
  });
}

/** One sequence (its real tokens only: padded keys get zero weight) -> unit mean-pooled vector. */
function reference(w: Record<string, SafeTensor>, kind: 'bert' | 'distilbert', prefix: string, ids: number[]): number[] {
  const p = prefix;
  const L = kind === 'bert'
    ? (i: number, s: string) => `${p}encoder.layer.${i}.${s}`
    : (i: number, s: string) => `${p}transformer.layer.${i}.${s}`;
  const names = kind === 'bert'
    ? { q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', o: 'attention.output.dense', ln1: 'attention.output.LayerNorm', f1: 'intermediate.dense', f2: 'output.dense', ln2: 'output.LayerNorm' }
    : { q: 'attention.q_lin', k: 'attention.k_lin', v: 'attention.v_lin', o: 'attention.out_lin', ln1: 'sa_layer_norm', f1: 'ffn.lin1', f2: 'ffn.lin2', ln2: 'output_layer_norm' };
  const act = kind === 'bert' ? geluExact : geluTanh;
  const word = get(w, `${p}embeddings.word_embeddings.weight`);
  const pos = get(w, `${p}embeddings.position_embeddings.weight`);
  const type = kind === 'bert' ? get(w, `${p}embeddings.token_type_embeddings.weight`) : null;
  let x: Mat = ids.map((id, t) => Array.from({ length: DIM }, (_, c) => word[id * DIM + c] + pos[t * DIM + c] + (type ? type[c] : 0)));
  x = ln(x, get(w, `${p}embeddings.LayerNorm.weight`), get(w, `${p}embeddings.LayerNorm.bias`), 1e-12);
  const hd = DIM / HEADS;
  for (let l = 0; l < LAYERS; l++) {
    const W = (s: string) => get(w, `${L(l, s)}.weight`);
    const B = (s: string) => get(w, `${L(l, s)}.bias`);
    const q = lin(x, W(names.q), B(names.q), DIM);
    const k = lin(x, W(names.k), B(names.k), DIM);
    const v = lin(x, W(names.v), B(names.v), DIM);
    const ctx: Mat = x.map(() => new Array(DIM).fill(0));
    for (let h = 0; h < HEADS; h++) {
      for (let i = 0; i < x.length; i++) {
        const s = x.map((_, j) => {
          let d = 0;
          for (let c = 0; c < hd; c++) d += q[i][h * hd + c] * k[j][h * hd + c];
          return d / Math.sqrt(hd);
        });
        const mx = Math.max(...s);
        const e = s.map((z) => Math.exp(z - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < x.length; j++) for (let c = 0; c < hd; c++) ctx[i][h * hd + c] += (e[j] / z) * v[j][h * hd + c];
      }
    }
    const a = lin(ctx, W(names.o), B(names.o), DIM);
    x = ln(x.map((r, i) => r.map((val, c) => val + a[i][c])), W(names.ln1), B(names.ln1), 1e-12);
    const f = lin(lin(x, W(names.f1), B(names.f1), FFN).map((r) => r.map(act)), W(names.f2), B(names.f2), DIM);
    x = ln(x.map((r, i) => r.map((val, c) => val + f[i][c])), W(names.ln2), B(names.ln2), 1e-12);
  }
  const mean = Array.from({ length: DIM }, (_, c) => x.reduce((s, r) => s + r[c], 0) / x.length);
  const norm = Math.sqrt(mean.reduce((s, v) => s + v * v, 0));
  return mean.map((v) => v / norm);
}

function forward(enc: Encoder, ids: Int32Array, mask: Uint8Array, B: number, Tn: number): Float32Array {
  return T.scope(() => enc.forward(ids, mask, B, Tn).dataSync() as Float32Array);
}

const CASES = [
  { kind: 'bert' as const, config: BERT_CONFIG, prefix: 'bert.' }, // a task model's names ("bert." prefix)
  { kind: 'distilbert' as const, config: DISTIL_CONFIG, prefix: '' }, // a bare model, as sentence-transformers saves it
];

describe('loading and exporting HF directories', () => {
  for (const c of CASES) {
    it(`${c.kind}: forward equals the float64 post-LN reference; export -> reload is identical`, async () => {
      const dir = join(root, `${c.kind}-in`);
      freshDir(dir);
      const weights = writeModelDir(dir, c.config, c.prefix, 7);
      const { encoder, tokenizer, hf } = loadPretrained(dir, { backend: cpu, dropout: 0 });
      expect(hf.kind).toBe(c.kind);
      expect(encoder.config.layout).toBe('post');

      const texts = ['the cat sat on the mat', 'dogs run', 'the zebra'];
      const Tn = 8;
      const batch = tokenizer.encodeBatch(texts, Tn);
      const out = forward(encoder, batch.ids, batch.mask, texts.length, Tn);
      for (let b = 0; b < texts.length; b++) {
        const len = batch.lengths[b];
        const ref = reference(weights, c.kind, c.prefix, Array.from(batch.ids.subarray(b * Tn, b * Tn + len)));
        for (let i = 0; i < DIM; i++) expect(Math.abs(out[b * DIM + i] - ref[i]), `row ${b}, column ${i}`).toBeLessThan(1e-4);
      }

      // Export (bare names), reload, same outputs bit for bit.
      const outDir = join(root, `${c.kind}-out`);
      await exportPretrained(encoder, outDir, { kind: c.kind, tokenizer });
      const file = readSafetensors(join(outDir, 'model.safetensors'));
      const expected = hfTensorShapes(parseHfConfigJson(c.config), '');
      expect(Object.keys(file.tensors).sort()).toEqual([...expected.keys()].sort());
      for (const [name, shape] of expected) expect(file.tensors[name].shape, name).toEqual(shape);
      const again = loadPretrained(outDir, { backend: cpu, dropout: 0 });
      expect(again.tokenizer.vocab).toEqual(tokenizer.vocab);
      expect(again.hf).toEqual({ ...hf, padTokenId: 0 });
      expect(forward(again.encoder, batch.ids, batch.mask, texts.length, Tn)).toEqual(out);
      encoder.dispose();
      again.encoder.dispose();
    });
  }

  it('a projection head is added on request and refused on export', async () => {
    const dir = join(root, 'proj');
    freshDir(dir);
    writeModelDir(dir, DISTIL_CONFIG, '', 3);
    const { encoder } = loadPretrained(dir, { backend: cpu, projDim: 4 });
    expect(encoder.outDim).toBe(4);
    await expect(exportPretrained(encoder, join(root, 'proj-out'), { kind: 'distilbert' })).rejects.toThrow(/projection head/);
    const pre = new Encoder({ vocabSize: 10 }, { backend: cpu });
    await expect(exportPretrained(pre, join(root, 'pre-out'), { kind: 'bert' })).rejects.toThrow(/post-LN/);
  });

  it('bad directories give clear errors', () => {
    const dir = join(root, 'bad');
    freshDir(dir);
    expect(() => loadPretrained(dir)).toThrow(/config\.json is missing/);
    const w = writeModelDir(dir, BERT_CONFIG, '', 1);
    // A tensor with the wrong shape.
    const name = 'encoder.layer.1.intermediate.dense.weight';
    w[name] = { dtype: 'F32', shape: [FFN, DIM + 1], data: new Float32Array(FFN * (DIM + 1)) };
    writeSafetensors(join(dir, 'model.safetensors'), w);
    expect(() => loadPretrained(dir, { backend: cpu })).toThrow(/intermediate\.dense\.weight" has shape \[12, 9\], config\.json implies \[12, 8\]/);
    delete w[name];
    writeSafetensors(join(dir, 'model.safetensors'), w);
    expect(() => loadPretrained(dir, { backend: cpu })).toThrow(/has no tensor "encoder\.layer\.1\.intermediate\.dense\.weight"/);
  });

  it('config.json sizes are checked against the tensor headers and sane bounds before any allocation', () => {
    const dir = join(root, 'claims');
    freshDir(dir);
    writeModelDir(dir, BERT_CONFIG, '', 1);
    const claim = (over: Record<string, unknown>, bom = '') => writeFileSync(join(dir, 'config.json'), bom + JSON.stringify({ ...BERT_CONFIG, ...over }));
    claim({ hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 4 });
    expect(() => checkPretrainedDir(dir)).toThrow(/word_embeddings\.weight" has shape \[16, 8\], config\.json implies \[16, 2048\] \("hidden_size" is 2048 in .*claims.config\.json\)/);
    claim({ num_hidden_layers: 3 });
    expect(() => loadPretrained(dir, { backend: cpu })).toThrow(/config\.json: "num_hidden_layers" is 3 but .*model\.safetensors has no tensor "encoder\.layer\.2\./);
    claim({ vocab_size: 2_000_000_000 });
    expect(() => loadPretrained(dir, { backend: cpu })).toThrow(/claims.config\.json: "vocab_size" is 2000000000, outside the sane range/);
    claim({ max_position_embeddings: 0 });
    expect(() => loadPretrained(dir, { backend: cpu })).toThrow(/"max_position_embeddings" is 0, outside the sane range \[1, /);
    claim({}, '\uFEFF'); // a byte-order mark is accepted, as in the data files
    expect(checkPretrainedDir(dir).hf.dim).toBe(DIM);
  });
});
