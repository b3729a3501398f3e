// The parity measure every kernel and backend test uses: ‖out − ref‖ / max(‖ref‖, floor).
// An unwritten (NaN-poisoned) output makes it NaN, which fails any `< tolerance` check; with
// nanEqual, positions where both sides are NaN count as equal (ops whose reference gives NaN).
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
