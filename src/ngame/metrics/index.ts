// Public API of the metrics module.
export { computeMetrics } from './evaluate';
export type { EvalOptions, Metrics } from './evaluate';
export { inversePropensity, DEFAULT_A, DEFAULT_B } from './propensity';
export { TopKRowsBuilder, topKFromDense, topkToCSR } from './topk-csr';
export { formatMetricsTable, formatComparisonTable, metricValue, alignColumns, DEFAULT_COLUMNS } from './table';
