// Public API of the classical baselines.
export { tokenize, tfidfTerms, TfidfVectorizer, DEFAULT_TFIDF_OPTIONS } from './tfidf';
export type { TfidfOptions, TfidfJSON } from './tfidf';
export { tfidfBaselines } from './knn';
export type { BaselineInputs, BaselineOptions, BaselineScores } from './knn';
export { baselineMetrics, testSample, BASELINE_MAX_TEST } from './on-test';
export type { BaselineRows } from './on-test';
