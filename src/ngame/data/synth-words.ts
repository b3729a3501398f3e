// The word-level pieces of the synthetic XC datasets (synth-xc.ts): a vocabulary of pronounceable
// made-up words, and a Zipfian sampler over ranks.
//
// Words are syllables, each a consonant onset followed by a vowel nucleus ("bra", "tou"). Since
// onsets are consonants only and nuclei vowels only, a word splits back into its syllables in one
// way, so distinct syllable sequences are distinct words: word i is i written in base S (S =
// onsets × nuclei) with two or three digits, over syllable tables shuffled by the seed. Low ranks
// get the short words (the frequent words of a language are short).
import { Rng } from '../../util/rng';

const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z',
  'br', 'cr', 'dr', 'fr', 'gr', 'pr', 'tr', 'bl', 'cl', 'fl', 'gl', 'pl', 'sl', 'st', 'sp', 'sk', 'ch', 'sh', 'th'];
const NUCLEI = ['a', 'e', 'i', 'o', 'u', 'ai', 'au', 'ea', 'ee', 'ia', 'io', 'oa', 'oo', 'ou'];

/** `n` distinct lowercase words ([a-z]+, so the tokenizers keep each whole); word 0 is the shortest. */
export function makeVocabulary(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const syl: string[] = [];
  for (const o of rng.shuffle([...ONSETS]) as string[]) for (const v of rng.shuffle([...NUCLEI]) as string[]) syl.push(o + v);
  rng.shuffle(syl);
  const S = syl.length;
  const words = new Array<string>(n);
  if (n > S * S + S ** 3) throw new Error(`makeVocabulary: at most ${S * S + S ** 3} words, asked for ${n}`);
  for (let i = 0; i < n; i++) {
    // Two syllables for the first S² words, then three. The last syllable's index shifts the
    // others, so consecutive words do not share their first syllable (a bijection still).
    const j = i < S * S ? i : i - S * S;
    const a = j % S;
    const q = Math.floor(j / S);
    words[i] = i < S * S ? syl[(q + 7 * a + 1) % S] + syl[a] : syl[(Math.floor(q / S) + 3 * a + 1) % S] + syl[(q + 7 * a + 1) % S] + syl[a];
  }
  return words;
}

/**
 * Samples ranks 0..n−1 with P(r) ∝ (r + 1)^−s (Zipf's law; s ≈ 1 for words). The cumulative
 * weights are built once; a draw is one binary search, O(log n).
 */
export class ZipfSampler {
  private readonly cum: Float64Array;

  constructor(readonly n: number, s: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`ZipfSampler: n must be a positive integer, got ${n}`);
    this.cum = new Float64Array(n);
    let acc = 0;
    for (let r = 0; r < n; r++) this.cum[r] = acc += (r + 1) ** -s;
  }

  sample(rng: Rng): number {
    return searchCumulative(this.cum, 0, this.n, rng.next() * this.cum[this.n - 1]);
  }
}

/**
 * The first index i in [lo, hi) with cum[i] > u (cum non-decreasing over the range and
 * u < cum[hi − 1]); hi − 1 when rounding leaves none. Draws from weights stored as running sums.
 */
export function searchCumulative(cum: Float64Array, lo: number, hi: number, u: number): number {
  let a = lo;
  let b = hi - 1;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (cum[m] > u) b = m;
    else a = m + 1;
  }
  return a;
}
