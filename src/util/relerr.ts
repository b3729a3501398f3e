// The parity measure of a kernel against its reference, used by the kernel tests and by
// `ngame doctor`: ‖out − ref‖ / max(‖ref‖, floor). An unwritten (NaN-poisoned) output makes it
// NaN, which fails any `<= tolerance` check; with nanEqual, positions where both sides are NaN
// count as equal (ops whose reference gives NaN). largestDiff says where two outputs differ most.
export function relErr(out: ArrayLike<number>, ref: ArrayLike<number>, opts: { floor?: number; nanEqual?: boolean } = {}): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const bothNaN = Number.isNaN(out[i]) && Number.isNaN(ref[i]);
    num += opts.nanEqual && bothNaN ? 0 : (out[i] - ref[i]) ** 2;
    den += bothNaN ? 0 : ref[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), opts.floor ?? 0, 1e-30);
}

/**
 * The largest |out[i] − ref[i]| and its index (the first, on ties); NaN where either side is NaN
 * and the other is not (an unwritten output), or where the lengths differ; 0 at index -1 when equal.
 */
export function largestDiff(out: ArrayLike<number>, ref: ArrayLike<number>): { diff: number; index: number } {
  if (out.length !== ref.length) return { diff: NaN, index: Math.min(out.length, ref.length) };
  let diff = 0;
  let index = -1;
  for (let i = 0; i < ref.length; i++) {
    if (Object.is(out[i], ref[i]) || out[i] === ref[i]) continue;
    const d = Math.abs(out[i] - ref[i]);
    if (Number.isNaN(d)) return { diff: NaN, index: i };
    if (d > diff || index < 0) {
      diff = d;
      index = i;
    }
  }
  return { diff, index };
}
