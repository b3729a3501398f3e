// Public API of the classical baselines.
export { tokenize, TfidfVectorizer } from './tfidf';
export { tfidfBaselines } from './knn';
export type { BaselineInputs, BaselineOptions, BaselineScores } from './knn';
