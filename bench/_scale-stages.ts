// Helper of bench/scale.ts: each stage of a default NGAME run, once, on a (synthetic) dataset,
// timed with the process's resident memory after it. The stages call what `ngame train` calls
// (src/ngame/run.ts): the featurizer and encoder of model-setup.ts, M1Trainer with the run's
// sampler, the curriculum's clustering, M2Trainer with its shortlist, the HNSW graphs of
// label-search.ts (when the run's search resolves to HNSW), embedCorpus, scoreDocuments (the dual
// shortlist through both graphs, or exact), the graphs' recall, testMetrics.
// A stage that throws (a table larger than one binding, say) is recorded as failed with the
// error's message, and the stages that need its result as skipped; the bench goes on.
import type { Backend } from '../src/tensor';
import { freshModel } from '../src/ngame/model-setup';
import { featurize } from '../src/ngame/corpus';
import { loadDataset } from '../src/ngame/data';
import { embedCorpus } from '../src/ngame/embed';
import { scoreDocuments, testMetrics } from '../src/ngame/inference';
import { makeSampler } from '../src/ngame/samplers';
import { M1Trainer } from '../src/ngame/train-m1';
import { M2Trainer } from '../src/ngame/train-m2';
import { CurriculumPlanner } from '../src/ngame/batching';
import { checkTensorSizes, preflightRun } from '../src/ngame/preflight';
import { buildThreads, searchThreads, type HnswIndex } from '../src/ngame/ann';
import { buildLabelIndex, resolveSearch, runSearch, sampleRecall, RECALL_DOCS, type IndexRecall } from '../src/ngame/label-search';
import { fusedRecall } from '../src/ngame/dual-shortlist';
import { testSample } from '../src/ngame/baselines';
import { m1Config, m2Config, type RunConfig } from '../src/ngame/run-config';
import { peakRssBytes } from '../src/util/memory';
import { Rng } from '../src/util/rng';

export interface StageResult {
  stage: string;
  status: 'ok' | 'failed' | 'skipped';
  seconds: number | null;
  /** Resident set size after the stage, and the process's peak so far (both bytes). */
  rssBytes: number;
  peakRssBytes: number;
  note: string;
  /** Seconds of named parts of the stage (the extrapolation counts some once, not per epoch). */
  parts?: Record<string, number>;
}

type Outcome<T> = { value: T; note: string; parts?: Record<string, number> };

/** Runs the stages in order; `onStage` sees each result as it is known. */
export async function runStages(cfg: RunConfig, dir: string, backend: Backend, inferDocs: number, skipM2: boolean, onStage: (r: StageResult) => void): Promise<StageResult[]> {
  const results: StageResult[] = [];
  const record = (stage: string, status: StageResult['status'], seconds: number | null, note: string, parts?: Record<string, number>) => {
    const r: StageResult = { stage, status, seconds, rssBytes: process.memoryUsage().rss, peakRssBytes: peakRssBytes(), note, ...(parts ? { parts } : {}) };
    results.push(r);
    onStage(r);
  };
  /** One stage: skipped when a result it needs is missing, failed (with the reason) when it throws. */
  async function stage<T>(name: string, needs: unknown[], fn: () => Promise<Outcome<T>>, skip = false): Promise<T | null> {
    if (skip) {
      record(name, 'skipped', null, 'left out (--skip-m2)');
      return null;
    }
    if (needs.some((x) => x === null)) {
      record(name, 'skipped', null, 'needs a stage that did not finish');
      return null;
    }
    const t0 = performance.now();
    try {
      const { value, note, parts } = await fn();
      record(name, 'ok', (performance.now() - t0) / 1000, note, parts);
      return value;
    } catch (e) {
      record(name, 'failed', (performance.now() - t0) / 1000, `failed: ${(e as Error).message}`);
      return null;
    }
  }

  const prep = await stage('load and featurize', [], async () => {
    const data = await loadDataset(dir, { text: cfg.text });
    const model = freshModel(cfg, data, backend);
    if (model.featurizer.kind !== 'tfidf') throw new Error('the scale bench featurizes texts with TF-IDF (bag encoder, no feature files)');
    const T = Math.min(inferDocs, data.testTexts.length);
    const corpora = { train: featurize(model.featurizer, data.trainTexts), labels: featurize(model.featurizer, data.labelTexts), test: featurize(model.featurizer, data.testTexts.slice(0, T)) };
    const note = `${data.trainTexts.length} train docs, ${data.labelTexts.length} labels, ${model.featurizer.tfidf.vocabSize} terms; ${T} test docs featurized`;
    return { value: { data, encoder: model.encoder, corpora, T }, note };
  });

  const m1 = await stage('M1 epoch', [prep], async () => {
    const { data, encoder, corpora } = prep!;
    await preflightRun(cfg, data, backend);
    checkTensorSizes(cfg, encoder, data.labelTexts.length, backend);
    const sampler = makeSampler(cfg.sampler, { ...cfg.curriculum, clustering: cfg.clustering }, cfg.mining);
    const trainer = new M1Trainer({ data, encoder, backend, train: corpora.train, labels: corpora.labels, test: corpora.test }, sampler, m1Config(cfg));
    const log = await trainer.trainEpoch({ onStep: (_s, _l, i, n) => progress(`M1 epoch: step ${i}/${n}`) });
    const diag = log.evalMs ? `, of which ${(log.evalMs / 1000).toFixed(1)} s hardness diagnostic` : '';
    return { value: trainer, note: `${log.steps} steps of ${cfg.m1.batchSize} (epoch 1: random batches, the warm-up)${diag}`, parts: { diagnostic: (log.evalMs ?? 0) / 1000 } };
  });

  await stage('clustering', [m1], async () => {
    // The curriculum's first clustering (clusters of startSize: the deepest split of the run),
    // exact or sampled as clustering.method chooses for this many documents.
    const planner = new CurriculumPlanner({ ...cfg.curriculum, warmupEpochs: 0, clustering: cfg.clustering });
    const plan = planner.plan(0, m1!.bank, m1!.env.docs, cfg.m1.batchSize, cfg.seed, new Rng(cfg.seed));
    const c = plan.clustering;
    const how = c ? `${c.method}, sizes ${c.minSize}-${c.maxSize}, quality ${c.quality.toFixed(3)}` : 'no report';
    return { value: true, note: `${m1!.env.docs.length} documents into clusters of ${plan.clusterSize} (${how}; ${(plan.overheadMs / 1000).toFixed(1)} s clustering)` };
  });

  const labelEmb = await stage('encode labels', [m1], async () => {
    m1!.sampler.release(); // its search state: M2 needs the memory (as run.ts)
    // embedCorpus directly, not M1Trainer's cache (which the epoch's diagnostic may have filled): the cost of one encoding.
    return { value: await embedCorpus(prep!.encoder, prep!.corpora.labels), note: `${prep!.data.labelTexts.length} label embeddings` };
  });

  // The graph over the label embeddings, when the run's search resolves to HNSW for this many
  // labels: in a run the M2 shortlist builds it (and inference reuses it); here it is timed on
  // its own, and the M2 stage below searches it instead of building it again.
  const hnsw = (L: number) => resolveSearch(cfg.search, L) === 'hnsw';
  const embGraph = await stage<HnswIndex | false>('index build', [labelEmb], async () => {
    const D = prep!.encoder.outDim;
    const L = labelEmb!.length / D;
    if (!hnsw(L)) return { value: false as const, note: `none: search '${cfg.search}' is exact for ${L} labels` };
    return { value: await buildLabelIndex(labelEmb!, D, cfg.hnsw, cfg.seed), note: `HNSW over ${L} label embeddings (M ${cfg.hnsw.M}, efConstruction ${cfg.hnsw.efConstruction}, ${buildThreads(L)} threads); a run builds one more, over the classifiers` };
  });

  const m2 = await stage('M2 epoch with shortlist', [labelEmb, embGraph], async () => {
    const { data, encoder, corpora } = prep!;
    const e0 = performance.now();
    const docEmb = await embedCorpus(encoder, corpora.train, { training: true, rng: new Rng(cfg.seed + 1) });
    const embedS = (performance.now() - e0) / 1000;
    const trainer = new M2Trainer(backend, data.trainY, docEmb, labelEmb!, encoder.outDim, { ...m2Config(cfg), search: runSearch(cfg) });
    if (embGraph) trainer.shortlistGraph = embGraph;
    try {
      const log = await trainer.trainEpoch((i, n) => progress(`M2 epoch: step ${i}/${n}`));
      const classifiers = await trainer.classifiers();
      const recall = log.shortlistRecall ? `, recall@${log.shortlistRecall.k} ${log.shortlistRecall.recall.toFixed(4)} on ${log.shortlistRecall.docs} docs` : '';
      const how = embGraph ? `through the HNSW graph${recall}` : 'exact';
      const note = `encode train docs ${embedS.toFixed(1)} s; shortlist (${cfg.m2.shortlist} labels/doc, ${how}) and clustering ${(log.overheadMs / 1000).toFixed(1)} s; ${log.steps} steps`;
      return { value: { classifiers }, note, parts: { encodeTrainDocs: embedS, shortlistAndClustering: log.overheadMs / 1000 } };
    } finally {
      trainer.dispose();
    }
  }, skipM2);

  const clfGraph = await stage<HnswIndex | false>('index build (classifiers)', [m2, embGraph], async () => {
    const D = prep!.encoder.outDim;
    if (!embGraph) return { value: false as const, note: 'none: exact search' };
    return { value: await buildLabelIndex(m2!.classifiers!, D, cfg.hnsw, cfg.seed + 1), note: `HNSW over the ${m2!.classifiers!.length / D} M2 classifiers` };
  }, skipM2);

  const inferred = await stage('inference', skipM2 ? [labelEmb, embGraph] : [labelEmb, m2, clfGraph], async () => {
    const { encoder, corpora, T } = prep!;
    const testEmb = await embedCorpus(encoder, corpora.test);
    const classifiers = m2?.classifiers ?? null;
    const graphs = embGraph ? { emb: embGraph, clf: clfGraph || null } : null;
    const scores = await scoreDocuments(backend, testEmb, labelEmb!, classifiers, encoder.outDim, cfg.topK, cfg.beta, graphs);
    const tables = classifiers ? 'label embeddings and classifiers' : 'label embeddings (no M2)';
    const how = graphs ? `NGAME's dual shortlist through the ${graphs.clf ? 'two graphs' : 'label embeddings\' graph'} (efSearch ${cfg.hnsw.efSearch}, ${searchThreads()} threads), re-scored exactly${classifiers ? ', fused' : ''}` : `exact search of the ${tables}${classifiers ? ', fused' : ''}`;
    return { value: { testEmb, scores, graphs }, note: `${T} test docs: encode; top-${cfg.topK} by ${how}` };
  });

  await stage('index recall', [inferred], async () => {
    const { graphs, testEmb } = inferred!;
    if (!graphs) return { value: true, note: 'none: exact search' };
    const n = Math.min(RECALL_DOCS, prep!.T);
    const e = await sampleRecall(backend, graphs.emb, testEmb, labelEmb!, cfg.topK, n, cfg.seed + 4);
    const c = graphs.clf ? await sampleRecall(backend, graphs.clf, testEmb, m2!.classifiers!, cfg.topK, n, cfg.seed + 4) : null;
    // what inference returns (the fused dual shortlist, or the embeddings' list without M2) against its exact counterpart
    const f = graphs.clf ? await fusedRecall(backend, inferred!.scores.fused, testEmb, labelEmb!, m2!.classifiers!, prep!.encoder.outDim, cfg.beta, cfg.topK, n, cfg.seed + 4) : null;
    const r = (x: IndexRecall) => `${x.recall.toFixed(4)} (@5 ${x.recall5!.toFixed(4)})`;
    return { value: true, note: `recall@${e.k} against exact search on ${e.docs} test docs: embeddings ${r(e)}${c ? `, classifiers ${r(c)}` : ''}${f ? `, fused dual shortlist ${r(f)}` : ''}` };
  });

  await stage('evaluation', [inferred], async () => {
    const sub = testSample(prep!.data, Int32Array.from({ length: prep!.T }, (_, i) => i));
    const m = testMetrics(inferred!.scores.fused, sub);
    return { value: true, note: `${prep!.T} test docs: ${m2 ? 'fused' : 'M1'} P@1 ${m.P[0].toFixed(2)}, P@5 ${m.P[4].toFixed(2)}` };
  });
  return results;
}

let lastProgress = 0;
/** A progress line on stderr at most twice a second (stdout carries the table or the JSON). */
function progress(msg: string): void {
  const now = performance.now();
  if (now - lastProgress < 500 || !process.stderr.isTTY) return;
  lastProgress = now;
  process.stderr.write(`\r${msg}`.padEnd(60) + '\r');
}
