// Partial sort used by every balanced split: move the `kth` smallest (key, id) pairs to the
// front of the arrays. Pairs are ordered by key, then by id, so the result is deterministic
// even when keys tie (ids are distinct, so the order is strict).

/** Rearrange key[0..n), id[0..n) so that positions [0, kth) hold the kth smallest pairs. */
export function selectSmallest(key: Float64Array, id: Int32Array, n: number, kth: number): void {
  if (kth <= 0 || kth >= n) return;
  const p = kth; // after the loop, every pair before position p ranks below every pair from p on
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three (lo, mid, hi) as pivot
    if (less(key, id, mid, lo)) swap(key, id, mid, lo);
    if (less(key, id, hi, lo)) swap(key, id, hi, lo);
    if (less(key, id, hi, mid)) swap(key, id, hi, mid);
    const pk = key[mid];
    const pi = id[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key[i] < pk || (key[i] === pk && id[i] < pi)) i++;
      while (key[j] > pk || (key[j] === pk && id[j] > pi)) j--;
      if (i <= j) {
        swap(key, id, i, j);
        i++;
        j--;
      }
    }
    if (p <= j) hi = j;
    else if (p >= i) lo = i;
    else break;
  }
}

function less(key: Float64Array, id: Int32Array, a: number, b: number): boolean {
  return key[a] < key[b] || (key[a] === key[b] && id[a] < id[b]);
}

function swap(key: Float64Array, id: Int32Array, a: number, b: number): void {
  const k = key[a];
  key[a] = key[b];
  key[b] = k;
  const t = id[a];
  id[a] = id[b];
  id[b] = t;
}
