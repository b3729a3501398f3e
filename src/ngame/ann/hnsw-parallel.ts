// HNSW search on every core (worker_threads): the queries are cut into one block per thread;
// the main thread searches the first block while each worker searches another on its own copy
// of the graph. Each query's search is independent of the others, so the result is the same,
// bit for bit, as one thread's `index.search` (the test checks it).
//
// When it pays: a worker costs its start (a few hundred ms: a fresh V8 isolate that loads the
// HNSW modules, through tsx's loader when running from the sources) and a copy of the graph
// (count × (dim + 2M + 3) × 4 bytes: 147 MB at 131,073 labels of dim 256), so below
// PARALLEL_MIN_QUERIES queries, or with one core, the search stays on the main thread.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { HnswIndex, HnswParts } from './hnsw';
import type { SearchJob, SharedSearchJob } from './hnsw-worker';
import type { Mat } from '../matrix';
import type { TopK } from '../../util/topk';

/** Fewer queries than this are searched on the main thread. */
export const PARALLEL_MIN_QUERIES = 4096;

/** Threads a search uses: NGAME_THREADS when set (1 = no workers), else the cores there are. */
export function searchThreads(): number {
  const env = process.env.NGAME_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`NGAME_THREADS must be a positive integer, got "${env}"`);
    return n;
  }
  return availableParallelism();
}

/**
 * The worker's script: from the sources (this file is .ts) a bootstrap that registers tsx's
 * loader in the worker and imports hnsw-worker.ts; from the package's bundle, dist/hnsw-worker.js
 * (scripts/build.mjs builds it as an entry of its own).
 */
export function spawnWorker(): Worker {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsxPkg = createRequire(import.meta.url).resolve('tsx/package.json');
    const api = pathToFileURL(join(dirname(tsxPkg), 'dist/esm/api/index.mjs')).href;
    const entry = pathToFileURL(join(dirname(here), 'hnsw-worker.ts')).href;
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { eval: true });
  }
  for (const p of [join(dirname(here), 'hnsw-worker.js'), join(dirname(here), '..', 'hnsw-worker.js')]) if (existsSync(p)) return new Worker(p);
  throw new Error(`HNSW search: the worker script hnsw-worker.js is not next to ${here}; rebuild the package (npm run build)`);
}

function runJob(job: SearchJob | SharedSearchJob): Promise<{ indices: Int32Array; values: Float32Array }> {
  return new Promise((resolve, reject) => {
    const w = spawnWorker();
    const done = (f: () => void) => {
      void w.terminate();
      f();
    };
    w.once('message', (m: { ok: true; indices: Int32Array; values: Float32Array } | { ok: false; error: string }) =>
      done(() => (m.ok ? resolve(m) : reject(new Error(`HNSW search worker failed: ${m.error}`)))));
    w.once('error', (e) => done(() => reject(new Error(`HNSW search worker failed: ${e.message}`))));
    if ('kind' in job) {
      w.postMessage(job, [job.queries.buffer as ArrayBuffer]); // the graph's shared arrays are shared, not moved
      return;
    }
    const p = job.parts;
    w.postMessage(job, [job.queries, p.vecs, p.levels, p.links0, p.upperOff, p.upper].map((a) => a.buffer as ArrayBuffer));
  });
}

/** index.search(q, k, ef) on `threads` threads (default searchThreads()): the same top-k. */
export async function searchParallel(index: HnswIndex, q: Mat, k: number, ef = index.efSearch, threads = searchThreads()): Promise<TopK> {
  const T = Math.min(threads, Math.floor(q.rows / (PARALLEL_MIN_QUERIES / 2)));
  if (T <= 1 || q.rows < PARALLEL_MIN_QUERIES) return index.search(q, k, ef);
  const d = q.cols;
  const cut = (t: number) => Math.round((q.rows * t) / T);
  const view = index.parts();
  // workers take blocks 1..T−1, each with its queries (moved to it, not cloned again) and either
  // the graph itself, when a parallel build left it in shared memory with a scratch block per
  // thread (hnsw-build.ts), or a copy of it; this thread takes block 0
  const memory = index.mem.sharedMemory;
  const shared = memory !== null && T <= index.mem.slots && view.links0.buffer instanceof SharedArrayBuffer && view.upper.buffer instanceof SharedArrayBuffer;
  const copy = (): HnswParts => ({ ...view, vecs: view.vecs.slice(), levels: view.levels.slice(), links0: view.links0.slice(), upperOff: view.upperOff.slice(), upper: view.upper.slice() });
  const { vecs: _vecs, ...graph } = view;
  const jobs = Array.from({ length: T - 1 }, (_, i) => {
    const queries = q.data.slice(cut(i + 1) * d, cut(i + 2) * d);
    return runJob(shared ? { kind: 'search-shared', parts: graph, memory, slots: index.mem.slots, slot: i + 1, queries, k, ef } : { parts: copy(), queries, k, ef });
  });
  jobs.forEach((j) => j.catch(() => {})); // rejections are awaited below
  const first = index.search({ rows: cut(1), cols: d, data: q.data.subarray(0, cut(1) * d) }, k, ef);
  const rest = await Promise.all(jobs);
  const kk = first.k;
  const indices = new Int32Array(q.rows * kk), values = new Float32Array(q.rows * kk);
  indices.set(first.indices);
  values.set(first.values);
  rest.forEach((r, i) => {
    indices.set(r.indices, cut(i + 1) * kk);
    values.set(r.values, cut(i + 1) * kk);
  });
  return { k: kk, indices, values };
}
