// The "Across seeds" part of `ngame report`: when a sampler was run with several seeds, the mean
// and spread of its final metrics, and a paired comparison of each sampler with a baseline
// (random batching when it is there) over the seeds both ran. Tenths of a point separate
// samplers on a small dataset, about as much as one sampler moves from seed to seed, so a
// single pair of runs says little; the paired t-test says how much the seeds do.
import type { Metrics } from '../metrics';
import { mean, pairedT, sd } from './stats';

/** The metrics the seed study reads: precision, and propensity-scored precision when there. */
type Shown = Pick<Metrics, 'P' | 'PSP'>;

/** What the seed study reads of a run: its sampler, its seed and its logged metrics. */
export interface SeededRun {
  sampler: string;
  seed?: number;
  /** M1 epochs' logs (M1EpochRecord), each maybe with test `metrics` and `hardness`. */
  epochs: { metrics?: Shown; hardness?: { ratio: number } }[];
  /** The final record's metrics (FinalRecord), or null for an unfinished run. */
  final: { m1: Shown; m2: Shown | null; fused: Shown | null } | null;
}

interface Column {
  name: string;
  digits: number;
  pick: (r: SeededRun) => number | undefined;
}

const at = (m: Shown | null | undefined, key: 'P' | 'PSP', k: number) => m?.[key]?.[k - 1];
const COLUMNS: Column[] = [
  { name: 'M1 P@1', digits: 2, pick: (r) => at(r.final?.m1, 'P', 1) },
  { name: 'M1 P@5', digits: 2, pick: (r) => at(r.final?.m1, 'P', 5) },
  { name: 'M2 P@1', digits: 2, pick: (r) => at(r.final?.m2, 'P', 1) },
  { name: 'fused P@1', digits: 2, pick: (r) => at(r.final?.fused, 'P', 1) },
  { name: 'fused P@5', digits: 2, pick: (r) => at(r.final?.fused, 'P', 5) },
  { name: 'fused PSP@5', digits: 2, pick: (r) => at(r.final?.fused, 'PSP', 5) },
  { name: 'last hardness', digits: 3, pick: (r) => r.epochs.at(-1)?.hardness?.ratio },
];

/** Markdown lines of the seed study; none unless some sampler has finished runs with two or more seeds. */
export function seedsSection(runs: SeededRun[]): string[] {
  // sampler → seed → run (finished runs with a known seed; a repeated seed keeps the last run given)
  const bySampler = new Map<string, Map<number, SeededRun>>();
  for (const r of runs) {
    if (!r.final || r.seed === undefined) continue;
    if (!bySampler.has(r.sampler)) bySampler.set(r.sampler, new Map());
    bySampler.get(r.sampler)!.set(r.seed, r);
  }
  const samplers = [...bySampler.keys()].filter((s) => bySampler.get(s)!.size >= 2);
  if (samplers.length === 0) return [];

  const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
  const md = ['## Across seeds', '', 'Final test metrics, mean ± sample standard deviation over the seeds each sampler ran (the seed from each run\'s config.json).', ''];
  md.push(`| sampler | seeds | ${COLUMNS.map((c) => c.name).join(' | ')} |`, `|---|---|${COLUMNS.map(() => '---|').join('')}`);
  for (const s of samplers) {
    const group = [...bySampler.get(s)!.values()];
    const cells = COLUMNS.map((c) => {
      const v = group.map(c.pick).filter((x): x is number => x !== undefined);
      return v.length < 2 ? '-' : `${fmt(mean(v), c.digits)} ± ${fmt(sd(v), c.digits)}`;
    });
    md.push(`| ${s} | ${[...bySampler.get(s)!.keys()].sort((a, b) => a - b).join(', ')} | ${cells.join(' | ')} |`);
  }
  md.push('');

  const base = samplers.includes('random') ? 'random' : samplers[0];
  for (const s of samplers) {
    if (s === base) continue;
    const seeds = [...bySampler.get(s)!.keys()].filter((k) => bySampler.get(base)!.has(k)).sort((a, b) => a - b);
    if (seeds.length < 2) continue;
    const pair = (k: number) => [bySampler.get(s)!.get(k)!, bySampler.get(base)!.get(k)!] as const;
    md.push(`### ${s} − ${base}, paired by seed (${seeds.join(', ')})`, '');
    md.push('| metric | difference per seed | ahead | mean | sd | paired t | p (two-sided) |', '|---|---|---|---|---|---|---|');
    for (const c of COLUMNS) {
      const d = seeds.map((k) => {
        const [a, b] = pair(k);
        const va = c.pick(a), vb = c.pick(b);
        return va === undefined || vb === undefined ? NaN : va - vb;
      });
      if (d.some((x) => Number.isNaN(x))) continue;
      const t = pairedT(d);
      const sign = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(c.digits);
      md.push(`| ${c.name} | ${d.map(sign).join(', ')} | ${t.ahead}/${t.n} | ${sign(t.mean)} | ${fmt(t.sd, c.digits)} | ${fmt(t.t, 2)} | ${t.p < 0.001 ? '< 0.001' : fmt(t.p, 3)} |`);
    }
    // "Sooner": the first M1 epoch at which s reaches the baseline's final M1 P@1, per seed.
    const reach = seeds.map((k) => {
      const [a, b] = pair(k);
      const target = at(b.final?.m1, 'P', 1);
      if (target === undefined || !a.epochs.some((e) => e.metrics)) return '-'; // no per-epoch test metrics
      const i = a.epochs.findIndex((e) => (e.metrics?.P[0] ?? -Infinity) >= target);
      return i < 0 ? 'never' : String(i + 1);
    });
    md.push('', `First M1 epoch at which ${s} reaches ${base}'s final M1 P@1, per seed: ${reach.join(', ')} (of ${bySampler.get(s)!.get(seeds[0])!.epochs.length}).`, '');
  }
  return md;
}
