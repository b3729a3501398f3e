// Worker-thread entry of hnsw-parallel.ts: receives an index (as HnswParts, copied by structured
// clone) and a block of queries, searches them, posts back the top-k (its arrays transferred).
import { parentPort } from 'node:worker_threads';
import { HnswIndex, type HnswParts } from './hnsw';
import { mat } from '../matrix';

export interface SearchJob {
  parts: HnswParts;
  queries: Float32Array;
  k: number;
  ef: number;
}

parentPort?.on('message', (job: SearchJob) => {
  try {
    const index = HnswIndex.fromParts(job.parts);
    const top = index.search(mat(job.queries.length / index.dim, index.dim, job.queries), job.k, job.ef);
    parentPort!.postMessage({ ok: true, indices: top.indices, values: top.values }, [top.indices.buffer as ArrayBuffer, top.values.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
