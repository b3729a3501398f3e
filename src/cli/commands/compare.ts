// `ngame compare`: the sampler comparison: one run per sampler with the same config, then a report.
import { join } from 'node:path';
import type { Command } from '../command';
import { UsageError } from '../command';
import { runTraining } from '../../ngame/run';
import { hasRunConfig, isFinished, runDirState } from '../../ngame/run-dir';
import { SAMPLER_NAMES } from '../../ngame/samplers';
import { writeReport } from '../../ngame/report/report';
import { consoleReporter } from '../progress';
import { Interrupted, KEPT, stopOnSignals } from '../interrupt';
import { closeGpu } from '../../kernels/webgpu/device';
import { buildConfig, parseFlags } from './train';

const help = `usage: ngame compare [train flags] [--samplers a,b,...] [--seeds n,m,...] --out DIR

Trains one run per sampler (default: ${SAMPLER_NAMES.join(', ')}) with the same configuration
(every 'ngame train' flag applies, --set KEY=VALUE too; --sampler and --set sampler=... are
ignored), into DIR/<sampler>, with test metrics
after every M1 epoch, then writes DIR/report/report.md: the side-by-side table (P@1/3/5, nDCG@5,
PSP@1/3/5, negative hardness, epoch time, NGAME overhead, peak memory) and the plots.

With --seeds (which replaces --seed), every sampler runs once per seed, into
DIR/<sampler>-<seed>, and the report adds each sampler's mean ± sd over the seeds and a paired
t-test of each sampler against random batching (or the first sampler) over the seeds.

An interrupted comparison is continued by running the same command again: a run directory
that holds a finished run (its log.jsonl has the final record) of the same configuration is
kept, not trained again, and an unfinished one of the same configuration continues from its
checkpoint (the last finished M1 epoch), as 'train --resume' would. Any other run in
DIR/<sampler> is replaced; --force replaces every one. SIGINT or SIGTERM stops the comparison
after the current training step (exit code 130 / 143).

examples:
  ngame compare --out runs/compare
  ngame compare --samplers random,ngame --epochs 6 --out runs/cmp
  ngame compare --samplers random,ngame --seeds 0,1,2,3 --out runs/seeds
  ngame compare --samplers random,ngame --set m1.tau=0.1 --set m2.shortlist=0 --out runs/tau`;

/** Removes `--flag a,b,...` from argv; its comma-separated values, or undefined when absent. */
function takeList(argv: string[], flag: string): { list?: string[]; rest: string[] } {
  const i = argv.indexOf(flag);
  if (i < 0) return { rest: argv };
  return { list: (argv[i + 1] ?? '').split(',').filter(Boolean), rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
}

export const compareCommand: Command = {
  path: ['compare'],
  summary: 'train every sampler with one config and report them side by side',
  help,
  async run(argv) {
    const s1 = takeList(argv, '--samplers');
    const samplers = s1.list ?? (SAMPLER_NAMES as string[]);
    const bad = samplers.filter((s) => !SAMPLER_NAMES.includes(s as never));
    if (samplers.length === 0 || bad.length > 0) throw new UsageError(`--samplers: unknown ${bad.join(', ') || '(empty list)'}; choose from ${SAMPLER_NAMES.join(', ')}`);
    const s2 = takeList(s1.rest, '--seeds');
    if (s2.list && (s2.list.length === 0 || s2.list.some((v) => !/^\d+$/.test(v)))) throw new UsageError(`--seeds: expected non-negative integers separated by commas, got '${s2.list.join(',')}'`);
    const values = parseFlags(s2.rest);
    if (!values.out) throw new UsageError('--out is required');
    if (values.resume === true) throw new UsageError('compare continues unfinished runs of the same configuration by itself: drop --resume (or pass --force to train every run afresh)');
    const force = values.force === true;
    const base = buildConfig(values);
    const dirs: string[] = [];
    const stop = stopOnSignals(consoleReporter(values.quiet === true));
    try {
      for (const seed of s2.list?.map(Number) ?? [base.seed]) {
        for (const s of samplers) {
          const cfg = { ...base, seed, sampler: s as typeof base.sampler, m1: { ...base.m1, evalEvery: base.m1.evalEvery || 1 } };
          const dir = join(values.out as string, s2.list ? `${s}-${seed}` : s);
          const same = !force && hasRunConfig(dir, cfg);
          if (same && isFinished(dir)) console.log(`${dir}: finished already with this configuration, kept`);
          else if (same && runDirState(dir).kind === 'unfinished') {
            console.log(`${dir}: unfinished with this configuration, continued from its checkpoint`);
            await runTraining(cfg, dir, stop.reporter, { resume: true });
          }
          // DIR/<sampler> belongs to the comparison: a run there of another configuration is replaced.
          else await runTraining(cfg, dir, stop.reporter, { force: true });
          dirs.push(dir);
        }
      }
    } catch (e) {
      if (e instanceof Interrupted) throw new Interrupted(e.signal, `${KEPT}; run the same command again to continue the comparison from it`);
      throw e;
    } finally {
      stop.dispose();
      await closeGpu();
    }
    writeReport(dirs, join(values.out as string, 'report'));
    console.log(`wrote ${join(values.out as string, 'report', 'report.md')}`);
    return 0;
  },
};
