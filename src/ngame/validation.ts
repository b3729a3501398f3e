// A validation split for choosing the fusion weight β.
//
// The fused score β·clf + (1 − β)·emb has one free parameter. Choosing it on the test set
// (as `ngame eval RUN --beta X` lets one do for illustration) reports an optimistic number;
// choosing it on training documents is worse still, since M2's classifiers were fitted to
// exactly those documents and would win every comparison. So a run with `valFraction > 0`
// holds a random slice of the training documents out of M1 and M2 altogether, scores it
// like a test set after training, and reads β off the validation curve by a rule (BetaRule:
// by default the mean of P@1, P@3 and P@5 on 0, 0.05, …, 1, and the middle of the points within
// two validation documents' worth of the best; docs/method.md says why). The test set is used
// once, with that β.

import type { CSR, Dataset, Pairs } from './data';
import { csrFromPairs, csrToPairs, selectRows } from './data';
import { computeMetrics } from './metrics';
import { fuseScores } from './inference';
import { Rng } from '../util/rng';

/** Held-out training documents, scored after training to choose β. */
export interface ValidationSet {
  /** Rows of the original training set that were held out (ascending). */
  ids: Int32Array;
  texts: string[];
  /** (val docs × labels) positives. */
  Y: CSR;
  /** Filter pairs of these documents, rows renumbered to 0..ids.length-1. */
  filter: Pairs;
  /** (val docs × features) their bag-of-words rows, when the dataset has feature files. */
  features?: CSR;
}

/** Rows `ids` of `pairs` (a rows × cols pattern), renumbered to their position in `ids`. */
export function selectPairs(pairs: Pairs, ids: Int32Array, rows: number, cols: number): Pairs {
  return csrToPairs(selectRows(csrFromPairs(rows, cols, pairs), ids));
}

/**
 * Splits the training documents of `data` into a smaller training set (returned as a Dataset
 * with the same labels and test set) and a validation set of round(fraction · N) documents,
 * chosen uniformly at random by `seed`.
 */
export function holdOutValidation(data: Dataset, fraction: number, seed: number): { data: Dataset; val: ValidationSet } {
  const N = data.trainY.rows;
  if (!(fraction > 0 && fraction <= 0.5)) throw new Error(`holdOutValidation: valFraction must be in (0, 0.5], got ${fraction}`);
  const nVal = Math.round(fraction * N);
  if (nVal < 1 || N - nVal < 1) throw new Error(`holdOutValidation: valFraction ${fraction} of ${N} training documents leaves ${nVal} for validation and ${N - nVal} for training; each needs at least 1`);
  const perm = new Rng(seed).permutation(N);
  const valIds = Int32Array.from(perm.subarray(0, nVal)).sort();
  const trainIds = Int32Array.from(perm.subarray(nVal)).sort();
  const val: ValidationSet = {
    ids: valIds,
    texts: Array.from(valIds, (r) => data.trainTexts[r]),
    Y: selectRows(data.trainY, valIds),
    filter: selectPairs(data.filterTrain, valIds, N, data.trainY.cols),
    ...(data.features ? { features: selectRows(data.features.train, valIds) } : {}),
  };
  const train: Dataset = {
    ...data,
    trainTexts: Array.from(trainIds, (r) => data.trainTexts[r]),
    trainY: selectRows(data.trainY, trainIds),
    filterTrain: selectPairs(data.filterTrain, trainIds, N, data.trainY.cols),
    // Feature rows follow their documents, like texts and labels; test and label rows stay.
    ...(data.features ? { features: { ...data.features, train: selectRows(data.features.train, trainIds) } } : {}),
  };
  return { data: train, val };
}

/**
 * The training set a run with `valFraction` trains on, and its validation set (null without one).
 * run.ts and `ngame eval` both call this, so a run's test metrics (whose propensities come from
 * the training labels) are the same whichever computes them. The seed offset keeps the split
 * from shifting the generators of M1 and M2.
 */
export function runSplit(full: Dataset, cfg: { valFraction: number; seed: number }): { data: Dataset; val: ValidationSet | null } {
  return cfg.valFraction > 0 ? holdOutValidation(full, cfg.valFraction, cfg.seed + 2) : { data: full, val: null };
}

/** How β is read off the validation curve (see chooseBeta and docs/method.md, "Choosing β"). */
export interface BetaRule {
  /**
   * What each grid point scores: 'p1' = validation P@1; 'p135' = the mean of P@1, P@3 and P@5
   * (nine ranked slots per document instead of one, so less noise for the same split); 'ndcg5'.
   */
  criterion: 'p1' | 'p135' | 'ndcg5';
  /**
   * Tie band, in validation documents: points within band · 100 / n of the best score (one
   * document's worth of P@1 when band = 1) are tied with it, and the middle of the run of tied
   * grid points around the best is chosen. 0 = the plain argmax.
   */
  band: number;
  /** Grid spacing: β = 0, step, 2·step, …, 1. */
  step: number;
}

/** The default rule, chosen by split-half cross-validation on validation splits (docs/method.md). */
export const DEFAULT_BETA_RULE: BetaRule = { criterion: 'p135', band: 2, step: 0.05 };

/** The rule before 2026-12-07: the argmax of validation P@1 on 0, 0.1, …, 1. */
export const ARGMAX_P1_RULE: BetaRule = { criterion: 'p1', band: 0, step: 0.1 };

/** β = 0, step, …, 1, rounded so that the values print and compare exactly. */
export function betaGrid(step: number): number[] {
  const n = Math.round(1 / step);
  if (!(n >= 1 && Math.abs(n * step - 1) < 1e-9)) throw new Error(`betaGrid: step must divide 1, got ${step}`);
  return Array.from({ length: n + 1 }, (_, i) => Math.round((i / n) * 1e6) / 1e6);
}

export interface BetaPoint {
  beta: number;
  /** Validation P@1, P@3, P@5 and nDCG@5 (percent) of the fused scores at this β. */
  p1: number;
  p3?: number;
  p5: number;
  ndcg5?: number;
  /** The rule's criterion at this β (absent in logs written before 2026-12-07). */
  score?: number;
}

/** The criterion of `rule` from a point's metrics. */
export function betaScore(p: { p1: number; p3: number; p5: number; ndcg5: number }, criterion: BetaRule['criterion']): number {
  return criterion === 'p1' ? p.p1 : criterion === 'ndcg5' ? p.ndcg5 : (p.p1 + p.p3 + p.p5) / 3;
}

/**
 * The index of `scores` (one per grid point, in β order) that `band` picks for a split of `n`
 * documents: the best score (of equals, the better `tiebreak`, then the first); with band > 0,
 * widened to the run of neighbours within band · 100 / n of it, and the middle of that run (of
 * two middles, the better score; then the first).
 */
export function pickBetaIndex(scores: readonly number[], band: number, n: number, tiebreak?: readonly number[]): { index: number; lo: number; hi: number } {
  if (scores.length === 0) throw new Error('pickBetaIndex: empty curve');
  let best = 0;
  for (let i = 1; i < scores.length; i++) {
    if (scores[i] > scores[best] || (tiebreak && scores[i] === scores[best] && tiebreak[i] > tiebreak[best])) best = i;
  }
  if (band <= 0) return { index: best, lo: best, hi: best }; // the plain argmax
  const floor = scores[best] - (band * 100) / Math.max(1, n);
  let lo = best;
  let hi = best;
  while (lo > 0 && scores[lo - 1] >= floor) lo--;
  while (hi < scores.length - 1 && scores[hi + 1] >= floor) hi++;
  const a = Math.floor((lo + hi) / 2);
  const b = Math.ceil((lo + hi) / 2);
  return { index: scores[b] > scores[a] ? b : a, lo, hi };
}

/** One grid point of the fusion of `emb` and `clf`, scored against `Y`. */
export function betaPoint(emb: CSR, clf: CSR, beta: number, Y: CSR, filter: Pairs, trainY: CSR, criterion: BetaRule['criterion']): Required<BetaPoint> {
  const m = computeMetrics(fuseScores(emb, clf, beta), Y, { filter, trainY, K: 5 });
  const p = { p1: m.P[0], p3: m.P[2], p5: m.P[4], ndcg5: m.nDCG[4] };
  return { beta, ...p, score: betaScore(p, criterion) };
}

/**
 * β for the fusion of `emb` (M1) and `clf` (M2) scores of the validation documents, by `rule`,
 * with the whole curve and the tied run [lo, hi] the choice is the middle of.
 * emb, clf: (val docs × labels) top-K score matrices.
 */
export function chooseBeta(emb: CSR, clf: CSR, val: ValidationSet, trainY: CSR, rule: BetaRule = DEFAULT_BETA_RULE): { beta: number; curve: Required<BetaPoint>[]; tied: [number, number] } {
  const curve = betaGrid(rule.step).map((beta) => betaPoint(emb, clf, beta, val.Y, val.filter, trainY, rule.criterion));
  // Equal scores: the better P@5 (the rule before 2026-12-07 broke P@1 ties so), then the smaller β.
  const { index, lo, hi } = pickBetaIndex(curve.map((c) => c.score), rule.band, val.Y.rows, curve.map((c) => c.p5));
  return { beta: curve[index].beta, curve, tied: [curve[lo].beta, curve[hi].beta] };
}

/**
 * The validation curve as a user reads it: one line per grid point (P@1, P@3, P@5 and the
 * criterion; the tied run marked with a dot, the choice with an arrow), then the choice.
 */
export function formatBetaCurve(curve: readonly BetaPoint[], beta: number, tied: [number, number], n: number, rule: BetaRule = DEFAULT_BETA_RULE): string[] {
  const f = (x: number | undefined) => (x === undefined ? '   – ' : x.toFixed(2).padStart(6));
  const lines = [`validation curve (${n} documents; criterion ${rule.criterion === 'p135' ? 'mean of P@1, P@3, P@5' : rule.criterion}):`, '     β    P@1    P@3    P@5  score'];
  for (const c of curve) {
    const mark = c.beta === beta ? ' <- chosen' : c.beta >= tied[0] && c.beta <= tied[1] ? ' · tied' : '';
    lines.push(`  ${c.beta.toFixed(2)} ${f(c.p1)} ${f(c.p3)} ${f(c.p5)} ${f(c.score)}${mark}`);
  }
  const doc = (rule.band * 100) / Math.max(1, n);
  lines.push(rule.band > 0
    ? `β = ${beta}: the middle of β ${tied[0]}–${tied[1]}, the points within ${doc.toFixed(2)} (${rule.band} validation document${rule.band === 1 ? "'s" : "s'"} worth) of the best score`
    : `β = ${beta}: the best score`);
  return lines;
}
