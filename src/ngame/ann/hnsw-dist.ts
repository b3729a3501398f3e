// Inner-product kernels for HNSW: distance = 1 − q·v, where q is a Float64Array copy of the
// query (or of the node being linked) and v a row of the index's Float32Array store.
//
// Why they are written this way (measured with node 20 at d = 64, process CPU time; JavaScript
// has no SIMD, so these are scalar loops and the loop shape is all we control):
//   - q is a Float64Array: a double loads without the float → double conversion a Float32
//     load needs, and it is copied once per query/node, not once per product.
//   - several vectors per pass (dist4): V8 bounds-checks every typed-array load, and sharing
//     each query load between four products makes the search ~1.3× faster than one product
//     at a time (the four vectors' cache misses also overlap).
//   - two accumulators per product (even and odd j), so consecutive adds need not wait for
//     each other; more would run out of registers with four products in flight.
// Every kernel sums in the same order (even j into s0, odd j into s1, then s0 + s1), so a pair
// of vectors gets the same distance whichever kernel computed it, in either direction.

/** 1 − q·V[o..o+d) */
export function dist1(q: Float64Array, V: Float32Array, o: number, d: number): number {
  let s0 = 0, s1 = 0;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    s0 += q[j] * V[o + j];
    s1 += q[j + 1] * V[o + j + 1];
  }
  if (j < d) s0 += q[j] * V[o + j];
  return 1 - (s0 + s1);
}

/** out[0..3] = 1 − q·V[o..o+d) for o = oa, ob, oc, oe, in one pass over q. */
export function dist4(q: Float64Array, V: Float32Array, oa: number, ob: number, oc: number, oe: number, d: number, out: Float64Array): void {
  let a0 = 0, a1 = 0, b0 = 0, b1 = 0, c0 = 0, c1 = 0, e0 = 0, e1 = 0;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    const q0 = q[j], q1 = q[j + 1];
    a0 += q0 * V[oa + j];
    a1 += q1 * V[oa + j + 1];
    b0 += q0 * V[ob + j];
    b1 += q1 * V[ob + j + 1];
    c0 += q0 * V[oc + j];
    c1 += q1 * V[oc + j + 1];
    e0 += q0 * V[oe + j];
    e1 += q1 * V[oe + j + 1];
  }
  if (j < d) {
    const q0 = q[j];
    a0 += q0 * V[oa + j];
    b0 += q0 * V[ob + j];
    c0 += q0 * V[oc + j];
    e0 += q0 * V[oe + j];
  }
  out[0] = 1 - (a0 + a1);
  out[1] = 1 - (b0 + b1);
  out[2] = 1 - (c0 + c1);
  out[3] = 1 - (e0 + e1);
}

/** dists[t] = 1 − q·V[ids[t]·d ..] for t < n (four at a time; `out4` is scratch of length 4). */
export function distMany(q: Float64Array, V: Float32Array, d: number, ids: Int32Array, n: number, dists: Float64Array, out4: Float64Array): void {
  let t = 0;
  for (; t + 3 < n; t += 4) {
    dist4(q, V, ids[t] * d, ids[t + 1] * d, ids[t + 2] * d, ids[t + 3] * d, d, out4);
    for (let u = 0; u < 4; u++) dists[t + u] = out4[u];
  }
  for (; t < n; t++) dists[t] = dist1(q, V, ids[t] * d, d);
}

/** 1 − V[oa..oa+d)·V[ob..ob+d): two stored vectors (the neighbour heuristic, where a vector
 * meets only a few others, so copying it into a Float64Array first would not pay). */
export function distVV(V: Float32Array, oa: number, ob: number, d: number): number {
  let s0 = 0, s1 = 0;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    s0 += V[oa + j] * V[ob + j];
    s1 += V[oa + j + 1] * V[ob + j + 1];
  }
  if (j < d) s0 += V[oa + j] * V[ob + j];
  return 1 - (s0 + s1);
}

/** distVV for (oa, ob) and (oa, oc) in one pass: out[0], out[1]. */
export function distVV2(V: Float32Array, oa: number, ob: number, oc: number, d: number, out: Float64Array): void {
  let b0 = 0, b1 = 0, c0 = 0, c1 = 0;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    const a0 = V[oa + j], a1 = V[oa + j + 1];
    b0 += a0 * V[ob + j];
    b1 += a1 * V[ob + j + 1];
    c0 += a0 * V[oc + j];
    c1 += a1 * V[oc + j + 1];
  }
  if (j < d) {
    b0 += V[oa + j] * V[ob + j];
    c0 += V[oa + j] * V[oc + j];
  }
  out[0] = 1 - (b0 + b1);
  out[1] = 1 - (c0 + c1);
}
