// `ngame report RUN_DIR...`: Markdown report with SVG plots comparing runs.
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, requirePath } from '../args';
import { writeReport } from '../../ngame/report/report';

const help = `usage: ngame report RUN_DIR... [--out DIR]

Reads log.jsonl of each run and writes DIR/report.md with the test metrics table, a per-epoch
table and SVG plots: M1 loss and test P@1 per epoch, the cluster-size schedule, negative
hardness, epoch time and peak device memory.

  --out DIR   where to write report.md and the plots (default: report)

example:
  ngame report runs/ngame runs/random --out report`;

export const reportCommand: Command = {
  path: ['report'],
  summary: 'Markdown report with SVG plots of runs',
  help,
  async run(argv) {
    const parsed = parseCli(argv, { out: { type: 'string' } }, true);
    if (parsed.positionals.length === 0) throw new UsageError('expected at least one RUN_DIR');
    for (const d of parsed.positionals) requirePath(d, 'RUN_DIR', 'dir');
    const out = parsed.values.out ?? 'report';
    writeReport(parsed.positionals, out);
    console.log(`wrote ${out}/report.md`);
    return 0;
  },
};
