// Matrix multiplication: C = op(A) · op(B), batched, with transpose flags.
//
//   C: (batch, M, N) contiguous.
//   A element (m, k) of batch b: a[strideA·b + (transA ? k·M + m : m·K + k)]
//   B element (k, n) of batch b: b[strideB·b + (transB ? n·K + k : k·N + n)]
//   strideA / strideB = 0 broadcasts one matrix to every batch.
//
// This file holds the plain-TS reference (`matmulRef`, the oracle of every test), the argument
// checks, the per-adapter choice of kernel, and the dispatch. The WGSL of the three kernels lives
// in matmul-naive.ts, matmul-blocked.ts and matmul-tiled.ts (read them in that order: the
// ladder is explained in docs/kernels.md).

import type { MatmulParams } from './op-types';
import { allocArray, dtypeOf, type TypedArray } from '../util/dtype';
import { UniformWriter, type Runtime } from './webgpu/runtime';
import { bytesOf } from './webgpu/pool';
import { naiveGroups, naiveWgsl } from './matmul-naive';
import { blockedGroups, blockedVec4Ok, blockedWgsl, type BlockedConfig } from './matmul-blocked';
import { tiledGroups, tiledWgsl, tiledWorkgroup, type TiledConfig } from './matmul-tiled';

export type { BlockedConfig } from './matmul-blocked';
export type { TiledConfig } from './matmul-tiled';

/** Throws a clear Error when the params do not describe the given buffer lengths. */
export function checkMatmulParams(p: MatmulParams, lenA: number, lenB: number, where: string): void {
  const { batch, M, N, K, strideA, strideB } = p;
  for (const [name, v] of [['batch', batch], ['M', M], ['N', N], ['K', K]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${v}`);
  }
  for (const [name, v] of [['strideA', strideA], ['strideB', strideB]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: ${name} must be a non-negative integer, got ${v}`);
  }
  // The last batch's matrix must fit: offset strideA·(batch-1) plus one M×K matrix.
  const needA = strideA * (batch - 1) + M * K;
  const needB = strideB * (batch - 1) + K * N;
  if (lenA < needA) {
    throw new Error(`${where}: A has ${lenA} elements, needs ${needA} (batch=${batch}, M=${M}, K=${K}, strideA=${strideA})`);
  }
  if (lenB < needB) {
    throw new Error(`${where}: B has ${lenB} elements, needs ${needB} (batch=${batch}, K=${K}, N=${N}, strideB=${strideB})`);
  }
}

/**
 * Reference matmul on host arrays (f32 or f64; output dtype = input dtype).
 * Accumulates in a JS number (float64) and rounds once per output.
 */
export function matmulRef(a: TypedArray, b: TypedArray, p: MatmulParams): TypedArray {
  const dt = dtypeOf(a);
  if (dt !== 'f32' && dt !== 'f64') throw new Error(`matmulRef: A must be f32 or f64, got ${dt}`);
  if (dtypeOf(b) !== dt) throw new Error(`matmulRef: A is ${dt} but B is ${dtypeOf(b)}`);
  checkMatmulParams(p, a.length, b.length, 'matmulRef');
  const { batch, M, N, K, transA, transB, strideA, strideB } = p;
  const c = allocArray(dt, batch * M * N);
  // Element strides of op(A) along m and k, and of op(B) along k and n.
  const aM = transA ? 1 : K, aK = transA ? M : 1;
  const bK = transB ? 1 : N, bN = transB ? K : 1;
  for (let bi = 0; bi < batch; bi++) {
    const offA = strideA * bi, offB = strideB * bi, offC = M * N * bi;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += a[offA + m * aM + k * aK] * b[offB + k * bK + n * bN];
        c[offC + m * N + n] = acc;
      }
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// WebGPU: per-adapter choice and dispatch.

export type MatmulVariant = 'naive' | 'blocked' | 'tiled';

export interface MatmulConfig {
  /** The kernel matmulGpu uses on this adapter when no variant is forced. */
  variant: MatmulVariant;
  /** Outputs per invocation (rows × columns) of that kernel. */
  outputs: [number, number];
  /** Its workgroup size (x over n, y over m). */
  workgroup: [number, number];
  /** Shared-memory tile (BM, BN, BK) when the variant is 'tiled', else null. */
  tile: [number, number, number] | null;
  /** Parameters of every variant, so a forced variant uses this adapter's sizes too. */
  blocked: BlockedConfig;
  tiled: TiledConfig;
}

export interface MatmulOptions {
  variant?: MatmulVariant;
  /** Overrides of the blocked / tiled parameters (benchmarks and tests). */
  blocked?: Partial<BlockedConfig>;
  tiled?: Partial<TiledConfig>;
  /** false forces the blocked kernel's scalar path even when the vec4 path could run. */
  vec4?: boolean;
}

const configs = new WeakMap<Runtime, MatmulConfig>();

/**
 * The per-adapter choice. llvmpipe: many outputs per invocation, vec4 loads, no shared memory
 * (32×16 outputs: 8×8 is 2.4× slower, 32×32 1.4× faster but 3× slower to compile; see
 * docs/kernels.md). Real GPU: 64×64 shared-memory tiles,
 * 4×4 outputs per thread (8×8 when the adapter allows fewer than 256 invocations per workgroup).
 */
export function matmulConfig(rt: Runtime): MatmulConfig {
  let cfg = configs.get(rt);
  if (cfg) return cfg;
  const maxInv = rt.limits.maxComputeInvocationsPerWorkgroup;
  const tiled: TiledConfig = maxInv >= 256
    ? { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 }
    : { bm: 64, bn: 64, bk: 16, tm: 8, tn: 8 };
  const blocked: BlockedConfig = rt.ctx.kind === 'llvmpipe'
    ? { tm: 32, tn: 16, wg: 8 }
    : { tm: 8, tn: 8, wg: 64 };
  const variant: MatmulVariant = rt.ctx.kind === 'llvmpipe' ? 'blocked' : 'tiled';
  cfg = variant === 'blocked'
    ? { variant, outputs: [blocked.tm, blocked.tn], workgroup: [blocked.wg, 1], tile: null, blocked, tiled }
    : { variant, outputs: [tiled.tm, tiled.tn], workgroup: tiledWorkgroup(tiled), tile: [tiled.bm, tiled.bn, tiled.bk], blocked, tiled };
  configs.set(rt, cfg);
  return cfg;
}

/** Packs the Params struct of MATMUL_PARAMS_WGSL. */
function matmulUniforms(p: MatmulParams): ArrayBuffer {
  return new UniformWriter()
    .u32(p.M).u32(p.N).u32(p.K).u32(p.batch)
    .u32(p.strideA).u32(p.strideB)
    .u32(p.transA ? 1 : 0).u32(p.transB ? 1 : 0)
    .done();
}

/**
 * C (batch, M, N) f32 = op(A) · op(B) on the GPU; returns a new buffer from rt.alloc.
 * Records one dispatch; the variant is the adapter's choice unless `opts.variant` forces one.
 */
export function matmulGpu(rt: Runtime, a: GPUBuffer, b: GPUBuffer, p: MatmulParams, opts: MatmulOptions = {}): GPUBuffer {
  checkMatmulParams(p, Math.floor(bytesOf(a) / 4), Math.floor(bytesOf(b) / 4), 'matmulGpu');
  const maxGroups = rt.limits.maxComputeWorkgroupsPerDimension;
  if (p.batch > maxGroups) throw new Error(`matmulGpu: batch ${p.batch} exceeds the adapter's ${maxGroups} workgroups per dimension`);
  const cfg = matmulConfig(rt);
  const variant = opts.variant ?? cfg.variant;
  const c = rt.alloc(p.batch * p.M * p.N * 4, 'matmul');
  const uniforms = matmulUniforms(p);
  const buffers = [a, b, c];
  if (variant === 'naive') {
    rt.run({ name: 'matmul-naive', wgsl: naiveWgsl() }, { buffers, uniforms, workgroups: naiveGroups(p.M, p.N, p.batch) });
  } else if (variant === 'blocked') {
    const bc: BlockedConfig = { ...cfg.blocked, ...opts.blocked };
    const vec4 = opts.vec4 !== false && blockedVec4Ok(p.M, p.N, p.K, p.transA, p.transB, p.strideA, p.strideB);
    const wgsl = blockedWgsl(bc, { vec4, transA: p.transA, transB: p.transB });
    rt.run({ name: `matmul-blocked-${bc.tm}x${bc.tn}${vec4 ? '-vec4' : ''}`, wgsl }, { buffers, uniforms, workgroups: blockedGroups(bc, p.M, p.N, p.batch) });
  } else if (variant === 'tiled') {
    const tc: TiledConfig = { ...cfg.tiled, ...opts.tiled };
    const [wx, wy] = tiledWorkgroup(tc);
    if (wx * wy > rt.limits.maxComputeInvocationsPerWorkgroup) {
      throw new Error(`matmulGpu: tiled workgroup ${wx}×${wy} exceeds maxComputeInvocationsPerWorkgroup ${rt.limits.maxComputeInvocationsPerWorkgroup}`);
    }
    rt.run({ name: `matmul-tiled-${tc.bm}x${tc.bn}x${tc.bk}`, wgsl: tiledWgsl(tc) }, { buffers, uniforms, workgroups: tiledGroups(tc, p.M, p.N, p.batch) });
  } else {
    throw new Error(`matmulGpu: unknown variant '${String(variant)}' (naive | blocked | tiled)`);
  }
  return c;
}
