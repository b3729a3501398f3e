// Where 'auto' should switch from exact search to HNSW (src/ngame/label-search.ts HNSW_AUTO_LABELS).
//
// usage: npm run bench -- search-auto [--labels 10000,20000,40000] [--d 256] [--queries 500] [--k 100] [--json]
//
// For each label count L (clustered unit vectors, dim 256 as the default encoder): the exact
// search on the default backend (WebGPU when an adapter exists, llvmpipe included: matmul and
// the row top-k, as inference runs it), per query; the HNSW graph with the run defaults (M 16,
// efConstruction 200, efSearch 300): its build time and its search time per query, and its
// recall@k against the exact result. With N documents to search (an XC test set holds about as
// many documents as there are labels; the M2 shortlist searches every training document),
// HNSW pays when build + N·hnsw < N·exact. The bench prints that break-even N for each L;
// HNSW_AUTO_LABELS is the L above which the break-even N falls below L.
import { parseArgs } from 'node:util';
import { Rng } from '../src/util/rng';
import { exactTopK, recallAtK } from '../src/ngame/ann';
import { searchTopK } from '../src/ngame/search';
import { buildLabelIndex, indexTopK } from '../src/ngame/label-search';
import { openBackend } from '../src/ngame/run';
import { closeGpu } from '../src/kernels/webgpu/device';
import { mat } from '../src/ngame/matrix';
import { DEFAULT_RUN } from '../src/ngame/run-config';

function clustered(n: number, d: number, rng: Rng, centres: Float32Array, nc: number): Float32Array {
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(nc);
    let s = 0;
    for (let t = 0; t < d; t++) s += (x[i * d + t] = centres[c * d + t] + 0.7 * rng.normal()) ** 2;
    for (let t = 0; t < d; t++) x[i * d + t] /= Math.sqrt(s);
  }
  return x;
}

export default async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { labels: { type: 'string' }, d: { type: 'string' }, queries: { type: 'string' }, k: { type: 'string' }, json: { type: 'boolean' } } });
  const Ls = (values.labels ?? '10000,20000,40000').split(',').map(Number);
  const d = Number(values.d ?? 256), nq = Number(values.queries ?? 500), k = Number(values.k ?? 100);
  const backend = await openBackend('auto');
  const rows: Record<string, number | string>[] = [];
  try {
    for (const L of Ls) {
      const rng = new Rng(L);
      const nc = Math.max(10, Math.round(L / 100));
      const centres = Float32Array.from({ length: nc * d }, () => rng.normal());
      const labels = clustered(L, d, rng, centres, nc), docs = clustered(nq, d, rng, centres, nc);
      await searchTopK(backend, docs.subarray(0, 8 * d), labels, d, k); // compile the pipelines
      let t = performance.now();
      const exact = backend.name === 'cpu' ? exactTopK(mat(nq, d, docs), mat(L, d, labels), k) : await searchTopK(backend, docs, labels, d, k);
      const exactMs = (performance.now() - t) / nq;
      t = performance.now();
      const index = await buildLabelIndex(labels, d, DEFAULT_RUN.hnsw, 1);
      const buildS = (performance.now() - t) / 1000;
      t = performance.now();
      const top = await indexTopK(index, docs, k);
      const hnswMs = (performance.now() - t) / nq;
      const breakEven = exactMs > hnswMs ? Math.ceil((buildS * 1000) / (exactMs - hnswMs)) : Infinity;
      const row = { labels: L, d, device: backend.name, exactMsPerQuery: +exactMs.toFixed(2), hnswBuildS: +buildS.toFixed(1), hnswMsPerQuery: +hnswMs.toFixed(2), recall: +recallAtK(top, exact, k).toFixed(4), breakEvenDocs: breakEven };
      rows.push(row);
      if (!values.json) console.log(Object.entries(row).map(([a, b]) => `${a} ${b}`).join('  '));
    }
  } finally {
    await closeGpu();
  }
  if (values.json) console.log(JSON.stringify(rows));
}
