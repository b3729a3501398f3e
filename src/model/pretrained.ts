// Pretrained weights in Hugging Face layout, both directions:
//   loadPretrained(dir):  config.json + model.safetensors + vocab.txt (BERT or DistilBERT)
//                          -> a post-LN Encoder and its Tokenizer, ready to fine-tune;
//   exportPretrained(enc): a post-LN Encoder -> the same three files, loadable by HF tooling.
// Both layouts compute x = LN_emb(word + pos [+ type₀]); then per layer
// x = LN1(x + O(Attn(Q x, K x, V x)));  x = LN2(x + W2 act(W1 x)), which is exactly the
// Encoder's post layout. Our encoder has no segment ids: BERT's token-type row 0 (what HF adds
// when token_type_ids are all zero) is folded into the position table on load, and exported
// as a zero token-type table, so reload gives identical outputs.

import { existsSync, mkdirSync } from 'node:fs';
import { readJsonFile } from '../util/json';
import { join } from 'node:path';
import type { Backend, DType } from '../tensor';
import { Encoder, type EncoderConfig } from './encoder';
import { findHfTensor, hfTensorNames, hfTensorShapes, writeHfConfig, type HfEncoderConfig, type HfKind, type HfPair } from './hf-config';
import type { HostTensor } from './params';
import { readSafetensors, writeSafetensors, type LoadedTensor, type SafeTensor } from './safetensors';
import { Tokenizer } from './tokenizer';
import { checkPretrainedDir } from './pretrained-check';

export interface LoadPretrainedOptions {
  backend?: Backend;
  dtype?: DType;
  /** Dropout for fine-tuning (default 0.1, as BERT). */
  dropout?: number;
  /** Adds a freshly initialised projection head of this width (not part of the HF files). */
  projDim?: number;
  /** Seed of that projection's initialisation. */
  seed?: number;
}

export interface Pretrained {
  encoder: Encoder;
  tokenizer: Tokenizer;
  hf: HfEncoderConfig;
}

/** The (our name, HF pair) correspondences of a post-LN encoder with `layers` layers. */
function nameMap(kind: HfKind, layers: number, prefix: string): { ours: string; hf: HfPair; ln: boolean }[] {
  const n = hfTensorNames(kind, layers, prefix);
  const out = [{ ours: 'embed.ln', hf: n.embeddingLn, ln: true }];
  n.layers.forEach((l, i) => {
    const p = `layers.${i}`;
    out.push(
      { ours: `${p}.attn.q`, hf: l.q, ln: false },
      { ours: `${p}.attn.k`, hf: l.k, ln: false },
      { ours: `${p}.attn.v`, hf: l.v, ln: false },
      { ours: `${p}.attn.o`, hf: l.o, ln: false },
      { ours: `${p}.ln1`, hf: l.ln1, ln: true },
      { ours: `${p}.ffn.fc1`, hf: l.ffn1, ln: false },
      { ours: `${p}.ffn.fc2`, hf: l.ffn2, ln: false },
      { ours: `${p}.ln2`, hf: l.ln2, ln: true },
    );
  });
  return out;
}

/** Lowercasing as the directory's tokenizer_config.json says (default true: uncased models). */
function readLowercase(dir: string): boolean {
  const path = join(dir, 'tokenizer_config.json');
  if (!existsSync(path)) return true;
  try {
    const j = readJsonFile(path) as { do_lower_case?: unknown };
    return typeof j.do_lower_case === 'boolean' ? j.do_lower_case : true;
  } catch (e) {
    throw new Error(`loadPretrained: ${path}: ${(e as Error).message}`);
  }
}

/** Loads a BERT- or DistilBERT-layout directory into a post-LN Encoder (see the file comment). */
export function loadPretrained(dir: string, opts: LoadPretrainedOptions = {}): Pretrained {
  // Sizes and tensor shapes checked from config.json and the file's header before any allocation.
  const { hf, prefix, modelPath } = checkPretrainedDir(dir);
  const { tensors } = readSafetensors(modelPath);

  // Every tensor the layout needs must be there with the shape config.json implies.
  const shapes = hfTensorShapes(hf, prefix);
  const take = (name: string): LoadedTensor => {
    const t = findHfTensor(tensors, name);
    if (!t) throw new Error(`loadPretrained: ${modelPath} has no tensor "${name}"`);
    const want = shapes.get(name);
    if (want && (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i]))) {
      throw new Error(`loadPretrained: ${modelPath}: "${name}" has shape [${t.shape.join(', ')}], config.json implies [${want.join(', ')}]`);
    }
    if (t.dtype === 'I32') throw new Error(`loadPretrained: ${modelPath}: "${name}" holds integers, expected floats`);
    return t;
  };

  const tokenizer = Tokenizer.fromVocabFile(join(dir, 'vocab.txt'), { lowercase: readLowercase(dir) });
  if (tokenizer.vocabSize > hf.vocabSize) {
    throw new Error(`loadPretrained: vocab.txt has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${hf.vocabSize}`);
  }

  const config: Partial<EncoderConfig> & { vocabSize: number } = {
    vocabSize: hf.vocabSize, dim: hf.dim, layers: hf.layers, heads: hf.heads, ffn: hf.ffn, maxLen: hf.maxLen,
    dropout: opts.dropout ?? 0.1, layout: 'post', eps: hf.eps, act: hf.act,
  };
  // Only set when asked for: an explicit `projDim: undefined` would not survive a checkpoint's JSON.
  if (opts.projDim !== undefined) config.projDim = opts.projDim;
  const encoder = new Encoder(config, { backend: opts.backend, dtype: opts.dtype, seed: opts.seed });
  const names = hfTensorNames(hf.kind, hf.layers, prefix);
  const values: Record<string, HostTensor> = {};
  const word = take(names.wordEmbeddings);
  values['embed.tokens'] = { shape: word.shape, data: word.data as Float32Array };
  const pos = take(names.positionEmbeddings);
  const posData = Float64Array.from(pos.data);
  if (names.tokenTypeEmbeddings && hf.typeVocabSize > 0) {
    const type0 = take(names.tokenTypeEmbeddings).data; // row 0 = its first `dim` values
    for (let i = 0; i < posData.length; i++) posData[i] += type0[i % hf.dim];
  }
  values['embed.positions'] = { shape: pos.shape, data: posData };
  for (const m of nameMap(hf.kind, hf.layers, prefix)) {
    const [a, b] = m.ln ? ['gamma', 'beta'] : ['weight', 'bias'];
    const w = take(m.hf.weight);
    const bias = take(m.hf.bias);
    values[`${m.ours}.${a}`] = { shape: w.shape, data: w.data as Float32Array };
    values[`${m.ours}.${b}`] = { shape: bias.shape, data: bias.data as Float32Array };
  }
  // A projection head, if asked for, keeps its fresh initialisation.
  encoder.params.load(values, `loadPretrained ${dir}`, opts.projDim === undefined);
  return { encoder, tokenizer, hf };
}

export interface ExportPretrainedOptions {
  kind: HfKind;
  /** Written as vocab.txt (its [PAD] id becomes pad_token_id). */
  tokenizer?: Tokenizer;
}

/** Writes a post-LN Encoder as config.json + model.safetensors (+ vocab.txt) in HF layout. */
export async function exportPretrained(encoder: Encoder, dir: string, opts: ExportPretrainedOptions): Promise<void> {
  const c = encoder.config;
  if (c.layout !== 'post') throw new Error('exportPretrained: only a post-LN encoder has the BERT/DistilBERT layout (config.layout is "pre")');
  if (c.projDim !== undefined) throw new Error('exportPretrained: the projection head has no place in the BERT/DistilBERT layout; export an encoder without projDim');
  if (opts.kind === 'distilbert' && c.eps !== 1e-12) throw new Error(`exportPretrained: DistilBERT fixes LayerNorm eps at 1e-12, the encoder uses ${c.eps}`);
  if (opts.tokenizer && opts.tokenizer.vocabSize > c.vocabSize) {
    throw new Error(`exportPretrained: the tokenizer has ${opts.tokenizer.vocabSize} tokens, more than the encoder's vocabSize ${c.vocabSize}`);
  }
  const hf: HfEncoderConfig = {
    kind: opts.kind, vocabSize: c.vocabSize, dim: c.dim, layers: c.layers, heads: c.heads, ffn: c.ffn, maxLen: c.maxLen,
    eps: c.eps, act: c.act, typeVocabSize: opts.kind === 'bert' ? 2 : 0, padTokenId: opts.tokenizer?.padId ?? 0,
  };
  const host = await encoder.params.toHost();
  const f32 = (h: HostTensor): SafeTensor => ({ dtype: 'F32', shape: h.shape, data: h.data instanceof Float32Array ? h.data : Float32Array.from(h.data) });
  const names = hfTensorNames(opts.kind, c.layers);
  const out: Record<string, SafeTensor> = {
    [names.wordEmbeddings]: f32(host['embed.tokens']),
    [names.positionEmbeddings]: f32(host['embed.positions']),
  };
  if (names.tokenTypeEmbeddings) out[names.tokenTypeEmbeddings] = { dtype: 'F32', shape: [2, c.dim], data: new Float32Array(2 * c.dim) };
  for (const m of nameMap(opts.kind, c.layers, '')) {
    const [a, b] = m.ln ? ['gamma', 'beta'] : ['weight', 'bias'];
    out[m.hf.weight] = f32(host[`${m.ours}.${a}`]);
    out[m.hf.bias] = f32(host[`${m.ours}.${b}`]);
  }
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), out, { format: 'pt' });
  writeHfConfig(join(dir, 'config.json'), hf);
  opts.tokenizer?.saveVocabFile(join(dir, 'vocab.txt'));
}
