// WordPiece: split one word into vocabulary pieces, greedily taking the longest prefix that is in
// the vocabulary, then the longest "##"-prefixed continuation, and so on. If some position has no
// matching piece, the whole word becomes [UNK] (not just the unmatched part), exactly as BERT does.
// Words longer than `maxInputCharsPerWord` code points (100 in BERT) are [UNK] without trying.

export const CONTINUATION_PREFIX = '##';
export const MAX_INPUT_CHARS_PER_WORD = 100;

/**
 * Split `word` into pieces found in `vocab`; returns `[unkToken]` when it cannot be split.
 * Lengths are counted in code points (Python's `list(token)`), so an emoji counts once.
 * `longestToken` (the vocabulary's longest token, in UTF-16 units) only skips hopeless candidates.
 */
export function wordPieceSplit(
  word: string,
  vocab: ReadonlyMap<string, number>,
  unkToken: string,
  maxInputCharsPerWord: number = MAX_INPUT_CHARS_PER_WORD,
  longestToken: number = Infinity,
): string[] {
  // bounds[i] = UTF-16 offset of code point i, so candidates are plain slices of `word`.
  const bounds: number[] = [];
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || word.charCodeAt(i - 1) < 0xd800 || word.charCodeAt(i - 1) > 0xdbff) bounds.push(i);
  }
  const chars = bounds.length;
  bounds.push(word.length);
  if (chars > maxInputCharsPerWord) return [unkToken];
  const pieces: string[] = [];
  let start = 0;
  while (start < chars) {
    const prefix = start > 0 ? CONTINUATION_PREFIX : '';
    // Try the longest candidate first, shrinking from the right until one is in the vocabulary.
    // Candidates longer than the vocabulary's longest token (UTF-16 units) cannot match.
    let end = chars;
    while (end > start && prefix.length + bounds[end] - bounds[start] > longestToken) end--;
    let found: string | null = null;
    while (start < end) {
      const candidate = prefix + word.slice(bounds[start], bounds[end]);
      if (vocab.has(candidate)) {
        found = candidate;
        break;
      }
      end--;
    }
    if (found === null) return [unkToken];
    pieces.push(found);
    start = end;
  }
  return pieces;
}
