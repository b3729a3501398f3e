// `ngame compare`: the sampler comparison: one run per sampler with the same config, then a report.
import { join } from 'node:path';
import type { Command } from '../command';
import { UsageError } from '../command';
import { runTraining } from '../../ngame/run';
import { SAMPLER_NAMES } from '../../ngame/samplers';
import { writeReport } from '../../ngame/report/report';
import { consoleReporter } from '../progress';
import { closeGpu } from '../../tensor/webgpu/device';
import { buildConfig, parseFlags } from './train';

const help = `usage: ngame compare [train flags] [--samplers a,b,...] --out DIR

Trains one run per sampler (default: ${SAMPLER_NAMES.join(', ')}) with the same configuration
(every 'ngame train' flag applies; --sampler is ignored), into DIR/<sampler>, with test metrics
after every M1 epoch, then writes DIR/report/report.md: the side-by-side table (P@1/3/5, nDCG@5,
PSP@1/3/5, negative hardness, epoch time, NGAME overhead, peak memory) and the plots.

examples:
  ngame compare --out runs/compare
  ngame compare --samplers random,ngame --epochs 6 --out runs/cmp`;

export const compareCommand: Command = {
  path: ['compare'],
  summary: 'train every sampler with one config and report them side by side',
  help,
  async run(argv) {
    const i = argv.indexOf('--samplers');
    let samplers = SAMPLER_NAMES as string[];
    if (i >= 0) {
      samplers = (argv[i + 1] ?? '').split(',').filter(Boolean);
      argv = [...argv.slice(0, i), ...argv.slice(i + 2)];
      const bad = samplers.filter((s) => !SAMPLER_NAMES.includes(s as never));
      if (samplers.length === 0 || bad.length > 0) throw new UsageError(`--samplers: unknown ${bad.join(', ') || '(empty list)'}; choose from ${SAMPLER_NAMES.join(', ')}`);
    }
    const values = parseFlags(argv);
    if (!values.out) throw new UsageError('--out is required');
    const base = buildConfig(values);
    const dirs: string[] = [];
    try {
      for (const s of samplers) {
        const cfg = { ...base, sampler: s as typeof base.sampler, m1: { ...base.m1, evalEvery: base.m1.evalEvery || 1 } };
        const dir = join(values.out as string, s);
        await runTraining(cfg, dir, consoleReporter(values.quiet === true));
        dirs.push(dir);
      }
    } finally {
      await closeGpu();
    }
    writeReport(dirs, join(values.out as string, 'report'));
    console.log(`wrote ${join(values.out as string, 'report', 'report.md')}`);
    return 0;
  },
};
