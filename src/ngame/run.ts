// One complete NGAME run, in the method's stages: prepare the data and the model, train M1 (the
// Siamese encoder, with the chosen sampler), train M2 (per-label classifiers on the frozen
// encoder), choose the fusion weight β on the validation split, evaluate M1, M2 and their
// fusion on the test set, save. Everything a later `ngame eval`, `predict`, `embed`, `report`
// or `train --resume` needs goes into the run directory (run-dir/layout.ts lists its files).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../tensor';
import type { Backend } from '../tensor';
import { WebGpuBackend } from '../tensor/webgpu/backend';
import { saveTraining } from '../model/checkpoint';
import { hasCheckpoint } from '../model/checkpoint-io';
import { emptyFeatureFiles, loadDataset, type Dataset } from './data';
import type { Corpus } from './corpus';
import type { TextEncoder } from '../model/text-encoder';
import type { Metrics } from './metrics';
import { checkpointModel, featurizerState, freshModel, makeCorpora, resumeState, type Model } from './model-setup';
import { embedCorpus } from './embed';
import { scoreDocuments, testMetrics } from './inference';
import { buildLabelIndex, resolveSearch, runSearch, sampleRecall, RECALL_DOCS, type IndexRecall, type SearchRecord } from './label-search';
import { fusedRecall, type LabelIndexes } from './dual-shortlist';
import type { HnswIndex } from './ann/hnsw';
import { makeSampler } from './samplers';
import { M1Trainer, type EpochLog, type M1Resume } from './train-m1';
import { M2Trainer, type M2EpochLog } from './train-m2';
import { checkConfig, checkResumable, m1Config, m2Config, readRunConfig, type RunConfig } from './run-config';
import { chooseBeta, DEFAULT_BETA_RULE, formatBetaCurve, runSplit, type BetaPoint, type ValidationSet } from './validation';
import {
  appendLogRecord, checkpointDir, checkRunDataset, checkRunDirFree, CONFIG_FILE, datasetRecord, dropPreviousBank, lockRunDir, loggedM1Seconds, prepareRunDir, readBank,
  writeBank, writeFinalRecord, writeModel, writeRunConfig, writeRunIndexes, type FinalRecord,
} from './run-dir';
import { checkTensorSizes, preflightRun } from './preflight';
import { Rng } from '../util/rng';
import { peakRssBytes } from '../util/memory';

export interface Reporter {
  info(msg: string): void;
  progress(label: string, done: number, total: number, extra?: string): void;
  /**
   * Awaited before each M1 and M2 epoch, where stopping is safe (the last checkpoint is complete):
   * it may throw to stop the run (src/cli/interrupt.ts: SIGINT/SIGTERM). It also gives the event
   * loop a turn, which a run on the cpu backend otherwise never does, so signals get handled.
   */
  safePoint?(): Promise<void>;
  /** What the user must see even with --quiet (a stale lock taken over, feature files without features); info when absent. */
  warn?(msg: string): void;
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
  /** With search through HNSW: the graphs, their build time and recall (label-search.ts). */
  search?: SearchRecord;
  /** The process's peak resident set size over the run, in bytes (util/memory.ts). */
  peakRssBytes: number;
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

/** What the stages share: the checked config, the backend, the data and the model being trained. */
interface Prepared {
  cfg: RunConfig;
  outDir: string;
  backend: Backend;
  /** The training set without the validation documents (M1 and M2 never see those). */
  data: Dataset;
  val: ValidationSet | null;
  corpora: { train: Corpus; labels: Corpus; test: Corpus; val: Corpus | null };
  encoder: TextEncoder;
  m1: M1Trainer;
  /** Saves the M1 checkpoint: encoder, featurizer, optimizer, generator, epochs done. */
  saveCheckpoint(): Promise<unknown>;
  /** Where a resumed run continues from; undefined for a fresh run. */
  resume?: M1Resume;
  /** Writes config.json (a fresh run once claimed; a resumed one with each new checkpoint). */
  writeConfig(): void;
}

/**
 * Trains and evaluates one run into `outDir`. With `resume`, continues M1 from its checkpoint.
 * Holds the directory's lock (run-dir/lock.ts) from before anything is read until the end.
 */
export async function runTraining(config: RunConfig, outDir: string, rep: Reporter = silentReporter, opts: { resume?: boolean; force?: boolean; backend?: Backend } = {}): Promise<RunResult> {
  const lock = lockRunDir(outDir);
  if (lock.stale) (rep.warn ?? rep.info)(`${outDir}: took over the lock of pid ${lock.stale.pid} (started ${lock.stale.started}), which no longer runs`);
  try {
    return await trainAndSave(config, outDir, rep, opts);
  } finally {
    lock.release();
  }
}

async function trainAndSave(config: RunConfig, outDir: string, rep: Reporter, opts: { resume?: boolean; force?: boolean; backend?: Backend }): Promise<RunResult> {
  const t0 = performance.now();
  const p = await prepare(checkConfig(config), outDir, rep, opts);
  const m1 = await trainM1(p, rep);
  const labelEmb = await p.m1.labelEmbeddings();
  const m2 = await trainM2(p, labelEmb, rep);
  const te = performance.now();
  const indexes = await buildIndexes(p, labelEmb, m2.classifiers, rep, m2.embGraph ?? null);
  const fusion = await chooseFusionWeight(p, labelEmb, m2.classifiers, rep, indexes?.graphs ?? null);
  const metrics = await evaluateTest(p, labelEmb, m2.classifiers, fusion.beta, rep, indexes);
  const evalSeconds = (performance.now() - te) / 1000;
  const result: RunResult = {
    ...metrics, beta: fusion.beta, device: `${p.backend.name}: ${p.backend.deviceName}`, epochs: [...m1.epochs, ...m2.epochs],
    seconds: { total: (performance.now() - t0) / 1000 + m1.earlierSeconds, m1: m1.seconds, m2: m2.seconds, eval: evalSeconds },
    peakRssBytes: peakRssBytes(),
  };
  save(p, labelEmb, m2.classifiers, result, fusion);
  return result;
}

/**
 * Stage 1: checks the directory and the config, opens the backend, loads and splits the data,
 * makes (or reloads, when resuming) the model, its corpora and the M1 trainer, and only then
 * claims the run directory, so that a failure before it leaves a run already there as it was.
 */
async function prepare(cfg: RunConfig, outDir: string, rep: Reporter, opts: { resume?: boolean; force?: boolean; backend?: Backend }): Promise<Prepared> {
  const ckDir = checkpointDir(outDir);
  const resuming = opts.resume === true;
  checkRunDirFree(outDir, opts);
  if (resuming && !hasCheckpoint(ckDir)) throw new Error(`--resume: no checkpoint in ${ckDir}`);
  const savedConfig = join(outDir, CONFIG_FILE);
  if (resuming && existsSync(savedConfig)) checkResumable(readRunConfig(savedConfig), cfg, savedConfig);

  const backend = opts.backend ?? (await openBackend(cfg.device));
  rep.info(`device: ${backend.name} — ${backend.deviceName}`);
  const full = await loadDataset(cfg.data ?? undefined, { text: cfg.text });
  if (resuming) checkRunDataset(outDir, full, { training: true }); // by content: the dataset may have moved
  rep.info(`data: ${full.name}: ${full.trainTexts.length} train, ${full.testTexts.length} test documents, ${full.labelTexts.length} labels`);
  const { data, val } = runSplit(full, cfg);
  if (val) rep.info(`validation: ${val.ids.length} training documents held out of M1 and M2 to choose β`);
  await preflightRun(cfg, data, backend, { resume: resuming });

  // Model, featurizer and (when resuming) optimizer, generator and memory bank.
  let resume: M1Resume | undefined;
  let model: Model;
  if (resuming) {
    const ck = checkpointModel(ckDir, cfg, data.dir, backend);
    resume = resumeState(ck, undefined);
    resume.bank = readBank(outDir, resume.epoch); // verified against manifest.json
    rep.info(`resuming at M1 epoch ${resume.epoch + 1} (step ${resume.step})`);
    model = ck;
  } else {
    model = freshModel(cfg, data, backend);
    rep.info(model.origin);
  }
  if (model.featurizer.kind === 'files') for (const w of emptyFeatureFiles(full.features!)) (rep.warn ?? rep.info)(w);
  checkTensorSizes(cfg, model.encoder, data.labelTexts.length, backend); // before any training
  const corpora = makeCorpora(model, data, val);
  const sampler = makeSampler(cfg.sampler, { ...cfg.curriculum, clustering: cfg.clustering }, { ...cfg.mining, search: runSearch(cfg) });
  const ctx = { data, encoder: model.encoder, backend, train: corpora.train, labels: corpora.labels, test: corpora.test };
  const m1 = new M1Trainer(ctx, sampler, m1Config(cfg), resume);

  prepareRunDir(outDir, opts, full.labelTexts, datasetRecord(full));
  const writeConfig = () => writeRunConfig(outDir, cfg);
  // A resumed run records its config only with its first new checkpoint, so a resume that fails
  // before one leaves the saved run as it was.
  if (!resuming) writeConfig();
  if (m1.skipped > 0) rep.info(`${m1.skipped} training documents have no positive label: skipped for training, kept for evaluation`);
  const { encoder, featurizer } = model;
  const saveCheckpoint = () => saveTraining(ckDir, { encoders: { encoder }, optimizer: m1.opt, step: m1.env.step, rng: m1.rng, ...featurizerState(featurizer), extra: { epoch: m1.epoch } });
  return { cfg, outDir, backend, data, val, corpora, encoder, m1, saveCheckpoint, resume, writeConfig };
}

/**
 * Stage 2, M1: the Siamese encoder trained with the run's sampler, one epoch at a time; after
 * each, its log record, the memory bank, then the checkpoint (in that order: every checkpoint
 * finds its own bank, run-dir/files.ts).
 */
async function trainM1(p: Prepared, rep: Reporter): Promise<{ epochs: EpochLog[]; seconds: number; earlierSeconds: number }> {
  const { cfg, m1, outDir } = p;
  const epochs: EpochLog[] = [];
  const t = performance.now();
  while (m1.epoch < cfg.m1.epochs) {
    await rep.safePoint?.();
    const e = m1.epoch;
    const log = await m1.trainEpoch({
      onStep: (_s, loss, i, n) => rep.progress(`M1 ${cfg.sampler} epoch ${e + 1}/${cfg.m1.epochs}`, i, n, `loss ${loss.toFixed(4)}`),
    });
    epochs.push(log);
    appendLogRecord(outDir, log);
    const pk = log.metrics ? `  P@1 ${log.metrics.P[0].toFixed(2)}  P@5 ${log.metrics.P[4].toFixed(2)}` : '';
    const h = log.hardness ? `  hardness ${log.hardness.ratio.toFixed(3)}` : '';
    rep.info(`M1 epoch ${e + 1}: ${log.lossName} loss ${log.loss.toFixed(4)}  cluster size ${log.clusterSize ?? 'random'}  ${(log.epochMs / 1000).toFixed(1)} s${pk}${h}`);
    writeBank(outDir, m1.bank, m1.epoch);
    await p.saveCheckpoint();
    dropPreviousBank(outDir);
    p.writeConfig();
  }
  m1.sampler.release(); // its device state (label table, meta's W): M2 needs the memory
  if (p.resume) p.writeConfig();
  // A resumed run's M1 time includes the epochs trained before the resume (from the log).
  const earlierSeconds = p.resume ? loggedM1Seconds(outDir, p.resume.epoch) : 0;
  return { epochs, seconds: (performance.now() - t) / 1000 + earlierSeconds, earlierSeconds };
}

/** Stage 3, M2: per-label classifiers on the frozen encoder's training-document embeddings. */
async function trainM2(p: Prepared, labelEmb: Float32Array, rep: Reporter): Promise<{ classifiers: Float32Array | null; epochs: M2EpochLog[]; seconds: number; embGraph?: HnswIndex | null }> {
  const { cfg, outDir } = p;
  const epochs: M2EpochLog[] = [];
  const t = performance.now();
  if (cfg.m2.epochs === 0) return { classifiers: null, epochs, seconds: 0 };
  rep.info('M2: encoding training documents once (dropout on)');
  const encoder = p.encoder;
  const docEmb = await embedCorpus(encoder, p.corpora.train, { training: true, rng: new Rng(cfg.seed + 1) });
  const m2 = new M2Trainer(p.backend, p.data.trainY, docEmb, labelEmb, encoder.outDim, { ...m2Config(cfg), search: runSearch(cfg) });
  for (let e = 0; e < cfg.m2.epochs; e++) {
    await rep.safePoint?.();
    const log = await m2.trainEpoch((i, n, loss) => rep.progress(`M2 epoch ${e + 1}/${cfg.m2.epochs}`, i, n, `loss ${loss.toFixed(4)}`));
    epochs.push(log);
    appendLogRecord(outDir, log);
    rep.info(`M2 epoch ${e + 1}: loss ${log.loss.toFixed(4)}  ${(log.epochMs / 1000).toFixed(1)} s`);
  }
  const classifiers = await m2.classifiers();
  m2.dispose();
  return { classifiers, epochs, seconds: (performance.now() - t) / 1000, embGraph: m2.shortlistGraph };
}

/** Stage 4: the fusion weight β, chosen on the validation documents when there are some (else the config's). */
async function chooseFusionWeight(p: Prepared, labelEmb: Float32Array, classifiers: Float32Array | null, rep: Reporter, indexes: LabelIndexes | null): Promise<{ beta: number; curve: BetaPoint[] | null; tied?: [number, number] }> {
  const { cfg, val, backend } = p;
  if (!val) return { beta: cfg.beta, curve: null };
  if (!classifiers) {
    rep.info('no M2 classifiers: the validation split has no β to choose');
    return { beta: cfg.beta, curve: null };
  }
  rep.info('choosing β on the validation documents');
  const D = p.encoder.outDim;
  const valEmb = await embedCorpus(p.encoder, p.corpora.val!);
  // Each list's top K, exactly or from the graphs (re-scored exactly); chooseBeta fuses them per β.
  const { emb: vEmb, clf: vClf } = await scoreDocuments(backend, valEmb, labelEmb, classifiers, D, cfg.topK, cfg.beta, indexes);
  const { beta, curve, tied } = chooseBeta(vEmb, vClf!, val, p.data.trainY, DEFAULT_BETA_RULE);
  for (const line of formatBetaCurve(curve, beta, tied, val.ids.length)) rep.info(line);
  return { beta, curve, tied };
}

/**
 * Stage 4b, when the run's search resolves to HNSW for its label count: the graphs over the label
 * embeddings and the classifiers, built once, saved in the run directory (manifest-checked) for
 * eval and predict, and used by the validation and test inference (NGAME's dual shortlist).
 */
async function buildIndexes(p: Prepared, labelEmb: Float32Array, classifiers: Float32Array | null, rep: Reporter, embGraph: HnswIndex | null): Promise<{ graphs: LabelIndexes; buildSeconds: number; embReused: boolean } | null> {
  const D = p.encoder.outDim;
  const search = runSearch(p.cfg);
  if (resolveSearch(search.mode, labelEmb.length / D) === 'exact') return null;
  const t = performance.now();
  const L = labelEmb.length / D;
  const reuse = embGraph !== null && embGraph.size === L;
  const what = [reuse ? null : `${L} label embeddings`, classifiers ? `${L} classifiers` : null].filter((x) => x !== null).join(' and ');
  if (what) rep.info(`building the HNSW graph${what.includes(' and ') ? 's' : ''} (M ${search.hnsw.M}, efConstruction ${search.hnsw.efConstruction}) over ${what}`);
  if (reuse) rep.info('the label embeddings\' HNSW graph is the one the M2 shortlist was searched in (the encoder is frozen in M2)');
  const graphs = { emb: reuse ? embGraph : await buildLabelIndex(labelEmb, D, search.hnsw, search.seed), clf: classifiers ? await buildLabelIndex(classifiers, D, search.hnsw, search.seed + 1) : null };
  const buildSeconds = (performance.now() - t) / 1000;
  writeRunIndexes(p.outDir, graphs);
  rep.info(`HNSW graphs built in ${buildSeconds.toFixed(1)} s`);
  return { graphs, buildSeconds, embReused: reuse };
}

/** Stage 5: test metrics of M1 alone, M2 alone and their fusion with weight β (and the graphs' recall, with HNSW). */
async function evaluateTest(p: Prepared, labelEmb: Float32Array, classifiers: Float32Array | null, beta: number, rep: Reporter, indexes: { graphs: LabelIndexes; buildSeconds: number; embReused: boolean } | null): Promise<{ m1: Metrics; m2: Metrics | null; fused: Metrics | null; search?: SearchRecord }> {
  rep.info('encoding the test documents');
  const encoder = p.encoder;
  const testEmb = await embedCorpus(encoder, p.corpora.test);
  const scores = await scoreDocuments(p.backend, testEmb, labelEmb, classifiers, encoder.outDim, p.cfg.topK, beta, indexes?.graphs);
  let search: SearchRecord | undefined;
  if (indexes) {
    // recall@topK of each graph against exact search, on the same RECALL_DOCS test documents every run (seed + 4)
    const { graphs } = indexes;
    const emb = await sampleRecall(p.backend, graphs.emb, testEmb, labelEmb, p.cfg.topK, RECALL_DOCS, p.cfg.seed + 4);
    const clf = graphs.clf && classifiers ? await sampleRecall(p.backend, graphs.clf, testEmb, classifiers, p.cfg.topK, RECALL_DOCS, p.cfg.seed + 4) : null;
    const fused = graphs.clf && classifiers ? await fusedRecall(p.backend, scores.fused, testEmb, labelEmb, classifiers, encoder.outDim, beta, p.cfg.topK, RECALL_DOCS, p.cfg.seed + 4) : undefined;
    search = { mode: 'hnsw', hnsw: { ...p.cfg.hnsw }, buildSeconds: indexes.buildSeconds, ...(indexes.embReused ? { embFromShortlist: true } : {}), emb, clf, ...(fused ? { fused } : {}) };
    const r = (x: IndexRecall) => `${x.recall.toFixed(4)} (@5 ${x.recall5!.toFixed(4)})`;
    rep.info(`HNSW recall@${emb.k} against exact search on ${emb.docs} test documents: embeddings ${r(emb)}${clf ? `, classifiers ${r(clf)}` : ''}${fused ? `, fused dual shortlist ${r(fused)}` : ''}`);
  }
  return {
    m1: testMetrics(scores.emb, p.data),
    m2: scores.clf ? testMetrics(scores.clf, p.data) : null,
    fused: scores.clf ? testMetrics(scores.fused, p.data) : null,
    ...(search ? { search } : {}),
  };
}

/** Stage 6: the final model (label embeddings, classifiers, β) and the final log record. */
function save(p: Prepared, labelEmb: Float32Array, classifiers: Float32Array | null, result: RunResult, fusion: { curve: BetaPoint[] | null; tied?: [number, number] }): void {
  const betaCurve = fusion.curve;
  const { cfg, outDir, resume, val } = p;
  const D = p.encoder.outDim;
  const model: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {
    labelEmbeddings: { dtype: 'F32', shape: [labelEmb.length / D, D], data: labelEmb },
  };
  if (classifiers) model.classifiers = { dtype: 'F32', shape: [classifiers.length / D, D], data: classifiers };
  writeModel(outDir, model, { beta: String(result.beta) });
  const final: FinalRecord = {
    stage: 'final', sampler: cfg.sampler, dataset: p.data.name, device: result.device, date: new Date().toISOString(),
    ...(resume ? { resumedAtEpoch: resume.epoch } : {}), seconds: result.seconds, peakRssBytes: result.peakRssBytes, m1: result.m1, m2: result.m2, fused: result.fused,
    beta: result.beta, betaFrom: betaCurve ? 'validation' : 'config', ...(result.search ? { search: result.search } : {}),
    ...(val && betaCurve ? { validation: { docs: val.ids.length, curve: betaCurve, rule: DEFAULT_BETA_RULE, tied: fusion.tied } } : {}),
  };
  writeFinalRecord(outDir, final);
}
