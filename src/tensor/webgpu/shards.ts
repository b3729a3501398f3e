// Row tables larger than one binding. A kernel binds each buffer whole, and one binding (and one
// buffer) is limited: maxStorageBufferBindingSize and maxBufferSize, 128 MiB on llvmpipe. A
// 2-D table over that size (the bag encoder's term table and its Adam moments, the M2
// classifiers and theirs) is kept as row shards instead: consecutive row ranges, each in its own
// buffer of at most `shardBytes`, every shard but the last holding `rowsPer` rows. Tables that
// fit one binding are never sharded, so everything below the limit runs as before.
//
// The ops the big tables meet take shards (WebGpuBackend), one dispatch per shard in the same
// command stream, each with the same arithmetic per element as on the whole table, so the same
// results bit for bit: upload, fill, read, release; gather (each shard writes the output rows
// whose index it holds), scatterAdd into a table over the limit (each shard sums its own rows,
// in the same source order), Adam (dense: shard by shard; row-sparse adamRows: each shard its
// listed rows); and embeddingBag over the table, which first gathers the rows the bags touch
// into one compact table and then sums the bags over it with the ids renumbered: the same
// tokens, weights, values and order. Any other op refuses a sharded buffer, saying so.

import type { BackendBuffer } from '../backend';
import { gatherGpu, scatterAddGpu } from '../../kernels/gather';
import { embeddingBagGpu } from '../../kernels/embedding-bag';
import { adamRowsGpu, adamwGpu } from '../../kernels/optim';
import type { AdamHyper } from '../../kernels/op-types';
import type { Runtime } from '../../kernels/webgpu/runtime';

export class ShardedBuffer implements BackendBuffer {
  released = false;
  /**
   * shards[s] holds rows [s · rowsPer, min((s + 1) · rowsPer, numRows)) of a (numRows, rowLen)
   * table of 32-bit elements.
   */
  constructor(readonly shards: GPUBuffer[], readonly numRows: number, readonly rowLen: number, readonly rowsPer: number) {}

  get bytes(): number {
    return this.numRows * this.rowLen * 4;
  }

  /** Rows of shard s. */
  rowsOf(s: number): number {
    return Math.min(this.rowsPer, this.numRows - s * this.rowsPer);
  }
}

/**
 * The sharding of n 32-bit elements in rows of rowLen, or null when they fit one shard of
 * shardBytes (or cannot be split: a single row over shardBytes, or no row length given).
 */
export function shardPlan(n: number, rowLen: number | undefined, shardBytes: number): { numRows: number; rowsPer: number; count: number } | null {
  if (n * 4 <= shardBytes || !rowLen || rowLen < 1 || n % rowLen !== 0) return null;
  const rowsPer = Math.floor(shardBytes / (rowLen * 4));
  if (rowsPer < 1) return null;
  const numRows = n / rowLen;
  return { numRows, rowsPer, count: Math.ceil(numRows / rowsPer) };
}

/** Uploads a table (numRows · rowLen 32-bit values) as shards of rowsPer rows. */
export function uploadShards(rt: Runtime, data: ArrayBufferView & { length: number }, plan: { numRows: number; rowsPer: number; count: number }, rowLen: number): ShardedBuffer {
  const shards: GPUBuffer[] = [];
  const typed = data as unknown as Float32Array; // any 32-bit typed array: subarray by element
  for (let s = 0; s < plan.count; s++) {
    const r0 = s * plan.rowsPer, r1 = Math.min(r0 + plan.rowsPer, plan.numRows);
    shards.push(rt.upload(typed.subarray(r0 * rowLen, r1 * rowLen), 'table_shard'));
  }
  return new ShardedBuffer(shards, plan.numRows, rowLen, plan.rowsPer);
}

/** Reads every shard and concatenates them (numRows · rowLen 32-bit values). */
export async function readShards(rt: Runtime, b: ShardedBuffer): Promise<ArrayBuffer> {
  const out = new Uint8Array(b.bytes);
  for (let s = 0; s < b.shards.length; s++) {
    const bytes = b.rowsOf(s) * b.rowLen * 4;
    out.set(new Uint8Array(await rt.read(b.shards[s], bytes)), s * b.rowsPer * b.rowLen * 4);
  }
  return out.buffer;
}

/**
 * embeddingBag over a sharded table: the distinct ids, ascending, fall into each shard as one
 * contiguous run; each run's rows are gathered from its shard into the compact (U, cols) table
 * at their position, then the bags are summed over it with every id replaced by its position.
 */
export function embeddingBagShards(rt: Runtime, table: ShardedBuffer, ids: Int32Array, weights: Float32Array, offsets: Int32Array, B: number, cols: number): GPUBuffer {
  if (cols !== table.rowLen) throw new Error(`embeddingBag: a table sharded in rows of ${table.rowLen} values, read as rows of ${cols}`);
  const unique = Int32Array.from(new Set(ids)).sort();
  const pos = new Map<number, number>();
  unique.forEach((id, u) => pos.set(id, u));
  const local = Int32Array.from(ids, (id) => pos.get(id)!);
  const compact = rt.alloc(Math.max(1, unique.length) * cols * 4, 'bag_compact');
  let u = 0;
  for (let s = 0; s < table.shards.length && u < unique.length; s++) {
    const r0 = s * table.rowsPer, r1 = r0 + table.rowsOf(s);
    let e = u;
    while (e < unique.length && unique[e] < r1) e++;
    if (e > u) {
      const idxBuf = rt.upload(Int32Array.from(unique.subarray(u, e), (id) => id - r0), 'shard_rows');
      const rows = gatherGpu(rt, table.shards[s], idxBuf, e - u, table.rowsOf(s), cols);
      rt.copy(rows, compact, (e - u) * cols * 4, 0, u * cols * 4);
      rt.release(idxBuf);
      rt.release(rows);
    }
    u = e;
  }
  // the ids were validated against the whole table (the tensor op) and are all in the compact one
  const out = embeddingBagGpu(rt, compact, local, weights, offsets, B, unique.length, cols, undefined, true);
  rt.release(compact);
  return out;
}

/**
 * Row-sparse Adam on sharded param, m and v (the same sharding): each shard updates the listed
 * rows it holds. grad is compact (rows.length, cols), whose rows for a shard are gathered into
 * their own compact buffer, or a table sharded like param.
 */
export function adamRowsShards(
  rt: Runtime, param: ShardedBuffer, grad: GPUBuffer | ShardedBuffer, m: ShardedBuffer, v: ShardedBuffer, rows: Int32Array, cols: number, h: AdamHyper, compact: boolean,
): void {
  if (compact === grad instanceof ShardedBuffer) throw new Error('adamRows: a compact gradient is one buffer, a dense one is sharded like the parameter');
  for (const [name, t] of [['m', m], ['v', v], ...(grad instanceof ShardedBuffer ? [['grad', grad] as const] : [])] as const) {
    if (t.numRows !== param.numRows || t.rowsPer !== param.rowsPer || t.rowLen !== param.rowLen) {
      throw new Error(`adamRows: ${name} is not sharded like the parameter (${t.numRows} rows by ${t.rowsPer} against ${param.numRows} by ${param.rowsPer})`);
    }
  }
  if (cols !== param.rowLen) throw new Error(`adamRows: a table sharded in rows of ${param.rowLen} values, updated as rows of ${cols}`);
  for (let j = 0; j < rows.length; j++) {
    if (!Number.isInteger(rows[j]) || rows[j] < 0 || rows[j] >= param.numRows) throw new Error(`adamRows: rows[${j}] = ${rows[j]} is out of range [0, ${param.numRows})`);
  }
  // the positions j of each shard's rows, in list order
  const byShard: number[][] = param.shards.map(() => []);
  for (let j = 0; j < rows.length; j++) byShard[Math.floor(rows[j] / param.rowsPer)].push(j);
  byShard.forEach((js, s) => {
    if (js.length === 0) return;
    const r0 = s * param.rowsPer;
    const localRows = Int32Array.from(js, (j) => rows[j] - r0);
    if (grad instanceof ShardedBuffer) {
      adamRowsGpu(rt, param.shards[s], grad.shards[s], m.shards[s], v.shards[s], localRows, cols, h, false);
      return;
    }
    const idxBuf = rt.upload(Int32Array.from(js), 'shard_grad_rows');
    const g = gatherGpu(rt, grad, idxBuf, js.length, rows.length, cols);
    adamRowsGpu(rt, param.shards[s], g, m.shards[s], v.shards[s], localRows, cols, h, true);
    rt.release(idxBuf);
    rt.release(g);
  });
}

/** out (n, cols) = table[idx[i], :] over a sharded table: each shard writes the rows it holds. */
export function gatherShards(rt: Runtime, table: ShardedBuffer, idx: GPUBuffer, n: number, cols: number): GPUBuffer {
  if (cols !== table.rowLen) throw new Error(`gather: a table sharded in rows of ${table.rowLen} values, read as rows of ${cols}`);
  let out: GPUBuffer | undefined;
  table.shards.forEach((shard, s) => {
    out = gatherGpu(rt, shard, idx, n, table.numRows, cols, { lo: s * table.rowsPer, rows: table.rowsOf(s), out });
  });
  return out!;
}

/** scatterAdd whose (numRows, cols) result is kept as shards of rowsPer rows: each shard sums its own rows. */
export function scatterAddShards(rt: Runtime, src: GPUBuffer, idx: Int32Array, plan: { numRows: number; rowsPer: number; count: number }, cols: number): ShardedBuffer {
  const shards = Array.from({ length: plan.count }, (_, s) => {
    const lo = s * plan.rowsPer;
    return scatterAddGpu(rt, src, idx, plan.numRows, cols, { lo, rows: Math.min(plan.rowsPer, plan.numRows - lo) });
  });
  return new ShardedBuffer(shards, plan.numRows, cols, plan.rowsPer);
}

/** Dense AdamW over sharded param, grad, m and v (the same sharding), shard by shard. */
export function adamwShards(rt: Runtime, param: ShardedBuffer, grad: ShardedBuffer, m: ShardedBuffer, v: ShardedBuffer, h: AdamHyper): void {
  for (const [name, t] of [['grad', grad], ['m', m], ['v', v]] as const) {
    if (t.numRows !== param.numRows || t.rowsPer !== param.rowsPer || t.rowLen !== param.rowLen) {
      throw new Error(`adamw: ${name} is not sharded like the parameter (${t.numRows} rows by ${t.rowsPer} against ${param.numRows} by ${param.rowsPer})`);
    }
  }
  param.shards.forEach((p, s) => adamwGpu(rt, p, grad.shards[s], m.shards[s], v.shards[s], param.rowsOf(s) * param.rowLen, h));
}
