// The first stage of a run: the encoder and the featurizer that turns texts into its input,
// made fresh, from a pretrained directory, or restored from the run's checkpoint.
//   bag (default):  TfidfVectorizer fitted on training documents + label texts, or the dataset's
//                   bag-of-words feature files  ->  BagEncoder over that vocabulary
//   transformer:    learned WordPiece (or bert-base-uncased) vocabulary  ->  Encoder
//   pretrained:     the directory's vocabulary and weights  ->  post-LN Encoder

import type { Backend } from '../tensor';
import { BagEncoder } from '../model/bag-encoder';
import { Encoder } from '../model/encoder';
import { loadTraining, restoreOptimizer, restoreRng } from '../model/checkpoint';
import { loadPretrained } from '../model/pretrained';
import type { TextEncoder } from '../model/text-encoder';
import { Tokenizer } from '../model/tokenizer';
import { TfidfVectorizer } from '../model/tokenizer/tfidf';
import { bagCorpus, featurize, type Corpus, type Featurizer } from './corpus';
import type { Dataset } from './data';
import type { RunConfig } from './run-config';
import type { M1Resume } from './train-m1';
import type { ValidationSet } from './validation';
import { BAG_TABLE_FIX, checkTableMemory } from './preflight';

export interface Model {
  encoder: TextEncoder;
  featurizer: Featurizer;
  /** What to print about where the model came from. */
  origin: string;
}

export function makeTokenizer(cfg: RunConfig, data: Dataset): Tokenizer {
  if (cfg.vocabSize === 0) return Tokenizer.bertBaseUncased();
  return Tokenizer.learn([...data.trainTexts, ...data.labelTexts], cfg.vocabSize);
}

/** Whether this run reads the dataset's bag-of-words files (errors when `files` is asked for and absent). */
export function usesFeatureFiles(cfg: RunConfig, data: Dataset): boolean {
  if (cfg.encoder.kind !== 'bag' || cfg.features.source === 'text') return false;
  if (data.features) return true;
  if (cfg.features.source === 'files') throw new Error(`features.source is "files" but ${data.dir} has no trn_X_Xf.txt, tst_X_Xf.txt and lbl_X_Xf.txt (docs/data.md)`);
  return false;
}

/** A fresh encoder and featurizer for `cfg` (the pretrained directory's when cfg.pretrained is set). */
export function freshModel(cfg: RunConfig, data: Dataset, backend: Backend): Model {
  if (cfg.pretrained !== null) {
    // Fine-tune a pretrained post-LN encoder with its own WordPiece vocabulary.
    const pre = loadPretrained(cfg.pretrained, { backend, dropout: cfg.encoder.dropout, seed: cfg.seed });
    if (cfg.maxLen > pre.hf.maxLen) {
      pre.encoder.dispose();
      throw new Error(`maxLen ${cfg.maxLen} exceeds the ${pre.hf.maxLen} positions of the pretrained encoder in ${cfg.pretrained}`);
    }
    const origin = `pretrained: ${cfg.pretrained} (${pre.hf.kind}, ${pre.hf.layers} layers, dim ${pre.hf.dim}, vocabulary ${pre.tokenizer.vocabSize})`;
    return { encoder: pre.encoder, featurizer: { kind: 'tokens', tokenizer: pre.tokenizer, maxLen: cfg.maxLen }, origin };
  }
  const { dim, dropout } = cfg.encoder;
  if (cfg.encoder.kind === 'bag') {
    let featurizer: Featurizer;
    let vocabSize: number;
    let what: string;
    if (usesFeatureFiles(cfg, data)) {
      featurizer = { kind: 'files', source: data.dir };
      vocabSize = data.features!.train.cols;
      what = `bag-of-words feature files of ${data.name}`;
    } else {
      const { ngrams, minDf, maxVocab } = cfg.features;
      const tfidf = new TfidfVectorizer({ ngrams: ngrams as 1 | 2, minDf, maxVocab }).fit([...data.trainTexts, ...data.labelTexts]);
      featurizer = { kind: 'tfidf', tfidf };
      vocabSize = tfidf.vocabSize;
      what = `TF-IDF of ${ngrams === 2 ? 'word unigrams and bigrams' : 'word unigrams'}`;
    }
    // before the table is made: one that cannot fit memory even as row shards fails here
    checkTableMemory(`encoder parameter "embed.terms" (${vocabSize} × ${dim} f32)`, vocabSize * dim * 4, BAG_TABLE_FIX);
    const encoder = new BagEncoder({ vocabSize, dim, dropout }, { backend, seed: cfg.seed });
    return { encoder, featurizer, origin: `encoder: bag of ${vocabSize} term embeddings, dim ${dim}, over the ${what}` };
  }
  const tok = makeTokenizer(cfg, data);
  const encoder = new Encoder({ vocabSize: tok.vocabSize, maxLen: cfg.maxLen, ...cfg.encoder }, { backend, seed: cfg.seed });
  return { encoder, featurizer: { kind: 'tokens', tokenizer: tok, maxLen: cfg.maxLen }, origin: `encoder: transformer, ${cfg.encoder.layers} layers, dim ${dim}, vocabulary ${tok.vocabSize}` };
}

/** The model of a saved checkpoint directory, with what M1 needs to continue (optimizer, generator). */
export function checkpointModel(ckDir: string, cfg: RunConfig, dataDir: string, backend: Backend): Model & { loaded: ReturnType<typeof loadTraining> } {
  const loaded = loadTraining(ckDir, { backend });
  const encoder = loaded.encoders.encoder;
  if (!encoder) throw new Error(`${ckDir}: checkpoint has no encoder`);
  if (encoder.kind !== cfg.encoder.kind) throw new Error(`${ckDir}: the checkpoint holds a ${encoder.kind} encoder, the configuration asks for encoder.kind "${cfg.encoder.kind}"`);
  let featurizer: Featurizer;
  if (encoder.kind === 'transformer') {
    if (!loaded.tokenizer) throw new Error(`${ckDir}: checkpoint has no tokenizer`);
    featurizer = { kind: 'tokens', tokenizer: loaded.tokenizer, maxLen: cfg.maxLen };
  } else if (loaded.tfidf) {
    featurizer = { kind: 'tfidf', tfidf: loaded.tfidf };
  } else {
    featurizer = { kind: 'files', source: dataDir };
  }
  return { encoder, featurizer, origin: `checkpoint: ${ckDir}`, loaded };
}

/** M1's resume state from a loaded checkpoint and the saved memory bank. */
export function resumeState(m: ReturnType<typeof checkpointModel>, bank: Float32Array | undefined): M1Resume {
  const ck = m.loaded;
  return { epoch: Number(ck.extra.epoch ?? 0), step: ck.step, opt: restoreOptimizer(ck, m.encoder.params) ?? undefined, rng: restoreRng(ck) ?? undefined, bank };
}

/** The featurized training documents, labels, test documents and (with a split) validation documents. */
export function makeCorpora(model: Model, data: Dataset, val: ValidationSet | null): { train: Corpus; labels: Corpus; test: Corpus; val: Corpus | null } {
  if (model.featurizer.kind === 'files') {
    const f = data.features;
    if (!f) throw new Error(`this model reads bag-of-words feature files, but ${data.dir} has none (docs/data.md)`);
    if (f.train.cols !== model.encoder.params.get('embed.terms').shape[0]) {
      throw new Error(`${data.dir}: the feature files have ${f.train.cols} columns, the model's term table ${model.encoder.params.get('embed.terms').shape[0]} rows`);
    }
    const vf = val?.features;
    if (val && !vf) throw new Error('the validation split has no feature rows');
    return { train: bagCorpus(f.train), labels: bagCorpus(f.labels), test: bagCorpus(f.test), val: vf ? bagCorpus(vf) : null };
  }
  const fz = model.featurizer;
  return {
    train: featurize(fz, data.trainTexts), labels: featurize(fz, data.labelTexts), test: featurize(fz, data.testTexts),
    val: val ? featurize(fz, val.texts) : null,
  };
}

/** What saveTraining stores of the featurizer (the tokenizer, or the TF-IDF vocabulary and idf). */
export function featurizerState(f: Featurizer): { tokenizer: Tokenizer | null; tfidf: TfidfVectorizer | null } {
  return { tokenizer: f.kind === 'tokens' ? f.tokenizer : null, tfidf: f.kind === 'tfidf' ? f.tfidf : null };
}
