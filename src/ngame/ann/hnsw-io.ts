// Save/load of an HnswIndex: magic "NGHNSW01", header fields, then
// vecs (count·dim f32), levels (count u8), links0 (count·(2M+1) i32), upperOff (count i32),
// upper (upperLen i32). The generator state is saved, so inserts after a load continue
// exactly as they would have without the save. HnswIndex.closed0 (a shortcut for pruning) is
// not saved: a loaded index starts it at 0, which gives the same graph, only a little slower.
import { RngState } from '../../util/rng';
import { HnswIndex } from './hnsw';
import { IndexFileReader, encodeIndexFile } from './binio';
import { writeFileAtomic } from '../../util/fs';

const MAGIC = 'NGHNSW01';
const FIELDS = 13;

export function saveHnsw(index: HnswIndex, path: string): void {
  writeFileAtomic(path, encodeHnsw(index));
}

/** The bytes saveHnsw writes (for the run directory, which records them in its manifest). */
export function encodeHnsw(index: HnswIndex): Uint8Array[] {
  const n = index.count, d = index.dim;
  const rs = index.rng.getState();
  const header = [1, index.metric === 'ip' ? 0 : 1, d, n, index.M, index.efConstruction, index.efSearch,
    index.entry + 1, index.maxLevel + 1, ...rs];
  const p = index.parts();
  return encodeIndexFile(MAGIC, header, [p.vecs, p.levels, p.links0, p.upperOff, p.upper]);
}

export function loadHnsw(path: string): HnswIndex {
  const r = new IndexFileReader(path, MAGIC, FIELDS);
  const [version, metricCode, dim, n, M, efC, efS, entry1, maxLevel1, ...rs] = r.header;
  if (version !== 1) r.fail(`version ${version} is not supported`);
  if (metricCode > 1) r.fail(`unknown metric code ${metricCode}`);
  if (dim < 1 || M < 2 || efC < 1 || efS < 1) r.fail(`bad parameters dim=${dim} M=${M} efConstruction=${efC} efSearch=${efS}`);
  if (entry1 > n || (n > 0 && entry1 === 0)) r.fail(`entry point ${entry1 - 1} with ${n} nodes`);
  const M0 = 2 * M;
  const vecs = r.f32(n * dim, 'vectors');
  const levels = r.u8(n, 'levels');
  const links0 = r.i32(n * (M0 + 1), 'layer-0 links');
  const upperOff = r.i32(n, 'upper offsets');
  let upperLen = 0;
  for (let i = 0; i < n; i++) upperLen += levels[i] * (M + 1);
  const upper = r.i32(upperLen, 'upper links');
  r.end();
  // structural checks: every link names an existing node
  for (let i = 0; i < n; i++) {
    const c = links0[i * (M0 + 1)];
    if (c < 0 || c > M0) r.fail(`node ${i} has ${c} layer-0 links`);
    for (let t = 1; t <= c; t++) {
      const nb = links0[i * (M0 + 1) + t];
      if (nb < 0 || nb >= n) r.fail(`node ${i} links to ${nb}`);
    }
    if (levels[i] > 0 && (upperOff[i] < 0 || upperOff[i] + levels[i] * (M + 1) > upperLen)) r.fail(`node ${i} upper links out of range`);
  }
  for (let i = 0; i < upperLen; i++) if (upper[i] < 0 || upper[i] >= n) r.fail(`upper link value ${upper[i]}`);
  const index = HnswIndex.fromParts({
    dim, metric: metricCode === 0 ? 'ip' : 'cosine', M, efConstruction: efC, efSearch: efS,
    count: n, entry: entry1 - 1, maxLevel: maxLevel1 - 1, vecs, levels, links0, upperOff, upper,
  });
  index.rng.setState(rs as RngState);
  return index;
}
