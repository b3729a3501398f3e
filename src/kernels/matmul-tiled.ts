// Rung 3 of the matmul ladder: workgroup shared-memory tiling with per-thread register blocks.
// The right kernel on real GPUs (and a slow one on llvmpipe, where barriers are coroutine switches).
//
// A workgroup of WX×WY threads owns a BM×BN tile of C. For each slice of BK along k it
//   1. copies the BM×BK tile of op(A) and the BK×BN tile of op(B) into workgroup memory, every
//      thread loading a few elements (zero outside the matrix, so edges need no special case);
//   2. waits at a barrier; then each thread multiplies its TM×TN register block out of the tiles:
//      rows ty + WY·i, columns tx + WX·j, so neighbouring threads read neighbouring addresses;
//   3. waits again before the next slice overwrites the tiles.
// Each global element is loaded once per workgroup instead of once per output.
// Transposes are element strides from the flags in the uniforms; the tile loads pick the thread
// order that keeps global reads contiguous for each layout. Any M, N, K works.

import { MATMUL_PARAMS_WGSL } from './matmul-naive';

export interface TiledConfig {
  /** Tile of C per workgroup (bm × bn) and depth of one k slice (bk). */
  bm: number;
  bn: number;
  bk: number;
  /** Outputs per thread; workgroup size is (bn / tn, bm / tm). */
  tm: number;
  tn: number;
}

export function tiledWorkgroup(cfg: TiledConfig): [number, number] {
  return [cfg.bn / cfg.tn, cfg.bm / cfg.tm];
}

export function tiledGroups(cfg: TiledConfig, M: number, N: number, batch: number): [number, number, number] {
  return [Math.ceil(N / cfg.bn), Math.ceil(M / cfg.bm), batch];
}

const cache = new Map<string, string>();

export function tiledWgsl(cfg: TiledConfig): string {
  const { bm, bn, bk, tm, tn } = cfg;
  if (bm % tm !== 0 || bn % tn !== 0) throw new Error(`matmul-tiled: tile ${bm}×${bn} is not a multiple of the thread block ${tm}×${tn}`);
  const key = `${bm}x${bn}x${bk}/${tm}x${tn}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const [wx, wy] = tiledWorkgroup(cfg);
  const nt = wx * wy;
  const src = `${MATMUL_PARAMS_WGSL}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const BM = ${bm}u; const BN = ${bn}u; const BK = ${bk}u;
const TM = ${tm}u; const TN = ${tn}u;
const WX = ${wx}u; const WY = ${wy}u;

var<workgroup> As: array<f32, ${bk * bm}>;   // As[kk * BM + mm] = op(A)[mT + mm, k0 + kk]
var<workgroup> Bs: array<f32, ${bk * bn}>;   // Bs[kk * BN + nn] = op(B)[k0 + kk, nT + nn]

@compute @workgroup_size(${wx}, ${wy}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let bi = wid.z;
  let mT = wid.y * BM;
  let nT = wid.x * BN;
  let tid = lid.y * WX + lid.x;
  // Element strides of op(A) along (m, k) and of op(B) along (k, n).
  let aM = select(p.K, 1u, p.transA != 0u);
  let aK = select(1u, p.M, p.transA != 0u);
  let bK = select(p.N, 1u, p.transB != 0u);
  let bN = select(1u, p.K, p.transB != 0u);
  let offA = p.strideA * bi;
  let offB = p.strideB * bi;

  var acc: array<f32, ${tm * tn}>;   // acc[i * TN + j] = C[mT + ty + WY·i, nT + tx + WX·j]
  for (var i = 0u; i < TM * TN; i++) { acc[i] = 0.0; }

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // 1. Stage the tiles. Consecutive threads take consecutive addresses of the stored layout.
    for (var e = tid; e < BM * BK; e += ${nt}u) {
      var mm: u32; var kk: u32;
      if (p.transA == 0u) { mm = e / BK; kk = e % BK; } else { kk = e / BM; mm = e % BM; }
      let m = mT + mm;
      let k = k0 + kk;
      var v = 0.0;
      if (m < p.M && k < p.K) { v = a[offA + m * aM + k * aK]; }
      As[kk * BM + mm] = v;
    }
    for (var e = tid; e < BK * BN; e += ${nt}u) {
      var nn: u32; var kk: u32;
      if (p.transB == 0u) { kk = e / BN; nn = e % BN; } else { nn = e / BK; kk = e % BK; }
      let n = nT + nn;
      let k = k0 + kk;
      var v = 0.0;
      if (n < p.N && k < p.K) { v = b[offB + k * bK + n * bN]; }
      Bs[kk * BN + nn] = v;
    }
    workgroupBarrier();
    // 2. Multiply the register block out of the tiles.
    for (var kk = 0u; kk < BK; kk++) {
      var ar: array<f32, ${tm}>;
      var br: array<f32, ${tn}>;
      for (var i = 0u; i < TM; i++) { ar[i] = As[kk * BM + lid.y + WY * i]; }
      for (var j = 0u; j < TN; j++) { br[j] = Bs[kk * BN + lid.x + WX * j]; }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i * TN + j] = fma(ar[i], br[j], acc[i * TN + j]); }
      }
    }
    // 3. Everyone is done reading before the next slice is staged.
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let m = mT + lid.y + WY * i;
    if (m >= p.M) { continue; }
    for (var j = 0u; j < TN; j++) {
      let n = nT + lid.x + WX * j;
      if (n < p.N) { c[(bi * p.M + m) * p.N + n] = acc[i * TN + j]; }
    }
  }
}`;
  cache.set(key, src);
  return src;
}
