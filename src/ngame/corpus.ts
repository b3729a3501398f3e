// Texts featurized once up front, and batches cut from them, for either encoder kind:
//   tokens (transformer): WordPiece ids; each batch is padded only to its own longest text
//                         (dynamic padding: attention costs grow with T², so this is the
//                         cheapest speed-up there is)
//   bag (bag encoder):    each text's L2-normalised TF-IDF row (term ids and weights), computed
//                         by the run's TfidfVectorizer or read from the dataset's BoW files
// A Featurizer turns new texts into a corpus the same way the run's training texts were.

import type { Tokenizer } from '../model/tokenizer';
import type { TfidfVectorizer } from '../model/tokenizer/tfidf';
import type { BagInput, EncoderInput } from '../model/text-encoder';
import type { CSR } from './data';

export interface TokenCorpus {
  kind: 'tokens';
  /** (N, maxLen) token ids, row-major. */
  ids: Int32Array;
  /** (N) real-token counts (including [CLS] and [SEP]). */
  lengths: Int32Array;
  n: number;
  maxLen: number;
}

export interface BagCorpus {
  kind: 'bag';
  /** (N, V) unit TF-IDF rows. */
  rows: CSR;
  n: number;
}

export type Corpus = TokenCorpus | BagCorpus;

export function tokenizeCorpus(tok: Tokenizer, texts: readonly string[], maxLen: number): TokenCorpus {
  const enc = tok.encodeBatch(texts, maxLen);
  return { kind: 'tokens', ids: enc.ids, lengths: enc.lengths, n: texts.length, maxLen };
}

export function bagCorpus(rows: CSR): BagCorpus {
  return { kind: 'bag', rows, n: rows.rows };
}

/** How a run turns texts into encoder inputs. */
export type Featurizer =
  | { kind: 'tokens'; tokenizer: Tokenizer; maxLen: number }
  | { kind: 'tfidf'; tfidf: TfidfVectorizer }
  /** The dataset's bag-of-words feature files: there is no way to featurize a new raw text. */
  | { kind: 'files'; source: string };

export function featurize(f: Featurizer, texts: readonly string[]): Corpus {
  switch (f.kind) {
    case 'tokens':
      return tokenizeCorpus(f.tokenizer, texts, f.maxLen);
    case 'tfidf':
      return bagCorpus(f.tfidf.transform([...texts]));
    case 'files':
      throw new Error(`this model reads the bag-of-words feature files of ${f.source}: it cannot featurize new raw texts (train without the *_X_Xf.txt files, on the TF-IDF of the texts, to predict on new texts)`);
  }
}

/** Per-row input sizes (tokens or terms): embedCorpus sorts by them so batches pad little. */
export function corpusLengths(c: Corpus): ArrayLike<number> {
  if (c.kind === 'tokens') return c.lengths;
  const n = new Int32Array(c.n);
  for (let r = 0; r < c.n; r++) n[r] = c.rows.indptr[r + 1] - c.rows.indptr[r];
  return n;
}

function checkRow(c: Corpus, r: number): void {
  if (!(Number.isInteger(r) && r >= 0 && r < c.n)) throw new Error(`corpusBatch: row ${r} out of range [0, ${c.n})`);
}

/** Rows `rows` of the corpus as one encoder batch (tokens padded to the longest of them). */
export function corpusBatch(c: Corpus, rows: ArrayLike<number>): EncoderInput {
  const B = rows.length;
  if (c.kind === 'bag') {
    const { indptr, indices, values } = c.rows;
    const offsets = new Int32Array(B + 1);
    for (let i = 0; i < B; i++) {
      checkRow(c, rows[i]);
      offsets[i + 1] = offsets[i] + indptr[rows[i] + 1] - indptr[rows[i]];
    }
    const ids = new Int32Array(offsets[B]);
    const weights = new Float32Array(offsets[B]);
    for (let i = 0; i < B; i++) {
      const a = indptr[rows[i]];
      const b = indptr[rows[i] + 1];
      ids.set(indices.subarray(a, b), offsets[i]);
      weights.set(values.subarray(a, b), offsets[i]);
    }
    return { kind: 'bag', ids, weights, offsets, B };
  }
  let Tn = 1;
  for (let i = 0; i < B; i++) {
    checkRow(c, rows[i]);
    Tn = Math.max(Tn, c.lengths[rows[i]]);
  }
  const ids = new Int32Array(B * Tn);
  const mask = new Uint8Array(B * Tn);
  for (let i = 0; i < B; i++) {
    const r = rows[i];
    ids.set(c.ids.subarray(r * c.maxLen, r * c.maxLen + Tn), i * Tn);
    mask.fill(1, i * Tn, i * Tn + c.lengths[r]);
  }
  return { kind: 'tokens', ids, mask, B, T: Tn };
}

/** Two bag batches as one: a's bags, then b's. */
export function concatBags(a: BagInput, b: BagInput): BagInput {
  const na = a.ids.length;
  const ids = new Int32Array(na + b.ids.length);
  ids.set(a.ids);
  ids.set(b.ids, na);
  const weights = new Float32Array(ids.length);
  weights.set(a.weights);
  weights.set(b.weights, na);
  const offsets = new Int32Array(a.B + b.B + 1);
  offsets.set(a.offsets);
  for (let i = 1; i <= b.B; i++) offsets[a.B + i] = na + b.offsets[i];
  return { kind: 'bag', ids, weights, offsets, B: a.B + b.B };
}
