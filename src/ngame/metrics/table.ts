// Results tables: percentages with two decimals, as XC papers report them.
import type { Metrics } from './evaluate';

type MetricName = 'P' | 'nDCG' | 'R' | 'PSP' | 'PSnDCG';
const NAMES: MetricName[] = ['P', 'nDCG', 'PSP', 'PSnDCG', 'R'];

/** The value of a metric such as 'P@3' or 'PSnDCG@5' (percent), undefined if not computed. */
export function metricValue(m: Metrics, key: string): number | undefined {
  const match = /^(P|nDCG|R|PSP|PSnDCG)@(\d+)$/.exec(key);
  if (!match) throw new Error(`metricValue: unknown metric '${key}' (expected e.g. P@1, nDCG@5, PSP@3, PSnDCG@5, R@5)`);
  const k = Number(match[2]);
  const arr = m[match[1] as MetricName];
  return arr && k >= 1 && k <= m.K ? arr[k - 1] : undefined;
}

/** One metrics result as a table: a row per metric, a column per k. */
export function formatMetricsTable(m: Metrics): string {
  const header = ['metric', ...Array.from({ length: m.K }, (_, i) => `@${i + 1}`)];
  const rows = NAMES.filter((n) => m[n]).map((n) => [n, ...m[n]!.map((v) => v.toFixed(2))]);
  return alignColumns([header, ...rows]);
}

export const DEFAULT_COLUMNS = ['P@1', 'P@3', 'P@5', 'nDCG@3', 'nDCG@5', 'PSP@1', 'PSP@3', 'PSP@5'];

/** Several methods side by side: a row per method, a column per metric key. */
export function formatComparisonTable(results: { name: string; metrics: Metrics }[], columns = DEFAULT_COLUMNS): string {
  const rows = results.map(({ name, metrics }) => [
    name,
    ...columns.map((c) => {
      const v = metricValue(metrics, c);
      return v === undefined ? '-' : v.toFixed(2);
    }),
  ]);
  return alignColumns([['method', ...columns], ...rows]);
}

/** Left-aligns the first column, right-aligns the others. */
export function alignColumns(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  ')).join('\n');
}
