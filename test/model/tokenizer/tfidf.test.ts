// The model floor's TF-IDF featurizer (src/model/tokenizer/tfidf.ts): its defaults reproduce the
// baselines' original vectorizer bit for bit, the options (bigrams, minDf, maxVocab) prune and
// number terms deterministically, and toJSON/fromJSON round-trips to identical transforms.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TfidfVectorizer, tfidfTerms, tfidfTokenize, type TfidfJSON } from '../../../src/model/tokenizer/index';
import { TfidfVectorizer as BaselineTfidf } from '../../../src/ngame/baselines/index';
import type { CSR } from '../../../src/util/csr';

const SEED = { seed: 20261124, numRuns: 60 };

/** The baselines' vectorizer as it was before it moved here (verbatim logic): the reference. */
class OldTfidf {
  readonly vocab = new Map<string, number>();
  idf = new Float64Array(0);
  fit(texts: string[]): this {
    const df: number[] = [];
    const seen = new Set<number>();
    for (const text of texts) {
      seen.clear();
      for (const tok of tfidfTokenize(text)) {
        let id = this.vocab.get(tok);
        if (id === undefined) {
          id = this.vocab.size;
          this.vocab.set(tok, id);
          df.push(0);
        }
        if (!seen.has(id)) {
          seen.add(id);
          df[id]++;
        }
      }
    }
    const n = texts.length;
    this.idf = Float64Array.from(df, (d) => Math.log((n + 1) / (d + 1)) + 1);
    return this;
  }
  transform(texts: string[]): CSR {
    const indptr = new Int32Array(texts.length + 1);
    const idx: number[] = [];
    const val: number[] = [];
    const counts = new Map<number, number>();
    texts.forEach((text, r) => {
      counts.clear();
      for (const tok of tfidfTokenize(text)) {
        const id = this.vocab.get(tok);
        if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const ids = [...counts.keys()].sort((a, b) => a - b);
      const w = ids.map((id) => (1 + Math.log(counts.get(id)!)) * this.idf[id]);
      const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
      ids.forEach((id, j) => {
        idx.push(id);
        val.push(norm > 0 ? w[j] / norm : 0);
      });
      indptr[r + 1] = idx.length;
    });
    return { rows: texts.length, cols: this.vocab.size, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
  }
}

/** Bitwise equality of two CSRs (values compared as float32 bit patterns). */
function expectSameCSR(a: CSR, b: CSR): void {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  expect(Array.from(a.indptr)).toEqual(Array.from(b.indptr));
  expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  expect(Array.from(new Uint32Array(a.values.buffer, a.values.byteOffset, a.values.length))).toEqual(
    Array.from(new Uint32Array(b.values.buffer, b.values.byteOffset, b.values.length)),
  );
}

const bits = (x: Float64Array) => Array.from(new BigUint64Array(x.buffer, x.byteOffset, x.length));

/** Short texts over a small vocabulary (so terms repeat), with case and punctuation. */
const textArb = fc
  .tuple(fc.array(fc.constantFrom('alpha', 'Beta', 'gamma', 'd', 'e5', 'zz', 'ALPHA', '42'), { maxLength: 9 }), fc.constantFrom(' ', ', ', '-', '  '))
  .map(([ws, sep]) => ws.join(sep));
const textsArb = fc.array(textArb, { maxLength: 14 });

function rowNorms(m: CSR): number[] {
  const out: number[] = [];
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let i = m.indptr[r]; i < m.indptr[r + 1]; i++) s += m.values[i] * m.values[i];
    out.push(Math.sqrt(s));
  }
  return out;
}

describe('TfidfVectorizer defaults', () => {
  it('equal the old baseline vectorizer bit for bit (ids, idf, rows)', () => {
    fc.assert(
      fc.property(textsArb, textsArb, (fitTexts, queries) => {
        const old = new OldTfidf().fit(fitTexts);
        const v = new TfidfVectorizer().fit(fitTexts);
        expect([...v.vocab.entries()]).toEqual([...old.vocab.entries()]);
        expect(v.terms).toEqual([...old.vocab.keys()]);
        expect(v.vocabSize).toBe(old.vocab.size);
        expect(bits(v.idf)).toEqual(bits(old.idf));
        expectSameCSR(v.transform(queries), old.transform(queries));
        expectSameCSR(v.transform(fitTexts), old.transform(fitTexts));
      }),
      SEED,
    );
  });

  it('is the class the baselines use', () => {
    expect(BaselineTfidf).toBe(TfidfVectorizer);
    expect(new TfidfVectorizer().options).toEqual({ ngrams: 1, minDf: 1, maxVocab: 0 });
  });

  it('gives unit-norm rows, and an empty row for an empty text or one without a known term', () => {
    fc.assert(
      fc.property(textsArb, textsArb, (fitTexts, queries) => {
        const v = new TfidfVectorizer({ ngrams: 2 }).fit(fitTexts);
        const m = v.transform(queries);
        rowNorms(m).forEach((n, r) => {
          if (m.indptr[r + 1] > m.indptr[r]) expect(n).toBeCloseTo(1, 5);
        });
      }),
      SEED,
    );
    const v = new TfidfVectorizer().fit(['a b', 'c']);
    const m = v.transform(['', 'zzz unknown', 'a']);
    expect(Array.from(m.indptr)).toEqual([0, 0, 0, 1]);
    expect(m.values[0]).toBe(1);
    const one = v.transformOne('...');
    expect([one.indices.length, one.values.length]).toEqual([0, 0]);
    // An unfitted vectorizer knows no term.
    expect(Array.from(new TfidfVectorizer().transform(['a']).indptr)).toEqual([0, 0]);
  });

  it('transformOne equals the matching row of transform', () => {
    const v = new TfidfVectorizer({ ngrams: 2 }).fit(['a b a', 'b c', 'c a b']);
    const texts = ['a b c a', 'c', 'b a b'];
    const m = v.transform(texts);
    texts.forEach((t, r) => {
      const one = v.transformOne(t);
      expect(Array.from(one.indices)).toEqual(Array.from(m.indices.subarray(m.indptr[r], m.indptr[r + 1])));
      expect(Array.from(one.values)).toEqual(Array.from(m.values.subarray(m.indptr[r], m.indptr[r + 1])));
    });
  });

  it('a second fit replaces the first', () => {
    const v = new TfidfVectorizer().fit(['x y', 'y']);
    v.fit(['a b', 'b']);
    expect(v.terms).toEqual(['a', 'b']);
    expect(bits(v.idf)).toEqual(bits(new TfidfVectorizer().fit(['a b', 'b']).idf));
  });
});

describe('TfidfVectorizer options', () => {
  it('ngrams 2 adds adjacent bigrams after the unigrams of each text', () => {
    expect(tfidfTerms('A b, c', 2)).toEqual(['a', 'b', 'c', 'a b', 'b c']);
    expect(tfidfTerms('solo', 2)).toEqual(['solo']);
    const v = new TfidfVectorizer({ ngrams: 2 }).fit(['a b c', 'b c']); // n = 2
    expect(v.terms).toEqual(['a', 'b', 'c', 'a b', 'b c']);
    const idf = (df: number) => Math.log(3 / (df + 1)) + 1;
    expect(Array.from(v.idf)).toEqual([idf(1), idf(2), idf(2), idf(1), idf(2)]);
    // 'c b' is not a known bigram; 'b c' appears twice (tf 1 + ln 2).
    const m = v.transformOne('b c b c b');
    expect(Array.from(m.indices)).toEqual([1, 2, 4]);
    const w = [(1 + Math.log(3)) * idf(2), (1 + Math.log(2)) * idf(2), (1 + Math.log(2)) * idf(2)];
    const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0)); // the featurizer's summation order
    w.forEach((x, j) => expect(m.values[j]).toBe(Math.fround(x / norm)));
  });

  it('minDf drops rare terms, keeps first-occurrence ids and n over all fitting texts', () => {
    const texts = ['rare a b', 'b a', 'c b', 'only'];
    const v = new TfidfVectorizer({ minDf: 2 }).fit(texts);
    expect(v.terms).toEqual(['a', 'b']);
    expect(v.vocab.get('b')).toBe(1);
    expect(v.idf[0]).toBe(Math.log(5 / 3) + 1); // n = 4 texts, df(a) = 2
    expect(v.idf[1]).toBe(Math.log(5 / 4) + 1);
    expect(Array.from(v.transform(['rare only c']).indptr)).toEqual([0, 0]);
  });

  it('maxVocab keeps the most frequent terms by df, ties by first occurrence', () => {
    // df: x 1, y 3, z 2, w 2, v 3; keep 3 → y, v (df 3), then z (df 2, before w).
    const v = new TfidfVectorizer({ maxVocab: 3 }).fit(['x y z', 'y w v', 'y z w v', 'v']);
    expect(v.terms).toEqual(['y', 'z', 'v']);
    expect(new TfidfVectorizer({ maxVocab: 10 }).fit(['b a']).terms).toEqual(['b', 'a']);
    // minDf applies first, then maxVocab; with bigrams the pairs compete too.
    const b = new TfidfVectorizer({ ngrams: 2, minDf: 2, maxVocab: 2 }).fit(['p q', 'p q', 'q r']);
    expect(b.terms).toEqual(['p', 'q']); // df p 2, q 3, 'p q' 2 → q, then p before 'p q'
  });

  it('rejects bad options', () => {
    expect(() => new TfidfVectorizer({ ngrams: 3 as 1 })).toThrow(/TfidfVectorizer: field 'ngrams' must be 1 or 2, got 3/);
    expect(() => new TfidfVectorizer({ minDf: 0 })).toThrow(/'minDf' must be an integer >= 1/);
    expect(() => new TfidfVectorizer({ maxVocab: 1.5 })).toThrow(/'maxVocab' must be an integer >= 0/);
  });
});

describe('TfidfVectorizer JSON', () => {
  const optsArb = fc.record({ ngrams: fc.constantFrom(1 as const, 2 as const), minDf: fc.integer({ min: 1, max: 3 }), maxVocab: fc.integer({ min: 0, max: 6 }) });

  it('round-trips through JSON text to bit-identical idf and transforms', () => {
    fc.assert(
      fc.property(optsArb, textsArb, textsArb, (opts, fitTexts, queries) => {
        const v = new TfidfVectorizer(opts).fit(fitTexts);
        const w = TfidfVectorizer.fromJSON(JSON.parse(JSON.stringify(v)));
        expect(w.options).toEqual(v.options);
        expect(w.terms).toEqual(v.terms);
        expect(w.fitTexts).toBe(fitTexts.length);
        expect(bits(w.idf)).toEqual(bits(v.idf));
        expectSameCSR(w.transform(queries), v.transform(queries));
        expect(JSON.stringify(w)).toBe(JSON.stringify(v));
      }),
      SEED,
    );
  });

  it('keeps idf values that need all 17 digits', () => {
    // n = 10, df 1..9: logs of non-round ratios, none exactly representable in short decimals.
    const texts = Array.from({ length: 10 }, (_, i) => Array.from({ length: i }, (_, k) => `t${k}`).join(' '));
    const v = new TfidfVectorizer().fit(texts);
    expect(bits(TfidfVectorizer.fromJSON(JSON.parse(JSON.stringify(v.toJSON()))).idf)).toEqual(bits(v.idf));
  });

  it('rejects bad JSON with the source and the field in the message', () => {
    const good = (): TfidfJSON => new TfidfVectorizer({ ngrams: 2 }).fit(['a b', 'b c']).toJSON();
    const bad = (edit: (j: Record<string, unknown>) => void) => {
      const j = good() as unknown as Record<string, unknown>;
      edit(j);
      return () => TfidfVectorizer.fromJSON(j, 'run/model.json#tfidf');
    };
    expect(() => TfidfVectorizer.fromJSON(null)).toThrow(/^TfidfVectorizer.fromJSON: expected a JSON object/);
    expect(() => TfidfVectorizer.fromJSON([], 'x.json')).toThrow(/^x.json: expected a JSON object/);
    expect(bad((j) => (j.format = 'ngame-wordpiece'))).toThrow(/^run\/model.json#tfidf: field 'format'\/'version'/);
    expect(bad((j) => (j.version = 2))).toThrow(/field 'format'\/'version'/);
    expect(bad((j) => delete j.minDf)).toThrow(/run\/model.json#tfidf: field 'minDf' is missing/);
    expect(bad((j) => (j.ngrams = '2'))).toThrow(/field 'ngrams' must be 1 or 2, got "2"/);
    expect(bad((j) => (j.maxVocab = -1))).toThrow(/field 'maxVocab'/);
    expect(bad((j) => (j.maxVocab = 2))).toThrow(/field 'terms' has 5 terms, more than maxVocab 2/);
    expect(bad((j) => (j.fitTexts = 'two'))).toThrow(/field 'fitTexts'/);
    expect(bad((j) => (j.terms = 'a b'))).toThrow(/field 'terms' must be an array/);
    expect(bad((j) => (j.idf = { 0: 1 }))).toThrow(/field 'idf' must be an array/);
    expect(bad((j) => (j.idf as number[]).pop())).toThrow(/field 'idf' has 4 values for 5 terms/);
    expect(bad((j) => ((j.terms as string[])[1] = 'B'))).toThrow(/field 'terms'\[1\] must be a \[a-z0-9\]\+ token or two/);
    expect(bad((j) => ((j.terms as string[])[4] = 'a  b'))).toThrow(/field 'terms'\[4\]/);
    expect(bad((j) => ((j.terms as string[])[2] = 'a'))).toThrow(/field 'terms'\[2\] 'a' repeats term 0/);
    expect(bad((j) => ((j.idf as unknown[])[3] = null))).toThrow(/field 'idf'\[3\] must be a finite number > 0, got null/);
    expect(bad((j) => ((j.idf as number[])[0] = -1))).toThrow(/field 'idf'\[0\]/);
    // A bigram in a unigram featurizer could never match a term: an error, not a silent miss.
    expect(bad((j) => (j.ngrams = 1))).toThrow(/field 'terms'\[2\] must be a \[a-z0-9\]\+ token \(ngrams 1\), got "a b"/);
  });
});
