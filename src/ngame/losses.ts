// The losses NGAME and the baselines train with. S is a (B, L) score matrix between the B
// documents of a batch and the L labels of its label pool; T is the (B, L) 0/1 target matrix
// (T_ij = 1 iff label j is a positive of document i, so a label shared by two documents is
// never a negative for either).

import * as T from '../tensor';
import type { Tensor } from '../tensor';

/** A score that can never be chosen: masks positives out of negative mining and vice versa. */
const FAR = 50;

export interface TripletOptions {
  /** Hardest in-batch negatives per document (NGAME: 10). */
  k?: number;
  /** Margin (NGAME M1: 0.3). */
  margin?: number;
  /** Temperature of the softmax that weights violating negatives (NGAME: 0.1); 0 disables weighting. */
  tau?: number;
}

/**
 * Triplet margin loss with online hard negative mining (NGAME M1). Document i's positive is
 * label i of the pool (its sampled positive sits on the diagonal, so S is (B, L) with L >= B).
 *   s⁺_i   = S_ii
 *   N_i    = the k highest S_ij with T_ij = 0      (positives are masked to -50 first)
 *   ℓ_ij   = max(0, S_ij − s⁺_i + margin)          for j in N_i
 *   w_ij   = softmax over violating j of S_ij / τ  (non-violating entries get weight 0)
 *   loss   = mean over (i, j) of w_ij · ℓ_ij
 * If a row has fewer than k negatives, the masked entries give ℓ = 0.
 */
export function tripletOHNM(S: Tensor, targets: Tensor, opts: TripletOptions = {}): Tensor {
  const [B, L] = S.shape;
  if (S.rank !== 2 || L < B) throw new Error(`tripletOHNM: scores must be (B, L) with L >= B, got (${S.shape.join(', ')})`);
  const k = Math.min(opts.k ?? 10, L);
  const margin = opts.margin ?? 0.3;
  const tau = opts.tau ?? 0.1;
  const eye = diagonalMask(B, L, S);
  const sPos = T.sum(T.mul(S, eye), 1, true); // (B, 1)
  const negOnly = T.where(targets, T.full([1], -FAR, S.dtype, S.backend), S);
  const sNeg = T.topk(negOnly, k).values; // (B, k)
  const viol = T.relu(T.shift(T.sub(sNeg, sPos), margin)); // (B, k)
  return T.meanAll(tau > 0 ? T.mul(viol, violatorWeights(sNeg, viol, tau)) : viol);
}

/** softmax(sNeg / tau) over the entries that violate the margin; zero elsewhere. */
function violatorWeights(sNeg: Tensor, viol: Tensor, tau: number): Tensor {
  const zero = T.full([1], 0, viol.dtype, viol.backend);
  const active = T.gt(viol, zero);
  return T.softmax(T.where(active, T.scale(sNeg, 1 / tau), T.full([1], -FAR / tau, viol.dtype, viol.backend)));
}

export interface MultiPositiveOptions {
  /** Lowest-scoring positives per document (NGAME M2: 3). */
  numPositives?: number;
  /** Hardest negatives per document (NGAME M2: 5). */
  numNegatives?: number;
  margin?: number;
  tau?: number;
}

/**
 * Multi-positive triplet loss (NGAME M2): for each document, the P lowest-scoring positives
 * and the N hardest negatives of the pool; every (positive, negative) pair contributes
 * max(0, s⁻ − s⁺ + margin), negatives weighted by a softmax as in tripletOHNM.
 * Missing positives/negatives (fewer than P or N) are masked to give 0.
 */
export function tripletMultiPositive(S: Tensor, targets: Tensor, opts: MultiPositiveOptions = {}): Tensor {
  const [, L] = S.shape;
  const P = Math.min(opts.numPositives ?? 3, L);
  const N = Math.min(opts.numNegatives ?? 5, L);
  const margin = opts.margin ?? 0.2;
  const tau = opts.tau ?? 0.1;
  const far = T.full([1], FAR, S.dtype, S.backend);
  // Lowest positives = top-P of −S over positives (non-positives pushed to −50 there).
  const sPos = T.neg(T.topk(T.where(targets, T.neg(S), T.neg(far)), P).values); // (B, P)
  const sNeg = T.topk(T.where(targets, T.neg(far), S), N).values; // (B, N)
  // pairs: (B, P, N) = sNeg[:, None, :] − sPos[:, :, None] + margin
  const pairs = T.relu(T.shift(T.sub(T.unsqueeze(sNeg, 1), T.unsqueeze(sPos, 2)), margin));
  if (tau <= 0) return T.meanAll(pairs);
  const w = violatorWeights(T.expandTo(T.unsqueeze(sNeg, 1), pairs.shape), pairs, tau);
  return T.meanAll(T.mul(pairs, w));
}

/**
 * Binary cross-entropy with logits, mean over all entries, in the stable form
 *   ℓ = max(x, 0) − x·t + log(1 + exp(−|x|)).
 */
export function bceWithLogits(logits: Tensor, targets: Tensor): Tensor {
  return T.meanAll(bceTerms(logits, targets));
}

/** ℓ per entry, the same shape as logits. */
function bceTerms(logits: Tensor, targets: Tensor): Tensor {
  const softplusNegAbs = T.log(T.shift(T.exp(T.neg(T.abs(logits))), 1));
  return T.add(T.sub(T.relu(logits), T.mul(logits, targets)), softplusNegAbs);
}

/**
 * BCE with logits over the entries where mask (0/1, the shape of logits) is 1 only:
 * Σ mask·ℓ / count, count = the number of ones in mask (passed in: it is known on the host,
 * so the loss needs no readback). The 'bce-own' M1 loss: each document against its own
 * positives and the negatives drawn for it, as Qaraei & Babbar train, rather than against the
 * whole pool of the batch (where its one or two positives weigh a few parts in a thousand).
 */
export function maskedBceWithLogits(logits: Tensor, targets: Tensor, mask: Tensor, count: number): Tensor {
  if (!(count > 0)) throw new Error(`maskedBceWithLogits: the mask selects no entry (count ${count})`);
  return T.scale(T.sumAll(T.mul(bceTerms(logits, targets), mask)), 1 / count);
}

/** The M1 loss a run asks for: 'auto' lets the sampler decide (resolveM1Loss). */
export type M1LossChoice = 'auto' | 'triplet' | 'infonce' | 'bce-own';
/** The M1 loss that runs. */
export type M1Loss = 'triplet' | 'infonce' | 'bce' | 'bce-own';

/**
 * The one place the M1 loss is decided. An explicit choice runs as asked (the default config
 * asks for 'infonce', run-config.ts). 'auto': InfoNCE for the samplers whose papers train with
 * a ranking loss (the in-batch samplers and ANCE: NGAME's triplet loss collapses a from-scratch
 * encoder, docs/method.md), BCE over the pool for those whose papers train with BCE (the MIPS
 * and meta samplers), as runs before 2026-12-03 did. The name returned is what logs and reports show.
 */
export function resolveM1Loss(choice: M1LossChoice, samplerLoss: 'triplet' | 'bce'): M1Loss {
  if (choice === 'auto') return samplerLoss === 'triplet' ? 'infonce' : 'bce';
  return choice;
}

/**
 * In-batch softmax (InfoNCE): −(1/B) Σ_i log softmax_j(S_ij / τ) at j = i. Only the diagonal (each
 * document's sampled positive) is averaged; the other positives of row i add no term, they are
 * removed from its denominator (so they are not pushed down).
 */
export function infoNCE(S: Tensor, targets: Tensor, tau = 0.05): Tensor {
  const [B, L] = S.shape;
  const eye = diagonalMask(B, L, S);
  // Keep the diagonal positive and every negative; mask the other positives.
  const keepMask = T.add(eye, T.sub(T.full([1], 1, S.dtype, S.backend), targets)); // 1 or 2 on the diagonal is fine for where()
  const logits = T.where(keepMask, T.scale(S, 1 / tau), T.full([1], -1e4, S.dtype, S.backend));
  const logp = T.logSoftmax(logits);
  return T.scale(T.sumAll(T.mul(logp, eye)), -1 / B);
}

function diagonalMask(B: number, L: number, like: Tensor): Tensor {
  const m = like.dtype === 'f64' ? new Float64Array(B * L) : new Float32Array(B * L);
  for (let i = 0; i < B; i++) m[i * L + i] = 1;
  return T.tensor(m, [B, L], { backend: like.backend, dtype: like.dtype });
}
