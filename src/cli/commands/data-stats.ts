// `ngame data stats [DIR]`: loads a dataset directory (or the embedded default) and prints its statistics.
import type { Command } from '../command';
import { UsageError } from '../command';
import { parseCli, requirePath } from '../args';
import { loadDataset } from '../../ngame/data/dataset';
import { datasetStats, formatStats } from '../../ngame/data/stats';
import type { TextKind } from '../../ngame/data/dataset';

export function parseTextFlag(v: string | undefined): TextKind {
  if (v === undefined || v === 'short' || v === 'long') return v ?? 'short';
  throw new UsageError(`--text must be 'short' or 'long', got '${v}'`);
}

export const dataStatsCommand: Command = {
  path: ['data', 'stats'],
  summary: 'Statistics of a dataset directory (default: embedded FOLDOC-XRef-8K)',
  help: `usage: ngame data stats [DIR] [--text short|long] [--json]

Loads DIR (XC text format or LF JSON-lines, files plain or .gz/.br) and prints document, label
and long-tail statistics. Without DIR: the embedded FOLDOC-XRef-8K.

  --text short|long  which texts to load and check (default short)
  --json             print the statistics as one JSON object

examples:
  ngame data stats
  ngame data stats /tmp/DebianDeps-42K-cap1000 --text long`,
  async run(argv) {
    const parsed = parseCli(argv, { text: { type: 'string' }, json: { type: 'boolean' } }, true);
    if (parsed.positionals.length > 1) throw new UsageError(`expected at most one DIR, got ${parsed.positionals.length}`);
    requirePath(parsed.positionals[0], 'DIR', 'dir');
    const text = parseTextFlag(parsed.values.text);
    const ds = await loadDataset(parsed.positionals[0], { text });
    const stats = datasetStats(ds);
    console.log(parsed.values.json ? JSON.stringify(stats) : formatStats(stats));
    return 0;
  },
};
