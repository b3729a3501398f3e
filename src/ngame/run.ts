// One complete NGAME run: data -> tokenizer -> M1 (Siamese encoder, chosen sampler) -> M2
// (per-label classifiers) -> fused retrieval -> metrics. Everything a later `ngame eval`,
// `predict`, `embed` or `report` needs is written into the run directory:
//   config.json          the RunConfig used
//   log.jsonl            one JSON line per epoch (M1 and M2) and one for the final metrics
//   checkpoint/          encoder + tokenizer + optimizer + RNG after each M1 epoch (resume)
//   bank.safetensors     NGAME's memory bank after each M1 epoch (resume)
//   model.safetensors    label embeddings and classifiers of the final model
//   labels.jsonl         the label texts (predict needs no dataset)
//   manifest.json        size and sha256 of the three files above (run-dir.ts)
//   metrics.json         M1, M2 and fused test metrics, with the device and timings

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../tensor';
import type { Backend } from '../tensor';
import { WebGpuBackend } from '../tensor/webgpu/backend';
import { saveTraining } from '../model/checkpoint';
import { hasCheckpoint } from '../model/checkpoint-io';
import { loadDataset } from './data';
import type { Metrics } from './metrics';
import { checkpointModel, featurizerState, freshModel, makeCorpora, resumeState, type Model } from './model-setup';
import { embedCorpus } from './embed';
import { retrieve, scoreDocuments, testMetrics } from './inference';
import { makeSampler } from './samplers';
import { M1Trainer, type EpochLog, type M1Resume } from './train-m1';
import { M2Trainer, type M2EpochLog } from './train-m2';
import { checkConfig, checkResumable, readRunConfig, type RunConfig } from './run-config';
import { chooseBeta, runSplit, type BetaPoint } from './validation';
import { readRunLog } from './report/report';
import { writeFileAtomic } from '../util/fs';
import { checkRunDirFree, dropPreviousBank, prepareRunDir, readBank, writeBank, writeModel } from './run-dir';
import { preflightRun } from './preflight';
import { Rng } from '../util/rng';

export interface Reporter {
  info(msg: string): void;
  progress(label: string, done: number, total: number, extra?: string): void;
  /**
   * Awaited before each M1 and M2 epoch, where stopping is safe (the last checkpoint is complete):
   * it may throw to stop the run (src/cli/interrupt.ts: SIGINT/SIGTERM). It also gives the event
   * loop a turn, which a run on the cpu backend otherwise never does, so signals get handled.
   */
  safePoint?(): Promise<void>;
}

export const silentReporter: Reporter = { info: () => {}, progress: () => {} };

export interface RunResult {
  m1: Metrics;
  m2: Metrics | null;
  fused: Metrics | null;
  /** The fusion weight used: the config's, or the one chosen on the validation split. */
  beta: number;
  device: string;
  seconds: { total: number; m1: number; m2: number; eval: number };
  epochs: (EpochLog | M2EpochLog)[];
}

/** The backend for `device`: auto takes WebGPU when any adapter exists (llvmpipe included), else cpu. */
export async function openBackend(device: RunConfig['device']): Promise<Backend> {
  if (device === 'cpu') return new T.CpuBackend();
  try {
    return await WebGpuBackend.create();
  } catch (e) {
    if (device === 'webgpu') throw e;
    return new T.CpuBackend();
  }
}

function appendLog(dir: string, entry: unknown): void {
  writeFileSync(join(dir, 'log.jsonl'), JSON.stringify(entry) + '\n', { flag: 'a' });
}

/** Seconds of the M1 epochs before `epoch` already logged in `dir` (a resumed run counts them too). */
function loggedM1Seconds(dir: string, epoch: number): number {
  if (!existsSync(join(dir, 'log.jsonl'))) return 0;
  const ms = new Map<number, number>(); // the last line per epoch wins (an epoch redone after a crash)
  for (const e of readRunLog(dir).epochs) if (e.epoch < epoch) ms.set(e.epoch, e.epochMs ?? 0);
  return [...ms.values()].reduce((a, b) => a + b, 0) / 1000;
}

/** Trains and evaluates one run into `outDir`. With `resume`, continues M1 from its checkpoint. */
export async function runTraining(config: RunConfig, outDir: string, rep: Reporter = silentReporter, opts: { resume?: boolean; force?: boolean; backend?: Backend } = {}): Promise<RunResult> {
  const cfg = checkConfig(config);
  const t0 = performance.now();
  const ckDir = join(outDir, 'checkpoint');
  const resuming = opts.resume === true;
  // Nothing in outDir is touched before the configuration and the data are checked, and a run
  // there is replaced only with `force` (run-dir.ts): prepareRunDir below claims the directory.
  checkRunDirFree(outDir, opts);
  if (resuming && !hasCheckpoint(ckDir)) throw new Error(`--resume: no checkpoint in ${ckDir}`);
  const savedConfig = join(outDir, 'config.json');
  if (resuming && existsSync(savedConfig)) {
    checkResumable(readRunConfig(savedConfig), cfg, savedConfig);
  }
  // A fresh run records its config once the directory is claimed; a resumed one with each new
  // checkpoint (and once M1 is done), so a resume that fails before its first checkpoint leaves
  // the saved run as it was.
  const writeConfig = () => writeFileAtomic(savedConfig, JSON.stringify(cfg, null, 2) + '\n');

  const backend = opts.backend ?? (await openBackend(cfg.device));
  rep.info(`device: ${backend.name} — ${backend.deviceName}`);
  const full = await loadDataset(cfg.data ?? undefined, { text: cfg.text });
  rep.info(`data: ${full.name}: ${full.trainTexts.length} train, ${full.testTexts.length} test documents, ${full.labelTexts.length} labels`);
  // With a validation split, `data` is the rest of the training set: M1 and M2 never see `val`.
  const { data, val } = runSplit(full, cfg);
  if (val) rep.info(`validation: ${val.ids.length} training documents held out of M1 and M2 to choose β`);
  await preflightRun(cfg, data, backend, { resume: resuming });

  // Model, featurizer and (when resuming) optimizer, generator and memory bank.
  let setup: Model;
  let resume: M1Resume | undefined;
  if (resuming) {
    const ck = checkpointModel(ckDir, cfg, data.dir, backend);
    resume = resumeState(ck, undefined);
    resume.bank = readBank(outDir, resume.epoch); // verified against manifest.json
    setup = ck;
    rep.info(`resuming at M1 epoch ${resume.epoch + 1} (step ${resume.step})`);
  } else {
    setup = freshModel(cfg, data, backend);
    rep.info(setup.origin);
  }
  const { encoder, featurizer } = setup;
  const { train, labels, test, val: valCorpus } = makeCorpora(setup, data, val);
  const ctx = { data, encoder, backend, train, labels, test };

  // ---- M1 ----
  const sampler = makeSampler(cfg.sampler, cfg.curriculum, cfg.mining);
  const m1 = new M1Trainer(ctx, sampler, { ...cfg.m1, seed: cfg.seed, infoNCETau: cfg.m1.tau }, resume);
  // Only now, with data, model, corpora and trainer made, is the directory claimed (a failure
  // before this point leaves a run already there as it was).
  prepareRunDir(outDir, opts, full.labelTexts);
  if (!resuming) writeConfig();
  if (m1.skipped > 0) rep.info(`${m1.skipped} training documents have no positive label: skipped for training, kept for evaluation`);
  const epochs: (EpochLog | M2EpochLog)[] = [];
  const tm1 = performance.now();
  while (m1.epoch < cfg.m1.epochs) {
    await rep.safePoint?.();
    const e = m1.epoch;
    const log = await m1.trainEpoch({
      onStep: (_s, loss, i, n) => rep.progress(`M1 ${cfg.sampler} epoch ${e + 1}/${cfg.m1.epochs}`, i, n, `loss ${loss.toFixed(4)}`),
    });
    epochs.push(log);
    appendLog(outDir, log);
    const p = log.metrics ? `  P@1 ${log.metrics.P[0].toFixed(2)}  P@5 ${log.metrics.P[4].toFixed(2)}` : '';
    const h = log.hardness ? `  hardness ${log.hardness.ratio.toFixed(3)}` : '';
    rep.info(`M1 epoch ${e + 1}: ${log.lossName} loss ${log.loss.toFixed(4)}  cluster size ${log.clusterSize ?? 'random'}  ${(log.epochMs / 1000).toFixed(1)} s${p}${h}`);
    writeBank(outDir, m1.bank, m1.epoch); // the bank first, so that every checkpoint finds its own
    await saveTraining(ckDir, { encoders: { encoder }, optimizer: m1.opt, step: m1.env.step, rng: m1.rng, ...featurizerState(featurizer), extra: { epoch: m1.epoch } });
    dropPreviousBank(outDir);
    writeConfig();
  }
  if (resuming) writeConfig();
  // A resumed run's M1 time includes the epochs trained before the resume (from the log).
  const earlierM1 = resume ? loggedM1Seconds(outDir, resume.epoch) : 0;
  const m1Seconds = (performance.now() - tm1) / 1000 + earlierM1;

  // ---- M2 on the frozen encoder, then evaluation of M1, M2 and their fusion ----
  const D = encoder.outDim;
  const labelEmb = await m1.labelEmbeddings();
  let classifiers: Float32Array | null = null;
  const tm2 = performance.now();
  if (cfg.m2.epochs > 0) {
    rep.info('M2: encoding training documents once (dropout on)');
    const docEmb = await embedCorpus(encoder, train, { training: true, rng: new Rng(cfg.seed + 1) });
    const m2 = new M2Trainer(backend, data.trainY, docEmb, labelEmb, D, {
      epochs: cfg.m2.epochs, batchSize: cfg.m2.batchSize, lr: cfg.m2.lr, seed: cfg.seed, kind: cfg.m2.loss, tau: cfg.m2.tau, shortlist: cfg.m2.shortlist,
      curriculum: { warmupEpochs: 0, startSize: cfg.m2.clusterSize, doubleAt: [], maxSize: cfg.m2.clusterSize, reclusterEvery: 1000 },
    });
    for (let e = 0; e < cfg.m2.epochs; e++) {
      await rep.safePoint?.();
      const log = await m2.trainEpoch((i, n, loss) => rep.progress(`M2 epoch ${e + 1}/${cfg.m2.epochs}`, i, n, `loss ${loss.toFixed(4)}`));
      epochs.push(log);
      appendLog(outDir, log);
      rep.info(`M2 epoch ${e + 1}: loss ${log.loss.toFixed(4)}  ${(log.epochMs / 1000).toFixed(1)} s`);
    }
    classifiers = await m2.classifiers();
    m2.dispose();
  }
  const m2Seconds = (performance.now() - tm2) / 1000;

  const te = performance.now();
  let beta = cfg.beta;
  let betaCurve: BetaPoint[] | null = null;
  if (val && classifiers) {
    rep.info('choosing β on the validation documents');
    const valEmb = await embedCorpus(encoder, valCorpus!);
    const vEmb = await retrieve(backend, valEmb, labelEmb, D, cfg.topK);
    const vClf = await retrieve(backend, valEmb, classifiers, D, cfg.topK);
    ({ beta, curve: betaCurve } = chooseBeta(vEmb, vClf, val, data.trainY));
    const at = (b: number) => betaCurve!.find((c) => c.beta === b)!.p1.toFixed(2);
    rep.info(`β = ${beta}: validation P@1 ${at(beta)} (β = 0: ${at(0)}, 0.5: ${at(0.5)}, 1: ${at(1)})`);
  } else if (val) {
    rep.info('no M2 classifiers: the validation split has no β to choose');
  }
  rep.info('encoding the test documents');
  const testEmb = await embedCorpus(encoder, test);
  const scores = await scoreDocuments(backend, testEmb, labelEmb, classifiers, D, cfg.topK, beta);
  const m1Metrics = testMetrics(scores.emb, data);
  const m2Metrics: Metrics | null = scores.clf ? testMetrics(scores.clf, data) : null;
  const fused: Metrics | null = scores.clf ? testMetrics(scores.fused, data) : null;
  const evalSeconds = (performance.now() - te) / 1000;

  const model: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {
    labelEmbeddings: { dtype: 'F32', shape: [labelEmb.length / D, D], data: labelEmb },
  };
  if (classifiers) model.classifiers = { dtype: 'F32', shape: [classifiers.length / D, D], data: classifiers };
  writeModel(outDir, model, { beta: String(beta) });

  const result: RunResult = {
    m1: m1Metrics, m2: m2Metrics, fused, beta, device: `${backend.name}: ${backend.deviceName}`,
    seconds: { total: (performance.now() - t0) / 1000 + earlierM1, m1: m1Seconds, m2: m2Seconds, eval: evalSeconds }, epochs,
  };
  const summary = {
    stage: 'final', sampler: cfg.sampler, dataset: data.name, device: result.device, date: new Date().toISOString(),
    ...(resume ? { resumedAtEpoch: resume.epoch } : {}), seconds: result.seconds, m1: m1Metrics, m2: m2Metrics, fused,
    beta, betaFrom: betaCurve ? 'validation' : 'config',
    ...(val && betaCurve ? { validation: { docs: val.ids.length, curve: betaCurve } } : {}),
  };
  appendLog(outDir, summary);
  writeFileAtomic(join(outDir, 'metrics.json'), JSON.stringify(summary, null, 2) + '\n');
  return result;
}
