// The public API of the ngame-ts package (`import { ... } from 'ngame-ts'`). It stands above
// src/ngame and below src/cli (test/floors.test.ts): it re-exports the library, never the
// command line. Subpaths: 'ngame-ts/tensor' (the tensor library alone) and 'ngame-ts/kernels'
// (the WGSL kernels, each beside its TypeScript reference, and the WebGPU runtime they run on).
// What is not named here is internal and may change without notice.

// Tensors, autograd, ops with their backward passes, and the two backends.
export * from './tensor';
export { WebGpuBackend } from './tensor/webgpu/backend';

// Encoders (a TextEncoder maps a batch of texts to (B, D) embeddings), featurizers, optimizers.
export { BagEncoder, bagEncoderConfig, DEFAULT_BAG_CONFIG, type BagEncoderConfig } from './model/bag-encoder';
export { Encoder, encoderConfig, DEFAULT_ENCODER_CONFIG, type EncoderConfig, type EncoderOptions } from './model/encoder';
export type { TextEncoder, EncoderKind, EncoderInput, TokenInput, BagInput, ForwardOptions } from './model/text-encoder';
export * from './model/tokenizer';
export { AdamW, DEFAULT_ADAMW, type AdamWConfig } from './model/optim';
export { readSafetensors, writeSafetensors, type SafeTensor, type SafetensorsFile } from './model/safetensors';

// Training: the run configuration, runTraining, and reading a finished run directory back.
export { runTraining, openBackend, silentReporter, type Reporter, type RunResult } from './ngame/run';
export { DEFAULT_RUN, mergeConfig, checkConfig, readRunConfig, type RunConfig } from './ngame/run-config';
export { openRun, testCorpus, readRunLog, readRunLabels, type SavedRun, type RunLog, type LogRecord } from './ngame/run-dir';
export { featurize, bagCorpus, tokenizeCorpus, type Corpus, type Featurizer } from './ngame/corpus';
export { embedCorpus, type EmbedOptions } from './ngame/embed';
export { scoreDocuments, retrieve, fuseScores, type ModelScores } from './ngame/inference';

// Negative samplers and NGAME's cluster batching.
export * from './ngame/samplers';
export { CurriculumPlanner, MemoryBank, NGAME_CURRICULUM, clusterBatches, randomBatches, type Curriculum } from './ngame/batching';
export { balanced2Means, balancedKMeans } from './ngame/cluster';

// Data: dataset directories (XC text and LF JSON-lines formats), CSR matrices, the embedded dataset.
export * from './ngame/data';
// Both the tensor ops and the CSR helpers name a `transpose`: the tensor op keeps the name.
export { transpose } from './tensor';
export { transpose as transposeCSR } from './ngame/data';
export { DEFAULT_DATASET_DIR, DEFAULT_DATASET_NAME } from './ngame/default-dataset';
export { readScores, writeScores, scoreMetrics } from './ngame/scores-file';

// Metrics (P@k, nDCG@k, PSP@k, ...) and the TF-IDF baselines.
export * from './ngame/metrics';
export { tfidfBaselines, type BaselineInputs, type BaselineOptions, type BaselineScores } from './ngame/baselines';

// Search: exact top-k on a backend, HNSW and IVF indexes.
export { searchTopK, BackendIndex, type SearchOptions } from './ngame/search';
export * from './ngame/ann';

// Seeded randomness (every random choice here takes a seed).
export { Rng } from './util/rng';
