// BERT's BasicTokenizer: the rule-based step before WordPiece. It follows the reference
// implementation (google-research/bert tokenization.py, HF transformers BertTokenizer) rule by rule:
//   1. clean text: drop NUL, U+FFFD and control characters (Unicode category C*, except \t \n \r),
//      turn every whitespace character (\t \n \r, category Zs) into a plain space;
//   2. put spaces around every CJK ideograph, so each one becomes its own word;
//   3. NFC-normalise, then split on whitespace;
//   4. per word: lowercase, then NFD and drop the combining marks (category Mn) = strip accents;
//   5. split each word on punctuation: every punctuation character becomes its own word.
// The output is a list of "words" that WordPiece then splits into vocabulary pieces.

export interface BasicTokenizerOptions {
  /** Lowercase words (true for uncased vocabularies such as bert-base-uncased). */
  lowercase: boolean;
  /** Strip accents (NFD + drop Mn). HF default: the same as `lowercase`. */
  stripAccents: boolean;
  /** Split CJK ideographs into single characters (HF default true). */
  splitCjk: boolean;
}

export const DEFAULT_BASIC_OPTIONS: BasicTokenizerOptions = {
  lowercase: true,
  stripAccents: true,
  splitCjk: true,
};

const CONTROL = /^\p{C}$/u; // Cc, Cf, Cs, Co, Cn, as `unicodedata.category(c).startswith("C")`
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const PUNCTUATION_CATEGORY = /^\p{P}$/u;
const NONSPACING_MARK = /\p{Mn}/gu;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ASCII = /^[\x00-\x7f]*$/;

/** BERT's whitespace: space, \t, \n, \r and Unicode category Zs. */
export function isWhitespace(ch: string): boolean {
  if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') return true;
  return ch.charCodeAt(0) >= 128 && SPACE_SEPARATOR.test(ch); // no other ASCII character is Zs
}

/** BERT's control characters: category C*, except \t \n \r which count as whitespace. */
export function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  const cp = ch.charCodeAt(0);
  if (cp < 128) return cp < 32 || cp === 127; // the ASCII part of Cc, without a regex
  return CONTROL.test(ch);
}

/**
 * BERT's punctuation: every non-letter, non-digit, non-space ASCII character (33-47, 58-64,
 * 91-96, 123-126, so "$", "+", "^", "`" count although Unicode calls them symbols) and every
 * character of Unicode category P*.
 */
export function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  return cp >= 128 && PUNCTUATION_CATEGORY.test(ch);
}

/**
 * The CJK Unified Ideographs blocks BERT splits (Hangul, Hiragana and Katakana are not
 * included: those scripts use spaces, and BERT keeps their words whole).
 */
export function isCjkCodePoint(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Step 1 + 2: drop invalid/control characters, map whitespace to " ", space out CJK ideographs. */
export function cleanText(text: string, splitCjk: boolean): string {
  // Fast path: printable ASCII with plain spaces needs no change (most English text).
  if (PRINTABLE_ASCII.test(text)) return text;
  let out = '';
  // for..of walks code points, so astral characters (emoji, CJK extension B) stay whole.
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (isWhitespace(ch)) out += ' ';
    else if (splitCjk && isCjkCodePoint(cp)) out += ' ' + ch + ' ';
    else out += ch;
  }
  return out;
}

/** Split on runs of spaces, dropping empty pieces (Python's str.split()). */
export function whitespaceSplit(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/u);
}

/** NFD then drop combining marks: "Héllo" → "Hello". */
export function stripAccents(word: string): string {
  if (ASCII.test(word)) return word; // nothing to decompose
  return word.normalize('NFD').replace(NONSPACING_MARK, '');
}

/** "don't!" → ["don", "'", "t", "!"]: each punctuation character is its own piece. */
export function splitOnPunctuation(word: string): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const ch of word) {
    if (isPunctuation(ch)) {
      if (current !== '') pieces.push(current);
      pieces.push(ch);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') pieces.push(current);
  return pieces;
}

/**
 * The full BasicTokenizer. `neverSplit` holds tokens (e.g. "[CLS]") that pass through
 * untouched when they appear as a whole whitespace-separated word.
 */
export function basicTokenize(
  text: string,
  options: BasicTokenizerOptions = DEFAULT_BASIC_OPTIONS,
  neverSplit: ReadonlySet<string> = new Set(),
): string[] {
  let cleaned = cleanText(text, options.splitCjk);
  if (!ASCII.test(cleaned)) cleaned = cleaned.normalize('NFC');
  const out: string[] = [];
  for (let word of whitespaceSplit(cleaned)) {
    if (neverSplit.has(word)) {
      out.push(word);
      continue;
    }
    if (options.lowercase) word = word.toLowerCase();
    if (options.stripAccents) word = stripAccents(word);
    // Stripping accents can leave an empty word (a lone combining mark) or, in theory,
    // introduce spaces; split again on whitespace as the reference does.
    for (const piece of splitOnPunctuation(word)) {
      for (const w of whitespaceSplit(piece)) out.push(w);
    }
  }
  return out;
}
