// Public API of the data module: CSR type, file formats, Dataset loader and statistics.
export * from './csr';
export { DataFormatError, decodeUtf8, forEachLine, findDataFile, writeTextFile } from './lines';
export { readSparseMatrix, writeSparseMatrix, formatSparseMatrix, formatFloat32 } from './sparse-file';
export { readTexts, writeTexts, readFilterPairs, writeFilterPairs } from './text-file';
export { readLfJson, writeLfJson, targetsToCSR } from './json-lines';
export type { LfJsonRecords } from './json-lines';
export { loadDataset } from './dataset';
export { readBowFeatures, findBowFeatureFiles, emptyFeatureFiles, BOW_FEATURE_FILES } from './bow-features';
export type { BowFeatures, BowRowCounts } from './bow-features';
export type { Dataset, LoadOptions, TextKind } from './dataset';
export { datasetStats, formatStats } from './stats';
export type { DatasetStats } from './stats';
