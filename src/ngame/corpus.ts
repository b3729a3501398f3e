// Texts tokenized once up front, and batches cut from them. Each batch is padded only to its
// own longest text (dynamic padding): most texts are far shorter than maxLen, and attention
// costs grow with T², so this is the cheapest speed-up there is.

import type { Tokenizer } from '../model/tokenizer';

export interface Corpus {
  /** (N, maxLen) token ids, row-major. */
  ids: Int32Array;
  /** (N) real-token counts (including [CLS] and [SEP]). */
  lengths: Int32Array;
  n: number;
  maxLen: number;
}

export function tokenizeCorpus(tok: Tokenizer, texts: readonly string[], maxLen: number): Corpus {
  const enc = tok.encodeBatch(texts, maxLen);
  return { ids: enc.ids, lengths: enc.lengths, n: texts.length, maxLen };
}

export interface TokenBatch {
  /** (B, T) */
  ids: Int32Array;
  /** (B, T), 1 on real tokens. */
  mask: Uint8Array;
  B: number;
  T: number;
}

/** Rows `rows` of the corpus, padded to the longest of them. */
export function corpusBatch(c: Corpus, rows: ArrayLike<number>): TokenBatch {
  const B = rows.length;
  let Tn = 1;
  for (let i = 0; i < B; i++) Tn = Math.max(Tn, c.lengths[rows[i]]);
  const ids = new Int32Array(B * Tn);
  const mask = new Uint8Array(B * Tn);
  for (let i = 0; i < B; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < c.n)) throw new Error(`corpusBatch: row ${r} out of range [0, ${c.n})`);
    ids.set(c.ids.subarray(r * c.maxLen, r * c.maxLen + Tn), i * Tn);
    mask.fill(1, i * Tn, i * Tn + c.lengths[r]);
  }
  return { ids, mask, B, T: Tn };
}
