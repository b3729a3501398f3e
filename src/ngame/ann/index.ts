// Nearest-neighbour search: exact top-k, HNSW and IVF-flat, all by inner product or cosine.
export { hostTopK } from './similarity';
export type { HostBlocks } from './similarity';
export type { TopK } from '../../util/topk';
export { exactTopK, recallAtK } from './exact';
export type { Metric, ExactTopKOptions } from './exact';
export { HnswIndex } from './hnsw';
export type { HnswOptions, HnswParts } from './hnsw';
export { searchParallel, searchThreads } from './hnsw-parallel';
export { buildHnsw, buildThreads, PARALLEL_MIN_BUILD } from './hnsw-build';
export { saveHnsw, loadHnsw } from './hnsw-io';
export { IvfIndex } from './ivf';
export type { IvfOptions } from './ivf';
