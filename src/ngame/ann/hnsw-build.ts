// The HNSW build on every core: batched insertion (the graph is the same for any number of
// threads; the test checks it).
//
// Insertion (hnsw.ts insert) is a search of the graph for the new node's candidates on each of
// its layers (nearly all the work: efConstruction-wide beams of distance computations) followed
// by linking (the heuristic choice and the reverse links with their pruning). Here nodes are
// inserted in batches of consecutive ids, in two phases per batch:
//   A  every node of the batch searches the graph as it stands before the batch ("frozen"):
//      the greedy descent and the efConstruction beam on each of its layers, exactly as insert
//      searches, writing its candidate lists into shared memory. The nodes are independent, so
//      the main thread and the workers split them (node p of the batch to thread p mod T);
//   B  the main thread links the batch's nodes in id order: each node's candidates on a layer
//      are its phase-A list plus the batch's earlier nodes on that layer (scored exactly, as
//      they are not in the frozen graph yet), sorted by (distance, id), cut to efConstruction,
//      then linked as insert links (HnswIndex.linkLevel).
// Phase A reads only the frozen graph and phase B runs on one thread in a fixed order, so the
// graph depends on the batch schedule (batchSize, a function of the node count only) and not
// on the threads. Levels are drawn for all nodes first, in id order, as insert draws them.
// What it costs in quality: a node does not reach the graph through its batch-mates' new
// links, but it gets the batch-mates themselves as exact candidates; recall matches the
// sequential build (test/ngame/ann/hnsw-build.test.ts, bench ann).
//
// Sharing: the vectors live in a shared WebAssembly memory with one scratch block per thread
// (hnsw-dist.ts); the adjacency arrays and the result lists are SharedArrayBuffers. Workers
// are started once per build (hnsw-parallel.ts spawnWorker) and told each batch's bounds.
import type { Worker } from 'node:worker_threads';
import { HnswIndex, type HnswOptions } from './hnsw';
import { Beam, type HnswGraph } from './hnsw-beam';
import { HnswMemory } from './hnsw-dist';
import { searchThreads, spawnWorker } from './hnsw-parallel';
import { Mat, checkMat, normalizeRows } from '../matrix';

/** Most nodes in one batch. */
export const BUILD_BATCH = 256;
/** Graphs of fewer vectors are built on the main thread (a worker's start costs more than it saves). */
export const PARALLEL_MIN_BUILD = 16384;
/** Batches smaller than this run phase A on the main thread (the messages would cost more). */
const WORKER_MIN_BATCH = 64;

/** Threads a build of n vectors uses: one below minParallel, else `threads` (searchThreads by default). */
export function buildThreads(n: number, threads = searchThreads(), minParallel = PARALLEL_MIN_BUILD): number {
  return n >= minParallel ? Math.max(1, threads) : 1;
}

/** Nodes in the batch that starts at node s: one at a time at first, then growing with the graph to BUILD_BATCH. */
export function batchSize(s: number): number {
  return Math.min(BUILD_BATCH, Math.max(1, s >> 3));
}

/** What a worker gets once per build (typed arrays over SharedArrayBuffers, the shared memory). */
export interface BuildInit {
  kind: 'build-init';
  memory: unknown;
  dim: number;
  M: number;
  efConstruction: number;
  capacity: number;
  slots: number;
  slot: number;
  links0: Int32Array;
  upperOff: Int32Array;
  upper: Int32Array;
  levels: Uint8Array;
  res: BuildResults;
}

export interface BuildBatch {
  kind: 'build-batch';
  s: number;
  e: number;
  entry: number;
  maxLevel: number;
}

/**
 * Phase A's output: list `slot` (node p's layer l is slot off[p] + l) holds count[slot]
 * candidates at ids/dists[slot · efConstruction ..], nearest first.
 */
export interface BuildResults {
  off: Int32Array;
  count: Int32Array;
  ids: Int32Array;
  dists: Float32Array;
}

/** A thread's phase-A state: the graph (views on the shared arrays), a beam, scratch. */
export class PhaseA {
  private readonly beam: Beam;
  private readonly ids: Int32Array;
  private readonly dists: Float64Array;
  constructor(readonly g: HnswGraph, readonly levels: Uint8Array, readonly efC: number, readonly res: BuildResults, capacity: number) {
    this.beam = new Beam(capacity);
    this.ids = new Int32Array(efC);
    this.dists = new Float64Array(efC);
  }

  /** Candidates of the batch's nodes p = first, first + step, … (node s + p) in the frozen graph. */
  run(b: BuildBatch, first: number, step: number): void {
    const { g, beam, ids, dists, efC, res } = this;
    for (let p = first; p < b.e - b.s; p += step) {
      beam.insertionSearch(g, b.s + p, this.levels[b.s + p], b.entry, b.maxLevel, efC, ids, dists, (l, n) => {
        const slot = res.off[p] + l;
        res.count[slot] = n;
        res.ids.set(ids.subarray(0, n), slot * efC);
        for (let t = 0; t < n; t++) res.dists[slot * efC + t] = dists[t];
      });
    }
  }
}

const shared = <T extends Int32Array | Uint8Array | Float32Array>(a: T, on: boolean): T => {
  if (!on) return a;
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const b = new C(new SharedArrayBuffer(a.byteLength));
  b.set(a as never);
  return b;
};

/**
 * An HNSW index over the rows of x, built in batches on `threads` threads (default: the
 * NGAME_THREADS / core count of searchThreads; one below PARALLEL_MIN_BUILD rows). The same
 * graph for any thread count. opts as for `new HnswIndex` (capacity and slots are set here);
 * minParallel: below this many rows, one thread (tests lower it).
 */
export async function buildHnsw(x: Mat, opts: HnswOptions, threads = searchThreads(), minParallel = PARALLEL_MIN_BUILD): Promise<HnswIndex> {
  checkMat(x, 'buildHnsw: vectors');
  const n = x.rows;
  const T = buildThreads(n, threads, minParallel);
  const index = new HnswIndex({ ...opts, capacity: Math.max(1, n), slots: T });
  if (x.cols !== index.dim) throw new Error(`buildHnsw: vectors have ${x.cols} columns, index dim is ${index.dim}`);
  if (n === 0) return index;
  const dim = index.dim, efC = index.efConstruction;
  index.vecs.set((index.metric === 'cosine' ? normalizeRows(x) : x).data.subarray(0, n * dim));
  let top = 0;
  for (let id = 0; id < n; id++) top = Math.max(top, index.drawLevel(id));
  index.count = n;
  const on = T > 1;
  index.links0 = shared(index.links0, on);
  index.upperOff = shared(index.upperOff, on);
  index.upper = shared(index.upper.subarray(0, Math.max(1, index.upperLen)), on);
  index.levels = shared(index.levels, on);
  const slots = BUILD_BATCH * (top + 1);
  const res: BuildResults = {
    off: shared(new Int32Array(BUILD_BATCH), on),
    count: shared(new Int32Array(slots), on),
    ids: shared(new Int32Array(slots * efC), on),
    dists: shared(new Float32Array(slots * efC), on),
  };
  const mine = new PhaseA(index, index.levels, efC, res, n);
  const workers: Worker[] = [];
  try {
    for (let t = 1; t < T; t++) {
      const w = spawnWorker();
      workers.push(w);
      const init: BuildInit = {
        kind: 'build-init', memory: index.mem.sharedMemory, dim, M: index.M, efConstruction: efC, capacity: n, slots: T, slot: t,
        links0: index.links0, upperOff: index.upperOff, upper: index.upper, levels: index.levels, res,
      };
      w.postMessage(init);
    }
    const cand = new Int32Array(efC + BUILD_BATCH);
    const candD = new Float64Array(efC + BUILD_BATCH);
    for (let s = 0; s < n; ) {
      const e = Math.min(n, s + batchSize(s));
      const frozen = { entry: index.entry, maxLevel: index.maxLevel };
      if (frozen.entry >= 0) {
        let slot = 0;
        for (let p = 0; p < e - s; p++) {
          res.off[p] = slot;
          slot += Math.min(index.levels[s + p], frozen.maxLevel) + 1;
        }
        const b: BuildBatch = { kind: 'build-batch', s, e, ...frozen };
        const help = workers.length > 0 && e - s >= WORKER_MIN_BATCH;
        const step = help ? T : 1;
        const jobs = help ? workers.map((w, i) => ask(w, b, i + 1, step)) : [];
        jobs.forEach((j) => j.catch(() => {})); // rejections are awaited below
        mine.run(b, 0, step);
        await Promise.all(jobs);
      }
      for (let id = s; id < e; id++) linkNode(index, id, s, frozen, res, cand, candD);
      s = e;
    }
  } finally {
    for (const w of workers) void w.terminate();
  }
  return index;
}

/** Phase B for node id of the batch starting at s: its candidates on each layer, linked. */
function linkNode(index: HnswIndex, id: number, s: number, frozen: { entry: number; maxLevel: number }, res: BuildResults, cand: Int32Array, candD: Float64Array): void {
  const level = index.levels[id];
  if (index.entry < 0) {
    index.entry = id;
    index.maxLevel = level;
    return;
  }
  const mem = index.mem, efC = index.efConstruction, p = id - s;
  for (let l = level; l >= 0; l--) {
    let n = 0;
    if (frozen.entry >= 0 && l <= frozen.maxLevel) {
      const slot = res.off[p] + l;
      for (let t = 0; t < res.count[slot]; t++, n++) {
        cand[n] = res.ids[slot * efC + t];
        candD[n] = res.dists[slot * efC + t];
      }
    }
    const fromGraph = n;
    // the batch's earlier nodes on this layer, scored in blocks of the kernel's id list
    let c = 0;
    const flush = () => {
      mem.dots(mem.vecAt(id), c);
      for (let t = 0; t < c; t++, n++) {
        cand[n] = mem.ids[t];
        candD[n] = mem.out[t];
      }
      c = 0;
    };
    for (let j = s; j < id; j++) {
      if (index.levels[j] < l) continue;
      mem.ids[c++] = j;
      if (c === mem.maxIds) flush();
    }
    if (c > 0) flush();
    if (n === 0) continue; // a layer above every node linked so far
    if (n > fromGraph) n = sortCut(cand, candD, n, efC);
    index.linkLevel(id, l, cand, candD, n);
  }
  if (level > index.maxLevel) {
    index.entry = id;
    index.maxLevel = level;
  }
}

/** Sorts the n candidates by (distance, id) and keeps the nearest `keep`; returns how many. */
function sortCut(ids: Int32Array, d: Float64Array, n: number, keep: number): number {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a] - d[b] || ids[a] - ids[b]);
  const m = Math.min(n, keep);
  const oi = order.slice(0, m).map((i) => ids[i]);
  const od = order.slice(0, m).map((i) => d[i]);
  for (let t = 0; t < m; t++) {
    ids[t] = oi[t];
    d[t] = od[t];
  }
  return m;
}

/** Posts a batch to worker w (its nodes first, first + step, …) and resolves when it is done. */
function ask(w: Worker, b: BuildBatch, first: number, step: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { ok: boolean; error?: string }) => {
      w.off('error', onErr);
      if (m.ok) resolve();
      else reject(new Error(`HNSW build worker failed: ${m.error}`));
    };
    const onErr = (e: Error) => {
      w.off('message', onMsg);
      reject(new Error(`HNSW build worker failed: ${e.message}`));
    };
    w.once('message', onMsg);
    w.once('error', onErr);
    w.postMessage({ ...b, first, step });
  });
}

/** The worker's side (hnsw-worker.ts): attach to the shared graph, then run phase A per batch. */
export function workerPhaseA(init: BuildInit): PhaseA {
  const M0 = 2 * init.M;
  const mem = HnswMemory.attach(init.memory, init.dim, M0 + 1, init.capacity, init.slots, init.slot);
  const g: HnswGraph = { dim: init.dim, M: init.M, M0, mem, links0: init.links0, upperOff: init.upperOff, upper: init.upper };
  return new PhaseA(g, init.levels, init.efConstruction, init.res, init.capacity);
}
