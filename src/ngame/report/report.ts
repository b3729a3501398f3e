// `ngame report`: a Markdown report with SVG plots from one or more run directories.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Metrics } from '../metrics';
import { formatComparisonTable } from '../metrics';
import { writeFileAtomic } from '../../util/fs';
import { readRunConfig } from '../run-config';
import { CONFIG_FILE, readRunLog, type FinalRecord, type M1EpochRecord } from '../run-dir';
import { seedsSection, type SeededRun } from './seeds';
import { lineChart, type Series } from './svg';

/** A run as the report shows it: its log, named after its directory (and its sampler, when they differ). */
interface ReportedRun extends SeededRun {
  name: string;
  epochs: M1EpochRecord[];
  final: FinalRecord | null;
}

function reportedRun(dir: string): ReportedRun {
  const log = readRunLog(dir);
  const final = log.final;
  const base = basename(dir);
  const name = final?.sampler && final.sampler !== base ? `${final.sampler} (${base})` : base;
  const epochs = log.m1Epochs;
  // The seed is in the run's config.json (runs copied without it simply join no seed study).
  const configFile = join(dir, CONFIG_FILE);
  const seed = existsSync(configFile) ? readRunConfig(configFile).seed : undefined;
  return { name, sampler: final?.sampler ?? epochs[0]?.sampler ?? base, seed, epochs, final };
}

/** Writes report.md and its SVG plots into outDir; returns the Markdown. */
export function writeReport(runDirs: string[], outDir: string): string {
  const runs = runDirs.map(reportedRun);
  mkdirSync(outDir, { recursive: true });
  const plot = (file: string, title: string, y: string, pick: (e: M1EpochRecord) => number | undefined | null) => {
    const series: Series[] = runs.map((r) => ({ name: r.name, points: r.epochs.map((e) => [e.epoch + 1, pick(e) ?? NaN] as [number, number]) }));
    writeFileAtomic(join(outDir, file), lineChart(title, 'M1 epoch', y, series));
    return `![${title}](${file})`;
  };
  const md: string[] = ['# NGAME run report', ''];
  const finals = runs.filter((r) => r.final);
  if (finals.length) {
    const f0 = finals[0].final!;
    md.push(`Dataset ${f0.dataset}; device ${f0.device}; ${f0.date}.`, '');
    const rows: { name: string; metrics: Metrics }[] = [];
    for (const r of finals) {
      // The loss that ran is in the epoch logs of runs since 2026-12-02.
      const lossName = r.epochs.find((e) => typeof e.lossName === 'string')?.lossName;
      rows.push({ name: `${r.name} M1${lossName ? ` (${lossName})` : ''}`, metrics: r.final!.m1 });
      // β is in the logs of runs since the validation split (src/ngame/validation.ts).
      const b = r.final!.beta;
      const beta = typeof b === 'number' ? ` β=${b}${r.final!.betaFrom === 'validation' ? ' (validation)' : ''}` : '';
      if (r.final!.fused) rows.push({ name: `${r.name} M1+M2${beta}`, metrics: r.final!.fused });
    }
    md.push('## Test metrics', '', '```', formatComparisonTable(rows), '```', '');
    md.push('## Side by side', '', '| run | P@1 | P@3 | P@5 | nDCG@5 | PSP@1 | PSP@3 | PSP@5 | last hardness | M1 epoch s | NGAME overhead % | peak MiB |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of finals) {
      const m: Metrics = r.final!.fused ?? r.final!.m1;
      const last = r.epochs.at(-1);
      const epochS = r.epochs.reduce((a, e) => a + e.epochMs, 0) / Math.max(1, r.epochs.length) / 1000;
      const overhead = r.epochs.reduce((a, e) => a + e.overheadMs, 0) / Math.max(1, r.epochs.reduce((a, e) => a + e.epochMs, 0)) * 100;
      const peak = Math.max(0, ...r.epochs.map((e) => e.peakBytes)) / 2 ** 20;
      const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(2));
      md.push(`| ${r.name} | ${f(m.P[0])} | ${f(m.P[2])} | ${f(m.P[4])} | ${f(m.nDCG[4])} | ${f(m.PSP?.[0])} | ${f(m.PSP?.[2])} | ${f(m.PSP?.[4])} | ${last?.hardness ? last.hardness.ratio.toFixed(3) : '-'} | ${epochS.toFixed(1)} | ${overhead.toFixed(2)} | ${peak.toFixed(1)} |`);
    }
    md.push('', 'Metrics in this table are the fused M1+M2 scores (M1 alone when M2 did not run). Overhead = clustering or index rebuilds ÷ M1 epoch time.', '');
    md.push('| run | total s | M1 s | M2 s | eval s |', '|---|---|---|---|---|');
    for (const r of finals) {
      const s = r.final!.seconds;
      const note = typeof r.final!.resumedAtEpoch === 'number' ? ` (resumed after ${r.final!.resumedAtEpoch} M1 epochs)` : '';
      md.push(`| ${r.name}${note} | ${s.total.toFixed(0)} | ${s.m1.toFixed(0)} | ${s.m2.toFixed(0)} | ${s.eval.toFixed(0)} |`);
    }
    md.push('');
  }
  md.push(...seedsSection(runs));
  md.push('## Training curves', '');
  md.push(plot('loss.svg', 'M1 training loss', 'loss', (e) => e.loss));
  md.push(plot('p1.svg', 'Test P@1 (%)', 'P@1', (e) => e.metrics?.P?.[0]));
  md.push(plot('cluster-size.svg', 'Cluster size (0 = random batches)', 'size', (e) => e.clusterSize ?? 0));
  md.push(plot('hardness.svg', 'Negative hardness (in-batch ÷ exact hardest)', 'ratio', (e) => e.hardness?.ratio));
  md.push(plot('epoch-time.svg', 'Epoch time (s)', 's', (e) => e.epochMs / 1000));
  md.push(plot('memory.svg', 'Peak device memory per epoch (MiB)', 'MiB', (e) => e.peakBytes / 2 ** 20));
  md.push('', '## Per epoch', '', '| run | epoch | loss | cluster size | hardness | P@1 | epoch s | overhead s | peak MiB |', '|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    for (const e of r.epochs) {
      md.push(`| ${r.name} | ${e.epoch + 1} | ${e.loss.toFixed(4)} | ${e.clusterSize ?? 'random'} | ${e.hardness ? e.hardness.ratio.toFixed(3) : '-'} | ${e.metrics ? e.metrics.P[0].toFixed(2) : '-'} | ${(e.epochMs / 1000).toFixed(1)} | ${(e.overheadMs / 1000).toFixed(2)} | ${(e.peakBytes / 2 ** 20).toFixed(1)} |`);
    }
  }
  const text = md.join('\n') + '\n';
  writeFileAtomic(join(outDir, 'report.md'), text);
  return text;
}
