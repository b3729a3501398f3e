// The text → token-id front end of the encoder: BERT basic tokenization, WordPiece, then
// [CLS] pieces [SEP], truncation and padding to a fixed length with an attention mask.
// Behaviour matches HF transformers' BertTokenizer for the same vocabulary and casing.
import { basicTokenize, type BasicTokenizerOptions } from './basic';
import { MAX_INPUT_CHARS_PER_WORD, wordPieceSplit } from './wordpiece';
import { bertBaseUncasedVocabPath, learnWordPieceVocab, readVocabFile, writeVocabFile, type LearnVocabOptions } from './vocab';

export interface TokenizerOptions {
  /** Lowercase the text (default true: uncased vocabularies). */
  lowercase?: boolean;
  /** Strip accents (default: same as `lowercase`, as HF). */
  stripAccents?: boolean;
  /** Split CJK ideographs into single characters (default true). */
  splitCjk?: boolean;
  /** Longer words become [UNK] (default 100, as HF). */
  maxInputCharsPerWord?: number;
  /** Keep special tokens written in the text ("a [SEP] b") whole, as HF does (default true). */
  splitSpecialTokens?: boolean;
}

/** One encoded text: `ids` and `mask` have length maxLen; `length` counts the real tokens. */
export interface Encoding {
  ids: Int32Array;
  /** 1 for real tokens ([CLS], pieces, [SEP]), 0 for padding. */
  mask: Uint8Array;
  length: number;
}

/** A batch, row-major: row b occupies [b*maxLen, (b+1)*maxLen). */
export interface BatchEncoding {
  ids: Int32Array; // (B, maxLen)
  mask: Uint8Array; // (B, maxLen)
  lengths: Int32Array; // (B)
  batch: number;
  maxLen: number;
}

/** What a checkpoint stores (state.json): the vocabulary and every option. */
export type TokenizerJSON = {
  format: 'ngame-wordpiece';
  version: 1;
  vocab: string[];
  lowercase: boolean;
  stripAccents: boolean;
  splitCjk: boolean;
  maxInputCharsPerWord: number;
  splitSpecialTokens: boolean;
};

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORD_CACHE_LIMIT = 200_000;

export class Tokenizer {
  /** Token strings by id. */
  readonly vocab: readonly string[];
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  /** -1 when the vocabulary has no [MASK]. */
  readonly maskId: number;
  readonly options: Required<TokenizerOptions>;
  private readonly ids: Map<string, number>;
  private readonly basic: BasicTokenizerOptions;
  private readonly specialsInVocab: string[];
  private readonly longestToken: number;
  private readonly wordCache = new Map<string, number[]>();

  /** `source` names the vocabulary in error messages (a file path, or "vocabulary"). */
  private constructor(tokens: readonly string[], options: TokenizerOptions, source: string) {
    if (tokens.length === 0) throw new Error(`${source}: the vocabulary is empty`);
    this.vocab = tokens.slice();
    // Later duplicates win for token → id, as in HF's load_vocab.
    this.ids = new Map();
    this.vocab.forEach((t, i) => this.ids.set(t, i));
    const need = (t: string) => {
      const id = this.ids.get(t);
      if (id === undefined) throw new Error(`${source}: the vocabulary has no ${t} token`);
      return id;
    };
    this.padId = need('[PAD]');
    this.unkId = need('[UNK]');
    this.clsId = need('[CLS]');
    this.sepId = need('[SEP]');
    this.maskId = this.ids.get('[MASK]') ?? -1;
    const lowercase = options.lowercase ?? true;
    this.options = {
      lowercase,
      stripAccents: options.stripAccents ?? lowercase,
      splitCjk: options.splitCjk ?? true,
      maxInputCharsPerWord: options.maxInputCharsPerWord ?? MAX_INPUT_CHARS_PER_WORD,
      splitSpecialTokens: options.splitSpecialTokens ?? true,
    };
    const m = this.options.maxInputCharsPerWord;
    if (!Number.isInteger(m) || m < 1) throw new Error(`${source}: maxInputCharsPerWord must be a positive integer, got ${m}`);
    this.basic = { lowercase, stripAccents: this.options.stripAccents, splitCjk: this.options.splitCjk };
    this.specialsInVocab = SPECIALS.filter((t) => this.ids.has(t));
    this.longestToken = this.vocab.reduce((m, t) => Math.max(m, t.length), 0);
  }

  /** Load a standard vocab.txt (id = line number from 0). */
  static fromVocabFile(path: string, options: TokenizerOptions = {}): Tokenizer {
    return new Tokenizer(readVocabFile(path), options, `vocabulary ${path}`);
  }

  static fromVocab(tokens: readonly string[], options: TokenizerOptions = {}): Tokenizer {
    return new Tokenizer(tokens, options, 'vocabulary');
  }

  /** The bundled bert-base-uncased vocabulary (30,522 tokens). */
  static bertBaseUncased(): Tokenizer {
    return Tokenizer.fromVocabFile(bertBaseUncasedVocabPath());
  }

  /** Learn a WordPiece vocabulary of at most `size` tokens from `texts` (deterministic). */
  static learn(texts: Iterable<string>, size: number, options: TokenizerOptions & Omit<LearnVocabOptions, 'basic'> = {}): Tokenizer {
    const lowercase = options.lowercase ?? true;
    const basic: BasicTokenizerOptions = {
      lowercase,
      stripAccents: options.stripAccents ?? lowercase,
      splitCjk: options.splitCjk ?? true,
    };
    const vocab = learnWordPieceVocab(texts, size, { basic, minPairCount: options.minPairCount });
    return new Tokenizer(vocab, options, 'learnt vocabulary');
  }

  static fromJSON(json: unknown): Tokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    if (!j || typeof j !== 'object' || j.format !== 'ngame-wordpiece' || j.version !== 1) {
      throw new Error('Tokenizer.fromJSON: not an ngame-wordpiece tokenizer (version 1)');
    }
    if (!Array.isArray(j.vocab) || !j.vocab.every((t) => typeof t === 'string')) {
      throw new Error('Tokenizer.fromJSON: vocab must be an array of strings');
    }
    for (const k of ['lowercase', 'stripAccents', 'splitCjk', 'splitSpecialTokens'] as const) {
      if (typeof j[k] !== 'boolean') throw new Error(`Tokenizer.fromJSON: ${k} must be a boolean`);
    }
    return new Tokenizer(
      j.vocab,
      {
        lowercase: j.lowercase,
        stripAccents: j.stripAccents,
        splitCjk: j.splitCjk,
        maxInputCharsPerWord: j.maxInputCharsPerWord,
        splitSpecialTokens: j.splitSpecialTokens,
      },
      'Tokenizer.fromJSON',
    );
  }

  toJSON(): TokenizerJSON {
    return { format: 'ngame-wordpiece', version: 1, vocab: this.vocab.slice(), ...this.options };
  }

  /** Write the vocabulary as vocab.txt (for export to HF tooling). */
  saveVocabFile(path: string): void {
    writeVocabFile(path, this.vocab);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string {
    const t = this.vocab[id];
    if (t === undefined) throw new Error(`idToToken: id ${id} is outside the vocabulary (size ${this.vocab.length})`);
    return t;
  }

  /** WordPiece tokens of `text`, without [CLS]/[SEP]: "unaffable" → ["una", "##ffa", "##ble"]. */
  tokenize(text: string): string[] {
    return this.textToIds(text).map((id) => this.vocab[id]);
  }

  /** Token ids of `text`, without [CLS]/[SEP] and without truncation. */
  textToIds(text: string): number[] {
    if (typeof text !== 'string') throw new Error(`tokenize: text must be a string, got ${typeof text}`);
    const out: number[] = [];
    for (const chunk of this.splitSpecial(text)) {
      if (chunk.special) {
        out.push(this.ids.get(chunk.text)!);
        continue;
      }
      for (const word of basicTokenize(chunk.text, this.basic)) {
        for (const id of this.wordToIds(word)) out.push(id);
      }
    }
    return out;
  }

  /** [CLS] tokens [SEP], truncated to at most maxLen in total ([SEP] kept), padded with [PAD]. */
  encode(text: string, maxLen: number): Encoding {
    checkMaxLen(maxLen);
    const ids = new Int32Array(maxLen);
    const mask = new Uint8Array(maxLen);
    const length = this.encodeInto(text, maxLen, ids, mask, 0);
    return { ids, mask, length };
  }

  encodeBatch(texts: readonly string[], maxLen: number): BatchEncoding {
    checkMaxLen(maxLen);
    const batch = texts.length;
    const ids = new Int32Array(batch * maxLen);
    const mask = new Uint8Array(batch * maxLen);
    const lengths = new Int32Array(batch);
    for (let b = 0; b < batch; b++) lengths[b] = this.encodeInto(texts[b], maxLen, ids, mask, b * maxLen);
    return { ids, mask, lengths, batch, maxLen };
  }

  private encodeInto(text: string, maxLen: number, ids: Int32Array, mask: Uint8Array, offset: number): number {
    const pieces = this.textToIds(text);
    const n = Math.min(pieces.length, maxLen - 2);
    ids[offset] = this.clsId;
    for (let i = 0; i < n; i++) ids[offset + 1 + i] = pieces[i];
    ids[offset + 1 + n] = this.sepId;
    const length = n + 2;
    mask.fill(1, offset, offset + length);
    ids.fill(this.padId, offset + length, offset + maxLen);
    mask.fill(0, offset + length, offset + maxLen);
    return length;
  }

  private wordToIds(word: string): number[] {
    let ids = this.wordCache.get(word);
    if (ids === undefined) {
      const pieces = wordPieceSplit(word, this.ids, '[UNK]', this.options.maxInputCharsPerWord, this.longestToken);
      ids = pieces.map((p) => this.ids.get(p)!);
      if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
      this.wordCache.set(word, ids);
    }
    return ids;
  }

  /** Cut `text` at literal special tokens ("[SEP]"), which HF keeps whole (case-sensitive). */
  private splitSpecial(text: string): { text: string; special: boolean }[] {
    if (!this.options.splitSpecialTokens || !text.includes('[')) return [{ text, special: false }];
    const chunks: { text: string; special: boolean }[] = [];
    let start = 0;
    let i = text.indexOf('[');
    while (i >= 0) {
      const match = this.specialsInVocab.find((t) => text.startsWith(t, i));
      if (match) {
        if (i > start) chunks.push({ text: text.slice(start, i), special: false });
        chunks.push({ text: match, special: true });
        start = i + match.length;
        i = text.indexOf('[', start);
      } else {
        i = text.indexOf('[', i + 1);
      }
    }
    if (start < text.length) chunks.push({ text: text.slice(start), special: false });
    return chunks;
  }
}

function checkMaxLen(maxLen: number): void {
  if (!Number.isInteger(maxLen) || maxLen < 2) {
    throw new Error(`encode: maxLen must be an integer >= 2 (room for [CLS] and [SEP]), got ${maxLen}`);
  }
}
