// The baselines' TF-IDF is the model floor's featurizer (src/model/tokenizer/tfidf.ts), with its
// default options: one implementation, so the bag-of-embeddings encoder and the baselines see
// the same vectors. Re-exported here so baseline code and its importers keep their paths.
export { tokenize, tfidfTerms, TfidfVectorizer, DEFAULT_TFIDF_OPTIONS } from '../../model/tokenizer/tfidf';
export type { TfidfOptions, TfidfJSON } from '../../model/tokenizer/tfidf';
