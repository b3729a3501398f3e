// WordPiece vocabularies: read and write the standard `vocab.txt` (one token per line, id = line
// number counted from 0), locate the bundled bert-base-uncased vocabulary, and learn a small
// vocabulary from a corpus deterministically (for small, fast models).
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../util/fs';
import { packagePath } from '../../util/package-dir';
import { basicTokenize, DEFAULT_BASIC_OPTIONS, type BasicTokenizerOptions } from './basic';
import { CONTINUATION_PREFIX, MAX_INPUT_CHARS_PER_WORD } from './wordpiece';

/** The special tokens every vocabulary learnt here starts with, in this order ([PAD] = 0). */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Absolute path of assets/bert-base-uncased-vocab.txt (30,522 tokens, see assets/README.md). */
export function bertBaseUncasedVocabPath(): string {
  return packagePath('assets', 'bert-base-uncased-vocab.txt');
}

/**
 * Read a vocab.txt. Lines keep their position as the token id, as HF's `load_vocab` does: an
 * empty line is a (never matching) token, and a trailing "\r" (Windows line ends) or a leading
 * byte-order mark is removed. Throws, naming the file, when it cannot be read or is empty.
 */
export function readVocabFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`reading vocabulary ${path}: ${(e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // the final newline
  const tokens = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (tokens.length === 0) throw new Error(`vocabulary ${path} is empty`);
  return tokens;
}

/** Write tokens as a vocab.txt (one per line, "\n" line ends), atomically. */
export function writeVocabFile(path: string, tokens: readonly string[]): void {
  tokens.forEach((t, i) => {
    if (/[\r\n]/.test(t)) throw new Error(`writeVocabFile ${path}: token ${i} contains a line break`);
  });
  writeFileAtomic(path, tokens.join('\n') + '\n');
}

export interface LearnVocabOptions {
  /** Basic tokenizer settings used to cut the corpus into words (default: uncased BERT). */
  basic?: BasicTokenizerOptions;
  /** Stop merging when the most frequent pair occurs fewer times than this (default 2). */
  minPairCount?: number;
}

/**
 * Learn a WordPiece vocabulary of at most `size` tokens from `texts`, deterministically: the
 * result depends only on the multiset of words, never on iteration order or randomness.
 *
 * 1. Cut every text into words with the basic tokenizer and count them.
 * 2. Alphabet: every character, both as a word-initial piece ("a") and as a continuation ("##a").
 *    If the alphabet does not fit, keep the most frequent characters (ties: smaller string).
 * 3. Write each word as its characters ("h", "##e", "##l", ...) and repeatedly merge the adjacent
 *    pair that occurs most often in the corpus (ties: smaller left piece, then smaller right piece),
 *    adding the merged piece ("h" + "##e" → "he") to the vocabulary, until it holds `size`
 *    tokens or no pair occurs `minPairCount` times.
 * The vocabulary is [PAD] [UNK] [CLS] [SEP] [MASK], the alphabet, then merges in order.
 */
export function learnWordPieceVocab(texts: Iterable<string>, size: number, options: LearnVocabOptions = {}): string[] {
  if (!Number.isInteger(size) || size < SPECIAL_TOKENS.length) {
    throw new Error(`learnWordPieceVocab: size must be an integer >= ${SPECIAL_TOKENS.length}, got ${size}`);
  }
  const minPairCount = options.minPairCount ?? 2;
  if (!(minPairCount >= 1)) throw new Error(`learnWordPieceVocab: minPairCount must be >= 1, got ${minPairCount}`);
  const basic = options.basic ?? DEFAULT_BASIC_OPTIONS;

  // 1. Word counts (words too long for WordPiece are [UNK] anyway and are not learnt from).
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const w of basicTokenize(text, basic)) {
      if (Array.from(w).length > MAX_INPUT_CHARS_PER_WORD) continue;
      wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    }
  }

  // 2. Alphabet, by character frequency (ties: smaller string).
  const charCounts = new Map<string, number>();
  for (const [w, n] of wordCounts) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + n);
  const byFrequency = [...charCounts.keys()].sort((x, y) => charCounts.get(y)! - charCounts.get(x)! || compare(x, y));
  const kept = byFrequency.slice(0, Math.floor((size - SPECIAL_TOKENS.length) / 2)).sort(compare);
  const vocab: string[] = [...SPECIAL_TOKENS, ...kept, ...kept.map((c) => CONTINUATION_PREFIX + c)];
  const idOf = new Map<string, number>();
  vocab.forEach((t, i) => idOf.set(t, i));

  // 3. Words as symbol-id sequences (words with a dropped character are skipped: they are [UNK]).
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, n] of wordCounts) {
    const chars = Array.from(w);
    if (!chars.every((c) => idOf.has(c))) continue;
    words.push(chars.map((c, i) => idOf.get(i === 0 ? c : CONTINUATION_PREFIX + c)!));
    counts.push(n);
  }
  mergePairs(vocab, idOf, words, counts, size, minPairCount);
  return vocab;
}

/** Plain code-unit string order, the tie-breaker everywhere (locale-independent). */
function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

// Pairs of symbol ids packed into one number: left * 2^21 + right (ids stay below 2^21).
const PAIR_SHIFT = 2 ** 21;
const pairKey = (a: number, b: number) => a * PAIR_SHIFT + b;

interface HeapEntry {
  count: number;
  a: number;
  b: number;
}

/**
 * The merge loop. `pairCount` holds the exact corpus count of every adjacent pair; `pairWords`
 * the words that may contain it. A max-heap of (count, pair) entries with lazy deletion picks the
 * best pair: whenever a pair's count changes a new entry is pushed, and popped entries whose count
 * no longer matches are skipped. Merging touches only the words holding the pair.
 */
function mergePairs(
  vocab: string[],
  idOf: Map<string, number>,
  words: number[][],
  counts: number[],
  size: number,
  minPairCount: number,
): void {
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, changed: Set<number>) => {
    const syms = words[w];
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = pairKey(syms[i], syms[i + 1]);
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * counts[w]);
      changed.add(key);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  const better = (x: HeapEntry, y: HeapEntry) =>
    x.count !== y.count ? x.count > y.count : x.a !== y.a ? vocab[x.a] < vocab[y.a] : vocab[x.b] < vocab[y.b];
  const heap = new BinaryHeap<HeapEntry>(better);
  const pushChanged = (changed: Set<number>) => {
    for (const key of changed) {
      const count = pairCount.get(key)!;
      if (count > 0) heap.push({ count, a: Math.floor(key / PAIR_SHIFT), b: key % PAIR_SHIFT });
      else pairCount.delete(key);
    }
  };

  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  pushChanged(initial);

  while (vocab.length < size && heap.size > 0) {
    const top = heap.pop()!;
    const key = pairKey(top.a, top.b);
    if (pairCount.get(key) !== top.count) continue; // stale entry
    if (top.count < minPairCount) break;

    const merged = vocab[top.a] + vocab[top.b].slice(CONTINUATION_PREFIX.length);
    let c = idOf.get(merged);
    if (c === undefined) {
      c = vocab.length;
      if (c >= PAIR_SHIFT) throw new Error(`learnWordPieceVocab: size must be below ${PAIR_SHIFT}`);
      vocab.push(merged);
      idOf.set(merged, c);
    }

    const changed = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      const syms = words[w];
      if (!hasPair(syms, top.a, top.b)) continue;
      addPairs(w, -1, changed);
      // Merge every occurrence, left to right, without overlap.
      const next: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === top.a && syms[i + 1] === top.b) {
          next.push(c);
          i++;
        } else {
          next.push(syms[i]);
        }
      }
      words[w] = next;
      addPairs(w, 1, changed);
    }
    pairWords.delete(key);
    pushChanged(changed);
  }
}

function hasPair(syms: number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < syms.length; i++) if (syms[i] === a && syms[i + 1] === b) return true;
  return false;
}

/** A binary heap; `better(x, y)` is true when x should come out before y. */
class BinaryHeap<T> {
  private items: T[] = [];
  constructor(private readonly better: (x: T, y: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.better(items[l], items[best])) best = l;
        if (r < items.length && this.better(items[r], items[best])) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best], items[i]];
        i = best;
      }
    }
    return top;
  }
}
