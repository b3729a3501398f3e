// A counter-based random hash: hash32(seed, i) is a well-mixed 32-bit value that depends only on
// (seed, i), so element i of a random mask can be computed independently by any thread, on the
// host or on the GPU, in any order. The TypeScript and WGSL versions use only u32 operations
// (multiply mod 2^32, xor, shifts, add), so they agree bit for bit.
//
// The mixing step is the "PCG hash" (one round of PCG's RXS-M-XS output function on an LCG step),
// from Jarkko & Olano, "Hash Functions for GPU Rendering" (JCGT 2020). Three rounds combine seed
// and index: streams of different seeds do not overlap as shifted copies of each other.

/** One PCG hash round on a u32. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Hash of (seed, i) as a u32. `seed` and `i` are taken modulo 2^32. */
export function hash32(seed: number, i: number): number {
  const s = seed >>> 0;
  const h = pcgHash((pcgHash(s) ^ (i >>> 0)) >>> 0);
  return pcgHash((h + s) >>> 0);
}

/** WGSL twin of pcgHash / hash32 (paste into a shader). */
export const HASH_WGSL = `
fn pcgHash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn hash32(seed: u32, i: u32) -> u32 {
  let h = pcgHash(pcgHash(seed) ^ i);
  return pcgHash(h + seed);
}`;

/**
 * The drop threshold for probability p: element i is dropped when hash32(seed, i) < threshold.
 * Computed on the host so both sides compare the same integer. p must lie in [0, 1).
 */
export function dropThreshold(p: number): number {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  return Math.min(0xffffffff, Math.floor(p * 4294967296));
}
