// Checks a BERT/DistilBERT directory before anything is allocated for it: every size in
// config.json within sane bounds, and every tensor the layout needs present in model.safetensors'
// header (read alone, no tensor data) with the shape those sizes imply. A config.json that claims
// hidden 2048 over a 2 MB file, or vocab_size 2,000,000,000, fails here in milliseconds with an
// error naming the file and the key, instead of allocating gigabytes first.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../util/json';
import { detectHfPrefix, findHfTensor, hfTensorNames, parseHfConfigJson, type HfEncoderConfig, type HfPair } from './hf-config';
import { readSafetensorsHeader, type SafetensorsHeaderEntry } from './safetensors';

type SizeField = 'vocabSize' | 'dim' | 'layers' | 'heads' | 'ffn' | 'maxLen' | 'typeVocabSize';

/** config.json's key for each size, per layout. */
const KEYS: Record<HfEncoderConfig['kind'], Record<SizeField, string>> = {
  bert: { vocabSize: 'vocab_size', dim: 'hidden_size', layers: 'num_hidden_layers', heads: 'num_attention_heads', ffn: 'intermediate_size', maxLen: 'max_position_embeddings', typeVocabSize: 'type_vocab_size' },
  distilbert: { vocabSize: 'vocab_size', dim: 'dim', layers: 'n_layers', heads: 'n_heads', ffn: 'hidden_dim', maxLen: 'max_position_embeddings', typeVocabSize: 'type_vocab_size' },
};

/** The sane range of each size (the largest public BERT-family models stay far inside them). */
export const PRETRAINED_BOUNDS: Record<SizeField, [number, number]> = {
  vocabSize: [1, 1 << 24],
  dim: [1, 16384],
  layers: [1, 256],
  heads: [1, 1024],
  ffn: [1, 262144],
  maxLen: [1, 1 << 20],
  typeVocabSize: [0, 1024],
};

const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);

export interface CheckedPretrained {
  hf: HfEncoderConfig;
  /** Tensor-name prefix of the file ('' or e.g. 'bert.'). */
  prefix: string;
  configPath: string;
  modelPath: string;
}

/** Checks `dir` (see the file comment); throws naming the file and the key at fault. */
export function checkPretrainedDir(dir: string): CheckedPretrained {
  for (const f of ['config.json', 'model.safetensors', 'vocab.txt']) {
    if (!existsSync(join(dir, f))) throw new Error(`loadPretrained: ${join(dir, f)} is missing`);
  }
  const configPath = join(dir, 'config.json');
  const modelPath = join(dir, 'model.safetensors');
  let json: unknown;
  try {
    json = readJsonFile(configPath);
  } catch (e) {
    throw new Error(`reading HF config ${configPath}: ${(e as Error).message}`);
  }
  const hf = parseHfConfigJson(json, configPath);
  const keys = KEYS[hf.kind];
  for (const [field, [lo, hi]] of Object.entries(PRETRAINED_BOUNDS) as [SizeField, [number, number]][]) {
    if (hf.kind === 'distilbert' && field === 'typeVocabSize') continue;
    const v = hf[field];
    if (v < lo || v > hi) throw new Error(`${configPath}: "${keys[field]}" is ${v}, outside the sane range [${lo}, ${hi}]`);
  }

  const header = readSafetensorsHeader(modelPath);
  const byName: Record<string, SafetensorsHeaderEntry> = {};
  for (const t of header.tensors) byName[t.name] = t;
  const prefix = detectHfPrefix(hf.kind, Object.keys(byName), modelPath);
  const names = hfTensorNames(hf.kind, hf.layers, prefix);

  // Each tensor with its expected shape, each dimension tied to the config key that sets it.
  const expected: { name: string; dims: SizeField[]; layerKey?: boolean }[] = [
    { name: names.wordEmbeddings, dims: ['vocabSize', 'dim'] },
    { name: names.positionEmbeddings, dims: ['maxLen', 'dim'] },
  ];
  if (names.tokenTypeEmbeddings && hf.typeVocabSize > 0) expected.push({ name: names.tokenTypeEmbeddings, dims: ['typeVocabSize', 'dim'] });
  const pair = (p: HfPair, out: SizeField, inp: SizeField | null, layerKey = true) => {
    expected.push({ name: p.weight, dims: inp ? [out, inp] : [out], layerKey }, { name: p.bias, dims: [out], layerKey });
  };
  pair(names.embeddingLn, 'dim', null, false);
  for (const l of names.layers) {
    for (const p of [l.q, l.k, l.v, l.o]) pair(p, 'dim', 'dim');
    pair(l.ln1, 'dim', null);
    pair(l.ffn1, 'ffn', 'dim');
    pair(l.ffn2, 'dim', 'ffn');
    pair(l.ln2, 'dim', null);
  }

  for (const e of expected) {
    const t = findHfTensor(byName, e.name);
    if (!t) {
      const why = e.layerKey ? `"${keys.layers}" is ${hf.layers} but ` : '';
      throw new Error(`${configPath}: ${why}${modelPath} has no tensor "${e.name}"`);
    }
    if (!FLOAT_DTYPES.has(t.dtype)) throw new Error(`${modelPath}: "${t.name}" holds ${t.dtype}, expected floats`);
    const want = e.dims.map((f) => hf[f]);
    if (t.shape.length !== want.length) {
      throw new Error(`${modelPath}: "${t.name}" has shape [${t.shape.join(', ')}], config.json implies [${want.join(', ')}] (${configPath})`);
    }
    const d = want.findIndex((w, i) => t.shape[i] !== w);
    if (d >= 0) {
      throw new Error(`${modelPath}: "${t.name}" has shape [${t.shape.join(', ')}], config.json implies [${want.join(', ')}] ("${keys[e.dims[d]]}" is ${want[d]} in ${configPath})`);
    }
  }
  return { hf, prefix, configPath, modelPath };
}
