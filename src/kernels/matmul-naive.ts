// Rung 1 of the matmul ladder: one output per invocation. The readable reference kernel.
//
// Invocation (n, m, batch) walks k = 0..K-1 and accumulates op(A)[m, k] * op(B)[k, n].
// Transposes are just different element strides, computed from the flags in the uniforms,
// so one pipeline serves every shape and every transpose combination.
// Every output reads 2·K values from memory for 2·K flops: memory bound everywhere.

/** WGSL struct shared by all three matmul kernels (packed by matmul.ts, see matmulUniforms). */
export const MATMUL_PARAMS_WGSL = `
struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  strideA: u32, strideB: u32,   // elements between consecutive batch matrices (0 = broadcast)
  transA: u32, transB: u32,     // 1 when A is stored (K, M) / B is stored (N, K)
}
@group(0) @binding(0) var<uniform> p: Params;`;

/** Workgroup shape of the naive kernel: (x over n, y over m). */
export const NAIVE_WG = [8, 8] as const;

const cache = new Map<string, string>();

export function naiveWgsl(): string {
  let src = cache.get('f32');
  if (src) return src;
  src = `${MATMUL_PARAMS_WGSL}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(${NAIVE_WG[0]}, ${NAIVE_WG[1]}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  let bi = gid.z;
  if (m >= p.M || n >= p.N || bi >= p.batch) { return; }
  // Element strides of op(A) along (m, k) and of op(B) along (k, n).
  let aM = select(p.K, 1u, p.transA != 0u);
  let aK = select(1u, p.M, p.transA != 0u);
  let bK = select(p.N, 1u, p.transB != 0u);
  let bN = select(1u, p.K, p.transB != 0u);
  var ia = p.strideA * bi + m * aM;
  var ib = p.strideB * bi + n * bN;
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) {
    acc += a[ia] * b[ib];
    ia += aK;
    ib += bK;
  }
  c[(bi * p.M + m) * p.N + n] = acc;
}`;
  cache.set('f32', src);
  return src;
}

/** Workgroup counts for a (batch, M, N) output. */
export function naiveGroups(M: number, N: number, batch: number): [number, number, number] {
  return [Math.ceil(N / NAIVE_WG[0]), Math.ceil(M / NAIVE_WG[1]), batch];
}
