// `npm run bench -- beta RUN_DIR... [--reps 200] [--seed 0] [--json]`
// How well each rule for choosing the fusion weight β (src/ngame/validation.ts) does, measured on
// the runs' validation splits only: split-half cross-validation. Each repetition halves a run's
// validation documents at random, lets every rule choose β on one half and scores P@1 at that β
// on the other half (both ways round). A rule that follows validation noise loses held-out P@1;
// one too blunt to follow the data (a fixed β) loses it too. The rule with the best mean held-out
// P@1 over all runs is the default (DEFAULT_BETA_RULE).
//
// Also printed per run, for information only (the choice above never looks at it): the β each
// rule picks on the whole validation split and the test P@1 it gives, beside M1 and M2 alone.
// Runs are finished run directories trained with --val-fraction > 0 (the default); the models are
// the same whichever rule a run was trained with, since β is chosen after M1 and M2.
import { loadDataset, selectRows, type CSR } from '../src/ngame/data';
import { validationCorpus } from '../src/ngame/rechoose-beta';
import { computeMetrics } from '../src/ngame/metrics';
import { embedCorpus } from '../src/ngame/embed';
import { retrieve, testMetrics, fuseScores } from '../src/ngame/inference';
import { openBackend } from '../src/ngame/run';
import { openRun, testCorpus } from '../src/ngame/run-dir';
import { runSplit, selectPairs, betaGrid, betaPoint, betaScore, pickBetaIndex, DEFAULT_BETA_RULE, ARGMAX_P1_RULE, type BetaRule } from '../src/ngame/validation';
import { Rng } from '../src/util/rng';
import { closeGpu } from '../src/kernels/webgpu/device';

const RULES: BetaRule[] = [
  ARGMAX_P1_RULE,
  { criterion: 'p1', band: 0, step: 0.05 },
  { criterion: 'p1', band: 1, step: 0.1 },
  { criterion: 'p1', band: 1, step: 0.05 },
  { criterion: 'p135', band: 0, step: 0.1 },
  { criterion: 'p135', band: 0, step: 0.05 },
  { criterion: 'p135', band: 1, step: 0.05 },
  { criterion: 'p135', band: 2, step: 0.05 },
  { criterion: 'p135', band: 3, step: 0.05 },
  { criterion: 'ndcg5', band: 0, step: 0.05 },
  { criterion: 'ndcg5', band: 1, step: 0.05 },
  { criterion: 'ndcg5', band: 2, step: 0.05 },
];
const FIXED = [0.3, 0.5]; // fixed-β strawmen
const ruleName = (r: BetaRule) => `${r.criterion} band ${r.band} step ${r.step}`;
const FINE = betaGrid(0.05); // every rule's grid is a subset of this one

interface RunStudy {
  dir: string;
  n: number;
  /** Per rule: summed held-out P@1 and summed oracle P@1 over reps × 2 directions. */
  heldOut: number[];
  oracle: number;
  fixed: number[];
  count: number;
  full: { rule: string; beta: number; tied: string; testP1: number }[];
  m1P1: number;
  m2P1: number;
}

async function studyRun(dir: string, reps: number, seed: number): Promise<RunStudy> {
  const backend = await openBackend('auto');
  const run = openRun(dir, backend);
  if (!run.classifiers) throw new Error(`${dir}: no M2 classifiers, no β to choose`);
  const { data, val } = runSplit(await loadDataset(run.config.data ?? undefined, { text: run.config.text }), run.config);
  if (!val) throw new Error(`${dir}: trained without a validation split (--val-fraction 0)`);
  const K = run.config.topK;
  const vDoc = await embedCorpus(run.encoder, validationCorpus(run, val));
  const vEmb = await retrieve(backend, vDoc, run.labelEmb, run.dim, K);
  const vClf = await retrieve(backend, vDoc, run.classifiers, run.dim, K);
  const tDoc = await embedCorpus(run.encoder, testCorpus(run, data));
  const tEmb = await retrieve(backend, tDoc, run.labelEmb, run.dim, K);
  const tClf = await retrieve(backend, tDoc, run.classifiers, run.dim, K);

  const n = val.Y.rows;
  const L = val.Y.cols;
  const fusedVal: CSR[] = FINE.map((b) => fuseScores(vEmb, vClf, b));
  const study: RunStudy = { dir, n, heldOut: RULES.map(() => 0), oracle: 0, fixed: FIXED.map(() => 0), count: 0, full: [], m1P1: testMetrics(tEmb, data).P[0], m2P1: testMetrics(tClf, data).P[0] };
  const rng = new Rng(seed);
  const metricsOn = (ids: Int32Array) => {
    const Y = selectRows(val.Y, ids);
    const filter = selectPairs(val.filter, ids, n, L);
    return fusedVal.map((f) => {
      const m = computeMetrics(selectRows(f, ids), Y, { filter, K: 5 }); // P and nDCG need no propensities
      return { p1: m.P[0], p3: m.P[2], p5: m.P[4], ndcg5: m.nDCG[4] };
    });
  };
  for (let r = 0; r < reps; r++) {
    const perm = rng.permutation(n);
    const half = Math.floor(n / 2);
    const A = Int32Array.from(perm.subarray(0, half)).sort();
    const B = Int32Array.from(perm.subarray(half)).sort();
    const mA = metricsOn(A);
    const mB = metricsOn(B);
    for (const [choose, score, nChoose] of [[mA, mB, A.length], [mB, mA, B.length]] as const) {
      RULES.forEach((rule, k) => {
        const idx = FINE.map((_, i) => i).filter((i) => Math.abs(FINE[i] / rule.step - Math.round(FINE[i] / rule.step)) < 1e-9);
        const pick = pickBetaIndex(idx.map((i) => betaScore(choose[i], rule.criterion)), rule.band, nChoose);
        study.heldOut[k] += score[idx[pick.index]].p1;
      });
      FIXED.forEach((b, k) => (study.fixed[k] += score[FINE.indexOf(b)].p1));
      study.oracle += Math.max(...score.map((m) => m.p1));
      study.count++;
    }
  }
  for (const rule of RULES) {
    const grid = betaGrid(rule.step);
    const curve = grid.map((b) => betaPoint(vEmb, vClf, b, val.Y, val.filter, data.trainY, rule.criterion));
    const pick = pickBetaIndex(curve.map((c) => c.score), rule.band, n);
    const beta = grid[pick.index];
    study.full.push({ rule: ruleName(rule), beta, tied: `${grid[pick.lo]}–${grid[pick.hi]}`, testP1: testMetrics(fuseScores(tEmb, tClf, beta), data).P[0] });
  }
  await closeGpu();
  return study;
}

export default async function (args: string[]): Promise<void> {
  const opt = (name: string, def: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const reps = Number(opt('reps', '200'));
  const seed = Number(opt('seed', '0'));
  const json = args.includes('--json');
  const dirs = args.filter((a, i) => !a.startsWith('--') && !['--reps', '--seed'].includes(args[i - 1]));
  if (dirs.length === 0) {
    console.error('usage: npm run bench -- beta RUN_DIR... [--reps 200] [--seed 0] [--json]');
    process.exit(2);
  }
  const studies: RunStudy[] = [];
  for (const d of dirs) studies.push(await studyRun(d, reps, seed));
  if (json) {
    console.log(JSON.stringify({ rules: RULES.map(ruleName), fixed: FIXED, studies }, null, 1));
    return;
  }
  const f = (x: number) => x.toFixed(2);
  console.log(`split-half cross-validation on the validation splits (${reps} halvings per run, seed ${seed}): held-out P@1, mean over runs`);
  console.log('| rule | mean held-out P@1 | mean regret vs. best β per half | worst run regret |');
  console.log('|---|---|---|---|');
  const rows: [string, (s: RunStudy) => number][] = [
    ...RULES.map((r, k) => [ruleName(r) + (r === DEFAULT_BETA_RULE || JSON.stringify(r) === JSON.stringify(DEFAULT_BETA_RULE) ? ' (default)' : ''), (s: RunStudy) => s.heldOut[k] / s.count] as [string, (s: RunStudy) => number]),
    ...FIXED.map((b, k) => [`fixed β = ${b}`, (s: RunStudy) => s.fixed[k] / s.count] as [string, (s: RunStudy) => number]),
  ];
  for (const [name, get] of rows) {
    const regrets = studies.map((s) => s.oracle / s.count - get(s));
    const mean = studies.reduce((a, s) => a + get(s), 0) / studies.length;
    console.log(`| ${name} | ${f(mean)} | ${f(regrets.reduce((a, b) => a + b, 0) / regrets.length)} | ${f(Math.max(...regrets))} |`);
  }
  console.log('\nper run (information only; not used to choose): β on the whole validation split, its tied run, test P@1');
  for (const s of studies) {
    console.log(`\n${s.dir} (${s.n} validation documents; test M1 P@1 ${f(s.m1P1)}, M2 P@1 ${f(s.m2P1)})`);
    for (const r of s.full) console.log(`  ${r.rule.padEnd(26)} β ${String(r.beta).padEnd(5)} tied ${r.tied.padEnd(10)} test P@1 ${f(r.testP1)}`);
  }
}
