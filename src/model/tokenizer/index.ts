// The tokenizer package: import from here.
export { Tokenizer, type TokenizerOptions, type TokenizerJSON, type Encoding, type BatchEncoding } from './tokenizer';
export {
  bertBaseUncasedVocabPath,
  readVocabFile,
  writeVocabFile,
  learnWordPieceVocab,
  SPECIAL_TOKENS,
  type LearnVocabOptions,
} from './vocab';
export { basicTokenize, DEFAULT_BASIC_OPTIONS, type BasicTokenizerOptions } from './basic';
export { wordPieceSplit, MAX_INPUT_CHARS_PER_WORD } from './wordpiece';
export {
  TfidfVectorizer,
  tfidfTerms,
  tokenize as tfidfTokenize,
  DEFAULT_TFIDF_OPTIONS,
  type TfidfOptions,
  type TfidfJSON,
} from './tfidf';
