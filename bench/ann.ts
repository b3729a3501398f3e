// Search benchmark: HNSW (src/ngame/ann) beside hnswlib-node on the same data in the same run,
// and exact top-10 (blocked CPU engine vs a plain loop) over 42,000 × 128 labels.
// usage: npm run bench -- ann [--n 100000] [--d 64] [--queries 1000] [--M 16] [--efc 200] [--json]
import { parseArgs } from 'node:util';
import hnswlib from 'hnswlib-node';
import { Rng } from '../src/util/rng';
import { Mat, mat } from '../src/ngame/matrix';
import { HnswIndex, TopK, exactTopK, recallAtK } from '../src/ngame/ann';
import { searchTopK } from '../src/ngame/search';
import { WebGpuBackend } from '../src/tensor/webgpu/backend';
import { closeGpu } from '../src/tensor/webgpu/device';

function data(kind: string, n: number, d: number, rng: Rng): Mat {
  const cent = Array.from({ length: 100 }, () => Float32Array.from({ length: d }, () => rng.normal()));
  const m = mat(n, d);
  for (let i = 0; i < n; i++) {
    const c = cent[rng.int(100)];
    for (let j = 0; j < d; j++) m.data[i * d + j] = kind === 'random' ? rng.normal() : c[j] + 0.7 * rng.normal();
  }
  return m;
}

const secs = (t: number) => (performance.now() - t) / 1000;

export default async function (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: 'string', default: '100000' }, d: { type: 'string', default: '64' }, queries: { type: 'string', default: '1000' },
      M: { type: 'string', default: '16' }, efc: { type: 'string', default: '200' }, json: { type: 'boolean', default: false },
      'skip-exact': { type: 'boolean', default: false },
    },
  });
  const n = Number(values.n), d = Number(values.d), nq = Number(values.queries), M = Number(values.M), efc = Number(values.efc);
  const out = (o: Record<string, unknown>) => {
    if (values.json) console.log(JSON.stringify({ bench: 'ann', ...o }));
    else console.log(Object.entries(o).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : v}`).join('  '));
  };
  for (const kind of ['random', 'clustered']) {
    const rng = new Rng(kind === 'random' ? 1 : 2);
    const items = data(kind, n, d, rng);
    const queries = data(kind, nq, d, rng);
    const truth = exactTopK(queries, items, 10, { metric: 'cosine' });
    let t = performance.now();
    const ours = new HnswIndex({ dim: d, metric: 'cosine', M, efConstruction: efc, seed: 1 });
    ours.add(items);
    const buildOurs = secs(t);
    t = performance.now();
    const lib = new hnswlib.HierarchicalNSW('cosine', d);
    lib.initIndex(n, M, efc, 1);
    for (let i = 0; i < n; i++) lib.addPoint(Array.from(items.data.subarray(i * d, (i + 1) * d)), i);
    const buildLib = secs(t);
    out({ data: kind, n, d, M, efConstruction: efc, build_s_ours: buildOurs, build_s_hnswlib: buildLib, build_ratio: buildOurs / buildLib });
    const qRows = Array.from({ length: nq }, (_, i) => Array.from(queries.data.subarray(i * d, (i + 1) * d)));
    for (const ef of [16, 32, 64, 100, 200, 400]) {
      t = performance.now();
      const r = ours.search(queries, 10, ef);
      const qpsOurs = nq / secs(t);
      lib.setEf(ef);
      const libRes: TopK = { k: 10, indices: new Int32Array(nq * 10), scores: new Float32Array(nq * 10) };
      t = performance.now();
      for (let i = 0; i < nq; i++) libRes.indices.set(lib.searchKnn(qRows[i], 10).neighbors, i * 10);
      const qpsLib = nq / secs(t);
      out({ data: kind, efSearch: ef, recall_ours: recallAtK(r, truth, 10), qps_ours: Math.round(qpsOurs), recall_hnswlib: recallAtK(libRes, truth, 10), qps_hnswlib: Math.round(qpsLib), qps_ratio: qpsOurs / qpsLib });
    }
  }
  if (values['skip-exact']) return;
  // exact top-10 over 42,000 labels × 128 dims
  const rng = new Rng(3);
  const labels = data('random', 42000, 128, rng);
  const q = data('random', 256, 128, rng);
  let t = performance.now();
  exactTopK(q, labels, 10);
  out({ exact: 'cpuSimilarity (blocked)', labels: 42000, d: 128, queries: 256, qps: Math.round(256 / secs(t)) });
  const plainQ = 32;
  t = performance.now();
  for (let i = 0; i < plainQ; i++) {
    const s: { j: number; v: number }[] = [];
    for (let j = 0; j < 42000; j++) {
      let v = 0;
      for (let c = 0; c < 128; c++) v += q.data[i * 128 + c] * labels.data[j * 128 + c];
      s.push({ j, v });
    }
    s.sort((a, b) => b.v - a.v || a.j - b.j).slice(0, 10);
  }
  out({ exact: 'plain TS loop + sort', labels: 42000, d: 128, queries: plainQ, qps: Math.round(plainQ / secs(t)) });
  // The tensor-core path: matmul + row-wise top-k on the WebGPU adapter, chunked over labels.
  const be = await WebGpuBackend.create();
  await searchTopK(be, q.data.subarray(0, 8 * 128), labels.data, 128, 10); // compile the pipelines
  t = performance.now();
  await searchTopK(be, q.data, labels.data, 128, 10);
  out({ exact: `webgpu matmul + top-k (${be.deviceName})`, labels: 42000, d: 128, queries: 256, qps: Math.round(256 / secs(t)) });
  await closeGpu();
}
