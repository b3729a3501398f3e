// The TF-IDF featurizer: the reference baselines' vectors (src/ngame/baselines) and the input of
// the bag-of-embeddings encoder, which embeds a text as Σ_t w_t · E[t] over the terms t of its
// TF-IDF row. Both must see the same numbers, so there is one implementation, here, and a saved
// model carries its fitted state (toJSON / fromJSON) to recompute the rows at eval/predict time.
//
// As ../shared/data/README.md specifies for the baselines:
//   tokens:  lowercase, then every maximal run of [a-z0-9] (single characters included)
//   terms:   the tokens (ngrams 1), or the tokens then every adjacent pair "a b" (ngrams 2)
//   tf:      1 + ln(count)                       (sublinear)
//   idf:     ln((n + 1) / (df + 1)) + 1           (smoothed; n, df over the fitting texts)
//   rows:    L2-normalised
// Terms never seen while fitting (or pruned by minDf / maxVocab) are ignored at transform time,
// so a text without a known term gives an EMPTY row (no entries, not a row of zeros); callers
// that need a vector for it must handle that (the baselines give it no predictions).
//
// Term ids are deterministic: kept terms are numbered in the order of their first occurrence in
// the fitting texts (text by text, within a text unigrams first, then bigrams, left to right).
// With the default options nothing is pruned and the ids, idf and rows are exactly those of the
// baselines before this file existed (bit for bit; docs/data.md).
import type { CSR } from '../../util/csr';

const TOKEN = /[a-z0-9]+/g;

/** Lowercase, then every maximal run of [a-z0-9]. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

export interface TfidfOptions {
  /** 1: word unigrams; 2: unigrams plus adjacent word bigrams "a b" (default 1). */
  ngrams?: 1 | 2;
  /** Terms in fewer fitting texts than this are dropped (default 1: keep all). */
  minDf?: number;
  /** Keep only this many terms, the most frequent by df, ties by first occurrence (default 0: all). */
  maxVocab?: number;
}

export const DEFAULT_TFIDF_OPTIONS: Readonly<Required<TfidfOptions>> = Object.freeze({ ngrams: 1, minDf: 1, maxVocab: 0 });

/** The saved form: options, vocabulary in id order and idf per term (float64, exact through JSON). */
export interface TfidfJSON {
  format: 'ngame-tfidf';
  version: 1;
  ngrams: 1 | 2;
  minDf: number;
  maxVocab: number;
  /** n: the number of fitting texts (informational; the idf values are what transforms use). */
  fitTexts: number;
  /** (vocabSize) term of each id. */
  terms: string[];
  /** (vocabSize) idf of each id. */
  idf: number[];
}

/** The terms of `text` with repetitions: tokens, then (ngrams 2) adjacent token pairs "a b". */
export function tfidfTerms(text: string, ngrams: 1 | 2 = 1): string[] {
  const toks = tokenize(text);
  if (ngrams === 1 || toks.length < 2) return toks;
  const out = toks.slice();
  for (let i = 1; i < toks.length; i++) out.push(`${toks[i - 1]} ${toks[i]}`);
  return out;
}

/** Validated options; `field` names the option in errors as `source: field 'x' ...`. */
function resolveOptions(o: { ngrams?: unknown; minDf?: unknown; maxVocab?: unknown }, source: string): Required<TfidfOptions> {
  const ngrams = o.ngrams ?? DEFAULT_TFIDF_OPTIONS.ngrams;
  const minDf = o.minDf ?? DEFAULT_TFIDF_OPTIONS.minDf;
  const maxVocab = o.maxVocab ?? DEFAULT_TFIDF_OPTIONS.maxVocab;
  if (ngrams !== 1 && ngrams !== 2) throw new Error(`${source}: field 'ngrams' must be 1 or 2, got ${JSON.stringify(ngrams)}`);
  if (!Number.isSafeInteger(minDf) || (minDf as number) < 1) {
    throw new Error(`${source}: field 'minDf' must be an integer >= 1, got ${JSON.stringify(minDf)}`);
  }
  if (!Number.isSafeInteger(maxVocab) || (maxVocab as number) < 0) {
    throw new Error(`${source}: field 'maxVocab' must be an integer >= 0 (0 = all terms), got ${JSON.stringify(maxVocab)}`);
  }
  return { ngrams, minDf: minDf as number, maxVocab: maxVocab as number };
}

const UNIGRAM = /^[a-z0-9]+$/;
const UP_TO_BIGRAM = /^[a-z0-9]+( [a-z0-9]+)?$/;

export class TfidfVectorizer {
  readonly options: Readonly<Required<TfidfOptions>>;
  /** term → term id */
  readonly vocab = new Map<string, number>();
  /** (vocabSize) inverse document frequencies */
  idf = new Float64Array(0);
  /** n: the number of texts the vectorizer was fitted on. */
  fitTexts = 0;
  /** (vocabSize) term of each id */
  private termList: string[] = [];

  constructor(options: TfidfOptions = {}) {
    this.options = Object.freeze(resolveOptions(options, 'TfidfVectorizer'));
  }

  get vocabSize(): number {
    return this.termList.length;
  }

  /** (vocabSize) the terms in id order. */
  get terms(): readonly string[] {
    return this.termList;
  }

  /**
   * Learns vocabulary and idf from `texts` (each text counts once per term for df), replacing any
   * earlier fit. Pruning (minDf, then maxVocab) keeps the first-occurrence order of the kept terms.
   */
  fit(texts: string[]): this {
    const { ngrams, minDf, maxVocab } = this.options;
    const first = new Map<string, number>(); // term → first-occurrence index
    const df: number[] = [];
    const lastText: number[] = []; // the last text that counted towards df[term]
    for (let d = 0; d < texts.length; d++) {
      for (const term of tfidfTerms(texts[d], ngrams)) {
        let id = first.get(term);
        if (id === undefined) {
          id = first.size;
          first.set(term, id);
          df.push(0);
          lastText.push(-1);
        }
        if (lastText[id] !== d) {
          lastText[id] = d;
          df[id]++;
        }
      }
    }
    const all = [...first.keys()];
    let kept: number[] = [];
    for (let i = 0; i < all.length; i++) if (df[i] >= minDf) kept.push(i);
    if (maxVocab > 0 && kept.length > maxVocab) {
      // Most frequent first, ties by first occurrence; then back to first-occurrence order.
      kept = kept
        .sort((a, b) => df[b] - df[a] || a - b)
        .slice(0, maxVocab)
        .sort((a, b) => a - b);
    }
    const n = texts.length;
    this.vocab.clear();
    this.termList = kept.map((i) => all[i]);
    this.termList.forEach((t, id) => this.vocab.set(t, id));
    this.idf = Float64Array.from(kept, (i) => Math.log((n + 1) / (df[i] + 1)) + 1);
    this.fitTexts = n;
    return this;
  }

  /**
   * Appends the row of `text` (increasing term ids, L2-normalised weights as float64 before the
   * float32 store) to idx/val. The arithmetic order is fixed: it defines the baselines' numbers.
   */
  private appendRow(text: string, counts: Map<number, number>, idx: number[], val: number[]): void {
    counts.clear();
    for (const term of tfidfTerms(text, this.options.ngrams)) {
      const id = this.vocab.get(term);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const ids = [...counts.keys()].sort((a, b) => a - b);
    const w = ids.map((id) => (1 + Math.log(counts.get(id)!)) * this.idf[id]);
    const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    ids.forEach((id, j) => {
      idx.push(id);
      val.push(norm > 0 ? w[j] / norm : 0);
    });
  }

  /** (texts × vocabSize) L2-normalised sublinear TF-IDF rows, columns in increasing term id. */
  transform(texts: string[]): CSR {
    const indptr = new Int32Array(texts.length + 1);
    const idx: number[] = [];
    const val: number[] = [];
    const counts = new Map<number, number>();
    texts.forEach((text, r) => {
      this.appendRow(text, counts, idx, val);
      indptr[r + 1] = idx.length;
    });
    return { rows: texts.length, cols: this.vocabSize, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
  }

  /** The row of one text: term ids (increasing) and their weights; both empty without a known term. */
  transformOne(text: string): { indices: Int32Array; values: Float32Array } {
    const idx: number[] = [];
    const val: number[] = [];
    this.appendRow(text, new Map(), idx, val);
    return { indices: Int32Array.from(idx), values: Float32Array.from(val) };
  }

  toJSON(): TfidfJSON {
    const { ngrams, minDf, maxVocab } = this.options;
    return {
      format: 'ngame-tfidf',
      version: 1,
      ngrams,
      minDf,
      maxVocab,
      fitTexts: this.fitTexts,
      terms: this.termList.slice(),
      idf: Array.from(this.idf),
    };
  }

  /**
   * The vectorizer saved by toJSON (parsed JSON); its transforms equal the original's bit for bit.
   * `source` (a file path, a checkpoint field) starts every error message, which names the field.
   */
  static fromJSON(json: unknown, source = 'TfidfVectorizer.fromJSON'): TfidfVectorizer {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${source}: expected a JSON object`);
    const j = json as Record<string, unknown>;
    if (j.format !== 'ngame-tfidf' || j.version !== 1) {
      throw new Error(`${source}: field 'format'/'version' must be 'ngame-tfidf'/1 (not a saved TF-IDF featurizer), got ${JSON.stringify(j.format)}/${JSON.stringify(j.version)}`);
    }
    for (const k of ['ngrams', 'minDf', 'maxVocab'] as const) if (j[k] === undefined) throw new Error(`${source}: field '${k}' is missing`);
    const v = new TfidfVectorizer(resolveOptions(j, source));
    const { ngrams, maxVocab } = v.options;
    if (!Number.isSafeInteger(j.fitTexts) || (j.fitTexts as number) < 0) {
      throw new Error(`${source}: field 'fitTexts' must be an integer >= 0, got ${JSON.stringify(j.fitTexts)}`);
    }
    const terms = j.terms;
    const idf = j.idf;
    if (!Array.isArray(terms)) throw new Error(`${source}: field 'terms' must be an array of strings`);
    if (!Array.isArray(idf)) throw new Error(`${source}: field 'idf' must be an array of numbers`);
    if (idf.length !== terms.length) throw new Error(`${source}: field 'idf' has ${idf.length} values for ${terms.length} terms`);
    if (maxVocab > 0 && terms.length > maxVocab) throw new Error(`${source}: field 'terms' has ${terms.length} terms, more than maxVocab ${maxVocab}`);
    // A term the tokenizer cannot produce would silently never match, so it is an error.
    const shape = ngrams === 1 ? UNIGRAM : UP_TO_BIGRAM;
    const what = ngrams === 1 ? 'a [a-z0-9]+ token' : "a [a-z0-9]+ token or two joined by one space";
    terms.forEach((t: unknown, i) => {
      if (typeof t !== 'string' || !shape.test(t)) throw new Error(`${source}: field 'terms'[${i}] must be ${what} (ngrams ${ngrams}), got ${JSON.stringify(t)}`);
      if (v.vocab.has(t)) throw new Error(`${source}: field 'terms'[${i}] '${t}' repeats term ${v.vocab.get(t)}`);
      v.vocab.set(t, i);
    });
    idf.forEach((x: unknown, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw new Error(`${source}: field 'idf'[${i}] must be a finite number > 0, got ${JSON.stringify(x)}`);
    });
    v.termList = (terms as string[]).slice();
    v.idf = Float64Array.from(idf as number[]);
    v.fitTexts = j.fitTexts as number;
    return v;
  }
}
