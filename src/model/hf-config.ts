// Hugging Face model directories in the BERT and DistilBERT layouts: parse `config.json` into a
// neutral encoder description, list the tensor names of `model.safetensors` per layer, and write
// a `config.json` for export. Both layouts are post-LN encoders:
//   x = LN1(x + Attn(x));  x = LN2(x + FFN2(act(FFN1(x))))
// HF Linear weights are stored (out, in): y = x W^T + b. So q/k/v/o weights are (dim, dim),
// ffn1 is (ffn, dim) and ffn2 is (dim, ffn). Embedding tables are (rows, dim).
import { readJsonFile } from '../util/json';
import { writeFileAtomic } from '../util/fs';

export type HfKind = 'bert' | 'distilbert';
/** gelu = exact erf GELU (HF "gelu"); gelu_tanh = tanh approximation ("gelu_new", "gelu_pytorch_tanh"). */
export type HfActivation = 'gelu' | 'gelu_tanh' | 'relu';

export interface HfEncoderConfig {
  kind: HfKind;
  vocabSize: number;
  dim: number;
  layers: number;
  heads: number;
  ffn: number;
  /** max_position_embeddings: rows of the position table. */
  maxLen: number;
  /** LayerNorm epsilon (DistilBERT hard-codes 1e-12). */
  eps: number;
  act: HfActivation;
  /** BERT only: rows of token_type_embeddings (2); 0 for DistilBERT, which has none. */
  typeVocabSize: number;
  padTokenId: number;
}

const ACTIVATIONS: Record<string, HfActivation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  relu: 'relu',
};

/** Parse a config.json file (see parseHfConfigJson). */
export function readHfConfig(path: string): HfEncoderConfig {
  let json: unknown;
  try {
    json = readJsonFile(path);
  } catch (e) {
    throw new Error(`reading HF config ${path}: ${(e as Error).message}`);
  }
  return parseHfConfigJson(json, path);
}

/**
 * Parse a BERT ("hidden_size", "num_hidden_layers", ...) or DistilBERT ("dim", "n_layers", ...)
 * config object. The layout comes from model_type, or from the keys when model_type is absent.
 */
export function parseHfConfigJson(json: unknown, source = 'config.json'): HfEncoderConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${source}: must hold a JSON object`);
  const c = json as Record<string, unknown>;
  let kind: HfKind;
  if (c.model_type === 'bert' || c.model_type === 'distilbert') kind = c.model_type;
  else if (c.model_type !== undefined) {
    throw new Error(`${source}: model_type ${JSON.stringify(c.model_type)} is not supported (only "bert" and "distilbert")`);
  } else if ('hidden_size' in c) kind = 'bert';
  else if ('dim' in c && 'n_layers' in c) kind = 'distilbert';
  else throw new Error(`${source}: no model_type and neither BERT nor DistilBERT keys`);

  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (!Number.isInteger(v) || (v as number) < 0) {
      throw new Error(`${source}: "${key}" must be a non-negative integer, got ${JSON.stringify(c[key])}`);
    }
    return v as number;
  };
  const actName = (kind === 'bert' ? c.hidden_act : c.activation) ?? 'gelu';
  const act = typeof actName === 'string' ? ACTIVATIONS[actName] : undefined;
  if (!act) throw new Error(`${source}: activation ${JSON.stringify(actName)} is not supported (gelu, gelu_new, relu)`);

  const cfg: HfEncoderConfig =
    kind === 'bert'
      ? {
          kind,
          vocabSize: int('vocab_size'),
          dim: int('hidden_size'),
          layers: int('num_hidden_layers'),
          heads: int('num_attention_heads'),
          ffn: int('intermediate_size'),
          maxLen: int('max_position_embeddings', 512),
          eps: typeof c.layer_norm_eps === 'number' ? c.layer_norm_eps : 1e-12,
          act,
          typeVocabSize: int('type_vocab_size', 2),
          padTokenId: int('pad_token_id', 0),
        }
      : {
          kind,
          vocabSize: int('vocab_size'),
          dim: int('dim'),
          layers: int('n_layers'),
          heads: int('n_heads'),
          ffn: int('hidden_dim'),
          maxLen: int('max_position_embeddings', 512),
          eps: 1e-12,
          act,
          typeVocabSize: 0,
          padTokenId: int('pad_token_id', 0),
        };
  if (cfg.heads === 0 || cfg.dim % cfg.heads !== 0) {
    throw new Error(`${source}: hidden size ${cfg.dim} is not divisible by ${cfg.heads} attention heads`);
  }
  if (!(cfg.eps > 0)) throw new Error(`${source}: layer_norm_eps must be positive, got ${cfg.eps}`);
  return cfg;
}

/** The config.json object HF transformers expects for this encoder. */
export function hfConfigJson(cfg: HfEncoderConfig): Record<string, unknown> {
  const actName = cfg.act === 'gelu_tanh' ? 'gelu_new' : cfg.act;
  if (cfg.kind === 'bert') {
    return {
      architectures: ['BertModel'],
      model_type: 'bert',
      vocab_size: cfg.vocabSize,
      hidden_size: cfg.dim,
      num_hidden_layers: cfg.layers,
      num_attention_heads: cfg.heads,
      intermediate_size: cfg.ffn,
      hidden_act: actName,
      max_position_embeddings: cfg.maxLen,
      type_vocab_size: cfg.typeVocabSize,
      layer_norm_eps: cfg.eps,
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      initializer_range: 0.02,
      pad_token_id: cfg.padTokenId,
      position_embedding_type: 'absolute',
    };
  }
  if (cfg.eps !== 1e-12) throw new Error(`hfConfigJson: DistilBERT fixes LayerNorm eps at 1e-12, got ${cfg.eps}`);
  return {
    architectures: ['DistilBertModel'],
    model_type: 'distilbert',
    vocab_size: cfg.vocabSize,
    dim: cfg.dim,
    n_layers: cfg.layers,
    n_heads: cfg.heads,
    hidden_dim: cfg.ffn,
    activation: actName,
    max_position_embeddings: cfg.maxLen,
    dropout: 0.1,
    attention_dropout: 0.1,
    initializer_range: 0.02,
    sinusoidal_pos_embds: false,
    tie_weights_: true,
    pad_token_id: cfg.padTokenId,
  };
}

/** Write config.json (atomically). */
export function writeHfConfig(path: string, cfg: HfEncoderConfig): void {
  writeFileAtomic(path, JSON.stringify(hfConfigJson(cfg), null, 2) + '\n');
}

/** A Linear's or LayerNorm's two tensors. */
export interface HfPair {
  weight: string;
  bias: string;
}

/** Tensor names of one transformer layer, by role. */
export interface HfLayerNames {
  q: HfPair; // weight (dim, dim), bias (dim)
  k: HfPair;
  v: HfPair;
  o: HfPair; // attention output projection (dim, dim)
  ln1: HfPair; // LayerNorm after the attention residual (dim)
  ffn1: HfPair; // weight (ffn, dim), bias (ffn)
  ffn2: HfPair; // weight (dim, ffn), bias (dim)
  ln2: HfPair; // LayerNorm after the feed-forward residual (dim)
}

export interface HfTensorNames {
  wordEmbeddings: string; // (vocabSize, dim)
  positionEmbeddings: string; // (maxLen, dim)
  /** BERT only: (typeVocabSize, dim). Our encoder has no segments: add row 0 to every position. */
  tokenTypeEmbeddings?: string;
  embeddingLn: HfPair; // (dim)
  layers: HfLayerNames[];
}

/** The default name prefix a full checkpoint of each kind uses (e.g. BertForMaskedLM). */
export const HF_PREFIX: Record<HfKind, string> = { bert: 'bert.', distilbert: 'distilbert.' };

/**
 * Tensor names for `layers` layers of the given layout, with `prefix` ('' for a bare BertModel /
 * DistilBertModel as sentence-transformers saves it, or HF_PREFIX[kind] for task models).
 */
export function hfTensorNames(kind: HfKind, layers: number, prefix = ''): HfTensorNames {
  if (!Number.isInteger(layers) || layers < 0) throw new Error(`hfTensorNames: layers must be a non-negative integer, got ${layers}`);
  const pair = (base: string): HfPair => ({ weight: `${prefix}${base}.weight`, bias: `${prefix}${base}.bias` });
  const layerNames: HfLayerNames[] = [];
  for (let i = 0; i < layers; i++) {
    if (kind === 'bert') {
      const l = `encoder.layer.${i}`;
      layerNames.push({
        q: pair(`${l}.attention.self.query`),
        k: pair(`${l}.attention.self.key`),
        v: pair(`${l}.attention.self.value`),
        o: pair(`${l}.attention.output.dense`),
        ln1: pair(`${l}.attention.output.LayerNorm`),
        ffn1: pair(`${l}.intermediate.dense`),
        ffn2: pair(`${l}.output.dense`),
        ln2: pair(`${l}.output.LayerNorm`),
      });
    } else {
      const l = `transformer.layer.${i}`;
      layerNames.push({
        q: pair(`${l}.attention.q_lin`),
        k: pair(`${l}.attention.k_lin`),
        v: pair(`${l}.attention.v_lin`),
        o: pair(`${l}.attention.out_lin`),
        ln1: pair(`${l}.sa_layer_norm`),
        ffn1: pair(`${l}.ffn.lin1`),
        ffn2: pair(`${l}.ffn.lin2`),
        ln2: pair(`${l}.output_layer_norm`),
      });
    }
  }
  return {
    wordEmbeddings: `${prefix}embeddings.word_embeddings.weight`,
    positionEmbeddings: `${prefix}embeddings.position_embeddings.weight`,
    tokenTypeEmbeddings: kind === 'bert' ? `${prefix}embeddings.token_type_embeddings.weight` : undefined,
    embeddingLn: pair('embeddings.LayerNorm'),
    layers: layerNames,
  };
}

/** Every tensor of the layout with its expected shape (for checking a load, and for export). */
export function hfTensorShapes(cfg: HfEncoderConfig, prefix = ''): Map<string, number[]> {
  const n = hfTensorNames(cfg.kind, cfg.layers, prefix);
  const shapes = new Map<string, number[]>();
  const linear = (p: HfPair, out: number, inp: number) => {
    shapes.set(p.weight, [out, inp]);
    shapes.set(p.bias, [out]);
  };
  const norm = (p: HfPair) => {
    shapes.set(p.weight, [cfg.dim]);
    shapes.set(p.bias, [cfg.dim]);
  };
  shapes.set(n.wordEmbeddings, [cfg.vocabSize, cfg.dim]);
  shapes.set(n.positionEmbeddings, [cfg.maxLen, cfg.dim]);
  if (n.tokenTypeEmbeddings) shapes.set(n.tokenTypeEmbeddings, [cfg.typeVocabSize, cfg.dim]);
  norm(n.embeddingLn);
  for (const l of n.layers) {
    for (const p of [l.q, l.k, l.v, l.o]) linear(p, cfg.dim, cfg.dim);
    norm(l.ln1);
    linear(l.ffn1, cfg.ffn, cfg.dim);
    linear(l.ffn2, cfg.dim, cfg.ffn);
    norm(l.ln2);
  }
  return shapes;
}

/**
 * Which prefix the tensor names in a file use: '' or HF_PREFIX[kind] (whichever names the word
 * embeddings). Throws, listing a few names, when neither does.
 */
export function detectHfPrefix(kind: HfKind, names: Iterable<string>, source = 'model.safetensors'): string {
  const all = new Set(names);
  for (const prefix of ['', HF_PREFIX[kind]]) {
    if (all.has(`${prefix}embeddings.word_embeddings.weight`)) return prefix;
  }
  const sample = [...all].slice(0, 5).join(', ');
  throw new Error(`${source}: no ${kind} word embeddings found (expected embeddings.word_embeddings.weight; has ${sample}...)`);
}

/**
 * Look a tensor up by its canonical name, also accepting the TensorFlow-era LayerNorm names
 * ("LayerNorm.gamma"/"LayerNorm.beta") that some converted BERT checkpoints still use.
 */
export function findHfTensor<T>(tensors: Record<string, T>, name: string): T | undefined {
  if (name in tensors) return tensors[name];
  const legacy = name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
  return legacy !== name ? tensors[legacy] : undefined;
}
