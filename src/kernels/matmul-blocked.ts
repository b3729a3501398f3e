// Rung 2 of the matmul ladder: register blocking, no shared memory. The fast kernel on llvmpipe.
//
// Each invocation computes a TM×TN block of C (e.g. 32×16 = 512 outputs). Per step along k it
// loads TM values of op(A) and TN values of op(B) and does TM·TN multiply-adds on them, so every
// loaded value is reused TN (or TM) times from registers. llvmpipe runs each invocation in a lane
// of a CPU SIMD register and scalarises every memory load per lane; barriers become coroutine
// switches. So what pays there is few, wide loads and many FMAs per load, with no barriers.
//
// Two code paths, chosen per call by matmul.ts:
// - vec4: A, B and C bound as array<vec4<f32>>, 4 floats per load and store. Needs K % 4 == 0,
//   N % 4 == 0, M % 4 == 0 when A is transposed, and strides % 4 == 0 (16-byte aligned rows). The
//   access pattern differs per transpose combination, so this path is generated per (transA, transB).
// - scalar: any shape. Element strides come from the transpose flags at run time, so one pipeline
//   serves all four combinations; one k at a time, TM + TN scalar loads per step.
// Both clamp the rows/columns they read to the matrix (a block hanging over the edge computes
// garbage from valid memory) and guard every store, so any M, N, K (1, primes) works.

import { MATMUL_PARAMS_WGSL } from './matmul-naive';

export interface BlockedConfig {
  /** Outputs per invocation along m and n (both multiples of 4). */
  tm: number;
  tn: number;
  /**
   * Invocations per workgroup, all along n: a workgroup covers TM rows × (wg·TN) columns. Every
   * lane of a workgroup shares the same rows, so the A loads have a uniform address, which
   * llvmpipe turns into one scalar load instead of one per lane (see docs/kernels.md).
   */
  wg: number;
}

export interface BlockedPath {
  vec4: boolean;
  /** Only used by the vec4 path (the scalar path reads the flags from the uniforms). */
  transA: boolean;
  transB: boolean;
}

const cache = new Map<string, string>();

/** Whether the vec4 path can serve these params (see the file comment). */
export function blockedVec4Ok(M: number, N: number, K: number, transA: boolean, transB: boolean, strideA: number, strideB: number): boolean {
  return K % 4 === 0 && N % 4 === 0 && strideA % 4 === 0 && strideB % 4 === 0 && (!transA || M % 4 === 0);
}

export function blockedGroups(cfg: BlockedConfig, M: number, N: number, batch: number): [number, number, number] {
  return [Math.ceil(Math.ceil(N / cfg.tn) / cfg.wg), Math.ceil(M / cfg.tm), batch];
}

function validate(cfg: BlockedConfig): void {
  if (cfg.tm % 4 !== 0 || cfg.tn % 4 !== 0 || cfg.tm < 4 || cfg.tn < 4) {
    throw new Error(`matmul-blocked: tm and tn must be positive multiples of 4, got ${cfg.tm}×${cfg.tn}`);
  }
}

export function blockedWgsl(cfg: BlockedConfig, path: BlockedPath): string {
  validate(cfg);
  const key = `${cfg.tm}x${cfg.tn}/${cfg.wg}/${path.vec4 ? `v${+path.transA}${+path.transB}` : 's'}`;
  let src = cache.get(key);
  if (!src) {
    src = path.vec4 ? vec4Source(cfg, path.transA, path.transB) : scalarSource(cfg);
    cache.set(key, src);
  }
  return src;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Accumulators c_i_j: vec4 of C[m0+i, n0+4j .. n0+4j+3]. */
function accumulators(tm: number, tn: number): string {
  return range(tm).map((i) => range(tn / 4).map((j) => `  var c${i}_${j} = vec4<f32>();`).join('\n')).join('\n');
}

/**
 * Guarded stores of the accumulators into C (batch, M, N). The vec4 path (N % 4 == 0) binds C
 * as array<vec4<f32>> and writes whole vec4s: 4× fewer stores, and llvmpipe's compile time is
 * dominated by these per-lane guarded stores in a block this size.
 */
function stores(tm: number, tn: number, vec4: boolean): string {
  const lines: string[] = [];
  if (vec4) lines.push('  let rowLen4 = p.N / 4u;   // a row of C in vec4s');
  for (const i of range(tm)) {
    lines.push(`  if (m0 + ${i}u < p.M) {`);
    if (vec4) {
      lines.push(`    let row = (bi * p.M + m0 + ${i}u) * rowLen4 + n0 / 4u;`);
      for (const j of range(tn / 4)) lines.push(`    if (n0 + ${4 * j}u < p.N) { c[row + ${j}u] = c${i}_${j}; }`);
    } else {
      lines.push(`    let row = (bi * p.M + m0 + ${i}u) * p.N + n0;`);
      for (const j of range(tn / 4)) {
        for (const e of range(4)) {
          const dn = 4 * j + e;
          lines.push(`    if (n0 + ${dn}u < p.N) { c[row + ${dn}u] = c${i}_${j}[${e}]; }`);
        }
      }
    }
    lines.push('  }');
  }
  return lines.join('\n');
}

function header(cfg: BlockedConfig, elem: string): string {
  return `${MATMUL_PARAMS_WGSL}
@group(0) @binding(1) var<storage, read> a: array<${elem}>;
@group(0) @binding(2) var<storage, read> b: array<${elem}>;
@group(0) @binding(3) var<storage, read_write> c: array<${elem}>;

@compute @workgroup_size(${cfg.wg}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let bi = wid.z;
  let m0 = wid.y * ${cfg.tm}u;   // first row of this invocation's block: the same for the whole workgroup
  let n0 = gid.x * ${cfg.tn}u;   // first column
  if (m0 >= p.M || n0 >= p.N || bi >= p.batch) { return; }`;
}

function scalarSource(cfg: BlockedConfig): string {
  const { tm, tn } = cfg;
  const L: string[] = [header(cfg, 'f32')];
  L.push(
    '  // Element strides of op(A) along (m, k) and of op(B) along (k, n).',
    '  let aM = select(p.K, 1u, p.transA != 0u);',
    '  let aK = select(1u, p.M, p.transA != 0u);',
    '  let bK = select(p.N, 1u, p.transB != 0u);',
    '  let bN = select(1u, p.K, p.transB != 0u);',
    '  // Start of each row of A / column of B that the block reads (clamped to the matrix).',
  );
  for (const i of range(tm)) L.push(`  let ra${i} = p.strideA * bi + min(m0 + ${i}u, p.M - 1u) * aM;`);
  for (const j of range(tn)) L.push(`  let rb${j} = p.strideB * bi + min(n0 + ${j}u, p.N - 1u) * bN;`);
  L.push(accumulators(tm, tn));
  L.push('  for (var k = 0u; k < p.K; k++) {', '    let ka = k * aK;', '    let kb = k * bK;');
  for (const i of range(tm)) L.push(`    let a${i} = a[ra${i} + ka];`);
  for (const j of range(tn / 4)) {
    const q = range(4).map((e) => `b[rb${4 * j + e} + kb]`).join(', ');
    L.push(`    let b${j} = vec4<f32>(${q});`);
  }
  for (const i of range(tm)) for (const j of range(tn / 4)) L.push(`    c${i}_${j} = fma(vec4<f32>(a${i}), b${j}, c${i}_${j});`);
  L.push('  }', stores(tm, tn, false), '}');
  return L.join('\n');
}

function vec4Source(cfg: BlockedConfig, transA: boolean, transB: boolean): string {
  const { tm, tn } = cfg;
  const L: string[] = [header(cfg, 'vec4<f32>')];
  L.push(
    '  // Offsets and row lengths in vec4 units (the caller checked 16-byte alignment).',
    '  let offA = p.strideA / 4u * bi;',
    '  let offB = p.strideB / 4u * bi;',
    '  let K4 = p.K / 4u;',
  );
  // op(A)[m0+i, 4·k4+kk] as a WGSL expression, and the loads that define it.
  let aLoads: string[];
  let aAt: (i: number, kk: number) => string;
  if (!transA) {
    // A is (M, K): one vec4 along k per row.
    for (const i of range(tm)) L.push(`  let ra${i} = offA + min(m0 + ${i}u, p.M - 1u) * K4;`);
    aLoads = range(tm).map((i) => `    let a${i} = a[ra${i} + k4];`);
    aAt = (i, kk) => `a${i}[${kk}]`;
  } else {
    // A is (K, M): per k, TM/4 vec4s along m.
    L.push('  let M4 = p.M / 4u;');
    for (const g of range(tm / 4)) L.push(`  let ca${g} = min(m0 / 4u + ${g}u, M4 - 1u);`);
    aLoads = [];
    for (const kk of range(4)) {
      aLoads.push(`    let rowA${kk} = offA + (4u * k4 + ${kk}u) * M4;`);
      for (const g of range(tm / 4)) aLoads.push(`    let a${kk}_${g} = a[rowA${kk} + ca${g}];`);
    }
    aAt = (i, kk) => `a${kk}_${i >> 2}[${i & 3}]`;
  }
  // op(B)[4·k4+kk, n0+4j .. n0+4j+3] as a vec4 expression, and its loads.
  let bLoads: string[];
  let bAt: (j: number, kk: number) => string;
  if (!transB) {
    // B is (K, N): per k, TN/4 vec4s along n.
    L.push('  let N4 = p.N / 4u;');
    for (const j of range(tn / 4)) L.push(`  let cb${j} = min(n0 / 4u + ${j}u, N4 - 1u);`);
    bLoads = [];
    for (const kk of range(4)) {
      bLoads.push(`    let rowB${kk} = offB + (4u * k4 + ${kk}u) * N4;`);
      for (const j of range(tn / 4)) bLoads.push(`    let b${kk}_${j} = b[rowB${kk} + cb${j}];`);
    }
    bAt = (j, kk) => `b${kk}_${j}`;
  } else {
    // B is (N, K): one vec4 along k per column n.
    for (const n of range(tn)) L.push(`  let rb${n} = offB + min(n0 + ${n}u, p.N - 1u) * K4;`);
    bLoads = range(tn).map((n) => `    let b${n} = b[rb${n} + k4];`);
    bAt = (j, kk) => `vec4<f32>(${range(4).map((e) => `b${4 * j + e}[${kk}]`).join(', ')})`;
  }
  L.push(accumulators(tm, tn));
  L.push('  for (var k4 = 0u; k4 < K4; k4++) {', ...aLoads, ...bLoads);
  for (const kk of range(4)) {
    for (const i of range(tm)) {
      for (const j of range(tn / 4)) L.push(`    c${i}_${j} = fma(vec4<f32>(${aAt(i, kk)}), ${bAt(j, kk)}, c${i}_${j});`);
    }
  }
  L.push('  }', stores(tm, tn, true), '}');
  return L.join('\n');
}
