// A validation split for choosing the fusion weight β.
//
// The fused score β·clf + (1 − β)·emb has one free parameter. Choosing it on the test set
// (as `ngame eval RUN --beta X` lets one do for illustration) reports an optimistic number;
// choosing it on training documents is worse still, since M2's classifiers were fitted to
// exactly those documents and would win every comparison. So a run with `valFraction > 0`
// holds a random slice of the training documents out of M1 and M2 altogether, scores it
// like a test set after training, and keeps the β of a fixed grid with the best validation
// P@1 (ties: better P@5, then the smaller β). The test set is used once, with that β.

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

/** The β values tried: 0, 0.1, …, 1. */
export const BETA_GRID: readonly number[] = Array.from({ length: 11 }, (_, i) => i / 10);

/** Rows `ids` of `pairs` (a rows × cols pattern), renumbered to their position in `ids`. */
function selectPairs(pairs: Pairs, ids: Int32Array, rows: number, cols: number): Pairs {
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

export interface BetaPoint {
  beta: number;
  /** Validation P@1 and P@5 (percent) of the fused scores at this β. */
  p1: number;
  p5: number;
}

/**
 * The β of `grid` whose fusion of `emb` (M1) and `clf` (M2) scores of the validation documents
 * has the best P@1 (ties: P@5, then the smaller β), with the whole curve.
 * emb, clf: (val docs × labels) top-K score matrices.
 */
export function chooseBeta(emb: CSR, clf: CSR, val: ValidationSet, trainY: CSR, grid: readonly number[] = BETA_GRID): { beta: number; curve: BetaPoint[] } {
  if (grid.length === 0) throw new Error('chooseBeta: empty grid');
  const curve: BetaPoint[] = grid.map((beta) => {
    const m = computeMetrics(fuseScores(emb, clf, beta), val.Y, { filter: val.filter, trainY, K: 5 });
    return { beta, p1: m.P[0], p5: m.P[4] };
  });
  let best = curve[0];
  for (const c of curve) {
    if (c.p1 > best.p1 || (c.p1 === best.p1 && (c.p5 > best.p5 || (c.p5 === best.p5 && c.beta < best.beta)))) best = c;
  }
  return { beta: best.beta, curve };
}
