// Choosing β again for a finished run, with the current rule (`ngame eval RUN --choose-beta`).
//
// β is read off the validation curve after M1 and M2 are trained, so a run trained before the
// rule changed (src/ngame/validation.ts, DEFAULT_BETA_RULE) has the same models a new run of the
// same seed would have; only its β, and so its fused metrics, differ. This re-runs exactly the
// stage that chooses β (the same validation split, the same scores), and with `save` records the
// result in the run directory as training would have: β in model.safetensors' metadata, and a
// new final record (log.jsonl and metrics.json) with the test metrics at that β. The run's lock
// is held while it writes, so a training into the same directory cannot interleave.
import type { Backend } from '../tensor';
import type { Dataset } from './data';
import { bagCorpus, featurize, type Corpus } from './corpus';
import { embedCorpus } from './embed';
import type { LabelIndexes } from './dual-shortlist';
import { scoreDocuments } from './inference';
import type { Metrics } from './metrics';
import { lockRunDir, readModel, readRunLog, writeFinalRecord, writeModel, type SavedRun } from './run-dir';
import { chooseBeta, DEFAULT_BETA_RULE, runSplit, type BetaPoint, type BetaRule, type ValidationSet } from './validation';

export interface RechosenBeta {
  beta: number;
  /** The β the run had before. */
  previous: number;
  curve: BetaPoint[];
  tied: [number, number];
  rule: BetaRule;
  /** Validation documents the curve is measured on. */
  docs: number;
}

/** The validation documents as training read them: their feature-file rows, or featurized texts. */
export function validationCorpus(run: SavedRun, val: ValidationSet): Corpus {
  return run.featurizer.kind === 'files' ? bagCorpus(val.features!) : featurize(run.featurizer, val.texts);
}

/**
 * β for `run` by `rule` on its own validation split of `full` (the dataset it was trained on).
 * Refuses a run without classifiers or without a validation split (there is nothing to choose).
 */
export async function rechooseBeta(run: SavedRun, full: Dataset, backend: Backend, indexes: LabelIndexes | null, rule: BetaRule = DEFAULT_BETA_RULE): Promise<RechosenBeta> {
  if (!run.classifiers) throw new Error(`${run.dir} has no M2 classifiers: there is no β to choose`);
  const { data, val } = runSplit(full, run.config);
  if (!val) throw new Error(`${run.dir} was trained without a validation split (valFraction 0): there is no β to choose; 'ngame eval --beta X' evaluates any β`);
  const docs = await embedCorpus(run.encoder, validationCorpus(run, val));
  const { emb, clf } = await scoreDocuments(backend, docs, run.labelEmb, run.classifiers, run.dim, run.config.topK, run.beta, indexes);
  const { beta, curve, tied } = chooseBeta(emb, clf!, val, data.trainY, rule);
  return { beta, previous: run.beta, curve, tied, rule, docs: val.ids.length };
}

/**
 * Records a re-chosen β in the run directory: model.safetensors with the new β (its tensors
 * unchanged) and a final record whose fused metrics are `metrics.fused`, measured at that β.
 */
export function saveRechosenBeta(run: SavedRun, chosen: RechosenBeta, metrics: { m1: Metrics; m2: Metrics | null; fused: Metrics | null }): void {
  const last = readRunLog(run.dir).final;
  if (!last) throw new Error(`${run.dir} has no final record: it is not a finished run`);
  const lock = lockRunDir(run.dir);
  try {
    const model = readModel(run.dir); // verified against the manifest
    const tensors = Object.fromEntries(Object.entries(model.tensors).map(([name, t]) => [name, { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array }]));
    writeModel(run.dir, tensors, { ...model.metadata, beta: String(chosen.beta) });
    writeFinalRecord(run.dir, {
      ...last, ...metrics, beta: chosen.beta, betaFrom: 'validation', date: new Date().toISOString(),
      validation: { docs: chosen.docs, curve: chosen.curve, rule: chosen.rule, tied: chosen.tied },
      betaRechosen: { previous: chosen.previous },
    });
  } finally {
    lock.release();
  }
}
