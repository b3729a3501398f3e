// HF config.json parsing for the BERT and DistilBERT layouts, tensor names, and config export.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  detectHfPrefix,
  findHfTensor,
  hfConfigJson,
  hfTensorNames,
  hfTensorShapes,
  parseHfConfigJson,
  readHfConfig,
  writeHfConfig,
  type HfEncoderConfig,
} from '../../src/model/hf-config';

// config.json of bert-base-uncased as published on the HF hub.
const BERT_BASE = {
  architectures: ['BertForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  gradient_checkpointing: false,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  transformers_version: '4.6.0.dev0',
  type_vocab_size: 2,
  use_cache: true,
  vocab_size: 30522,
};

// config.json of sentence-transformers/msmarco-distilbert-base-v4.
const MSMARCO_DISTILBERT = {
  _name_or_path: 'distilbert-base-uncased',
  activation: 'gelu',
  architectures: ['DistilBertModel'],
  attention_dropout: 0.1,
  dim: 768,
  dropout: 0.1,
  hidden_dim: 3072,
  initializer_range: 0.02,
  max_position_embeddings: 512,
  model_type: 'distilbert',
  n_heads: 12,
  n_layers: 6,
  pad_token_id: 0,
  qa_dropout: 0.1,
  seq_classif_dropout: 0.2,
  sinusoidal_pos_embds: false,
  tie_weights_: true,
  transformers_version: '4.7.0',
  vocab_size: 30522,
};

/** Parameters of every tensor in the layout. */
const parameterCount = (cfg: HfEncoderConfig) => [...hfTensorShapes(cfg).values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

describe('parseHfConfigJson', () => {
  it('parses bert-base-uncased', () => {
    const cfg = parseHfConfigJson(BERT_BASE);
    expect(cfg).toEqual({
      kind: 'bert', vocabSize: 30522, dim: 768, layers: 12, heads: 12, ffn: 3072, maxLen: 512, eps: 1e-12, act: 'gelu', typeVocabSize: 2, padTokenId: 0,
    });
    // BertModel has 109,482,240 parameters, of which the pooler (not listed) holds 768·768 + 768.
    expect(parameterCount(cfg)).toBe(109_482_240 - 590_592);
  });

  it('parses msmarco-distilbert-base-v4 (DistilBERT keys, eps fixed at 1e-12)', () => {
    const cfg = parseHfConfigJson(MSMARCO_DISTILBERT);
    expect(cfg).toEqual({
      kind: 'distilbert', vocabSize: 30522, dim: 768, layers: 6, heads: 12, ffn: 3072, maxLen: 512, eps: 1e-12, act: 'gelu', typeVocabSize: 0, padTokenId: 0,
    });
    expect(parameterCount(cfg)).toBe(66_362_880); // DistilBertModel's parameter count
  });

  it('infers the layout from the keys when model_type is missing, and reads gelu_new', () => {
    const { model_type: _b, ...bert } = BERT_BASE;
    const { model_type: _d, ...distil } = MSMARCO_DISTILBERT;
    expect(parseHfConfigJson({ ...bert, hidden_act: 'gelu_new' })).toMatchObject({ kind: 'bert', act: 'gelu_tanh' });
    expect(parseHfConfigJson(distil).kind).toBe('distilbert');
  });

  it('gives clear errors', () => {
    expect(() => parseHfConfigJson({ ...BERT_BASE, model_type: 'roberta' }, 'x/config.json')).toThrow(
      'x/config.json: model_type "roberta" is not supported (only "bert" and "distilbert")',
    );
    expect(() => parseHfConfigJson({ ...BERT_BASE, num_attention_heads: 7 })).toThrow(/hidden size 768 is not divisible by 7 attention heads/);
    expect(() => parseHfConfigJson({ ...BERT_BASE, hidden_size: '768' })).toThrow(/"hidden_size" must be a non-negative integer, got "768"/);
    expect(() => parseHfConfigJson({ ...BERT_BASE, hidden_act: 'swish' })).toThrow(/activation "swish" is not supported/);
    expect(() => parseHfConfigJson({ foo: 1 })).toThrow(/no model_type and neither BERT nor DistilBERT keys/);
    expect(() => parseHfConfigJson([])).toThrow(/must hold a JSON object/);
  });

  it('readHfConfig names the file on bad JSON', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ngame-hf-')), 'config.json');
    writeFileSync(path, '{"model_type": ');
    expect(() => readHfConfig(path)).toThrow(new RegExp(`reading HF config ${path}`));
  });
});

describe('tensor names', () => {
  it('BERT layout, with and without the "bert." prefix', () => {
    const n = hfTensorNames('bert', 2);
    expect(n.wordEmbeddings).toBe('embeddings.word_embeddings.weight');
    expect(n.positionEmbeddings).toBe('embeddings.position_embeddings.weight');
    expect(n.tokenTypeEmbeddings).toBe('embeddings.token_type_embeddings.weight');
    expect(n.embeddingLn).toEqual({ weight: 'embeddings.LayerNorm.weight', bias: 'embeddings.LayerNorm.bias' });
    expect(n.layers).toHaveLength(2);
    expect(n.layers[1]).toEqual({
      q: { weight: 'encoder.layer.1.attention.self.query.weight', bias: 'encoder.layer.1.attention.self.query.bias' },
      k: { weight: 'encoder.layer.1.attention.self.key.weight', bias: 'encoder.layer.1.attention.self.key.bias' },
      v: { weight: 'encoder.layer.1.attention.self.value.weight', bias: 'encoder.layer.1.attention.self.value.bias' },
      o: { weight: 'encoder.layer.1.attention.output.dense.weight', bias: 'encoder.layer.1.attention.output.dense.bias' },
      ln1: { weight: 'encoder.layer.1.attention.output.LayerNorm.weight', bias: 'encoder.layer.1.attention.output.LayerNorm.bias' },
      ffn1: { weight: 'encoder.layer.1.intermediate.dense.weight', bias: 'encoder.layer.1.intermediate.dense.bias' },
      ffn2: { weight: 'encoder.layer.1.output.dense.weight', bias: 'encoder.layer.1.output.dense.bias' },
      ln2: { weight: 'encoder.layer.1.output.LayerNorm.weight', bias: 'encoder.layer.1.output.LayerNorm.bias' },
    });
    const p = hfTensorNames('bert', 1, 'bert.');
    expect(p.embeddingLn.weight).toBe('bert.embeddings.LayerNorm.weight');
    expect(p.layers[0].ffn2.bias).toBe('bert.encoder.layer.0.output.dense.bias');
  });

  it('DistilBERT layout, with and without the "distilbert." prefix', () => {
    const n = hfTensorNames('distilbert', 1, 'distilbert.');
    expect(n.tokenTypeEmbeddings).toBeUndefined();
    expect(n.wordEmbeddings).toBe('distilbert.embeddings.word_embeddings.weight');
    expect(n.layers[0]).toEqual({
      q: { weight: 'distilbert.transformer.layer.0.attention.q_lin.weight', bias: 'distilbert.transformer.layer.0.attention.q_lin.bias' },
      k: { weight: 'distilbert.transformer.layer.0.attention.k_lin.weight', bias: 'distilbert.transformer.layer.0.attention.k_lin.bias' },
      v: { weight: 'distilbert.transformer.layer.0.attention.v_lin.weight', bias: 'distilbert.transformer.layer.0.attention.v_lin.bias' },
      o: { weight: 'distilbert.transformer.layer.0.attention.out_lin.weight', bias: 'distilbert.transformer.layer.0.attention.out_lin.bias' },
      ln1: { weight: 'distilbert.transformer.layer.0.sa_layer_norm.weight', bias: 'distilbert.transformer.layer.0.sa_layer_norm.bias' },
      ffn1: { weight: 'distilbert.transformer.layer.0.ffn.lin1.weight', bias: 'distilbert.transformer.layer.0.ffn.lin1.bias' },
      ffn2: { weight: 'distilbert.transformer.layer.0.ffn.lin2.weight', bias: 'distilbert.transformer.layer.0.ffn.lin2.bias' },
      ln2: { weight: 'distilbert.transformer.layer.0.output_layer_norm.weight', bias: 'distilbert.transformer.layer.0.output_layer_norm.bias' },
    });
  });

  it('shapes follow HF Linear (out, in)', () => {
    const cfg = parseHfConfigJson({ ...MSMARCO_DISTILBERT, dim: 8, n_heads: 2, hidden_dim: 32, n_layers: 1, vocab_size: 50, max_position_embeddings: 16 });
    const shapes = hfTensorShapes(cfg);
    const n = hfTensorNames('distilbert', 1);
    expect(shapes.get(n.wordEmbeddings)).toEqual([50, 8]);
    expect(shapes.get(n.positionEmbeddings)).toEqual([16, 8]);
    expect(shapes.get(n.layers[0].q.weight)).toEqual([8, 8]);
    expect(shapes.get(n.layers[0].ffn1.weight)).toEqual([32, 8]);
    expect(shapes.get(n.layers[0].ffn1.bias)).toEqual([32]);
    expect(shapes.get(n.layers[0].ffn2.weight)).toEqual([8, 32]);
    expect(shapes.get(n.layers[0].ln2.bias)).toEqual([8]);
    expect(shapes.size).toBe(4 + 16);
  });

  it('detects the prefix and accepts legacy LayerNorm gamma/beta names', () => {
    expect(detectHfPrefix('bert', ['bert.embeddings.word_embeddings.weight', 'cls.predictions.bias'])).toBe('bert.');
    expect(detectHfPrefix('distilbert', ['embeddings.word_embeddings.weight'])).toBe('');
    expect(() => detectHfPrefix('bert', ['roberta.embeddings.word_embeddings.weight'], 'm.safetensors')).toThrow(
      /m.safetensors: no bert word embeddings found/,
    );
    const tensors = { 'bert.embeddings.LayerNorm.gamma': 1, 'bert.embeddings.LayerNorm.beta': 2, x: 3 };
    const n = hfTensorNames('bert', 0, 'bert.');
    expect(findHfTensor(tensors, n.embeddingLn.weight)).toBe(1);
    expect(findHfTensor(tensors, n.embeddingLn.bias)).toBe(2);
    expect(findHfTensor(tensors, 'x')).toBe(3);
    expect(findHfTensor(tensors, 'y')).toBeUndefined();
  });
});

describe('export', () => {
  it('writeHfConfig round-trips through the parser for both layouts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ngame-hf-'));
    for (const source of [BERT_BASE, MSMARCO_DISTILBERT]) {
      const cfg = parseHfConfigJson(source);
      const path = join(dir, `${cfg.kind}.json`);
      writeHfConfig(path, cfg);
      const written = JSON.parse(readFileSync(path, 'utf8'));
      expect(written.model_type).toBe(cfg.kind);
      expect(written.architectures).toEqual([cfg.kind === 'bert' ? 'BertModel' : 'DistilBertModel']);
      expect(readHfConfig(path)).toEqual(cfg);
    }
  });

  it('refuses a DistilBERT export with a LayerNorm eps DistilBERT cannot express', () => {
    const cfg = { ...parseHfConfigJson(MSMARCO_DISTILBERT), eps: 1e-5 };
    expect(() => hfConfigJson(cfg)).toThrow(/DistilBERT fixes LayerNorm eps at 1e-12/);
  });
});
