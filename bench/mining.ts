// `npm run bench -- mining [--labels 8073,42224,200000] [--d 64] [--batch 64] [--reps 5] [--json]`
// What one hard-negative search of the mined samplers (ance, mips-uniform, mips) costs per step,
// exact (`mining.index: exact`, the default) against an IVF index (`ivf`), on synthetic label
// tables of the datasets' sizes: FOLDOC's 8,073 labels, DebianDeps' 42,224, and a larger one.
//
// Data: unit label vectors around 1,000 random centres (embeddings of a trained encoder are
// clustered, not isotropic); each step's batch of documents are perturbed copies of random labels.
// Per table: the exact top-k of one batch (k = 21: mips-uniform's 5 hard negatives + the 16 spare
// slots that the sampler keeps for skipping positives), the IVF build (what each refresh adds;
// nlist = round(√L) as the sampler chooses), the IVF search at the sampler's nprobe = nlist/8,
// and recall@5 of the IVF's top 5 against the exact top 5. Times are process CPU time, the best
// of --reps (the machine may be shared), in ms.
import { Rng } from '../src/util/rng';
import { mat, normalizeRows, type Mat } from '../src/ngame/matrix';
import { exactTopK, IvfIndex, recallAtK } from '../src/ngame/ann';

function clustered(n: number, d: number, rng: Rng, centres: Float32Array[]): Mat {
  const m = mat(n, d);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(centres.length)];
    for (let j = 0; j < d; j++) m.data[i * d + j] = c[j] + 0.5 * rng.normal();
  }
  return normalizeRows(m);
}

function bestCpuMs(reps: number, fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const c = process.cpuUsage();
    fn();
    const u = process.cpuUsage(c);
    best = Math.min(best, (u.user + u.system) / 1000);
  }
  return best;
}

export default async function (args: string[]): Promise<void> {
  const arg = (name: string, def: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const sizes = arg('labels', '8073,42224,200000').split(',').map(Number);
  const d = Number(arg('d', '64'));
  const B = Number(arg('batch', '64'));
  const reps = Number(arg('reps', '5'));
  const json = args.includes('--json');
  const k = 21;
  const rows: Record<string, number>[] = [];
  for (const L of sizes) {
    const rng = new Rng(L);
    const centres = Array.from({ length: 1000 }, () => Float32Array.from({ length: d }, () => rng.normal()));
    const labels = clustered(L, d, rng, centres);
    // documents: perturbed copies of random labels (a document sits near its positives)
    const docs = mat(B, d);
    for (let i = 0; i < B; i++) {
      const l = rng.int(L);
      for (let j = 0; j < d; j++) docs.data[i * d + j] = labels.data[l * d + j] + 0.1 * rng.normal();
    }
    const nlist = Math.max(1, Math.round(Math.sqrt(L)));
    const nprobe = Math.max(1, Math.floor(nlist / 8));
    let exact = exactTopK(docs, labels, k);
    const exactMs = bestCpuMs(reps, () => { exact = exactTopK(docs, labels, k); });
    let ivf = IvfIndex.build(labels, { nlist, nprobe, seed: 1 });
    const buildMs = bestCpuMs(Math.min(reps, 2), () => { ivf = IvfIndex.build(labels, { nlist, nprobe, seed: 1 }); });
    let top = ivf.search(docs, k);
    const searchMs = bestCpuMs(reps, () => { top = ivf.search(docs, k); });
    const recall5 = recallAtK(top, exact, 5);
    rows.push({ labels: L, nlist, nprobe, exactMs, buildMs, searchMs, recall5 });
  }
  if (json) {
    console.log(JSON.stringify(rows));
    return;
  }
  console.log(`hard-negative search for one batch of ${B} documents, d = ${d}, top ${k}; CPU ms, best of ${reps}`);
  console.log('labels   nlist nprobe  exact ms  IVF build ms  IVF search ms  speed-up  recall@5');
  for (const r of rows) {
    console.log(`${String(r.labels).padStart(6)} ${String(r.nlist).padStart(7)} ${String(r.nprobe).padStart(6)} ${r.exactMs.toFixed(1).padStart(9)} ${r.buildMs.toFixed(0).padStart(13)} ${r.searchMs.toFixed(2).padStart(14)} ${(r.exactMs / r.searchMs).toFixed(1).padStart(8)}× ${r.recall5.toFixed(3).padStart(9)}`);
  }
}
