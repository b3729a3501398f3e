// IVF-flat: items are grouped by a balanced spherical k-means coarse quantizer (nlist
// centroids); a query scores the centroids, then scans the items of its nprobe best lists
// exactly. Rebuilding is cheap (k-means on a sample, then one assignment pass), which is why
// the MIPS negative sampler can rebuild it every few hundred steps; `reassign` keeps the
// quantizer and only re-files changed item vectors.
//
// Layout: list l holds items ids[start[l] .. start[l+1]) with their vectors copied
// contiguously in `vecs` (same order), so a list scan reads memory sequentially.
import { Rng } from '../../util/rng';
import { Mat, checkMat, gatherRows, mat, normalizeRows } from '../matrix';
import { balancedKMeans } from '../cluster/kmeans';
import { checkK, hostTopK } from './similarity';
import { TopKHeap, type TopK } from '../../util/topk';
import { Metric } from './exact';
import { IndexFileReader, writeIndexFile } from './binio';
import { positiveInt } from './hnsw';

export interface IvfOptions {
  nlist: number;
  /** lists scanned per query (default max(1, nlist/8)) */
  nprobe?: number;
  /** 'ip' (default) ranks by raw inner product; 'cosine' normalizes items and queries */
  metric?: Metric;
  seed?: number;
  /** points the quantizer is trained on (default min(N, 64·nlist)) */
  trainSize?: number;
  /** k-means iterations (default 8) */
  maxIter?: number;
}

const MAGIC = 'NGIVF001';

export class IvfIndex {
  nprobe: number;
  private constructor(
    readonly metric: Metric,
    /** (nlist, d) unit-norm centroids */
    readonly centroids: Mat,
    public start: Int32Array,
    public ids: Int32Array,
    public vecs: Float32Array,
    nprobe: number,
  ) {
    this.nprobe = nprobe;
  }

  get nlist(): number {
    return this.centroids.rows;
  }
  get size(): number {
    return this.ids.length;
  }
  get dim(): number {
    return this.centroids.cols;
  }

  static build(items: Mat, opts: IvfOptions): IvfIndex {
    checkMat(items, 'IvfIndex.build: items');
    const nlist = positiveInt(opts.nlist, 'IvfIndex.build: nlist');
    if (nlist > items.rows) throw new Error(`IvfIndex.build: nlist = ${nlist} is larger than the number of items ${items.rows}`);
    const metric = opts.metric ?? 'ip';
    if (metric !== 'ip' && metric !== 'cosine') throw new Error(`IvfIndex.build: metric must be 'ip' or 'cosine', got '${metric}'`);
    const nprobe = positiveInt(opts.nprobe ?? Math.max(1, Math.floor(nlist / 8)), 'IvfIndex.build: nprobe');
    const rng = new Rng(opts.seed ?? 0);
    const trainSize = Math.min(items.rows, Math.max(nlist, opts.trainSize ?? 64 * nlist));
    const train = trainSize < items.rows ? gatherRows(items, rng.permutation(items.rows).subarray(0, trainSize).sort()) : items;
    const km = balancedKMeans(train, { k: nlist, seed: rng.nextU32(), maxIter: opts.maxIter ?? 8 });
    const index = new IvfIndex(metric, km.centroids, new Int32Array(nlist + 1), new Int32Array(0), new Float32Array(0), nprobe);
    index.reassign(items);
    return index;
  }

  /** Keep the quantizer; file every item (new vectors, same ids 0..N−1) under its best centroid. */
  reassign(items: Mat): void {
    checkMat(items, 'IvfIndex.reassign: items');
    if (items.cols !== this.dim) throw new Error(`IvfIndex.reassign: items have ${items.cols} columns, index dim is ${this.dim}`);
    const x = this.metric === 'cosine' ? normalizeRows(items) : items;
    const n = x.rows, d = x.cols, L = this.nlist;
    // argmax_c x·c (same as for x/|x|, since centroids are unit norm)
    const best = hostTopK(x, this.centroids, 1).indices;
    const count = new Int32Array(L + 1);
    for (let i = 0; i < n; i++) count[best[i] + 1]++;
    for (let l = 0; l < L; l++) count[l + 1] += count[l];
    this.start = count.slice();
    this.ids = new Int32Array(n);
    this.vecs = new Float32Array(n * d);
    const fill = count.slice(0, L);
    for (let i = 0; i < n; i++) {
      const p = fill[best[i]]++;
      this.ids[p] = i;
      this.vecs.set(x.data.subarray(i * d, (i + 1) * d), p * d);
    }
  }

  /** k best items per query row by inner product (cosine for metric 'cosine'), best first. */
  search(q: Mat, k: number, nprobe = this.nprobe): TopK {
    checkMat(q, 'IvfIndex.search: queries');
    if (q.cols !== this.dim) throw new Error(`IvfIndex.search: queries have ${q.cols} columns, index dim is ${this.dim}`);
    checkK(k, this.size);
    positiveInt(nprobe, 'IvfIndex.search: nprobe');
    const probes = Math.min(nprobe, this.nlist);
    const qs = this.metric === 'cosine' ? normalizeRows(q) : q;
    const lists = hostTopK(qs, this.centroids, probes).indices;
    const d = this.dim, V = this.vecs, Q = qs.data;
    const heap = new TopKHeap(k);
    const indices = new Int32Array(q.rows * k);
    const values = new Float32Array(q.rows * k);
    for (let i = 0; i < q.rows; i++) {
      const qo = i * d;
      for (let p = 0; p < probes; p++) {
        const l = lists[i * probes + p];
        for (let t = this.start[l]; t < this.start[l + 1]; t++) {
          const o = t * d;
          let s0 = 0, s1 = 0;
          let j = 0;
          for (; j + 1 < d; j += 2) {
            s0 += Q[qo + j] * V[o + j];
            s1 += Q[qo + j + 1] * V[o + j + 1];
          }
          if (j < d) s0 += Q[qo + j] * V[o + j];
          const s = Math.fround(s0 + s1);
          heap.push(this.ids[t], s);
        }
      }
      heap.drainSorted(indices, values, i * k);
    }
    return { k, indices, values };
  }

  save(path: string): void {
    const header = [1, this.metric === 'ip' ? 0 : 1, this.dim, this.size, this.nlist, this.nprobe];
    writeIndexFile(path, MAGIC, header, [this.centroids.data, this.start, this.ids, this.vecs]);
  }

  static load(path: string): IvfIndex {
    const r = new IndexFileReader(path, MAGIC, 6);
    const [version, metricCode, d, n, nlist, nprobe] = r.header;
    if (version !== 1) r.fail(`version ${version} is not supported`);
    if (metricCode > 1) r.fail(`unknown metric code ${metricCode}`);
    if (d < 1 || nlist < 1 || nprobe < 1) r.fail(`bad parameters dim=${d} nlist=${nlist} nprobe=${nprobe}`);
    const cent = r.f32(nlist * d, 'centroids');
    const start = r.i32(nlist + 1, 'list starts');
    const ids = r.i32(n, 'ids');
    const vecs = r.f32(n * d, 'vectors');
    r.end();
    if (start[0] !== 0 || start[nlist] !== n) r.fail('list starts do not cover the items');
    for (let l = 0; l < nlist; l++) if (start[l + 1] < start[l]) r.fail(`list ${l} has negative length`);
    for (let i = 0; i < n; i++) if (ids[i] < 0 || ids[i] >= n) r.fail(`item id ${ids[i]} out of range`);
    return new IvfIndex(metricCode === 0 ? 'ip' : 'cosine', mat(nlist, d, cent), start, ids, vecs, nprobe);
  }
}
