// Worker-thread entry of hnsw-parallel.ts and hnsw-build.ts.
//   search: receives an index (as HnswParts, copied by structured clone; or, for a graph built
//           in parallel, its shared arrays and memory, not copied) and a block of queries,
//           searches them, posts back the top-k (its arrays transferred); one job per worker.
//   build:  'build-init' attaches to a build's shared graph (hnsw-build.ts), then each
//           'build-batch' runs phase A for this worker's nodes of the batch and posts { ok }.
import { parentPort } from 'node:worker_threads';
import { HnswIndex, type HnswParts } from './hnsw';
import { workerPhaseA, type BuildBatch, type BuildInit, type PhaseA } from './hnsw-build';
import { mat } from '../matrix';

export interface SearchJob {
  parts: HnswParts;
  queries: Float32Array;
  k: number;
  ef: number;
}

/** A search of a graph built in parallel: its arrays and memory are shared, so nothing is copied. */
export interface SharedSearchJob {
  kind: 'search-shared';
  parts: Omit<HnswParts, 'vecs'>;
  memory: unknown;
  slots: number;
  slot: number;
  queries: Float32Array;
  k: number;
  ef: number;
}

let build: PhaseA | null = null;

parentPort?.on('message', (job: SearchJob | SharedSearchJob | BuildInit | (BuildBatch & { first: number; step: number })) => {
  try {
    if ('kind' in job && job.kind === 'build-init') {
      build = workerPhaseA(job);
      return;
    }
    if ('kind' in job && job.kind === 'build-batch') {
      if (!build) throw new Error('build-batch before build-init');
      build.run(job, job.first, job.step);
      parentPort!.postMessage({ ok: true });
      return;
    }
    const index = 'kind' in job ? HnswIndex.attachShared(job.parts, job.memory, job.slots, job.slot) : HnswIndex.fromParts(job.parts);
    const top = index.search(mat(job.queries.length / index.dim, index.dim, job.queries), job.k, job.ef);
    parentPort!.postMessage({ ok: true, indices: top.indices, values: top.values }, [top.indices.buffer as ArrayBuffer, top.values.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
