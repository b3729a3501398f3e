// Tokenizer tests. The expected bert-base-uncased tokenizations below were derived by hand from
// HF BertTokenizer's rules (clean text → CJK split → NFC → whitespace split → lowercase → NFD and
// drop Mn → punctuation split → greedy longest-match WordPiece), and each piece was looked up in
// the vocabulary; the reasoning is given next to each case.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tokenizer, bertBaseUncasedVocabPath, learnWordPieceVocab, readVocabFile } from '../../../src/model/tokenizer';
import { Rng } from '../../../src/util/rng';

const bert = Tokenizer.bertBaseUncased();

describe('bert-base-uncased vocabulary', () => {
  it('is the standard 30,522-token file with the usual special ids', () => {
    expect(bert.vocabSize).toBe(30522);
    expect([bert.padId, bert.unkId, bert.clsId, bert.sepId, bert.maskId]).toEqual([0, 100, 101, 102, 103]);
    expect(readVocabFile(bertBaseUncasedVocabPath())[1]).toBe('[unused0]');
  });
});

// [text, expected pieces, why]
const CASES: [string, string[], string][] = [
  ['Héllo, Wörld!', ['hello', ',', 'world', '!'], 'lowercase, accents stripped, punctuation split'],
  ['unaffable', ['una', '##ffa', '##ble'], 'greedy longest match: no "unaf…" or "##ffab…" piece exists'],
  ["don't", ['don', "'", 't'], 'the apostrophe is punctuation'],
  ['naïve café résumé', ['naive', 'cafe', 'resume'], 'NFD + drop combining marks'],
  ['cafe\u0301', ['cafe'], 'a separate combining acute accent is dropped too'],
  ['$5.00 + 3^2 = `x`', ['$', '5', '.', '00', '+', '3', '^', '2', '=', '`', 'x', '`'], 'ASCII symbols count as punctuation'],
  ['foo—bar…', ['foo', '—', 'bar', '…'], 'em dash (Pd) and ellipsis (Po) are punctuation'],
  ['北京大学', ['北', '京', '大', '学'], 'CJK ideographs are split one by one'],
  ['我爱北京', ['我', '[UNK]', '北', '京'], '爱 (simplified) is not in the vocabulary, 愛 is'],
  ['km²', ['km²'], '² is category No, not punctuation, and "km²" is a vocabulary token'],
  ['hello\u00a0world\u3000again', ['hello', 'world', 'again'], 'NBSP and ideographic space are Zs whitespace'],
  ['a\u0000b\u200bc\ufffd d', ['abc', 'd'], 'NUL, zero-width space (Cf) and U+FFFD are dropped, not spaces'],
  ['😀', ['[UNK]'], 'a word of unknown characters is [UNK]'],
  ['emoji😀', ['[UNK]'], 'one unmatchable character makes the whole word [UNK]'],
  ['한국어', ['ᄒ', '##ᅡ', '##ᆫ', '##ᄀ', '##ᅮ', '##ᆨ', '##ᄋ', '##ᅥ'], 'NFD decomposes Hangul into jamo (a known BERT-uncased quirk)'],
  ['ΣΑΣ', ['σ', '##α', '##ς'], 'lowercasing uses final sigma'],
  ['hello [MASK] world[SEP]', ['hello', '[MASK]', 'world', '[SEP]'], 'special tokens in the text stay whole'],
  ['[mask]', ['[', 'mask', ']'], 'only the exact (upper-case) special token is kept whole'],
  ['', [], 'empty text'],
  [' \t\n\r ', [], 'only whitespace'],
];

describe('known bert-base-uncased tokenizations', () => {
  for (const [text, expected, why] of CASES) {
    it(`${JSON.stringify(text)} → ${JSON.stringify(expected)} (${why})`, () => {
      for (const piece of expected) expect(bert.tokenToId(piece), `"${piece}" must be in the vocabulary`).toBeDefined();
      expect(bert.tokenize(text)).toEqual(expected);
    });
  }

  it('"unaffable": the longer candidates really are missing from the vocabulary', () => {
    for (const t of ['unaffable', 'unaffabl', 'unaffab', 'unaffa', 'unaff', 'unaf', '##ffable', '##ffabl', '##ffab']) {
      expect(bert.tokenToId(t)).toBeUndefined();
    }
    expect(bert.textToIds('unaffable')).toEqual([14477, 20961, 3468]);
  });

  it('words of more than 100 characters are [UNK]; 100 characters are still split', () => {
    expect(bert.tokenize('a'.repeat(101))).toEqual(['[UNK]']);
    expect(bert.tokenize('é'.repeat(101))).toEqual(['[UNK]']); // counted after accent stripping
    const pieces = bert.tokenize('a'.repeat(100));
    expect(pieces).not.toContain('[UNK]');
    expect(pieces.map((p) => p.replace(/^##/, '')).join('')).toBe('a'.repeat(100));
    // Astral characters count once each (Python counts code points, not UTF-16 units).
    const emoji = Tokenizer.fromVocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '😀', '##😀']);
    expect(emoji.tokenize('😀'.repeat(100))).toEqual(['😀', ...Array(99).fill('##😀')]);
    expect(emoji.tokenize('😀'.repeat(101))).toEqual(['[UNK]']);
  });
});

describe('encode', () => {
  it('"" → [CLS] [SEP] then padding', () => {
    const e = bert.encode('', 5);
    expect([...e.ids]).toEqual([101, 102, 0, 0, 0]);
    expect([...e.mask]).toEqual([1, 1, 0, 0, 0]);
    expect(e.length).toBe(2);
  });

  it('truncates to maxLen keeping [SEP] last', () => {
    expect([...bert.encode('hello world', 4).ids]).toEqual([101, 7592, 2088, 102]);
    expect([...bert.encode('hello world', 3).ids]).toEqual([101, 7592, 102]);
    expect([...bert.encode('hello world', 2).ids]).toEqual([101, 102]);
  });

  it('rejects maxLen below 2', () => {
    expect(() => bert.encode('x', 1)).toThrow(/maxLen must be an integer >= 2/);
    expect(() => bert.encodeBatch(['x'], 2.5)).toThrow(/maxLen/);
  });

  it('encodeBatch rows equal encode', () => {
    const texts = ['Héllo, Wörld!', '', 'a much longer sentence that will certainly be truncated here', '北京'];
    const b = bert.encodeBatch(texts, 8);
    expect(b.batch).toBe(4);
    texts.forEach((t, i) => {
      const e = bert.encode(t, 8);
      expect([...b.ids.subarray(i * 8, i * 8 + 8)]).toEqual([...e.ids]);
      expect([...b.mask.subarray(i * 8, i * 8 + 8)]).toEqual([...e.mask]);
      expect(b.lengths[i]).toBe(e.length);
    });
  });
});

const INTERESTING = ['a', 'Z', ' ', '\t', '\n', '!', "'", 'é', 'e\u0301', '北', '😀', '\u0000', '\u200b', '[SEP]', '[MASK]', '##', 'ing', '\ud800'];
const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...INTERESTING), maxLength: 40 }),
);

describe('encode properties', () => {
  it('ids in range, [CLS] first, [SEP] last real token, length ≤ maxLen, mask matches padding', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 2, max: 40 }), (text, maxLen) => {
        const { ids, mask, length } = bert.encode(text, maxLen);
        const pieces = bert.textToIds(text);
        expect(length).toBe(Math.min(pieces.length + 2, maxLen));
        expect(ids.length).toBe(maxLen);
        expect(ids[0]).toBe(bert.clsId);
        expect(ids[length - 1]).toBe(bert.sepId);
        for (let i = 0; i < maxLen; i++) {
          expect(ids[i] >= 0 && ids[i] < bert.vocabSize).toBe(true);
          expect(mask[i]).toBe(i < length ? 1 : 0);
          if (i >= length) expect(ids[i]).toBe(bert.padId);
          if (i > 0 && i < length - 1) expect(ids[i]).toBe(pieces[i - 1]);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('JSON round trip gives the same tokenizer', () => {
    const copy = Tokenizer.fromJSON(JSON.parse(JSON.stringify(bert.toJSON())));
    fc.assert(
      fc.property(textArb, (text) => {
        expect([...copy.encode(text, 16).ids]).toEqual([...bert.encode(text, 16).ids]);
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

/** A synthetic corpus: Zipf-distributed words built from random syllables, plus punctuation. */
function syntheticCorpus(seed: number, docs: number): string[] {
  const rng = new Rng(seed);
  const syllables = ['ka', 'to', 'ri', 'mon', 'el', 'sa', 'qu', 'in', 'ber', 'lo', 'né', 'x'];
  const words = Array.from({ length: 400 }, () => {
    const n = 1 + rng.int(4);
    return Array.from({ length: n }, () => syllables[rng.int(syllables.length)]).join('');
  });
  const zipf = () => words[Math.min(words.length - 1, Math.floor(1 / (rng.next() + 0.0025)) - 1)];
  return Array.from({ length: docs }, () => {
    const n = 3 + rng.int(12);
    return Array.from({ length: n }, () => (rng.int(10) === 0 ? zipf() + ',' : zipf())).join(' ') + '.';
  });
}

describe('vocabulary learning', () => {
  const corpus = syntheticCorpus(7, 1500);

  it('is deterministic and independent of document order', () => {
    const a = learnWordPieceVocab(corpus, 300);
    const b = learnWordPieceVocab([...corpus], 300);
    const shuffled = new Rng(3).shuffle([...corpus]) as string[];
    expect(b).toEqual(a);
    expect(learnWordPieceVocab(shuffled, 300)).toEqual(a);
  });

  it('starts with the special tokens, has no duplicates and reaches the target size', () => {
    const vocab = learnWordPieceVocab(corpus, 150);
    expect(vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(new Set(vocab).size).toBe(vocab.length);
    expect(vocab.length).toBe(150);
    // Every character appears both word-initially and as a continuation.
    for (const ch of 'kaeqx') expect(vocab.includes(ch) && vocab.includes('##' + ch)).toBe(true);
  });

  it('tokenizes its own corpus without [UNK] and the pieces spell the words', () => {
    const tok = Tokenizer.learn(corpus, 300);
    let pieces = 0;
    for (const doc of corpus) {
      const toks = tok.tokenize(doc);
      expect(toks).not.toContain('[UNK]');
      pieces += toks.length;
      expect(toks.join(' ').replace(/ ##/g, '')).toBe(
        doc.normalize('NFD').replace(/\p{Mn}/gu, '').replace(/([,.])/g, ' $1 ').trim().replace(/\s+/g, ' '),
      );
    }
    // Merges matter: far fewer pieces than characters.
    const chars = corpus.join('').replace(/\s/g, '').length;
    expect(pieces).toBeLessThan(chars / 2);
  });

  it('stops when no pair occurs twice: then every repeated word is one token', () => {
    const vocab = learnWordPieceVocab(corpus, 100_000);
    expect(vocab.length).toBeLessThan(100_000);
    const tok = Tokenizer.fromVocab(vocab);
    const counts = new Map<string, number>();
    for (const doc of corpus) for (const w of doc.split(/[\s,.]+/)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const [w, n] of counts) if (n >= 2) expect(tok.tokenize(w)).toHaveLength(1);
  });

  it('keeps the most frequent characters when the alphabet does not fit', () => {
    const vocab = learnWordPieceVocab(['aaaa bbb cc d'], 9); // room for 2 characters × 2 forms
    expect(vocab).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', '##a', '##b']);
    expect(Tokenizer.fromVocab(vocab).tokenize('ab d')).toEqual(['a', '##b', '[UNK]']);
  });

  it('rejects a size that cannot hold the special tokens', () => {
    expect(() => learnWordPieceVocab(corpus, 4)).toThrow(/size must be an integer >= 5/);
  });
});

describe('vocab files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ngame-vocab-'));

  it('reads CRLF files and round-trips through saveVocabFile', () => {
    const path = join(dir, 'crlf.txt');
    writeFileSync(path, '[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n##s\r\n');
    const tok = Tokenizer.fromVocabFile(path);
    expect(tok.tokenize('Hellos hello')).toEqual(['hello', '##s', 'hello']);
    expect(tok.maskId).toBe(-1);
    const out = join(dir, 'out.txt');
    tok.saveVocabFile(out);
    expect(readVocabFile(out)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'hello', '##s']);
  });

  it('names the file when a special token is missing or the file is absent', () => {
    const path = join(dir, 'nounk.txt');
    writeFileSync(path, '[PAD]\n[CLS]\n[SEP]\nhello\n');
    expect(() => Tokenizer.fromVocabFile(path)).toThrow(`vocabulary ${path}: the vocabulary has no [UNK] token`);
    expect(() => Tokenizer.fromVocabFile(join(dir, 'missing.txt'))).toThrow(/missing\.txt/);
  });
});
